"""One rule for text that people type or upload: no control characters, and a length limit.

Forms, services and the CSV import all call :func:`text_problem`, so a NUL byte or a 1 MB
paste gets the same plain-English answer wherever it arrives. Tabs and line breaks are
allowed (people paste them); every other C0 control character, DEL and the C1 range are
refused, since they are invisible on the page and some (NUL) cannot be stored at all.
"""

from __future__ import annotations

import re

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def control_character_problem(text: str, *, label: str = "This answer") -> str | None:
    """A message if ``text`` holds a control character, else ``None``."""
    if CONTROL_CHARACTERS.search(text):
        return (
            f"{label} contains a hidden control character that cannot be saved. "
            "Retype it, or paste it as plain text."
        )
    return None


def text_problem(text: str, *, max_length: int, label: str = "This answer") -> str | None:
    """A message if ``text`` is too long or holds a control character, else ``None``."""
    if len(text) > max_length:
        return f"{label} must be {max_length:,} characters or fewer (it has {len(text):,})."
    return control_character_problem(text, label=label)
