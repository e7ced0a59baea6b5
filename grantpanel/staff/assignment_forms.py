"""Forms of the assignment pages (who reads what). The rules live in
:mod:`grantpanel.services.assignment`; the forms call the same checks, so a mistake is shown
beside the field that caused it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wtforms import BooleanField, Field, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Optional, ValidationError

from grantpanel.forms_base import BaseForm, limit
from grantpanel.i18n import _l
from grantpanel.models import Membership, Round
from grantpanel.services import assignment
from grantpanel.staff.forms import WholeNumberField

CAPACITY_PREFIX = "capacity_"


class ReadersForm(BaseForm):
    readers = WholeNumberField(
        _l("How many members read each application?"),
        description=_l(
            "Leave it empty for everyone to read every application. A number shares the "
            "reading out: each application is read by that many members, and each member "
            "reads only the applications given to them."),
        validators=[Optional()],
    )
    save = SubmitField(_l("Save"))

    #: Set by the view: the round, for the service's check (quorum at most the readers).
    rnd: Round | None = None

    def validate_readers(self, field: Field) -> None:
        if self.rnd is not None:
            problem = assignment.readers_problem(self.rnd, field.data)
            if problem:
                raise ValidationError(problem)


class RunForm(BaseForm):
    fresh = BooleanField(
        _l("Start again"),
        description=_l(
            "Ticked, every automatic choice may change, so new preferences count fully. "
            "Left empty, grantpanel changes as little as it can. Either way it keeps readers "
            "added by hand and members who have started scoring."),
    )
    run = SubmitField(_l("Assign readers"))


class SearchForm(BaseForm):
    """Find an application by its reference (a GET form: it changes nothing)."""

    class Meta:
        csrf = False

    ref = StringField(
        _l("Application reference"),
        description=_l("For example A-001."),
        validators=[limit(40, _l("the reference"))],
    )


class AddReaderForm(BaseForm):
    membership = SelectField(
        _l("Panel member"),
        coerce=int,
        validators=[InputRequired(_l("Choose the panel member to add."))],
    )
    add = SubmitField(_l("Add as a reader"))


def capacities_form(members: Iterable[Membership], formdata: Any = None) -> BaseForm:
    """A form with one ``capacity_<membership id>`` field per member (empty: no limit)."""

    class CapacitiesForm(BaseForm):
        save_capacities = SubmitField(_l("Save the limits"))

    for m in members:
        setattr(CapacitiesForm, f"{CAPACITY_PREFIX}{m.id}", WholeNumberField(
            _l("Most applications for %(member)s", member=m.pseudonym),
            validators=[Optional()],
        ))
    form = CapacitiesForm(formdata=formdata) if formdata is not None else CapacitiesForm()
    if formdata is None:
        for m in members:
            form[f"{CAPACITY_PREFIX}{m.id}"].data = m.capacity
    return form


def capacity_fields(form: BaseForm) -> list[tuple[int, Field]]:
    """``(membership id, field)`` for each capacity field of ``form``."""
    return [(int(f.name[len(CAPACITY_PREFIX):]), f) for f in form
            if f.name.startswith(CAPACITY_PREFIX)]


def check_capacities(form: BaseForm) -> bool:
    """The service's capacity rule beside each field; False when any is broken."""
    ok = True
    for _id, field in capacity_fields(form):
        if field.errors:
            ok = False
            continue
        problem = assignment.capacity_problem(field.data)
        if problem:
            field.errors = [problem]
            ok = False
    return ok
