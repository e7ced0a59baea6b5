"""Placeholder: being written (see voting/__init__.py for the agreed API)."""
from typing import Any


def build_record(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def canonical_json(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def record_digest(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def verify_record(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError
