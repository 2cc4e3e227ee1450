"""Tokenizer and sentence splitter."""
import dataclasses
import re
import time

import pytest
from nltk.tokenize import NLTKWordTokenizer, RegexpTokenizer

from ffnlp.text.tokenize import WORD_PATTERN, Tokenizer, split_sentences, tokenize


def test_words_and_punctuation():
    assert tokenize("The cat sat, then ran!") == ["The", "cat", "sat", ",", "then", "ran", "!"]


def test_treebank_conventions():
    assert tokenize("Don't pay $3.50 for John's hard-boiled eggs... OK?") == [
        "Do", "n't", "pay", "$", "3.50", "for", "John", "'s", "hard-boiled", "eggs", "...", "OK", "?",
    ]
    assert tokenize("We'll see; they'd won -- I'm sure.") == [
        "We", "'ll", "see", ";", "they", "'d", "won", "--", "I", "'m", "sure", ".",
    ]
    assert tokenize("1,000,000 at 4:00 in the U.S. o'clock") == [
        "1,000,000", "at", "4:00", "in", "the", "U.S.", "o'clock",
    ]


def test_unicode_and_empty():
    assert tokenize("Été naïve café") == ["Été", "naïve", "café"]
    assert tokenize("") == []
    assert tokenize("  \n\t ") == []


def test_lower():
    assert tokenize("The U.S. WON'T", lower=True) == ["the", "u.s.", "wo", "n't"]


@pytest.mark.parametrize(
    "text",
    [
        "I can't believe it's 3.14, John's dog.",
        "They'll say we'd won -- or wouldn't they?",
        "Hard-boiled eggs cost $1,000 (really)!",
        "She said: no; I'm here.",
        "U.S. troops left ... finally.",
    ],
)
def test_agrees_with_nltk_treebank_tokenizer(text):
    # Cross-check: on plain sentences our conventions are NLTK's (without its quote rewriting).
    assert tokenize(text) == NLTKWordTokenizer().tokenize(text)


def test_same_tokens_as_nltk_regexp_tokenizer():
    text = "Don't pay $3.50... e.g. for U.S.A. naïve rock'n'roll -- OK?! it's (4:00pm) x_y\n''a`` "
    assert tokenize(text) == RegexpTokenizer(WORD_PATTERN, flags=re.VERBOSE).tokenize(text)


def test_fast_enough():
    text = "The quick brown fox, who can't stop, jumps over 3.5 lazy dogs' backs... Really? " * 20_000
    t0 = time.perf_counter()
    toks = tokenize(text)  # 1.6 MB, 400k tokens; about 0.2 s
    assert time.perf_counter() - t0 < 5.0
    assert len(toks) == 20 * 20_000


def test_split_sentences():
    text = "Mr. Smith arrived at 4 p.m. on Monday. He left! Did J. Doe stay? Yes."
    assert split_sentences(text) == [
        "Mr. Smith arrived at 4 p.m. on Monday.", "He left!", "Did J. Doe stay?", "Yes.",
    ]


def test_split_sentences_quotes_brackets_and_blank_lines():
    text = 'He said "Go home." Then he left. (It was late.) The U.S. Army came.\n\nno stop here\nline two'
    assert split_sentences(text) == [
        'He said "Go home."', "Then he left.", "(It was late.)", "The U.S. Army came.",
        "no stop here\nline two",
    ]


def test_split_sentences_needs_a_capital_or_digit_after():
    assert split_sentences("It is 3.5 m. wide and e.g. red.") == ["It is 3.5 m. wide and e.g. red."]
    assert split_sentences("Wait... What? 42 men came.") == ["Wait...", "What?", "42 men came."]
    assert split_sentences("") == []


def test_tokenizer_object():
    tok = Tokenizer(lower=True)
    assert tok("It rained. We stayed in.") == ["it", "rained", ".", "we", "stayed", "in", "."]
    by_sentence = Tokenizer(lower=True, sentences=True)
    assert by_sentence("It rained. We stayed in.") == [["it", "rained", "."], ["we", "stayed", "in", "."]]
    with pytest.raises(dataclasses.FrozenInstanceError):
        tok.lower = False
    assert Tokenizer() == Tokenizer(lower=False, sentences=False)
