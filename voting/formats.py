"""Placeholder: being written (see voting/__init__.py for the agreed API)."""
from typing import Any


def read_pabulib(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def read_preflib(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError
