"""What a refused action means to the user, in the interface language."""

from __future__ import annotations

from flask_babel import gettext as _

from .engine import GuardFailed, TransitionRefused


def refusal_message(exc: TransitionRefused, *, plan: bool = True) -> str:
    """One sentence for the user. The English engine message stays in logs and the CLI.
    `plan`: the words of an action plan's pages; otherwise words that fit any case."""
    if not plan:
        return _case_messages().get(exc.code, exc.message)
    messages = {
        "unknown_trigger": _("This action does not exist."),
        "comment_required": _("This action needs a comment: please write one."),
        "invalid_state": _("This action is not possible in the plan's current status."),
        "forbidden": _("Your role does not allow this action."),
        "not_found": _("The plan was not found."),
        "guard_failed": _("The plan is not complete yet."),
        "stale": _(
            "This plan was changed by someone else in the meantime. "
            "Reload the page to see the latest version, then try again."
        ),
    }
    # Invalid input carries its own explanation, already in the interface language.
    return messages.get(exc.code, exc.message)


def _case_messages() -> dict[str, str]:
    return {
        "unknown_trigger": _("This action does not exist."),
        "comment_required": _("This action needs a comment: please write one."),
        "invalid_state": _("This action is not possible in the current status."),
        "forbidden": _("Your role does not allow this action."),
        "not_found": _("Not found."),
        "guard_failed": _("Not everything required is filled in yet."),
        "stale": _(
            "This was changed by someone else in the meantime. "
            "Reload the page to see the latest version, then try again."
        ),
    }


def refusal_details(exc: TransitionRefused) -> list[str]:
    return [str(problem) for problem in exc.problems] if isinstance(exc, GuardFailed) else []
