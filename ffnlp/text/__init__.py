"""Text pipeline: tokenize, build a vocabulary, stream corpora, cut context windows.

It knows nothing of :mod:`ffnlp.nn`; of ffnlp it uses only the leaf modules (:mod:`ffnlp.errors`,
:mod:`ffnlp._datapaths`) and, to look names up, the corpus registry :mod:`ffnlp.corpora`.

Note: ``ffnlp.text.tokenize`` here is the *function*; the module of the same name is reached with
``from ffnlp.text.tokenize import ...``.
"""
from ffnlp.text.corpus import TextLines, list_text_files, require_reiterable
from ffnlp.text.lm_corpora import (
    LMSplits,
    load_brown,
    load_brown_sentences,
    load_lee,
    load_lm_corpus,
    load_ptb,
    load_split_files,
    load_text_corpus,
)
from ffnlp.text.tokenize import Tokenizer, split_sentences, tokenize
from ffnlp.text.vocab import SPECIALS, Vocab
from ffnlp.text.windows import context_windows, iter_window_batches

__all__ = [
    "tokenize",
    "split_sentences",
    "Tokenizer",
    "Vocab",
    "SPECIALS",
    "TextLines",
    "list_text_files",
    "require_reiterable",
    "context_windows",
    "iter_window_batches",
    "LMSplits",
    "load_brown",
    "load_brown_sentences",
    "load_split_files",
    "load_ptb",
    "load_lee",
    "load_text_corpus",
    "load_lm_corpus",
]
