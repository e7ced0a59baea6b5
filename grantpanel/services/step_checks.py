"""What staff see before they open scoring, close it or publish: a summary of what is outstanding.

Each of these three steps is hard or impossible to take back (opening fixes the rules and the
seed; closing stops the panel; publishing is final), so its button leads to a page that says
what will happen and what is not finished, counted in the database (a round of 10,000
applications costs a few ``GROUP BY`` queries, and lists are cut at :data:`LIST_LIMIT`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from grantpanel.extensions import db
from grantpanel.i18n import _, money_text, ngettext
from grantpanel.lifecycle import TRANSITIONS
from grantpanel.models import Application, Membership, Round, ScoreSheet, utcnow
from grantpanel.services import counting, panel_admin, panel_care, rounds
from grantpanel.vocabulary import SheetStatus
from voting.record import apply_overrides

#: The steps that ask staff to confirm on a page of their own.
CONFIRMED_STEPS = ("open", "close", "publish")
LIST_LIMIT = 50


@dataclass
class StepCheck:
    name: str
    label: str
    consequence: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    outstanding: list[str] = field(default_factory=list)  # not finished: allowed, but say so
    blocked: list[str] = field(default_factory=list)  # the step cannot be taken until fixed
    list_title: str = ""
    items: list[str] = field(default_factory=list)
    more: int = 0


def check(rnd: Round, name: str) -> StepCheck:
    """The summary shown before step ``name`` (one of :data:`CONFIRMED_STEPS`)."""
    label = TRANSITIONS[name].label_text
    if name == "open":
        return _open(rnd, label)
    if name == "close":
        return _close(rnd, label)
    return _publish(rnd, label)


def _count(stmt: object) -> int:
    return int(db.session.scalar(stmt) or 0)  # type: ignore[call-overload]


def _open(rnd: Round, label: str) -> StepCheck:
    n_apps = _count(select(func.count(Application.id)).where(Application.round_id == rnd.id))
    members = _count(select(func.count(Membership.id)).where(Membership.round_id == rnd.id))
    return StepCheck(
        "open", label,
        _("Panel members can start scoring. The rules, the criteria and the decision stages "
          "can no longer be changed, and the secret code for any random draw is fixed and its "
          "fingerprint published."),
        facts=[
            (_("Criteria"), str(len(rnd.criteria))),
            (_("Applications"), f"{n_apps:,}"),
            (_("Panel members"), f"{members:,}"),
        ],
        blocked=rounds.open_problems(rnd),
    )


def _close(rnd: Round, label: str) -> StepCheck:
    in_round = ScoreSheet.application_id.in_(
        select(Application.id).where(Application.round_id == rnd.id))
    stage_one = ScoreSheet.stage == 1

    def sheets(status: SheetStatus) -> int:
        return _count(select(func.count(ScoreSheet.id))
                      .where(in_round, stage_one, ScoreSheet.status == status))

    submitted, drafts = sheets(SheetStatus.SUBMITTED), sheets(SheetStatus.DRAFT)
    draft_members = _count(
        select(func.count(func.distinct(ScoreSheet.membership_id)))
        .where(in_round, stage_one, ScoreSheet.status == SheetStatus.DRAFT))
    short = [p for p in panel_admin.application_progress(rnd)
             if p.eligible and not p.quorum_met]
    result = StepCheck(
        "close", label,
        _("Panel members can no longer score. Drafts that are not submitted are not counted. "
          "You can reopen scoring later if you need to."),
        facts=[(_("Score sheets submitted"), f"{submitted:,}"),
               (_("Drafts not submitted"), f"{drafts:,}")],
    )
    if drafts:
        result.outstanding.append(ngettext(
            "%(num)d score sheet is a draft (from %(members)s panel members) and will not be "
            "counted unless it is submitted before you close.",
            "%(num)d score sheets are drafts (from %(members)s panel members) and will not be "
            "counted unless they are submitted before you close.",
            drafts, members=f"{draft_members:,}"))
    extended = panel_care.running_extensions(rnd, utcnow().date())
    if extended:
        result.outstanding.append(panel_care.extensions_sentence(extended))
    if short:
        result.outstanding.append(ngettext(
            "%(num)d eligible application has fewer scores than the %(quorum)s needed, so it "
            "will be set aside rather than ranked.",
            "%(num)d eligible applications have fewer scores than the %(quorum)s needed, so "
            "they will be set aside rather than ranked.",
            len(short), quorum=rnd.quorum))
        result.list_title = _("Applications without enough scores")
        result.items = [_("%(reference)s: %(title)s (%(scores)s of %(quorum)s scores)",
                          reference=p.reference, title=p.title, scores=p.submitted,
                          quorum=p.quorum) for p in short[:LIST_LIMIT]]
        result.more = max(0, len(short) - LIST_LIMIT)
    return result


def _publish(rnd: Round, label: str) -> StepCheck:
    decision = counting.current_decision(rnd)
    result = StepCheck(
        "publish", label,
        _("The decision record is published for anyone to read, download and check. It cannot "
          "be changed or taken back afterwards."),
    )
    if decision is None:
        result.blocked.append(_("There is no confirmed decision to publish yet."))
        return result
    inputs, outputs = decision.count["inputs"], decision.count["outputs"]
    final = apply_overrides(outputs, decision.overrides, inputs["applications"])
    titles = {a["id"]: a["title"] for a in inputs["applications"]}
    funded = final["funded"]
    result.facts = [
        (_("Applications funded"), f"{len(funded):,}"),
        (_("Total funded"), _("%(total)s of a %(budget)s budget",
                              total=money_text(final["total"], rnd.currency),
                              budget=money_text(rnd.budget, rnd.currency))),
        (_("Changes made by staff"), f"{len(decision.overrides):,}"),
    ]
    result.list_title = _("The funded list")
    result.items = [_("%(reference)s: %(title)s, %(amount)s", reference=f["application"],
                      title=titles.get(f["application"], ""),
                      amount=money_text(f["amount"], rnd.currency)) for f in funded[:LIST_LIMIT]]
    result.more = max(0, len(funded) - LIST_LIMIT)
    return result
