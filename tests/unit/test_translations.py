"""The interface speaks Indonesian first: every marked string has an Indonesian translation,
and the compiled catalogue that ships is the one built from the reviewed .po file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "workflow_app" / "translations" / "id" / "LC_MESSAGES"


def _po():
    with (CATALOGUE / "messages.po").open("rb") as handle:
        return read_po(handle, locale="id")


def _ids(catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def test_every_indonesian_message_is_translated_and_not_fuzzy() -> None:
    catalog = _po()
    untranslated = [
        m.id
        for m in catalog
        if m.id and not (m.string if isinstance(m.string, str) else all(m.string))
    ]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not untranslated, f"untranslated Indonesian messages: {untranslated}"
    assert not fuzzy, f"fuzzy Indonesian messages: {fuzzy}"


def test_every_string_marked_in_the_code_is_in_the_catalogue(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "Nn_:1,2",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
    )
    with pot.open("rb") as handle:
        extracted = _ids(read_po(handle))
    missing = sorted(extracted - _ids(_po()))
    assert not missing, f"run `make translations` and translate: {missing}"


def _pairs(messages) -> dict:
    """id -> translation, plural forms as tuples so both readers compare alike."""

    def norm(value):
        return tuple(value) if isinstance(value, list | tuple) else value

    return {norm(m.id): norm(m.string) for m in messages if m.id and not m.fuzzy}


def test_the_shipped_compiled_catalogue_matches_the_po_file() -> None:
    with (CATALOGUE / "messages.mo").open("rb") as handle:
        compiled = _pairs(read_mo(handle))
    assert compiled == _pairs(_po()), "messages.mo is out of date: run `make translations`"
