"""Tags: a round's short list of staff-only labels (areas of the city, themes) for applications.

Staff define the round's tags, then attach any of them to an application, by form or by the
CSV import's optional ``tags`` column (names separated by ";"). Tags are for finding and
sorting out applications: they are never shown to the panel and never published.

Rules, in one place for the form, this service and the import:

* A tag name (:func:`name_problem`) is 1 to :data:`MAX_TAG` characters, with no control
  characters and no ";" (it separates tags in the CSV column). Names are unique within a
  round, compared without regard to case.
* A round has at most :data:`MAX_TAGS` tags.
* The import refuses a tag the round does not have (it never makes one up from a typing
  slip): :func:`parse_tag_list` names the unknown tag and the ones there are.
* Tags can be changed at any time, even after scoring closes: nothing counted reads them.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, delete, func, select

from grantpanel.extensions import db
from grantpanel.i18n import _
from grantpanel.models import Application, ApplicationTag, Round, Tag, User
from grantpanel.services import audit
from grantpanel.textcheck import CONTROL_CHARACTERS

MAX_TAG = 40
MAX_TAGS = 50
SEPARATOR = ";"


class TagError(ValueError):
    """A plain-English reason a tag change could not be made."""


def for_round(round_id: int) -> Select[tuple[Tag]]:
    """Statement for a round's tags, by name."""
    return select(Tag).where(Tag.round_id == round_id).order_by(func.lower(Tag.name))


def round_tags(round_id: int) -> list[Tag]:
    return list(db.session.scalars(for_round(round_id)))


def by_lower_name(round_id: int) -> dict[str, Tag]:
    """The round's tags keyed by their lower-case name: one query."""
    return {t.name.lower(): t for t in round_tags(round_id)}


def usage(round_id: int) -> dict[int, int]:
    """How many applications carry each of the round's tags: one ``GROUP BY``."""
    rows = db.session.execute(
        select(ApplicationTag.tag_id, func.count())
        .join(Tag, Tag.id == ApplicationTag.tag_id)
        .where(Tag.round_id == round_id)
        .group_by(ApplicationTag.tag_id)
    )
    return {int(tag_id): int(n) for tag_id, n in rows}


def name_problem(name: str) -> str | None:
    """A sentence if ``name`` cannot be a tag, else ``None``."""
    if not name:
        return _("Enter a name for the tag, like 'North' or 'Food'.")
    if len(name) > MAX_TAG:
        return _("A tag's name must be %(most)s characters or fewer (it has %(length)s).",
                 most=MAX_TAG, length=len(name))
    if CONTROL_CHARACTERS.search(name) or SEPARATOR in name:
        return _("A tag's name cannot hold a semicolon (;) or a control character.")
    return None


def add_tag(rnd: Round, actor: User, name: str) -> Tag:
    """Add a tag to the round. Raises :class:`TagError` with the problem."""
    name = " ".join(name.split())
    problem = name_problem(name)
    if problem:
        raise TagError(problem)
    existing = by_lower_name(rnd.id)
    if name.lower() in existing:
        raise TagError(_("This round already has the tag '%(name)s'.",
                         name=existing[name.lower()].name))
    if len(existing) >= MAX_TAGS:
        raise TagError(_("A round can have at most %(most)s tags. Remove one you do not use "
                         "first.", most=MAX_TAGS))
    tag = Tag(round_id=rnd.id, name=name)
    db.session.add(tag)
    db.session.flush()
    audit.record("tag.added", actor=actor, round_id=rnd.id, tag=name)
    return tag


def remove_tag(rnd: Round, actor: User, tag_id: int) -> Tag:
    """Remove one of the round's tags, and take it off every application carrying it."""
    tag = db.session.get(Tag, tag_id)
    if tag is None or tag.round_id != rnd.id:
        raise TagError(_("That tag is not in this round. It may have been removed already."))
    db.session.execute(delete(ApplicationTag).where(ApplicationTag.tag_id == tag.id))
    db.session.delete(tag)
    db.session.flush()
    db.session.expire_all()
    audit.record("tag.removed", actor=actor, round_id=rnd.id, tag=tag.name)
    return tag


def set_tags(app: Application, actor: User, tag_ids: Iterable[int]) -> bool:
    """Give ``app`` exactly the round's tags with ``tag_ids``; whether anything changed.
    Ids that are not the round's tags are refused."""
    tags = {t.id: t for t in round_tags(app.round_id)}
    wanted = set(tag_ids)
    unknown = wanted - tags.keys()
    if unknown:
        raise TagError(_("A tag you chose is not in this round any more. Choose again."))
    before = {t.id for t in app.tags}
    if before == wanted:
        return False
    app.tags = sorted((tags[i] for i in wanted), key=lambda t: t.name.lower())
    audit.record("application.tags", actor=actor, round_id=app.round_id,
                 reference=app.reference, tags=sorted(tags[i].name for i in wanted))
    return True


def parse_tag_list(text: str, known: dict[str, Tag]) -> tuple[list[Tag], str | None]:
    """The tags named in a CSV cell (``"North; Food"``) and a fragment for the first problem.

    Names are matched without regard to case or spaces around them; empty parts are passed
    over; a tag named twice counts once. An unknown name is refused (not created)."""
    found: dict[int, Tag] = {}
    for part in text.split(SEPARATOR):
        name = " ".join(part.split())
        if not name:
            continue
        tag = known.get(name.lower())
        if tag is None:
            if not known:
                return [], _("tags names '%(name)s' but this round has no tags yet: add them "
                             "on the round's Tags page first", name=name[:MAX_TAG])
            return [], _("tags names '%(name)s', which is not one of this round's tags "
                         "(%(known)s): add it on the Tags page first, or fix the spelling",
                         name=name[:MAX_TAG],
                         known=", ".join(t.name for t in known.values()))
        found[tag.id] = tag
    return list(found.values()), None
