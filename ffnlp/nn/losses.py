"""Output units fused with their costs: ``loss(Z, y) -> (loss, dZ)``.

The network's last layer returns logits ``Z``; the loss applies the output unit (identity, sigmoid or
softmax) and its cost in one numerically stable step, returning the mean cost over the batch and its
gradient with respect to ``Z``. Only the loss divides by the batch size. The value returned is the
real objective (mean negative log-likelihood in nats, or half the mean squared error), never a proxy.

==========================  ==================  =====================  =========================
output distribution          unit                cost                   class
==========================  ==================  =====================  =========================
Gaussian                     linear              squared error          :class:`MeanSquaredError`
Bernoulli (or multi-label)   sigmoid             binary cross-entropy   :class:`SigmoidBinaryCrossEntropy`
Multinoulli                  softmax             cross-entropy          :class:`SoftmaxCrossEntropy`
==========================  ==================  =====================  =========================
"""
from __future__ import annotations

from ffnlp.nn.backends import NUMPY_OPS, Ops


def _weights(ops, sample_weight, n, dtype):
    if sample_weight is None:
        return None
    w = ops.asarray(sample_weight, dtype=dtype)
    if w.shape != (n,):
        raise ValueError(f"sample_weight must have shape ({n},), got {w.shape}")
    return w


class Loss:
    """Interface: ``__call__(Z, y, sample_weight=None) -> (loss, dZ)``, ``output(Z)`` (the output unit's
    activation: predictions or probabilities).

    ``loss`` is the mean cost as a 0-d array of the backend (a NumPy float on the CPU, which *is* a Python
    float): the training engine reads it on the host once per step. ``dZ`` has the shape of ``Z``.
    ``ops`` is the backend of the logits; the training engine sets it to the model's.
    """

    ops: Ops = NUMPY_OPS

    def __call__(self, Z, y, sample_weight=None):
        raise NotImplementedError

    def output(self, Z):
        raise NotImplementedError


class MeanSquaredError(Loss):
    """Linear output unit + squared error (the Gaussian negative log-likelihood up to constants).

    ``loss = mean_i 0.5 * sum_j (Z_ij - y_ij)**2``; ``dZ = (Z - y) / n``.
    Z : (n_samples, n_out) or (n_samples,); y : same shape.
    """

    def __call__(self, Z, y, sample_weight=None):
        ops = self.ops
        y = ops.asarray(y, dtype=Z.dtype)
        if y.size != Z.size:
            raise ValueError(f"MeanSquaredError: targets do not match predictions of shape {Z.shape}")
        y = y.reshape(Z.shape)
        n = Z.shape[0]
        R = Z - y
        per = 0.5 * (R * R).reshape(n, -1).sum(axis=1)  # (n,)
        w = _weights(ops, sample_weight, n, Z.dtype)
        if w is not None:
            per = per * w
            R = R * w.reshape((n,) + (1,) * (Z.ndim - 1))
        return per.sum(dtype="float64") / n, R / n

    def output(self, Z):
        return Z


class SigmoidBinaryCrossEntropy(Loss):
    """Sigmoid output unit + binary cross-entropy (Bernoulli NLL), also for multi-label outputs.

    ``loss = mean_i sum_j [softplus(Z_ij) - y_ij * Z_ij]`` (equal to ``-[y log p + (1 - y) log(1 - p)]``
    with ``p = sigmoid(Z)``, but finite for any finite Z: never ``log(0)``); ``dZ = (sigmoid(Z) - y) / n``.
    Z : (n_samples,) or (n_samples, n_labels); y : 0/1 of the same shape.
    """

    def __call__(self, Z, y, sample_weight=None):
        ops = self.ops
        y = ops.asarray(y)
        if y.size != Z.size:
            raise ValueError(f"SigmoidBinaryCrossEntropy: targets of shape {y.shape} do not match logits {Z.shape}")
        y = y.reshape(Z.shape).astype(Z.dtype, copy=False)
        if ops.check_values and y.size and ((y < 0) | (y > 1)).any():
            raise ValueError("SigmoidBinaryCrossEntropy: targets must lie in [0, 1]")
        n = Z.shape[0]
        per = (ops.softplus(Z) - y * Z).reshape(n, -1).sum(axis=1)  # (n,)
        dZ = ops.sigmoid(Z) - y
        w = _weights(ops, sample_weight, n, Z.dtype)
        if w is not None:
            per = per * w
            dZ *= w.reshape((n,) + (1,) * (Z.ndim - 1))
        dZ /= n
        return per.sum(dtype="float64") / n, dZ

    def output(self, Z):
        return self.ops.sigmoid(Z)


class SoftmaxCrossEntropy(Loss):
    """Softmax output unit + categorical cross-entropy via log-softmax (multinoulli NLL).

    ``loss = mean_i [logsumexp(Z_i) - Z_i,y_i]``; ``dZ = (softmax(Z) - onehot(y)) / n``.
    Z : (n_samples, n_classes) float; y : (n_samples,) int class indices in [0, n_classes).
    """

    def nll(self, Z, y):
        """Per-example negative log-likelihood, shape (n_samples,), in nats."""
        y = self.ops.asarray(y)
        self._check(Z, y)
        return self.ops.logsumexp(Z, axis=1) - self.ops.pick(Z, y)

    def _check(self, Z, y):
        if Z.ndim != 2:
            raise ValueError(f"SoftmaxCrossEntropy: logits must be (n_samples, n_classes), got {Z.shape}")
        if y.shape != (Z.shape[0],):
            raise ValueError(f"SoftmaxCrossEntropy: targets must have shape ({Z.shape[0]},), got {y.shape}")
        if y.dtype.kind not in "iu":
            raise ValueError(f"SoftmaxCrossEntropy: targets must be integer class ids, got dtype {y.dtype}")
        if self.ops.check_values and y.size and (y.min() < 0 or y.max() >= Z.shape[1]):
            raise ValueError(f"SoftmaxCrossEntropy: targets must lie in [0, {Z.shape[1]}), "
                             f"got range [{y.min()}, {y.max()}]")

    def __call__(self, Z, y, sample_weight=None):
        ops = self.ops
        y = ops.asarray(y)
        self._check(Z, y)
        n = Z.shape[0]
        rows = ops.arange(n)
        P = ops.softmax(Z)                               # (n, n_classes)
        lse = ops.logsumexp(Z, axis=1)                   # (n,)
        per = lse - Z[rows, y]                           # (n,)
        P[rows, y] -= 1                                  # dZ * n
        w = _weights(ops, sample_weight, n, Z.dtype)
        if w is not None:
            per = per * w
            P *= w[:, None]
        P /= n
        return per.sum(dtype="float64") / n, P

    def output(self, Z):
        return self.ops.softmax(Z)


#: Output unit name -> loss class.
OUTPUTS = {"softmax": SoftmaxCrossEntropy, "sigmoid": SigmoidBinaryCrossEntropy, "linear": MeanSquaredError}
