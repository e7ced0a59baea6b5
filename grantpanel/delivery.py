"""How responses travel: compressed where it is safe, static files cached for a year.

- **Compression** (Flask-Compress, gzip/brotli/zstd as the browser accepts): JSON, CSS,
  JavaScript, SVG and every page served to someone *not* signed in (the public outcome page of
  a national round is megabytes of HTML that gzip shrinks about tenfold). Pages for a signed-in
  person are sent uncompressed: they carry a CSRF token and personal data next to text an
  attacker may choose, which is what the BREACH attack needs; public pages hold neither.
- **Static files** are linked as ``/static/app.css?v=<first 12 hex of its SHA-256>``
  (:func:`static_version`), so a browser may keep them for a year without asking again
  (``Cache-Control: public, max-age=31536000, immutable``); a changed file gets a new address.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from flask import Flask, Response, request
from flask_compress import Compress
from flask_login import current_user

compress = Compress()

#: A year, in seconds: how long browsers keep a versioned static file.
STATIC_MAX_AGE = 31_536_000
#: Always compressed (when the browser accepts it and the body is big enough).
ALWAYS = frozenset({"application/json", "application/schema+json", "text/css",
                    "text/javascript", "application/javascript", "image/svg+xml"})
#: Compressed only for people who are not signed in (see the module docstring).
PUBLIC_ONLY = frozenset({"text/html", "text/plain", "text/csv"})


@cache
def _file_version(path: str, mtime_ns: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def static_version(app: Flask, filename: str) -> str | None:
    """The first 12 hex digits of the static file's SHA-256 (``None`` if there is no such
    file). Recomputed when the file changes (keyed by its modification time)."""
    folder = app.static_folder
    if folder is None:
        return None
    path = (Path(folder) / filename).resolve()
    if not path.is_file() or Path(folder).resolve() not in path.parents:
        return None
    return _file_version(str(path), path.stat().st_mtime_ns)


def _should_compress(response: Response) -> bool:
    if response.mimetype in ALWAYS:
        return True
    if response.mimetype in PUBLIC_ONLY:
        return not current_user.is_authenticated
    return False


def init_app(app: Flask) -> None:
    """Register compression and versioned, long-cached static files on ``app``."""
    app.config.setdefault("COMPRESS_REGISTER", False)  # our after_request decides (below)
    app.config.setdefault("COMPRESS_MIMETYPES", sorted(ALWAYS | PUBLIC_ONLY))
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    app.config.setdefault("COMPRESS_LEVEL", 6)
    app.config.setdefault("COMPRESS_BR_LEVEL", 4)
    compress.init_app(app)

    @app.after_request
    def _compress(response: Response) -> Response:
        if _should_compress(response):
            if response.is_streamed and request.endpoint == "static":
                # A static file is streamed from disk; read it (a few KB) so it is compressed
                # whole, and its file is still closed with the response.
                response.direct_passthrough = False
                response.make_sequence()
            return compress.after_request(response)
        return response

    @app.url_defaults
    def _version_static(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            version = static_version(app, values["filename"])
            if version is not None:
                values["v"] = version

    @app.after_request
    def _cache_static(response: Response) -> Response:
        if request.endpoint == "static" and response.status_code == 200:
            wanted = request.args.get("v")
            filename = (request.view_args or {}).get("filename", "")
            if wanted and wanted == static_version(app, filename):
                response.cache_control.public = True
                response.cache_control.max_age = STATIC_MAX_AGE
                response.cache_control.immutable = True
                response.cache_control.no_cache = None
        return response
