"""Demo data (being written)."""

from collections.abc import Iterator


def load_demo(if_empty: bool = False) -> Iterator[str]:
    yield "The demo is being written."
