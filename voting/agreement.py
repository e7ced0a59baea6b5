"""Placeholder: being written (see voting/__init__.py for the agreed API)."""
from typing import Any


def ipras(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def kendalls_w(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def krippendorff_alpha(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def spread(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError
