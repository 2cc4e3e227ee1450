"""The vectorized feedforward core: layers, losses, optimizers, training loop, gradient checks.

Knows nothing of text; imports nothing from ffnlp but :mod:`ffnlp.errors` and the version.
"""
from ffnlp.nn.layer import Chain, Layer, chain, load_model, save_model
from ffnlp.nn.layers import (ACTIVATIONS, Dense, Dropout, Embedding, Identity, LeakyReLU, Maxout, MeanPool, Ragged,
                             ReLU, Sigmoid, Softplus, Tanh, Window)
from ffnlp.nn.losses import OUTPUTS, Loss, MeanSquaredError, SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy
from ffnlp.nn.network import build_mlp
from ffnlp.nn.optimizers import SGD, Adam, GradientDescent, Optimizer
from ffnlp.nn.training import History, evaluate_loss, fit, minibatches, train_step

__all__ = [
    "ACTIVATIONS", "OUTPUTS", "Adam", "Chain", "Dense", "Dropout", "Embedding", "GradientDescent", "History",
    "Identity", "Layer", "LeakyReLU", "Loss", "Maxout", "MeanPool", "MeanSquaredError", "Optimizer", "Ragged",
    "ReLU", "SGD", "Sigmoid", "SigmoidBinaryCrossEntropy", "SoftmaxCrossEntropy", "Softplus", "Tanh", "Window",
    "build_mlp", "chain", "evaluate_loss", "fit", "load_model", "minibatches", "save_model", "train_step",
]
