"""Combinators beyond :func:`~ffnlp.nn.layer.chain`: :class:`Concatenate` (thinc's ``concatenate``)."""
from __future__ import annotations

from ffnlp.nn.layer import Layer

__all__ = ["Concatenate", "concatenate"]


class Concatenate(Layer):
    """Apply several layers to the same input and join their outputs along the feature axis.

    ``Y = [f_1(X), f_2(X), ...]`` of shape (n_samples, sum of the widths); the backward pass splits
    ``dY`` by width and sums the input gradients. With ``Identity()`` as one branch this is a skip
    connection: Bengio et al. (2003)'s direct connections are ``concatenate(chain(Dense, Tanh), Identity())``
    feeding the output layer, i.e. ``y = b + W x + U tanh(d + H x)``.
    """

    def __init__(self, *layers: Layer):
        super().__init__()
        if not layers:
            raise ValueError("Concatenate needs at least one layer")
        self.layers = list(layers)
        self.ops = self.layers[0].ops          # a container lives where its children do

    @property
    def children(self):
        return self.layers

    @classmethod
    def from_children(cls, children, config):
        return cls(*children)

    def __call__(self, X, *, is_train):
        outs, callbacks = [], []
        for layer in self.layers:
            Y, bp = layer(X, is_train=is_train)
            if Y.ndim != 2 or Y.shape[0] != X.shape[0]:
                raise ValueError(f"Concatenate: branch {type(layer).__name__} returned shape {Y.shape}, "
                                 f"expected ({X.shape[0]}, width)")
            outs.append(Y)
            callbacks.append(bp)
        widths = [Y.shape[1] for Y in outs]
        Y = self.ops.concat(outs, axis=1)                   # (n, sum(widths))
        bounds = [0]
        for width in widths:
            bounds.append(bounds[-1] + width)

        def backprop(dY):
            assert dY.shape == Y.shape, f"Concatenate.backprop: dY {dY.shape} != Y {Y.shape}"
            dX = None
            for bp, s, e in zip(callbacks, bounds[:-1], bounds[1:]):
                d = bp(dY[:, s:e])
                if d is not None:
                    dX = d if dX is None else dX + d
            return dX

        return Y, backprop

    def predict(self, X):
        return self.ops.concat([layer.predict(X) for layer in self.layers], axis=1)

    def __repr__(self):
        return "concatenate(" + ", ".join(map(repr, self.layers)) + ")"


def concatenate(*layers: Layer) -> Concatenate:
    """``concatenate(chain(Dense(...), Tanh()), Identity())``: outputs side by side."""
    return Concatenate(*layers)
