"""Staff-typed content in more than one language: stored beside the English, read in the page's.

Staff may give a round's name and purpose, a criterion's name, guidance and point
descriptors, and an application's title and summary in Welsh as well as English. The English
columns stay the source of truth: counting, the decision record and the staff pages read only
them. The other languages live in each object's ``translations`` JSON column, by language code
then field name, with only the values given (a list field, such as descriptors, as a list)::

    {"cy": {"name": "Cronfa Cartrefi Cynnes", "purpose": "..."}}

Reading (panel and public pages):

- :func:`localised` ``(obj, field)`` is the text in the page's language when staff gave it,
  else the English, as a :class:`LocalisedText` that knows which language it is in. Put in a
  template (``{{ localised(rnd, "name") }}``) it marks English on a page in another language
  with ``lang="en-GB"`` (and ``dir`` when the page runs the other way), and on a page in a
  language staff can write content in (:data:`CONTENT_LANGUAGES`) adds a visually hidden
  "(in English)". ``.text`` is the bare text, for a ``<title>``, an ``<option>`` or a flash.
- :func:`localised_points` ``(criterion)`` is the point descriptors the same way: all in the
  page's language, or all in English (staff give every line or none).
- :func:`html` puts such text into a translated sentence built in Python (a form label),
  keeping the marks.

Writing (the staff services): :func:`with_language` returns the new ``translations`` value
for one language's typed values, dropping empty ones, and :func:`stored` reads one back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Flask
from markupsafe import Markup, escape

from grantpanel.i18n import BY_CODE, DEFAULT, Language, _, current_language
from grantpanel.models import Translations

__all__ = [
    "CONTENT_LANGUAGES",
    "WELSH",
    "LocalisedText",
    "html",
    "localised",
    "localised_points",
    "register",
    "stored",
    "with_language",
]

WELSH = "cy"
#: The languages, besides the default (English), that staff can type content in.
CONTENT_LANGUAGES: tuple[Language, ...] = (BY_CODE[WELSH],)
_CONTENT_CODES = frozenset(lang.code for lang in CONTENT_LANGUAGES)


# --- writing ---------------------------------------------------------------------------------


def _cleaned(value: Any) -> str | list[str] | None:
    """A typed value stripped; ``None`` when nothing is left. A list keeps its empty lines'
    places only if some line has text (descriptors are checked against the English count)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, Sequence):
        lines = [str(v).strip() for v in value]
        return lines if any(lines) else None
    return str(value).strip() or None


def with_language(
    current: Translations | None, code: str, values: Mapping[str, Any]
) -> Translations | None:
    """``current`` with language ``code``'s values replaced by ``values`` (field name -> text
    or list of text), keeping only the non-empty ones; ``None`` when no language has any.

    Returns a new dict (the column is not mutation-tracked): assign it to ``translations``.

    >>> with_language(None, "cy", {"name": " Cronfa ", "purpose": ""})
    {'cy': {'name': 'Cronfa'}}
    >>> with_language({"cy": {"name": "Cronfa"}}, "cy", {"name": ""}) is None
    True
    """
    out = {lang: dict(fields) for lang, fields in (current or {}).items() if lang != code}
    kept = {name: v for name, v in ((n, _cleaned(v)) for n, v in values.items()) if v}
    if kept:
        out[code] = kept
    return out or None


def stored(obj: object, code: str, field: str) -> Any:
    """The value staff gave for ``field`` in language ``code``, or ``None``."""
    translations = getattr(obj, "translations", None) or {}
    return (translations.get(code) or {}).get(field)


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocalisedText:
    """Text to show on a page, with the language it is in.

    ``str()`` is the bare text; in a template it renders escaped, wrapped in
    ``<span lang="en-GB">`` when it is not in the page's language (see :attr:`note`).
    """

    text: str
    language: Language  # the language ``text`` is in
    page: Language  # the language of the page it is shown on

    @property
    def tag(self) -> str:
        """The BCP 47 tag of the text's language (``en-GB``, ``cy``)."""
        return self.language.tag

    @property
    def foreign(self) -> bool:
        """The text is not in the page's language (English on a Welsh or Urdu page)."""
        return self.language.code != self.page.code

    @property
    def lang_attrs(self) -> Markup:
        """`` lang="en-GB"`` (and ``dir``, when the page runs the other way) for the element
        holding the text when it is not in the page's language; else nothing."""
        if not self.foreign:
            return Markup("")
        attrs = Markup(' lang="{}"').format(self.tag)
        if self.language.direction != self.page.direction:
            attrs += Markup(' dir="{}"').format(self.language.direction)
        return attrs

    @property
    def note(self) -> Markup:
        """A visually hidden "(in English)" when English stands in for text staff could have
        given in the page's language; else nothing."""
        if not self.foreign or self.page.code not in _CONTENT_CODES:
            return Markup("")
        return Markup('<span class="visually-hidden"> {}</span>').format(_("(in English)"))

    def paragraphs(self) -> list[str]:
        """The text's paragraphs (split at blank lines), for ``<p>`` elements inside an
        element carrying :attr:`lang_attrs`."""
        return [p for p in self.text.split("\n\n") if p.strip()]

    def __str__(self) -> str:
        return self.text

    def __bool__(self) -> bool:
        return bool(self.text)

    def __html__(self) -> str:
        if not self.foreign:
            return str(escape(self.text))
        return str(Markup("<span{}>{}</span>{}").format(self.lang_attrs, self.text, self.note))


def localised(obj: object, field: str, language: Language | None = None) -> LocalisedText:
    """``obj.field`` in ``language`` (default: the page's) when staff gave it, else the
    English (the default language's) text, marked with the language it is in.

    ``obj`` is a round, criterion or application, or anything with the same field and a
    ``translations`` attribute (the meeting view's items).
    """
    page = language or current_language()
    if page.code != DEFAULT.code:
        value = stored(obj, page.code, field)
        if isinstance(value, str) and value.strip():
            return LocalisedText(value, page, page)
    return LocalisedText(str(getattr(obj, field) or ""), DEFAULT, page)


def localised_points(
    criterion: object, language: Language | None = None
) -> list[tuple[int, LocalisedText]]:
    """``(point, descriptor)`` for each point of ``criterion``'s scale, lowest first: every
    descriptor in ``language`` (default: the page's) when staff gave one for each point, else
    every one in English (never a mix)."""
    page = language or current_language()
    english = [str(d) for d in getattr(criterion, "descriptors", None) or []]
    texts, lang = english, DEFAULT
    if page.code != DEFAULT.code:
        given = stored(criterion, page.code, "descriptors")
        if (isinstance(given, list) and len(given) == len(english)
                and all(isinstance(d, str) and d.strip() for d in given)):
            texts, lang = given, page
    low = int(getattr(criterion, "scale_min", 0))
    return [(low + i, LocalisedText(t, lang, page)) for i, t in enumerate(texts)]


def html(message: str, **values: object) -> Markup:
    """``message`` (already translated, with ``%(name)s`` placeholders) with ``values`` put
    in, escaped, a :class:`LocalisedText` keeping its ``lang`` mark: for labels built in
    Python, which the form macros show as they are.

    >>> str(html("%(point)s \u2013 %(text)s", point=1, text="<b>"))
    '1 \u2013 &lt;b&gt;'
    """
    return escape(message) % values


def register(app: Flask) -> None:
    """Give templates ``localised(obj, field)`` and ``localised_points(criterion)``."""
    app.add_template_global(localised, "localised")
    app.add_template_global(localised_points, "localised_points")
