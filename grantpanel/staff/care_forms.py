"""Forms for the staff panel-care page: a member's deadline extension (the assisted score
sheet reuses the panel's ``score_sheet_class``). Rules: ``services/panel_care.py``."""

from __future__ import annotations

from wtforms import SubmitField
from wtforms.validators import Optional

from grantpanel.forms_base import BaseForm
from grantpanel.i18n import _l
from grantpanel.staff.forms import PlainDateField


class ExtensionForm(BaseForm):
    """Give one member until a later date to finish scoring, or take the extension away."""

    extended_until = PlainDateField(
        _l("More time until"),
        description=_l("The last day this member can score. It must be after the round "
                       "closes."),
        validators=[Optional()],
    )
    save = SubmitField(_l("Save the date"))
    remove = SubmitField(_l("Remove the extension"))
