"""Build an L-layer feedforward network from a list of layer sizes (the article's ``L_layer_model``)."""
from __future__ import annotations

import numpy as np

from ffnlp.nn.init import get_initializer, glorot_uniform, he_normal
from ffnlp.nn.layer import Chain, chain
from ffnlp.nn.layers import ACTIVATIONS, Dense, Dropout, Maxout


def build_mlp(layer_sizes, *, activation="relu", rng, init=None, output_init=None, dtype=np.float32,
              dropout=0.0, maxout_pieces=2, input_grad=False, seed=0) -> Chain:
    """``[LINEAR -> ACTIVATION] * (L - 1) -> LINEAR`` returning logits (the loss applies the output unit).

    Parameters
    ----------
    layer_sizes : sequence of int
        ``[n_in, n_hidden_1, ..., n_out]``, at least two entries, all positive.
    activation : str
        One of :data:`ffnlp.nn.layers.ACTIVATIONS` or ``"maxout"``.
    rng : Generator or RandomState
        Draws the weights, layer by layer in order (a ``RandomState(1)`` with ``init="course"`` draws
        exactly the course's weights).
    init : str or callable or None
        Hidden-layer initializer; default He for ReLU-like units, Glorot otherwise.
    output_init : str or callable or None
        Output layer's initializer (default: same as ``init``).
    dropout : float
        Dropout rate after every hidden activation (0 = none).
    input_grad : bool
        Whether the network returns ``dX`` for its input (False for data inputs).
    """
    sizes = [int(s) for s in layer_sizes]
    if len(sizes) < 2 or any(s <= 0 for s in sizes):
        raise ValueError(f"layer sizes must be at least two positive integers, got {list(layer_sizes)}")
    if activation != "maxout" and activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose from {sorted(ACTIVATIONS) + ['maxout']}")
    if init is None:
        init = he_normal if activation in ("relu", "leaky_relu") else glorot_uniform
    init = get_initializer(init)
    output_init = init if output_init is None else get_initializer(output_init)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-2], sizes[1:-1])):
        if activation == "maxout":
            layers.append(Maxout(n_in, n_out, maxout_pieces, rng=rng, init=init, dtype=dtype))
        else:
            layers.append(Dense(n_in, n_out, rng=rng, init=init, dtype=dtype, input_grad=input_grad or i > 0))
            layers.append(ACTIVATIONS[activation]())
        if dropout:
            layers.append(Dropout(dropout, seed=seed + i))
    layers.append(Dense(sizes[-2], sizes[-1], rng=rng, init=output_init, dtype=dtype,
                        input_grad=input_grad or len(sizes) > 2))
    return chain(*layers)
