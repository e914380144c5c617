"""The admin's webhook forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField, StringField
from wtforms.validators import InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from ..changes.models import CREATED, TRANSITIONED, UPDATED
from ..forms_base import BaseForm
from .addresses import MAX_URL

EVENT_LABELS = {
    CREATED: _l("Case created"),
    UPDATED: _l("Case changed (its contents)"),
    TRANSITIONED: _l("Case moved to another step"),
}


class WebhookForm(BaseForm):
    url = StringField(_l("Address (https://…)"), validators=[InputRequired(), Length(max=MAX_URL)])
    description = StringField(_l("Description"), validators=[Length(max=200)])
    event_types = SelectMultipleField(
        _l("Events to send"),
        choices=list(EVENT_LABELS.items()),
        default=list(EVENT_LABELS),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )


class NewWebhookForm(WebhookForm):
    secret = StringField(_l("Secret (optional)"), validators=[Length(max=200)])
