"""Translatable strings, plurals and locale-aware dates and money: one place for all of them.

Every user-facing string in grantpanel goes through gettext, so a translator can work from one
catalogue (``grantpanel/translations/messages.pot``, made by ``make translations``):

- in Python, ``_("...")`` for text used inside a request, ``_l("...")`` (lazy) for text defined
  at import time (form labels, vocabulary labels), ``ngettext(singular, plural, n)`` for
  anything counted (``%(num)d`` is the count), and ``N_("...")`` to mark a string for the
  catalogue that is translated later (``voting``'s plain-English paragraphs use their own
  no-op ``N_``, since ``voting`` imports nothing from Flask);
- in templates, ``{{ _("...") }}``, ``{{ ngettext("...", "...", n) }}`` or
  ``{% trans %}...{% endtrans %}``. Placeholders are named (``%(name)s``), never glued from
  fragments, so a translator can move them.

The page's language: the visitor's choice from the language switch on every page (kept in the
``lang`` cookie for a year), otherwise the browser's ``Accept-Language``, otherwise English.
Page addresses are the same in every language. Each language in :data:`LANGUAGES` has a
catalogue in ``grantpanel/translations/<code>/LC_MESSAGES/messages.po`` (compiled to ``.mo``
by ``make translations``); a string a catalogue lacks falls back to English. Dates, times and
money are formatted for the page's locale with Babel, in UTC.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from flask import Flask, request
from flask_babel import Babel, format_currency, format_date, format_datetime, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from grantpanel.extensions import babel

__all__ = [
    "COOKIE",
    "DEFAULT",
    "LANGUAGES",
    "Language",
    "N_",
    "_",
    "_l",
    "current_language",
    "date_text",
    "datetime_text",
    "init_app",
    "language_for",
    "locale_code",
    "money_text",
    "ngettext",
    "remember_language",
]


@dataclass(frozen=True)
class Language:
    """A language the interface is offered in."""

    code: str  # the locale code Babel and the catalogue folder use: en_GB, cy, ur
    name: str  # the language's own name for itself, shown in the switch
    direction: str = "ltr"  # "rtl" for right-to-left scripts
    scope: str = "all"  # "all", or "panel": only the panel member's pages are translated

    @property
    def tag(self) -> str:
        """The BCP 47 tag for ``lang`` and ``hreflang`` attributes: ``en-GB``, ``cy``."""
        return self.code.replace("_", "-")


# Languages the interface is offered in, default first. Adding one: see the README
# ("Adding a language"); no code changes beyond a line here.
LANGUAGES: tuple[Language, ...] = (
    Language("en_GB", "English"),
    Language("cy", "Cymraeg"),
    Language("ur", "اردو", direction="rtl", scope="panel"),
)
BY_CODE: dict[str, Language] = {lang.code: lang for lang in LANGUAGES}
DEFAULT = LANGUAGES[0]
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


def N_(message: str) -> str:  # noqa: N802 (gettext's conventional name)
    """Mark ``message`` for the catalogue without translating it now."""
    return message


def language_for(tag: str | None) -> Language | None:
    """The offered language a code or tag names (``cy``, ``en-GB``, ``en``), or None."""
    if not tag:
        return None
    code = tag.strip().replace("-", "_")
    if code in BY_CODE:
        return BY_CODE[code]
    base = code.split("_", 1)[0].lower()
    return next((lang for lang in LANGUAGES if lang.code.split("_", 1)[0] == base), None)


def select_locale() -> str:
    """The page's locale: the remembered choice, else the browser's preference, else English."""
    chosen = language_for(request.cookies.get(COOKIE)) if request else None
    if chosen is not None:
        return chosen.code
    if request:
        for tag, _quality in request.accept_languages:
            found = language_for(tag)
            if found is not None:
                return found.code
    return DEFAULT.code


def current_language() -> Language:
    """The :class:`Language` of the page being rendered."""
    return BY_CODE.get(str(get_locale() or DEFAULT.code), DEFAULT)


def locale_code() -> str:
    """The page's language as a BCP 47 tag for ``<html lang>`` (``en-GB``)."""
    return current_language().tag


def remember_language(response: Response, language: Language) -> Response:
    """Keep ``language`` as the visitor's choice (a year-long cookie, no personal data)."""
    response.set_cookie(
        COOKIE,
        language.code,
        max_age=COOKIE_MAX_AGE,
        samesite="Lax",
        secure=request.is_secure,
        httponly=True,
    )
    return response


def vary_on_language(response: Response) -> Response:
    """Pages differ by language: say so to caches (the choice is a cookie or a header)."""
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    return response


def date_text(value: dt.date | dt.datetime | None) -> str:
    """A date in words for the page's locale: ``2 December 2026`` in English."""
    if value is None:
        return _("not set")
    return format_date(value, format="long")


def datetime_text(value: dt.datetime | None) -> str:
    """A moment in words for the page's locale, in UTC: ``2 December 2026 at 14:05 UTC``."""
    if value is None:
        return ""
    return _(
        "%(date)s at %(time)s UTC",
        date=format_date(value, format="long"),
        time=format_datetime(value, format="HH:mm"),
    )


def money_text(minor: int | None, currency: str = "GBP") -> str:
    """Integer minor units as money for the page's locale: ``£1,234.50`` in English."""
    if minor is None:
        return ""
    return format_currency(Decimal(int(minor)).scaleb(-2), currency)


def init_app(app: Flask) -> Babel:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT.code)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "UTC")
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["html_lang"] = locale_code
    app.jinja_env.globals["current_language"] = current_language
    app.jinja_env.globals["languages"] = LANGUAGES
    app.after_request(vary_on_language)
    return babel
