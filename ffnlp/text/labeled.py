"""Labeled text for classification: one entry point, :func:`load_textcat_dataset`, and the names of
the modules that do the work, re-exported from here.

* :mod:`ffnlp.text.datasets`: the containers :class:`LabeledData` and :class:`TextCatDataset`.
* :mod:`ffnlp.text.readers`: the file readers (:func:`read_fasttext`, :func:`read_tsv`,
  :func:`read_folder`, :func:`read_class_files`, :func:`read_labeled`, :func:`read_labeled_splits`).
* :mod:`ffnlp.text.benchmarks`: the loaders of the registered benchmarks (``mr``, ``trec``, ``sst1`` ...).
* :mod:`ffnlp.text.safe_pickle`: :func:`read_bunch_pickle`, which runs none of a pickle's code.

Texts are returned as raw strings (decoded, one surrounding-whitespace strip for line formats);
tokenization is the model pipeline's job. Labels are strings; a multi-label file gives one list of
strings per document.

Examples
--------
>>> from ffnlp.text.labeled import load_textcat_dataset
>>> ds = load_textcat_dataset("polarity")          # gensim's 200 Pang & Lee snippets
>>> len(ds.train), ds.n_classes, ds.cv_folds
(200, 2, 5)
>>> ds.train.labels[0], ds.train.texts[0]
('neg', 'simplistic , silly and tedious .')
"""
from __future__ import annotations

from pathlib import Path

from ffnlp import corpora
from ffnlp._datapaths import data_roots, find_data, gensim_test_data  # noqa: F401 (re-exported)
from ffnlp.errors import DataError
from ffnlp.text.benchmarks import (load_20newsgroups, load_mini_newsgroup, load_mr, load_polarity,  # noqa: F401
                                   load_sms, load_sst1, load_sst1_phrases, load_sst2, load_sst2_phrases,
                                   load_sst2_tree_phrases, load_trec, load_trec50, read_sst_trees,
                                   stratified_split, strip_newsgroup_header)
from ffnlp.text.datasets import LabeledData, TextCatDataset
from ffnlp.text.readers import (EMPTY, FORMATS, LABEL_PREFIX, read_class_files, read_fasttext,  # noqa: F401
                                read_folder, read_labeled, read_labeled_splits, read_tsv)
from ffnlp.text.safe_pickle import read_bunch_pickle  # noqa: F401

#: The registered classification benchmarks, name -> :class:`ffnlp.corpora.CorpusSpec`.
TEXTCAT_DATASETS = {name: corpora.get(name) for name in corpora.names(task="textcat")}


def load_textcat_dataset(name_or_path, *, encoding: str = "utf-8-sig", format: str = "auto",
                         empty: str = "error") -> TextCatDataset:
    """A registered benchmark by name, or the user's labeled data from a file, folder or stdin.

    Parameters
    ----------
    name_or_path : str or Path
        A name from ``ffnlp.corpora.names(task="textcat")`` (``mr``, ``trec``, ``sst1``, ...); otherwise a
        path (``"-"``: stdin). A folder holding ``train``/``dev``/``test`` files (or subfolders, or
        ``train.pos``/``train.neg``...) keeps that split (:func:`read_labeled_splits`); any other file or
        folder is read by :func:`read_labeled` and all goes to ``train``.
    encoding, format, empty : str
        For user data only, see :func:`read_labeled`.

    Returns
    -------
    TextCatDataset

    Raises
    ------
    DataError
        Benchmark data absent (the message lists where it looked), a malformed user file, or a name
        that is neither registered nor an existing path.
    """
    key = str(name_or_path)
    if key in corpora.names(task="textcat"):
        return corpora.get(key).load()
    if key != "-" and Path(key).is_dir():
        splits = read_labeled_splits(key, encoding=encoding, format=format, empty=empty)
        if splits is not None:
            found = ", ".join(f"{s} {splits[s].source}" for s in ("train", "valid", "test") if s in splits)
            return TextCatDataset(Path(key).name, splits["train"], test=splits.get("test"),
                                  valid=splits.get("valid"), description=f"user data with its own split: {found}")
    if key == "-" or Path(key).exists():
        data = read_labeled(name_or_path, encoding=encoding, format=format, empty=empty)
        return TextCatDataset(
            Path(key).name if key != "-" else "<stdin>", data, description=f"user data from {data.source}"
        )
    raise DataError(
        f"{key!r} is neither a registered textcat dataset ({', '.join(corpora.names(task='textcat'))}) "
        "nor an existing file or folder"
    )


__all__ = [
    "LABEL_PREFIX",
    "LabeledData",
    "TextCatDataset",
    "read_fasttext",
    "read_tsv",
    "read_folder",
    "read_class_files",
    "read_labeled",
    "read_labeled_splits",
    "read_bunch_pickle",
    "stratified_split",
    "strip_newsgroup_header",
    "gensim_test_data",
    "load_mr",
    "load_trec",
    "load_trec50",
    "load_sst1",
    "load_sst2",
    "load_sst2_phrases",
    "load_sst1_phrases",
    "load_sst2_tree_phrases",
    "read_sst_trees",
    "load_20newsgroups",
    "load_sms",
    "load_mini_newsgroup",
    "load_polarity",
    "load_textcat_dataset",
    "TEXTCAT_DATASETS",
]
