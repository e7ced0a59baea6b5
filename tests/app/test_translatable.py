"""Every user-facing string is translatable: templates and Python both go through gettext.

The template check removes everything a translator's catalogue covers (``{{ ... }}``
expressions such as ``{{ _("...") }}``, ``{% trans %}`` blocks, other tags, comments, scripts and
styles) and fails on any visible text left over, in element text or in the attributes a person
reads or hears (``alt``, ``title``, ``aria-label``, ``placeholder``, ``value`` of buttons).

The Python check walks ``grantpanel/`` and fails where a plain string literal reaches a person
without gettext: the first argument of ``flash``, a form field's label, a validator's
``message``, and the message of an exception raised by a service or form.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))

_BLOCKS = [
    re.compile(r"\{#.*?#\}", re.S),
    re.compile(r"\{%-?\s*trans\b.*?%\}.*?\{%-?\s*endtrans\s*-?%\}", re.S),
    re.compile(r"<script\b.*?</script>", re.S | re.I),
    re.compile(r"<style\b.*?</style>", re.S | re.I),
    re.compile(r"\{\{.*?\}\}", re.S),
    re.compile(r"\{%.*?%\}", re.S),
]
_TAG = re.compile(r"<[^>]*>", re.S)
_READ_ATTRS = re.compile(
    r"""\b(alt|title|aria-label|placeholder|aria-description)\s*=\s*("([^"]*)"|'([^']*)')""",
    re.I,
)
_ENTITY = re.compile(r"&[#a-zA-Z0-9]+;")
_WORDS = re.compile(r"[A-Za-z]{2,}")


def untranslated_text(source: str) -> list[str]:
    """Pieces of visible text in a Jinja template that do not go through gettext."""
    text = source
    for pattern in _BLOCKS:
        text = pattern.sub(" ", text)
    found: list[str] = []
    for m in _READ_ATTRS.finditer(text):
        value = m.group(3) if m.group(3) is not None else m.group(4)
        if _WORDS.search(_ENTITY.sub(" ", value)):
            found.append(f'{m.group(1)}="{value.strip()}"')
    body = _ENTITY.sub(" ", _TAG.sub("\n", text))
    for line in body.splitlines():
        line = line.strip()
        if _WORDS.search(line):
            found.append(line)
    return found


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT / "templates")))
def test_every_template_string_goes_through_gettext(path: Path) -> None:
    leftovers = untranslated_text(path.read_text(encoding="utf-8"))
    assert leftovers == [], f"{path.name}: untranslated text: {leftovers[:10]}"


def test_the_template_check_finds_plain_text_and_accepts_gettext() -> None:
    assert untranslated_text("<p>Hello there</p>") == ["Hello there"]
    assert untranslated_text('<img alt="A chart">') == ['alt="A chart"']
    assert untranslated_text("<p>{{ _('Hello there') }}</p>") == []
    assert untranslated_text("<p>{% trans n=3 %}Hello {{ n }}{% endtrans %}</p>") == []
    assert untranslated_text("<p>{{ x }} &middot; 42 &pound;</p>") == []


# --- Python -----------------------------------------------------------------------------

GETTEXT_NAMES = {"_", "_l", "gettext", "lazy_gettext", "ngettext", "lazy_ngettext", "N_"}
# Text for operators and developers, not for the people using the pages: the command line
# (run by whoever hosts grantpanel), backups, the OpenAPI document (an English technical
# reference) and programming errors that no page shows.
NOT_USER_FACING = {
    "grantpanel/cli.py",
    "grantpanel/services/backup.py",
    "grantpanel/api/openapi.py",
    "grantpanel/models.py",
    # The pure assignment solver: its errors are programming errors (the service always
    # builds a valid problem); staff see the service's translated messages.
    "grantpanel/services/assignment_solver.py",
}
PYTHON_FILES = sorted(
    p
    for p in (ROOT / "grantpanel").rglob("*.py")
    if "translations" not in p.parts
    and str(p.relative_to(ROOT)) not in NOT_USER_FACING
)


def _is_plain_text(node: ast.AST | None) -> bool:
    """A string literal (or f-string) with words in it, not wrapped in gettext."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(_WORDS.search(node.value)) and " " in node.value.strip()
    if isinstance(node, ast.JoinedStr):
        return any(_is_plain_text(v) for v in node.values)
    return False


def _call_name(node: ast.Call) -> str:
    f = node.func
    if isinstance(f, ast.Name):
        return f.id
    if isinstance(f, ast.Attribute):
        return f.attr
    return ""


def untranslated_python(source: str) -> list[tuple[int, str]]:
    """``(line, what)`` for plain strings that reach a person without gettext."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = _call_name(node)
            first = node.args[0] if node.args else None
            if name == "flash" and _is_plain_text(first):
                found.append((node.lineno, "flash message"))
            if name.endswith("Field") and _is_plain_text(first):
                found.append((node.lineno, f"{name} label"))
            for kw in node.keywords:
                if kw.arg in {"label", "message", "description", "problem"} and _is_plain_text(
                    kw.value
                ):
                    found.append((node.lineno, f"{name}({kw.arg}=...)"))
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            name = _call_name(node.exc)
            first = node.exc.args[0] if node.exc.args else None
            if name.endswith(("Error", "Exception")) and _is_plain_text(first):
                found.append((node.lineno, f"raise {name}"))
    return found


@pytest.mark.parametrize("path", PYTHON_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_python_message_goes_through_gettext(path: Path) -> None:
    leftovers = untranslated_python(path.read_text(encoding="utf-8"))
    assert leftovers == [], f"{path.relative_to(ROOT)}: untranslated: {leftovers[:10]}"


def test_the_python_check_finds_plain_messages_and_accepts_gettext() -> None:
    bad = 'flash("Saved your work")\nraise ScoringError(f"Pick from {a} to {b} please")\n'
    assert sorted(w for _, w in untranslated_python(bad)) == ["flash message", "raise ScoringError"]
    good = 'flash(_("Saved your work"))\nraise ScoringError(_("Pick %(a)s", a=1))\n'
    assert untranslated_python(good) == []
    assert untranslated_python('name = StringField(_l("Your name"))') == []
    assert untranslated_python('name = StringField("Your name")') == [(1, "StringField label")]
