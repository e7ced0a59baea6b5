"""Array helpers shared by the score modules (private)."""

from __future__ import annotations

from typing import Any, TypeVar, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from voting.errors import VotingError

FloatArray = NDArray[np.float64]
ArrayT = TypeVar("ArrayT", bound="np.ndarray[Any, Any]")


def readonly(a: ArrayT) -> ArrayT:
    """A read-only copy of ``a`` (results are immutable)."""
    out = np.array(a, copy=True)
    out.setflags(write=False)
    return cast(ArrayT, out)


def as_totals(totals: ArrayLike) -> FloatArray:
    """``totals`` as a float (reviewers x applications) array; NaN is missing, inf refused."""
    t = np.asarray(totals, dtype=np.float64)
    if t.ndim != 2:
        raise VotingError("totals must be a 2-D array (reviewers x applications)")
    if np.isinf(t).any():
        raise VotingError("totals must be finite numbers or NaN (missing)")
    return t
