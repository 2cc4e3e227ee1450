"""Network assembly for :class:`~ffnlp.tasks.textcat.FFNTextClassifier`.

A network takes the :class:`~ffnlp.text.features.FeatureBatch` that the
:class:`~ffnlp.text.features.DocumentEncoder` cuts out (features, TF-IDF weights and NB scales computed
once per fit) and returns logits::

    Ensemble(chain(Select("embed"), WeightedEmbeddingBag, [Dropout], Dense ... -> n_out),
             chain(Select("direct"), DirectBag -> n_out), reduce="sum")

The layers (:mod:`ffnlp.nn.pooling`) hold parameters only. ``WeightedEmbeddingBag`` is the weighted
average of embeddings (the DAN and fastText input, with the encoder's TF-IDF weights); ``DirectBag`` is
Bengio et al. (2003)'s direct connections from the features to the outputs, each scaled by its naive Bayes
log-count ratio (Wang & Manning 2012), as NBSVM.

``doc_vector="window"`` replaces the embedding average by the windowed layer on the words in text order
(:func:`build_window_network`), with the same direct connections.

The networks of files written before the encoder (``EmbeddingBag``/``ScaledBag`` on id documents, and
the windowed ``ConvPool``) are assembled by :func:`build_legacy_network`.
"""
from __future__ import annotations

import numpy as np

from ffnlp.nn import Dropout, Embedding, build_mlp, chain
from ffnlp.nn.pooling import (ConvPool, DirectBag, EmbeddingBag, Ensemble, PartlyFrozenEmbedding, ScaledBag, Select,
                              WeightedEmbeddingBag, WordDropout)

__all__ = ["build_network", "build_window_network", "build_legacy_network", "embedding_table"]


def build_network(*, n_embedded, n_features, n_out, embedding_dim, rng, seed, hidden=(), activation="relu",
                  dropout=0.0, n_frozen=0, direct=True, residual=True, direct_init=None, pretrained=None):
    """The network on :class:`~ffnlp.text.features.FeatureBatch`: weighted embedding average -> hidden
    layers -> n_out logits, plus the direct connections (``direct``; ``residual`` and ``direct_init`` as
    :class:`~ffnlp.nn.pooling.DirectBag`'s); ``pretrained``: (vectors (k, dim), row ids (k,)) copied into
    the table."""
    emb = _start_from(WeightedEmbeddingBag(n_embedded, embedding_dim, n_frozen=n_frozen, rng=rng), pretrained)
    return _head([Select("embed"), emb], embedding_dim, hidden=hidden, n_out=n_out, activation=activation, rng=rng,
                 seed=seed, dropout=dropout, direct=direct, n_features=n_features, residual=residual,
                 direct_init=direct_init)


def _start_from(emb, pretrained):
    """``emb`` with the rows of ``pretrained`` (vectors (k, dim), row ids (k,)) copied in, the others scaled
    to the vectors' spread (words without a vector); ``emb`` itself when ``pretrained`` is None."""
    if pretrained is not None:
        vectors, ids = pretrained
        E = emb.params["E"]
        E *= vectors.std() * np.sqrt(E.shape[1])
        E[ids] = vectors
    return emb


def _head(layers, n_doc, *, hidden, n_out, activation, rng, seed, dropout, direct, n_features, residual,
          direct_init):
    """``layers`` (-> a document vector of ``n_doc``) -> [Dropout] -> hidden layers -> ``n_out`` logits, and the
    direct connections beside them (``direct``)."""
    if dropout:
        layers.append(Dropout(float(dropout), seed=seed + 11))
    mlp = build_mlp([n_doc, *hidden, n_out], activation=activation, rng=rng, dropout=float(dropout),
                    input_grad=True, seed=seed + 13)
    net = chain(*layers, *mlp.layers)
    if not direct:
        return net
    return Ensemble(net, chain(Select("direct"), DirectBag(n_features, n_out, residual=residual,
                                                             init_value=direct_init)), reduce="sum")


def build_window_network(*, n_words, n_features, n_out, embedding_dim, rng, seed, window=3, conv_units=200,
                         conv_pool="max", hidden=(), activation="relu", dropout=0.0, word_dropout=0.0, freeze=False,
                         direct=True, residual=True, direct_init=None, pretrained=None):
    """The windowed network on :class:`~ffnlp.text.features.FeatureBatch` (``doc_vector="window"``)::

        Ensemble(chain(Select("sequence"), [WordDropout], Embedding, ConvPool, [Dropout], Dense ... -> n_out),
                 chain(Select("direct"), DirectBag -> n_out), reduce="sum")

    The window layer reads the words in text order (Collobert et al. 2011), the direct connections the
    document's word and n-gram features, as :func:`build_network`'s; ``freeze`` keeps the whole table fixed
    (with ``pretrained``; the rows of words without a vector keep their random start)."""
    emb = _start_from(Embedding(n_words, embedding_dim, rng=rng, trainable=not freeze), pretrained)
    layers = [Select("sequence")]
    if word_dropout:
        layers.append(WordDropout(float(word_dropout), seed=seed + 7))
    layers += [emb, ConvPool(embedding_dim, int(conv_units), int(window), activation=activation, pool=conv_pool,
                             rng=rng)]
    return _head(layers, int(conv_units), hidden=hidden, n_out=n_out, activation=activation, rng=rng, seed=seed,
                 dropout=dropout, direct=direct, n_features=n_features, residual=residual, direct_init=direct_init)


def build_legacy_network(*, doc_vector, n_words, n_rows, n_out, dim, rng, seed, pre=None, freeze=False,
                         term_weighting="tfidf", idf=None, word_dropout=0.0, dropout=0.0, hidden=(),
                         activation="relu", window=3, conv_units=200, conv_pool="max", nb_scale=None,
                         nb_style="mean"):
    """The network on id documents (``doc_vector="conv"``, and files written before the encoder)."""
    n_frozen = n_words if pre is not None and freeze else 0
    if doc_vector == "mean":  # lookup + (weighted) mean, fused
        emb = EmbeddingBag(n_rows, dim, n_frozen=n_frozen, weighting=term_weighting, idf=idf, rng=rng)
    elif n_frozen:
        emb = PartlyFrozenEmbedding(n_rows, dim, n_frozen=n_frozen, rng=rng)
    else:
        emb = Embedding(n_rows, dim, rng=rng)
    if pre is not None:
        vectors, ids = pre
        E = emb.params["E"]
        E[:n_words] *= vectors.std() * np.sqrt(dim)
        E[ids] = vectors
    layers = []
    if word_dropout:
        layers.append(WordDropout(float(word_dropout), seed=seed + 7))
    layers.append(emb)
    if doc_vector == "mean":
        n_doc = dim
    elif doc_vector == "conv":
        layers.append(ConvPool(dim, int(conv_units), int(window), activation=activation, pool=conv_pool, rng=rng))
        n_doc = int(conv_units)
    else:
        raise ValueError(f"doc_vector must be 'mean' or 'conv', got {doc_vector!r}")
    if dropout:
        layers.append(Dropout(float(dropout), seed=seed + 11))
    mlp = build_mlp([n_doc, *hidden, n_out], activation=activation, rng=rng, dropout=float(dropout),
                    input_grad=True, seed=seed + 13)
    net = chain(*layers, *mlp.layers)
    if nb_scale is None:
        return net
    nbsvm = nb_style == "nbsvm"
    return Ensemble(net, ScaledBag(n_rows, n_out, scale=nb_scale, pooling="presence" if nbsvm else "mean",
                                   residual=nbsvm), reduce="sum")


def embedding_table(network):
    """The word embedding matrix ``E`` of a member network: the first layer, depth first, that has one
    (None if none has)."""
    return next((layer.params["E"] for layer in network.walk() if "E" in layer.params), None)
