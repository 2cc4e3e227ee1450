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

The networks of files written before the encoder (``EmbeddingBag``/``ScaledBag`` on id documents, and
the windowed ``ConvPool``) are assembled by :func:`build_legacy_network`.
"""
from __future__ import annotations

import numpy as np

from ffnlp.nn import Dropout, Embedding, build_mlp, chain
from ffnlp.nn.pooling import (ConvPool, DirectBag, EmbeddingBag, Ensemble, PartlyFrozenEmbedding, ScaledBag, Select,
                              WeightedEmbeddingBag, WordDropout)

__all__ = ["build_network", "build_legacy_network", "embedding_table"]


def build_network(*, n_embedded, n_features, n_out, embedding_dim, rng, seed, hidden=(), activation="relu",
                  dropout=0.0, n_frozen=0, direct=True, residual=True, direct_init=None, pretrained=None):
    """The network on :class:`~ffnlp.text.features.FeatureBatch`: weighted embedding average -> hidden
    layers -> n_out logits, plus the direct connections (``direct``; ``residual`` and ``direct_init`` as
    :class:`~ffnlp.nn.pooling.DirectBag`'s); ``pretrained``: (vectors (k, dim), row ids (k,)) copied into
    the table."""
    emb = WeightedEmbeddingBag(n_embedded, embedding_dim, n_frozen=n_frozen, rng=rng)
    if pretrained is not None:
        vectors, ids = pretrained
        E = emb.params["E"]
        E *= vectors.std() * np.sqrt(embedding_dim)  # unknown words: the pretrained vectors' scale
        E[ids] = vectors
    layers = [Select("embed"), emb]
    if dropout:
        layers.append(Dropout(float(dropout), seed=seed + 11))
    mlp = build_mlp([embedding_dim, *hidden, n_out], activation=activation, rng=rng, dropout=float(dropout),
                    input_grad=True, seed=seed + 13)
    net = chain(*layers, *mlp.layers)
    if not direct:
        return net
    return Ensemble(net, chain(Select("direct"), DirectBag(n_features, n_out, residual=residual,
                                                             init_value=direct_init)), reduce="sum")


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
