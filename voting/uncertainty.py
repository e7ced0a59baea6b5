"""Placeholder: being written (see voting/__init__.py for the agreed API)."""
from typing import Any


def bayesian_ranking(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def bootstrap_intervals(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError
