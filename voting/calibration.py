"""Placeholder: being written (see voting/__init__.py for the agreed API)."""
from typing import Any


def additive_model(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def zscore_normalise(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError
