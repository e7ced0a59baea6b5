"""Security by configuration: response headers, the proxy setting, and logs without secrets.

- ``add_security_headers``: a strict Content-Security-Policy and friends on every response;
  ``Strict-Transport-Security`` (HSTS) when ``HSTS_ENABLED`` (on by default in production).
- ``trust_proxies``: with ``TRUSTED_PROXY_COUNT`` = n > 0 the app believes the last n
  ``X-Forwarded-For`` / ``-Proto`` / ``-Host`` values (Werkzeug's ProxyFix), so rate limits
  and logs see the real client address behind a reverse proxy. With 0 (the default) those
  headers are ignored, so nobody can pick their own address by sending them.
- ``redact`` / ``RedactingFilter``: invitation tokens, and the row values PostgreSQL puts in
  an error's DETAIL line, never reach a log. The filter is put on Werkzeug's request log and
  the app's logger here, and on gunicorn's loggers by ``gunicorn.conf.py``. SQL parameters
  are kept out of error messages by the engine option ``hide_parameters`` (``config.py``).
"""

from __future__ import annotations

import logging
import re
import traceback

from flask import Flask, Response, current_app
from werkzeug.middleware.proxy_fix import ProxyFix

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


HSTS = "max-age=31536000; includeSubDomains"


def add_security_headers(response: Response) -> Response:
    h = response.headers
    if current_app.config.get("HSTS_ENABLED"):
        h.setdefault("Strict-Transport-Security", HSTS)
    h.setdefault("Content-Security-Policy", CSP)
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Referrer-Policy", "same-origin")
    h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if response.mimetype == "text/html":
        # Pages may show private data: never keep them in a shared cache.
        h.setdefault("Cache-Control", "no-store")
    return response


def trust_proxies(app: Flask) -> None:
    """Wrap the app in ProxyFix when ``TRUSTED_PROXY_COUNT`` > 0 (see the module docstring)."""
    n = int(app.config.get("TRUSTED_PROXY_COUNT", 0) or 0)
    if n > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=n, x_proto=n, x_host=n
        )


# An invitation or feedback-link token is everything after "/invitation/" or "/feedback/"
# up to a space, quote or the end (staff feedback pages have no "/feedback/" in them):
# request lines, paths, referrers and full URLs alike.
_INVITATION = re.compile(r"(/invitation/|/feedback/)[^\s\"'<>]+", re.IGNORECASE)
# PostgreSQL explains a failed statement with the row's values ("DETAIL:  Key (email)=(...)
# already exists", "Failing row contains (...)"): personal data, whatever hide_parameters says.
_DETAIL = re.compile(r"^(DETAIL:).*$", re.MULTILINE)
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """``text`` with every invitation token, and the values in any database error DETAIL line,
    replaced by ``[redacted]``."""
    return _DETAIL.sub(r"\g<1>  " + REDACTED, _INVITATION.sub(r"\g<1>" + REDACTED, text))


class RedactingFilter(logging.Filter):
    """Rewrites a log record's message and traceback with :func:`redact`; never drops one.

    The traceback is formatted here and kept as text (``exc_text``), so no handler formats
    the exception again from the original (unredacted) exception object.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler to report
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def add_redacting_filter(logger: logging.Logger) -> None:
    """Put one :class:`RedactingFilter` on ``logger`` (adding it again does nothing)."""
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())


def redact_logs(app: Flask) -> None:
    """No invitation token or database row values in Werkzeug's request log or the app's log."""
    add_redacting_filter(logging.getLogger("werkzeug"))
    add_redacting_filter(app.logger)
