import os
from pathlib import Path

import numpy as np
import pytest


def shared_data(relative: str) -> Path:
    """Path of a benchmark dataset under $FFNLP_DATA or ../shared/data, or skip the test."""
    from ffnlp.corpora import find_data

    p = find_data(relative)
    if p is None:
        pytest.skip(f"benchmark data {relative!r} not found (set FFNLP_DATA or provide ../shared/data)")
    return p


@pytest.fixture
def rng():
    return np.random.default_rng(0)
