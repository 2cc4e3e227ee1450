"""ffnlp: deep feedforward neural networks for text, in NumPy."""
from ffnlp._version import __version__

__all__ = ["__version__"]
