"""Server-rendered SVG charts: the rounds of a ranked count, and a spread of sheet totals.

Charts are plain strings of SVG built with the standard library (every label escaped with
``xml.sax.saxutils``), so they need no JavaScript and the same inputs give the same bytes.
Each chart has ``role="img"``, a ``<title>`` and a ``<desc>`` named by ``aria-labelledby``;
the page shows the same figures as a table beside it (the text alternative). Nothing is told by
colour alone: elected bars are solid with the word "elected" after them, excluded bars are
hatched with the word "excluded", and the threshold is a dashed line with its value written
on it.

The drawing is sized in a ``viewBox`` and stretches to the width of its box (``width="100%"``,
capped by the ``.chart`` rule in app.css), so it reads on a 360 px phone and a 1280 px screen.

- :func:`ranked_rounds_svg` -- one panel per counting round, one bar per application still in
  the count (``outputs.ranked.rounds`` of a schema-3 record).
- :func:`totals_strip_svg` -- one dot per score sheet total on the criteria's scale (the
  meeting view's anonymised distribution).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from markupsafe import Markup

from grantpanel.i18n import _

__all__ = ["number", "ranked_rounds_svg", "safe_id", "short", "totals_strip_svg"]

# Geometry of the ranked chart (viewBox units; at 360 px wide one unit is 0.75 px).
WIDTH = 480
PAD = 8
LABEL_H = 18  # the line of text above each bar
BAR_H = 16
ROW_GAP = 8
PANEL_HEAD = 30
PANEL_GAP = 14
FONT = 14
TITLE_CHARS = 34

_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def safe_id(text: str) -> str:
    """``text`` as an XML/HTML id: letters, digits, ``-`` and ``_`` only, starting with a
    letter (``"chart 1!" -> "c-chart_1_"``)."""
    cleaned = _ID_UNSAFE.sub("_", str(text)) or "chart"
    return cleaned if cleaned[0].isalpha() else f"c-{cleaned}"


def number(value: Any) -> Decimal | None:
    """A tally as an exact number: ints, floats and decimal strings (``"12.50"``); ``None``
    for anything else (a missing or malformed value is not drawn)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def short(text: str, limit: int = TITLE_CHARS) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis (the full title is in the table)."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _fmt(x: float) -> str:
    """A coordinate with at most one decimal, never ``-0`` (so output is byte-stable)."""
    text = f"{x:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _text(value: Any) -> str:
    return escape(str(value))


def _defs(uid: str) -> str:
    """The hatch pattern for excluded bars (a pattern, not only a colour)."""
    return (
        f'<defs><pattern id="{uid}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)">'
        '<rect width="6" height="6" fill="#ffffff"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#0b0c0c" stroke-width="3"/>'
        "</pattern></defs>"
    )


def _open(uid: str, height: float, title: str, desc: str, css: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class={quoteattr(css)} role="img" '
        f'aria-labelledby="{uid}-title {uid}-desc" viewBox="0 0 {WIDTH} {_fmt(height)}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" font-family="system-ui, sans-serif" '
        f'font-size="{FONT}">',
        f'<title id="{uid}-title">{_text(title)}</title>',
        f'<desc id="{uid}-desc">{_text(desc)}</desc>',
    ]


def ranked_rounds_svg(
    rounds: Sequence[Mapping[str, Any]],
    *,
    order: Sequence[str],
    titles: Mapping[str, str],
    chart_id: str,
    title: str | None = None,
    desc: str | None = None,
) -> Markup:
    """An SVG of a ranked count's rounds: for each round a panel headed "Round n", with one
    bar per application that has a tally in that round, in ``order`` (the shortlist order;
    ids not in ``order`` follow, sorted), scaled to the largest tally of the whole count.

    Each bar is labelled "id: title" above it and its tally after it; an application elected
    in the round is drawn solid with "elected", one excluded in the round is hatched with
    "excluded". A round with a ``threshold`` draws it as a dashed vertical line labelled with
    its value. ``rounds`` are ``outputs.ranked.rounds`` entries (``tallies`` maps application
    id to an int or a decimal string).

    Returns markup safe to put straight into a page: every label is escaped.
    """
    uid = safe_id(chart_id)
    position = {a: i for i, a in enumerate(order)}

    def sort_key(app: str) -> tuple[int, str]:
        return (position.get(app, len(position)), app)

    values = [number(v) for r in rounds for v in dict(r.get("tallies") or {}).values()]
    values += [number(r.get("threshold")) for r in rounds]
    top = max((v for v in values if v is not None and v > 0), default=Decimal(1))
    value_w = 150  # room after the longest bar for "12.50 elected" (labels sit above bars)
    bar_max = WIDTH - 2 * PAD - value_w

    def bar_len(v: Decimal | None) -> float:
        if v is None or v <= 0:
            return 0.0
        return float(v / top) * bar_max

    body: list[str] = [_defs(uid)]
    y = float(PAD)
    for index, r in enumerate(rounds, start=1):
        tallies = {str(k): v for k, v in dict(r.get("tallies") or {}).items()}
        elected = {str(a) for a in r.get("elected") or []}
        excluded = {str(a) for a in r.get("eliminated") or []}
        apps = sorted(tallies, key=sort_key)
        n = r.get("round", index)
        panel_h = PANEL_HEAD + len(apps) * (LABEL_H + BAR_H + ROW_GAP)
        body.append('<g class="chart-round" aria-hidden="true">')
        body.append(
            f'<text x="{PAD}" y="{_fmt(y + 18)}" font-weight="700">'
            f"{_text(_('Round %(num)s', num=n))}</text>"
        )
        row_y = y + PANEL_HEAD
        for app in apps:
            value = number(tallies[app])
            length = bar_len(value)
            name = short(titles.get(app, ""))
            label = _("%(application)s: %(title)s", application=app, title=name) if name else app
            body.append(f'<text x="{PAD}" y="{_fmt(row_y + 13)}">{_text(label)}</text>')
            bar_y = row_y + LABEL_H
            if app in excluded:
                fill, stroke, word = f"url(#{uid}-hatch)", "#0b0c0c", _("excluded")
            elif app in elected:
                fill, stroke, word = "#2b2a5a", "#2b2a5a", _("elected")
            else:
                fill, stroke, word = "#6f7072", "#6f7072", ""
            body.append(
                f'<rect x="{PAD}" y="{_fmt(bar_y)}" width="{_fmt(max(length, 1.0))}" '
                f'height="{BAR_H}" fill="{fill}" stroke="{stroke}" stroke-width="1"/>'
            )
            shown = _text(tallies[app])
            if word:
                shown = _text(_("%(value)s %(what)s", value=tallies[app], what=word))
            weight = ' font-weight="700"' if word else ""
            body.append(
                f'<text x="{_fmt(PAD + length + 6)}" y="{_fmt(bar_y + 13)}"{weight}>'
                f"{shown}</text>"
            )
            row_y += LABEL_H + BAR_H + ROW_GAP
        threshold = number(r.get("threshold"))
        if threshold is not None and threshold > 0 and apps:
            x = PAD + bar_len(threshold)
            body.append(
                f'<line x1="{_fmt(x)}" y1="{_fmt(y + PANEL_HEAD - 4)}" x2="{_fmt(x)}" '
                f'y2="{_fmt(row_y - ROW_GAP + 2)}" stroke="#b4191c" stroke-width="2" '
                'stroke-dasharray="5 4"/>'
            )
            body.append(
                f'<text x="{_fmt(min(x + 4, WIDTH - 120))}" y="{_fmt(y + 18)}" '
                f'text-anchor="start" font-size="12">'
                f"{_text(_('threshold %(value)s', value=r.get('threshold')))}</text>"
            )
        body.append("</g>")
        y += panel_h + PANEL_GAP
    height = max(y - PANEL_GAP + PAD, 2 * PAD + PANEL_HEAD)
    title = title or _("The count, round by round")
    desc = desc or _(
        "Bar chart of each round's votes per application. The table below gives the same "
        "figures."
    )
    return Markup("".join([*_open(uid, height, title, desc, "chart chart-ranked"), *body,
                           "</svg>"]))


def totals_strip_svg(
    totals: Sequence[Any],
    *,
    low: Any,
    high: Any,
    chart_id: str,
    title: str,
    desc: str | None = None,
) -> Markup:
    """A dot strip of sheet totals on the scale ``low`` to ``high``: one dot per sheet, in
    value order (equal totals stack upwards), with the scale's ends and the middle labelled.
    No names or pseudonyms go in: only the totals."""
    uid = safe_id(chart_id)
    nums = sorted(v for v in (number(t) for t in totals) if v is not None)
    lo, hi = number(low) or Decimal(0), number(high) or Decimal(1)
    if hi <= lo:
        hi = lo + 1
    span = WIDTH - 4 * PAD
    stacks: dict[Decimal, int] = {}
    for v in nums:
        stacks[v] = stacks.get(v, 0) + 1
    tallest = max(stacks.values(), default=1)
    r = 7
    axis_y = 2 * PAD + tallest * (2 * r + 2)
    height = axis_y + 30

    def x_of(v: Decimal) -> float:
        clamped = min(max(v, lo), hi)
        return 2 * PAD + float((clamped - lo) / (hi - lo)) * span

    body: list[str] = ['<g aria-hidden="true">']
    body.append(
        f'<line x1="{_fmt(2 * PAD)}" y1="{_fmt(axis_y)}" x2="{_fmt(2 * PAD + span)}" '
        f'y2="{_fmt(axis_y)}" stroke="#0b0c0c" stroke-width="2"/>'
    )
    mid = (lo + hi) / 2
    for v, anchor in ((lo, "start"), (mid, "middle"), (hi, "end")):
        x = x_of(v)
        body.append(
            f'<line x1="{_fmt(x)}" y1="{_fmt(axis_y)}" x2="{_fmt(x)}" y2="{_fmt(axis_y + 6)}" '
            'stroke="#0b0c0c" stroke-width="2"/>'
        )
        body.append(
            f'<text x="{_fmt(x)}" y="{_fmt(axis_y + 22)}" text-anchor="{anchor}">'
            f"{_text(_number_text(v))}</text>"
        )
    for v, count in sorted(stacks.items()):
        for k in range(count):
            cy = axis_y - r - 2 - k * (2 * r + 2)
            body.append(
                f'<circle cx="{_fmt(x_of(v))}" cy="{_fmt(cy)}" r="{r}" fill="#2b2a5a" '
                'stroke="#ffffff" stroke-width="1"/>'
            )
    body.append("</g>")
    desc = desc or ", ".join(_number_text(v) for v in nums)
    return Markup("".join([*_open(uid, height, title, desc, "chart chart-strip"), *body,
                           "</svg>"]))


def _number_text(v: Decimal) -> str:
    """``12`` for whole numbers, else two decimals (``12.50``)."""
    return str(int(v)) if v == v.to_integral_value() else f"{v:.2f}"


def register(app: Any) -> None:
    """Give templates ``ranked_chart(rounds, order=..., titles=..., chart_id=...)`` and
    ``totals_strip(totals, low=..., high=..., chart_id=..., title=...)``."""
    app.add_template_global(ranked_rounds_svg, "ranked_chart")
    app.add_template_global(totals_strip_svg, "totals_strip")
