"""Placeholder: being written (see voting/__init__.py for the agreed API)."""
from typing import Any


def aggregate(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def majority_judgment(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def weighted_totals(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError
class ScoreData:  # placeholder
    pass
