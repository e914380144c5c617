"""The confirmation page of a decision that cannot be undone (a transition declared `confirm`).

Every action button of such a transition links here (a GET page, no JavaScript needed) instead
of firing: the page names the case, its region and what will happen (the definition's
`consequence`, in the user's language), takes the comment and posts to the case's transition
endpoint with the version the user saw. Each kind of case registers where its pages are
(`register_confirmation`); the routes themselves live with the kind's other pages and use
case_views.confirm_get / transition_post, which refuse the page exactly as the action.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import render_template, request, url_for
from flask_babel import get_locale

from ..accounts.views import is_local_path
from ..engine import TransitionDef
from ..workflows import definition_of
from .blueprint import blueprint
from .forms_actions import TransitionForm


@dataclass(frozen=True)
class Described:
    """What the confirmation page says the case is: its title, region, page and a few facts
    (label, value) that help the decision (a plan's period and total funding)."""

    title: str
    region: Any  # regions.models.Region
    page_url: str
    facts: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Confirmation:
    """Where a kind's confirmation page and transition endpoint are, and how to describe it."""

    confirm_endpoint: str
    transition_endpoint: str
    url_args: Callable[[Any], dict[str, Any]]
    describe: Callable[[Any], Described]


_registered: dict[type, Confirmation] = {}


def register_confirmation(model: type, confirmation: Confirmation) -> None:
    _registered[model] = confirmation


def confirmation_of(case: Any) -> Confirmation:
    for cls in type(case).__mro__:
        if cls in _registered:
            return _registered[cls]
    raise LookupError(f"{type(case).__name__} has no confirmation page registered")


def local_next(value: str | None) -> str | None:
    """A same-site page to come back to (`next`), or None."""
    return value if value and is_local_path(value) else None


@blueprint.app_template_global("confirm_url")
def confirm_url(case: Any, trigger: str, back: str | None = None) -> str:
    """The confirmation page of `trigger` on `case`, for the version on screen now; `back`:
    the page to return to (after confirming, or on "Back")."""
    found = confirmation_of(case)
    return url_for(
        found.confirm_endpoint,
        trigger=trigger,
        version=case.version,
        next=local_next(back),
        **found.url_args(case),
    )


def confirmation_page(
    case: Any,
    transition: TransitionDef,
    form: TransitionForm,
    *,
    status: int = 200,
    refusal: object | None = None,
    back: str | None = None,
) -> tuple[str, int]:
    """The page asking the user to confirm `transition` on `case`; `form` carries the version
    the user saw and what they typed so far."""
    found = confirmation_of(case)
    described = found.describe(case)
    language = str(get_locale() or "id")
    page = render_template(
        "confirm_action.html",
        case=case,
        step=transition,
        form=form,
        described=described,
        definition=definition_of(case),
        language=language,
        refusal=refusal,
        action_url=url_for(found.transition_endpoint, **found.url_args(case)),
        back=local_next(back) or described.page_url,
        next=local_next(back),
    )
    return page, status


def requested_back() -> str | None:
    """The `next` page of the request (query or form), if it is on this site."""
    return local_next(request.values.get("next"))
