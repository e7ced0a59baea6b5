"""The meeting view (``/meeting/rounds/<id>``): flagged applications, most disagreement first.

Readable on a projector and on a phone; ``?big=1`` switches to big type for a projector.
"""

from __future__ import annotations

from flask import abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from grantpanel.extensions import db
from grantpanel.meeting import bp
from grantpanel.models import Round
from grantpanel.services import counting, meeting, stages
from grantpanel.vocabulary import StageKind
from voting.errors import VotingError


@bp.route("/rounds/<int:round_id>")
def view(round_id: int) -> ResponseReturnValue:
    rnd = db.session.get(Round, round_id)
    if rnd is None:
        abort(404)
    big = request.args.get("big") == "1"
    has_consensus = stages.stage(rnd, StageKind.CONSENSUS) is not None
    items: list[meeting.MeetingItem] = []
    problem = None
    if rnd.lifecycle.counted and has_consensus:
        viewer = None if current_user.is_staff else meeting.membership_of(current_user, rnd)
        try:
            items = meeting.meeting_items(rnd, viewer, meeting.consensus_outputs(rnd))
        except (VotingError, counting.CountError) as e:
            problem = str(e)
    low, high = meeting.scale(rnd)
    declared = stages.stage(rnd, StageKind.CONSENSUS) or {}
    return render_template(
        "meeting/view.html",
        rnd=rnd,
        big=big,
        open=rnd.lifecycle.counted,
        has_consensus=has_consensus,
        items=items,
        problem=problem,
        low=low,
        high=high,
        measure=declared.get("measure"),
        threshold=declared.get("threshold"),
    )
