"""Placeholder: being written (see voting/__init__.py for the agreed API)."""
from typing import Any


def consent(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def flag_for_discussion(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def supermajority(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError
