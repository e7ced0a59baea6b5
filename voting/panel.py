"""Placeholder: being written (see voting/__init__.py for the agreed API)."""
from typing import Any


def decide_round(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError
