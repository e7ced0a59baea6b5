"""Signed-in sessions: a fresh session at sign-in, idle and absolute timeouts, safe ``next``.

The session is Flask's signed cookie. Flask-Login keeps ``"<user id>:<session nonce>"`` in it;
rotating the user's nonce (``accounts.end_sessions``) ends every session of that user on the
server. This module adds two times to the cookie, both read from :func:`now` (tests replace
it; nothing here sleeps):

- ``_signed_in_at``: when this browser signed in. After ``SESSION_MAX_HOURS`` the browser is
  signed out, whatever it does (absolute timeout).
- ``_last_seen``: the last request from this browser while signed in. After
  ``SESSION_IDLE_MINUTES`` with no request the browser is signed out (idle timeout). Every
  request counts, including the score sheet's automatic draft saves, so a member who is
  typing a long score sheet is never signed out under their hands.

A signed-out browser is sent to the sign-in page, which says plainly why and that saved
drafts are kept. A session without the times (from before this rule, or made by a test's
direct login) is stamped when first seen.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import current_app, g, request, session
from flask_login import login_user, logout_user

from grantpanel.i18n import COOKIE, language_for

SIGNED_IN_AT = "_signed_in_at"
LAST_SEEN = "_last_seen"
INVITED_AT = "_invited_at"  # this browser came in by invitation link at this time
SIGNED_OUT_REASON = "signed_out_reason"
INVITATION_PASSWORD_WINDOW_SECONDS = 15 * 60

IDLE = "idle"
TOO_LONG = "too_long"


def now() -> float:
    """Seconds since the epoch. The one clock for session times (tests replace it)."""
    return time.time()


def start(user: Any, *, by_invitation: bool = False) -> None:
    """Sign ``user`` in on a brand-new session.

    Everything in the old session is dropped first (so nothing an attacker planted before
    sign-in, such as a CSRF token, survives), then Flask-Login stores the user and the two
    session times are stamped. The cookie sent back therefore shares nothing with the one
    the browser came with.
    """
    session.clear()
    g.pop("csrf_token", None)  # Flask-WTF caches the token for this request
    login_user(user)
    note_chosen_language(user)
    t = now()
    session[SIGNED_IN_AT] = t
    session[LAST_SEEN] = t
    if by_invitation:
        session[INVITED_AT] = t


def note_chosen_language(user: Any) -> None:
    """Keep the language this browser chose with the language switch (the ``lang`` cookie) as
    the language of the person's emails and letters (``User.language``). The caller commits."""
    chosen = language_for(request.cookies.get(COOKIE))
    if chosen is not None and user.language != chosen.code:
        user.language = chosen.code


def resume(user: Any) -> None:
    """Store ``user`` again in this session after their nonce changed (password change),
    keeping the session's times: the other browsers are out, this one carries on."""
    login_user(user)


def came_by_invitation() -> bool:
    """True if this browser signed in by invitation link in the last 15 minutes."""
    at = session.get(INVITED_AT)
    return isinstance(at, int | float) and now() - at <= INVITATION_PASSWORD_WINDOW_SECONDS


def forget_invitation() -> None:
    session.pop(INVITED_AT, None)


def expiry_reason() -> str | None:
    """Why this signed-in session has ended (``IDLE`` or ``TOO_LONG``), or None if it has not."""
    t = now()
    signed_in_at = session.get(SIGNED_IN_AT)
    last_seen = session.get(LAST_SEEN)
    if not isinstance(signed_in_at, int | float) or not isinstance(last_seen, int | float):
        return None
    if t - signed_in_at > float(current_app.config["SESSION_MAX_HOURS"]) * 3600:
        return TOO_LONG
    if t - last_seen > float(current_app.config["SESSION_IDLE_MINUTES"]) * 60:
        return IDLE
    return None


def check_timeouts() -> None:
    """Before every request: end a signed-in session that has timed out, else note activity.

    Runs before the blueprints' guards, so a timed-out browser is treated as signed out
    everywhere (pages send it to sign in; the score sheet's draft save gets a redirect,
    which its script reports as "not saved", keeping the answers on the page).
    """
    if "_user_id" not in session:
        return
    reason = expiry_reason()
    if reason is not None:
        logout_user()
        session.clear()
        session[SIGNED_OUT_REASON] = reason
        return
    t = now()
    session.setdefault(SIGNED_IN_AT, t)
    session[LAST_SEEN] = t


def pop_signed_out_reason() -> str | None:
    reason = session.pop(SIGNED_OUT_REASON, None)
    return reason if reason in (IDLE, TOO_LONG) else None


def _has_unsafe_character(text: str) -> bool:
    return any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 or ch == "\\" for ch in text)


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None.

    Accepted: a path starting with one ``/`` (query allowed). Refused: anything with a scheme
    or a host (``https://x``, ``//x``), a backslash (``/\\x``: browsers read it as ``//x``),
    or any whitespace or control character; each check is made on the text as sent and again
    after percent-decoding (repeatedly, so ``%252F`` is decoded too). ``/%09/evil.example``
    is refused because browsers drop the tab and read ``//evil.example``.
    """
    if not target:
        return None
    forms = [target]
    decoded = target
    for _ in range(3):
        decoded = unquote(decoded)
        forms.append(decoded)
    for text in forms:
        if _has_unsafe_character(text):
            return None
        if not text.startswith("/") or text.startswith("//"):
            return None
        parts = urlsplit(text)
        if parts.scheme or parts.netloc:
            return None
    return target
