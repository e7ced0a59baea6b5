"""Placeholder: being written (see voting/__init__.py for the agreed API)."""
from typing import Any


def rctab_tabulate(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError
