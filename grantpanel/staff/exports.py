"""Exports: a round's tables as CSV or XLSX files, and its funded grants as 360Giving data.

The page lists each export with what it holds and its download links; a download is a GET that
records an audit event (exports hold personal data) and sends the file as an attachment. The
tables are built by :mod:`grantpanel.services.exports`; a CSV file is streamed as it is written,
an XLSX file is written to a temporary file first (a zip cannot be streamed row by row).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    send_file,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user

from grantpanel.extensions import db
from grantpanel.models import Round
from grantpanel.services import audit
from grantpanel.services import exports as exports_service
from grantpanel.staff import bp

ALL = "all"  # every ready table in one workbook (XLSX only)
GIVING_FORMATS = ("json", "csv")
SPOOL_BYTES = 16 * 1024 * 1024  # an XLSX file larger than this is written to disk


def _round_or_404(round_id: int) -> Round:
    rnd = db.session.get(Round, round_id)
    if rnd is None:
        abort(404)
    return rnd


def _attachment(resp: Response, filename: str) -> Response:
    """Mark ``resp`` as a download named ``filename`` (ASCII, from ``download_name``)."""
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


def _record_download(rnd: Round, what: str, fmt: str) -> None:
    """Audit the download and commit, before the file is sent (ids and names of tables only)."""
    audit.record("export.downloaded", actor=current_user, round_id=rnd.id, export=what,
                 format=fmt)
    db.session.commit()


def _csv_response(table: exports_service.Table, filename: str) -> Response:
    def body() -> Iterator[bytes]:
        yield from exports_service.csv_chunks(table)

    resp = Response(stream_with_context(body()), mimetype="text/csv")
    resp.headers["Content-Type"] = exports_service.CSV_MIME
    return _attachment(resp, filename)


def _xlsx_response(tables: list[exports_service.Table], filename: str) -> Response:
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (sent, then closed)
    exports_service.write_xlsx(tables, out)
    out.seek(0)
    resp = send_file(out, mimetype=exports_service.XLSX_MIME, as_attachment=True,
                     download_name=filename, conditional=False, etag=False, max_age=None)
    return _attachment(resp, filename)


@bp.route("/rounds/<int:round_id>/exports")
def exports(round_id: int) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    items = [(e, e.problem(rnd)) for e in exports_service.EXPORTS.values()]
    return render_template(
        "staff/exports.html",
        rnd=rnd,
        items=items,
        any_ready=any(problem is None for _e, problem in items),
        giving_problem=exports_service.giving_problem(rnd),
        giving=exports_service.giving_settings(),
    )


@bp.route("/rounds/<int:round_id>/exports/<table>.<fmt>")
def export_download(round_id: int, table: str, fmt: str) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    if fmt not in exports_service.FORMATS:
        abort(404)
    if table == ALL and fmt == "xlsx":
        ready = [e for e in exports_service.EXPORTS.values() if e.ready(rnd)]
        _record_download(rnd, ALL, fmt)
        return _xlsx_response([e.build(rnd) for e in ready],
                              exports_service.download_name(rnd, ALL, fmt))
    export = exports_service.EXPORTS.get(table)
    if export is None:
        abort(404)
    problem = export.problem(rnd)
    if problem is not None:
        flash(problem)
        return redirect(url_for("staff.exports", round_id=rnd.id))
    _record_download(rnd, export.key, fmt)
    built = export.build(rnd)
    filename = exports_service.download_name(rnd, export.key, fmt)
    if fmt == "csv":
        return _csv_response(built, filename)
    return _xlsx_response([built], filename)


@bp.route("/rounds/<int:round_id>/exports/360giving.<fmt>")
def export_giving(round_id: int, fmt: str) -> ResponseReturnValue:
    rnd = _round_or_404(round_id)
    if fmt not in GIVING_FORMATS:
        abort(404)
    problem = exports_service.giving_problem(rnd)
    if problem is not None:
        flash(problem)
        return redirect(url_for("staff.exports", round_id=rnd.id))
    urls = {
        "round_url": url_for("public.round_page", round_id=rnd.id, _external=True),
        "record_url": url_for("public.record_download", round_id=rnd.id, _external=True),
    }
    settings = exports_service.giving_settings()
    _record_download(rnd, "360giving", fmt)
    filename = exports_service.download_name(rnd, "360giving", fmt)
    if fmt == "json":
        package = exports_service.giving_package(rnd, settings, **urls)
        resp = Response(exports_service.giving_json(package), mimetype="application/json")
        return _attachment(resp, filename)
    grants = exports_service.giving_grants(rnd, settings, **urls)
    return _csv_response(exports_service.giving_table(grants), filename)
