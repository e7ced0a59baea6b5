"""gunicorn settings for grantpanel in production.

Used by the README's production command::

    .venv/bin/gunicorn -c gunicorn.conf.py 'grantpanel:create_app()'

Settings given on the command line win over these. What this file adds to gunicorn's defaults:

- an access log (to standard output) whose lines never hold an invitation token: gunicorn's
  logger is replaced by ``RedactingLogger``, which puts ``grantpanel.security``'s redacting
  filter on the access and error logs (``/invitation/<token>`` is written
  ``/invitation/[redacted]``, in the request line and in the ``Referer`` alike);
- the number of workers from ``WEB_CONCURRENCY`` (default 3) and the address from
  ``GRANTPANEL_BIND`` (default ``127.0.0.1:8000``, for a reverse proxy on the same machine).

With more than one worker, set ``RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0`` so every
worker shares one count of sign-in attempts (see the README).
"""

from __future__ import annotations

import os
from typing import Any

from gunicorn.glogging import Logger

from grantpanel.security import add_redacting_filter

bind = os.environ.get("GRANTPANEL_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
accesslog = "-"
errorlog = "-"
# The usual "combined" format. The client address (%(h)s) is the real one when
# TRUSTED_PROXY_COUNT is set (the app's ProxyFix rewrites the request's REMOTE_ADDR before
# gunicorn writes the line). It is personal data: keep access logs only as long as needed.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'


class RedactingLogger(Logger):
    """gunicorn's logger, with invitation tokens taken out of every access and error line."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        add_redacting_filter(self.access_log)
        add_redacting_filter(self.error_log)


logger_class = RedactingLogger
