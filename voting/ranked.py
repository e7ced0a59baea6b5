"""Placeholder: being written (see voting/__init__.py for the agreed API)."""
from typing import Any


def approval(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def borda(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def irv(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def ranked_pairs(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def schulze(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def stv(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError
