"""The CPU backend's array functions as module-level names (kept for code written before the backend
object): each is the method of the same name of :data:`ffnlp.nn.backends.NUMPY_OPS`. Layers use their own
``self.ops`` instead, so that they run on any backend.
"""
from __future__ import annotations

from ffnlp.nn.backends import FLOAT, NUMPY_OPS

xp = NUMPY_OPS.xp
affine = NUMPY_OPS.affine
sigmoid = NUMPY_OPS.sigmoid
softplus = NUMPY_OPS.softplus
logsumexp = NUMPY_OPS.logsumexp
log_softmax = NUMPY_OPS.log_softmax
softmax = NUMPY_OPS.softmax
softmax_inplace = NUMPY_OPS.softmax_inplace
scatter_add = NUMPY_OPS.scatter_add
segment_sum = NUMPY_OPS.segment_sum
as_float = NUMPY_OPS.as_float

__all__ = ["FLOAT", "affine", "as_float", "log_softmax", "logsumexp", "scatter_add", "segment_sum", "sigmoid",
           "softmax", "softmax_inplace", "softplus", "xp"]
