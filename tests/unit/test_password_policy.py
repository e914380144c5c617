"""The password policy: at least 12 characters, not a common password, not guessable from
zxcvbn's dictionaries or the account's own name, username and email."""

from __future__ import annotations

import pytest

from workflow_app.security.passwords import (
    MAX_LENGTH,
    MIN_LENGTH,
    WeakPassword,
    check_new_password,
    is_common,
    password_problems,
    words_of,
)

TEST_PASSWORD = "uji-coba-sandi-2026"  # the factories' password stays acceptable


@pytest.mark.parametrize(
    "password",
    [
        TEST_PASSWORD,
        "lumbung-padi-martapura-tujuh",
        "sandi-baru-yang-panjang",
        "x" * 3 + "Q9!vT#m2$Lp7",
    ],
)
def test_long_unguessable_passwords_are_accepted(password: str) -> None:
    assert password_problems(password) == []
    check_new_password(password)


def test_eleven_characters_are_too_few_whatever_they_are() -> None:
    assert len(password_problems("Q9!vT#m2$Lp")) == 1
    assert password_problems("Q9!vT#m2$Lp7") == []
    assert MIN_LENGTH == 12


def test_an_absurdly_long_password_is_refused_not_hashed() -> None:
    assert password_problems("q9!vT#m2$Lp7" * 20)
    assert password_problems(("q9!vT#m2$Lp7" * 20)[:MAX_LENGTH]) == []


@pytest.mark.parametrize(
    "password", ["password1234", "qwertyuiop123", "Password1234", "PASSWORD1234", "1234567890123"]
)
def test_common_passwords_are_refused_in_any_case(password: str) -> None:
    with pytest.raises(WeakPassword):
        check_new_password(password)


@pytest.mark.parametrize(
    "password", ["iloveyou12345", "Password1234!", "aaaaaaaaaaaaaaaa", "abcdefghijklmnop"]
)
def test_easily_guessed_long_passwords_are_refused(password: str) -> None:
    assert password_problems(password)


def test_the_common_list_is_the_bundled_one_of_thousands() -> None:
    assert is_common("password") and is_common("Dragon")
    assert not is_common(TEST_PASSWORD)


def test_the_accounts_own_words_make_a_password_weak() -> None:
    password = "drafter.6301-2026"
    own = words_of("drafter.6301", "Drafter Tanah Laut", "drafter.6301@example.test")

    assert password_problems(password) == []
    assert password_problems(password, own)


def test_the_account_words_are_split_at_separators() -> None:
    words = words_of("head.6301", "Siti Aminah", "siti.aminah@pemda.go.id")

    assert {"head.6301", "head", "6301", "Siti", "Aminah", "siti", "aminah", "pemda"} <= set(words)
