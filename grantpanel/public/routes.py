"""Public pages: published decisions, rounds being scored, and the downloadable records.

An outcome page renders from the stored decision record, never from the live tables, so what
it shows is exactly what anyone can download and verify.
"""

from __future__ import annotations

from flask import Response, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from grantpanel import verifier
from grantpanel.auth.sessions import safe_next
from grantpanel.extensions import db
from grantpanel.glossary import TERMS
from grantpanel.i18n import BY_CODE, locale_code, remember_language
from grantpanel.lifecycle import STATES
from grantpanel.public import bp
from grantpanel.services import page_cache, publication, stages


@bp.route("/")
def index() -> ResponseReturnValue:
    published = [
        {
            "round": rnd,
            "record": pr,
            "total": publication.total_funded(pr),
        }
        for rnd, pr in db.session.execute(publication.published_rounds()).all()
    ]
    in_progress = list(db.session.scalars(publication.rounds_in_progress()))
    return render_template("public/index.html", published=published, in_progress=in_progress)


@bp.route("/language/<code>")
def set_language(code: str) -> ResponseReturnValue:
    """Switch the interface language and go back to the same page (its address is unchanged)."""
    language = BY_CODE.get(code)
    if language is None:
        abort(404)
    back = safe_next(request.args.get("next")) or url_for("public.index")
    response = redirect(back, code=303)
    response.headers["Cache-Control"] = "no-store"
    return remember_language(response, language)


@bp.route("/rounds/<int:round_id>")
def round_page(round_id: int) -> ResponseReturnValue:
    rnd = publication.public_round(round_id)
    if rnd is None:
        abort(404)
    pr = publication.published_record(round_id) if rnd.lifecycle.published else None
    if pr is None:
        name, meaning = publication.involvement_words(rnd.involvement)
        return render_template(
            "public/round.html",
            rnd=rnd,
            state=STATES[rnd.state],
            involvement_name=name,
            involvement_meaning=meaning,
            stage_sentences=stages.describe(stages.declared_stages(rnd)),
        )
    def render_content() -> str:
        view = publication.outcome_view(publication.load_record(pr))
        previous = (
            publication.record_by_digest(view.previous_digest) if view.previous_digest else None
        )
        return render_template(
            "public/_outcome_content.html",
            rnd=rnd,
            pr=pr,
            v=view,
            previous=previous,
            filename=record_filename(round_id),
            tie_labels=publication.TIE_BREAK_LABELS,
            verifier_name=verifier.FILENAME,
            verifier_sha256=verifier.verifier_digest(),
            seed_check_command=seed_check_command,
            digest_check_command=digest_check_command,
        )

    # The record never changes once published, so its page is rendered once per language.
    content = page_cache.cached(("outcome", round_id, pr.digest, locale_code()), render_content)
    return render_template("public/outcome.html", rnd=rnd, content=content)


def seed_check_command(seed: str) -> str:
    """The one-line Python command that prints the SHA-256 commitment of ``seed``.

    Commands are code, not words, so they are built here rather than in the template's
    translatable text.
    """
    return (
        "python -c \"import hashlib; print('sha256:' + hashlib.sha256(b'"
        + seed
        + "').hexdigest())\""
    )


def digest_check_command(filename: str) -> str:
    """The one-line Python command that prints the fingerprint of the record ``filename``."""
    return (
        "python -c \"import hashlib, json; r = json.load(open('"
        + filename
        + "', encoding='utf-8')); r.pop('digest'); print('sha256:' + hashlib.sha256("
        "json.dumps(r, sort_keys=True, separators=(',', ':'), ensure_ascii=False)"
        ".encode('utf-8')).hexdigest())\""
    )


def record_filename(round_id: int) -> str:
    return f"decision-record-round-{round_id}.json"


@bp.route("/rounds/<int:round_id>/record.json")
def record_download(round_id: int) -> ResponseReturnValue:
    pr = publication.published_record(round_id)
    if pr is None:
        abort(404)
    return Response(
        publication.record_bytes(pr),
        mimetype="application/json",
        headers={
            "Content-Disposition": f"attachment; filename={record_filename(round_id)}",
            "X-Record-Digest": pr.digest,
        },
    )


@bp.route(f"/verify/{verifier.FILENAME}")
def verifier_download() -> ResponseReturnValue:
    """The single-file verifier (a Python zip application built from ``voting``); its SHA-256
    is on every outcome page and in the ``X-Content-SHA256`` header."""
    return Response(
        verifier.verifier_bytes(),
        mimetype="application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename={verifier.FILENAME}",
            "X-Content-SHA256": verifier.verifier_digest(),
        },
    )


@bp.route("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """Browsers that ask for /favicon.ico get the site's icon."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.route("/words")
def glossary() -> ResponseReturnValue:
    return render_template("public/glossary.html", terms=TERMS)


@bp.route("/how-decisions-are-made")
def methods() -> ResponseReturnValue:
    return render_template(
        "public/methods.html",
        involvement=publication.INVOLVEMENT,
        fallback=publication.method_explanation(
            {"aggregation": "mean", "quorum": 3, "fit_rule": "skip",
             "tie_break": ["smaller_amount", "draw"]}
        ),
    )
