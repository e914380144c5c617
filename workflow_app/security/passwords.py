"""The password policy, applied wherever a password is chosen: by an administrator, by the
user on /account/password, and through a reset link.

At least 12 characters, and not easy to guess. Guessability is zxcvbn's estimate (the
`zxcvbn` package): it ships its dictionaries inside the package, works offline, and among
them is a list of the 30,000 most common passwords. A password on that list is refused
outright; any other must score at least 3 of 4, with the user's own name, username and email
counted as known words ("drafter.6301-2026" is weak for drafter.6301).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from flask_babel import gettext as _

from ..engine import InvalidInput

MIN_LENGTH = 12
MAX_LENGTH = 200
MIN_SCORE = 3
# zxcvbn refuses longer input; the first 72 characters decide (a longer password is no weaker).
_ZXCVBN_MAX = 72


# zxcvbn and its dictionaries (about 12 MiB) are imported at the first password chosen, not
# at start-up: most web and worker processes never check one.
@cache
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def is_common(password: str) -> bool:
    return password.lower() in _common_passwords()


def password_problems(password: str, user_inputs: Iterable[str] = ()) -> list[str]:
    """What is wrong with `password` as a new password, as messages for the user; empty when
    it is acceptable."""
    if len(password) < MIN_LENGTH:
        return [_("Use at least %(num)d characters.", num=MIN_LENGTH)]
    if len(password) > MAX_LENGTH:
        return [_("Use at most %(num)d characters.", num=MAX_LENGTH)]
    if is_common(password):
        return [_("This is one of the most common passwords. Choose another.")]
    from zxcvbn import zxcvbn

    known = [word.strip() for word in user_inputs if word and word.strip()]
    estimate = zxcvbn(password[:_ZXCVBN_MAX], user_inputs=known)
    if estimate["score"] < MIN_SCORE:
        return [
            _(
                "This password is too easy to guess. Use a few unrelated words, and not your "
                "name or username."
            )
        ]
    return []


class WeakPassword(InvalidInput):
    """The password chosen breaks the policy; the message says how, for the user."""


def words_of(*texts: str) -> list[str]:
    """An account's own words for zxcvbn: each text whole and split at dots, @, dashes, spaces."""
    words: list[str] = []
    for text in texts:
        if text:
            words.append(text)
            words.extend(part for part in re.split(r"[.@_\s-]+", text) if len(part) > 2)
    return words


def check_new_password(password: str, user_inputs: Iterable[str] = ()) -> None:
    """Raise WeakPassword when `password` may not be chosen."""
    problems = password_problems(password, user_inputs)
    if problems:
        raise WeakPassword(problems[0])
