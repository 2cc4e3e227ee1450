"""One frozen, typed dataclass per task, with a JSON round-trip.

``Config.from_dict`` refuses unknown fields and converts lists back to tuples, so a config read from a
model file or a JSON file is exactly the one that was written.
"""
from __future__ import annotations

import dataclasses
import json
import typing
from dataclasses import dataclass


class _ConfigMixin:
    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict):
        fields = {f.name: f for f in dataclasses.fields(cls)}
        unknown = set(data) - set(fields)
        if unknown:
            raise ValueError(f"{cls.__name__}: unknown field(s) {sorted(unknown)}")
        hints = typing.get_type_hints(cls)
        kwargs = {}
        for k, v in data.items():
            if isinstance(v, list) and "tuple" in str(hints.get(k, "")):
                v = tuple(v)
            kwargs[k] = v
        return cls(**kwargs)

    @classmethod
    def from_json(cls, text: str):
        return cls.from_dict(json.loads(text))

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class ImageConfig(_ConfigMixin):
    """Settings of the image classifier (``ffnlp image train``).

    The defaults are the course's L-layer run: hidden layers 20, 7, 5 with ReLU, a sigmoid (binary) or
    softmax (multi-class) output, full-batch gradient descent with learning rate 0.0075 for 2500
    iterations, the course's initialization drawn from ``RandomState(seed)``.
    """

    hidden: tuple[int, ...] = (20, 7, 5)
    activation: str = "relu"
    learning_rate: float = 0.0075
    iterations: int = 2500
    optimizer: str = "gd"  # gd | sgd | adam
    batch_size: int | None = None  # None: full batch
    momentum: float = 0.0
    lr_decay: float = 0.0
    weight_decay: float = 0.0
    dropout: float = 0.0
    init: str = "course"  # course | course_small | course_scaled | he | glorot ...
    seed: int = 1
    dtype: str = "float64"
    validation_fraction: float = 0.0
    n_iter_no_change: int | None = None
    log_every: int = 100

    @classmethod
    def preset(cls, data: str) -> "ImageConfig":
        """Defaults per dataset: ``"catvnoncat"`` is the course's run; ``"digits"`` a quick Adam run."""
        if data == "catvnoncat":
            return cls()
        if data == "digits":
            return cls(hidden=(64,), learning_rate=0.01, iterations=60, optimizer="adam", batch_size=64,
                       init="he", seed=0, dtype="float32", log_every=10)
        raise ValueError(f"no preset for {data!r}; choose 'catvnoncat' or 'digits'")

    def __post_init__(self):
        if any(int(h) <= 0 for h in self.hidden):
            raise ValueError(f"hidden layer sizes must be positive integers, got {list(self.hidden)}")
        if self.learning_rate <= 0:
            raise ValueError(f"learning_rate must be positive, got {self.learning_rate}")
        if self.iterations <= 0:
            raise ValueError(f"iterations must be positive, got {self.iterations}")
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"dtype must be float32 or float64, got {self.dtype!r}")
        if self.optimizer not in ("gd", "sgd", "adam"):
            raise ValueError(f"optimizer must be gd, sgd or adam, got {self.optimizer!r}")
        if self.batch_size is not None and self.batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {self.batch_size}")
        if not 0 <= self.validation_fraction < 1:
            raise ValueError(f"validation_fraction must be in [0, 1), got {self.validation_fraction}")
