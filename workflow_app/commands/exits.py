"""Exit codes shared by the commands (documented in the README)."""

from __future__ import annotations

import click

EXIT_OK = 0
EXIT_FAILURE = 1  # anything else that went wrong
EXIT_USAGE = 2  # click: bad option or argument; also an invalid workflow definition
EXIT_NOT_FOUND = 3  # unknown user, or a plan that does not exist or is out of the user's scope
EXIT_REFUSED = 4  # the workflow refused the action (role, state, comment, guard, stale)
EXIT_BROKEN_CHAIN = 5  # audit verify: a plan's history chain is broken (tampering, lost rows)
EXIT_ATTENTION = 6  # status: emails or deadlines stuck, or the broker down


class CommandFailed(click.ClickException):
    """A one-line error on stderr ("Error: …") and a chosen exit code."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.exit_code = exit_code
