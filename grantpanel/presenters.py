"""Template helpers: money, dates and state labels, in one place."""

from __future__ import annotations

import datetime as dt

from flask import Flask, current_app

from grantpanel import i18n, vocabulary
from grantpanel.lifecycle import STATES

CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


def money(minor: int | None, currency: str = "GBP") -> str:
    """Format integer minor units: ``money(123450) == '£1,234.50'``."""
    if minor is None:
        return ""
    sign = "-" if minor < 0 else ""
    major, pence = divmod(abs(int(minor)), 100)
    symbol = CURRENCY_SYMBOLS.get(currency)
    text = f"{major:,}.{pence:02d}"
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}"


def date(value: dt.date | dt.datetime | None) -> str:
    """A date in words for the page's language (see :mod:`grantpanel.i18n`)."""
    return i18n.date_text(value)


def datetime(value: dt.datetime | None) -> str:
    """A moment in words for the page's language, in UTC."""
    return i18n.datetime_text(value)


def staff_state(key: str) -> str:
    return STATES[key].staff_label


def public_state(key: str) -> str:
    return STATES[key].public_label


def register(app: Flask) -> None:
    app.add_template_filter(money, "money")
    app.add_template_filter(date, "date")
    app.add_template_filter(datetime, "datetime")
    app.add_template_filter(staff_state, "staff_state")
    app.add_template_filter(public_state, "public_state")
    vocabulary.register(app)

    @app.context_processor
    def organisation() -> dict[str, object]:
        return {"organisation_name": current_app.config.get("ORGANISATION_NAME", "")}
