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

English (``en_GB``) is the only language for now. Dates, times and money are formatted for the
page's locale with Babel, in UTC.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import Flask
from flask_babel import Babel, format_currency, format_date, format_datetime, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from grantpanel.extensions import babel

__all__ = [
    "LANGUAGES",
    "N_",
    "_",
    "_l",
    "date_text",
    "datetime_text",
    "init_app",
    "locale_code",
    "money_text",
    "ngettext",
]

# Languages the interface is offered in (locale codes Babel understands), default first.
LANGUAGES: tuple[str, ...] = ("en_GB",)


def N_(message: str) -> str:  # noqa: N802 (gettext's conventional name)
    """Mark ``message`` for the catalogue without translating it now."""
    return message


def select_locale() -> str:
    """The page's locale. English only until a second catalogue exists."""
    return LANGUAGES[0]


def locale_code() -> str:
    """The page's language as a BCP 47 tag for ``<html lang>`` (``en-GB``)."""
    return str(get_locale() or LANGUAGES[0]).replace("_", "-")


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
    app.config.setdefault("BABEL_DEFAULT_LOCALE", LANGUAGES[0])
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "UTC")
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["html_lang"] = locale_code
    return babel
