"""One rule for text that people type or upload: no control characters, and a length limit.

Forms, services and the CSV import all call :func:`text_problem`, so a NUL byte or a 1 MB
paste gets the same plain-English answer wherever it arrives. Tabs and line breaks are
allowed (people paste them); every other C0 control character, DEL and the C1 range are
refused, since they are invisible on the page and some (NUL) cannot be stored at all.
"""

from __future__ import annotations

import re

from grantpanel.i18n import _, ngettext

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def control_character_problem(text: str, *, label: str | None = None) -> str | None:
    """A message if ``text`` holds a control character, else ``None``.

    ``label`` names the answer at the start of the sentence, already translated
    (``_("The reason")``); without one the message says "This answer".
    """
    if CONTROL_CHARACTERS.search(text):
        return _(
            "%(label)s contains a hidden control character that cannot be saved. "
            "Retype it, or paste it as plain text.",
            label=label or _("This answer"),
        )
    return None


def text_problem(text: str, *, max_length: int, label: str | None = None) -> str | None:
    """A message if ``text`` is too long or holds a control character, else ``None``."""
    if len(text) > max_length:
        return ngettext(
            "%(label)s must be %(limit)s character or fewer (it has %(length)s).",
            "%(label)s must be %(limit)s characters or fewer (it has %(length)s).",
            max_length,
            label=label or _("This answer"),
            limit=f"{max_length:,}",
            length=f"{len(text):,}",
        )
    return control_character_problem(text, label=label)
