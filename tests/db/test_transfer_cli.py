"""`workflow-app export plan` and `workflow-app import activities` through Flask's CLI runner:
the files they write, their messages and exit codes, and that a refused import saves nothing."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner
from openpyxl import Workbook, load_workbook

from tests import factories
from workflow_app.commands.exits import EXIT_NOT_FOUND, EXIT_REFUSED, EXIT_USAGE
from workflow_app.extensions import db
from workflow_app.plans import operations as ops
from workflow_app.plans.models import ActionPlan
from workflow_app.spreadsheets import layout


@pytest.fixture
def runner(app_ctx: Flask) -> FlaskCliRunner:
    return app_ctx.test_cli_runner()


def invoke(runner: FlaskCliRunner, *args: str) -> Result:
    return runner.invoke(args=list(args))


def snapshot(plan_id: int) -> tuple[int, list[tuple[str, list[tuple[int, str, int]]]]]:
    db.session.expire_all()
    plan = db.session.get(ActionPlan, plan_id)
    activities = [
        (a.title, sorted((f.year, f.source, f.amount) for f in a.funding)) for a in plan.activities
    ]
    return plan.version, activities


def write_workbook(path: Path, activities: list[list[Any]], funding: list[list[Any]]) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = layout.ACTIVITY_SHEET
    sheet.append(list(layout.ACTIVITY_HEADERS))
    for row in activities:
        sheet.append(row)
    sheet = book.create_sheet(layout.FUNDING_SHEET)
    sheet.append(list(layout.FUNDING_HEADERS))
    for row in funding:
        sheet.append(row)
    book.save(path)
    return path


def activity(number: int, title: str, start: int = 2026, end: int = 2027) -> list[Any]:
    return [number, "wastewater", "lltt", title, "Pelaihari", 5, "unit", "Dinkes", start, end]


def test_export_writes_an_xlsx_a_spreadsheet_program_can_open(
    runner: FlaskCliRunner, users: dict[str, Any], tmp_path: Path
) -> None:
    plan = factories.plan_with_activities(users["drafter"])
    db.session.commit()
    target = tmp_path / "rencana.xlsx"

    result = invoke(runner, "export", "plan", str(plan.id), "--format", "xlsx", "-o", str(target))

    assert result.exit_code == 0, result.output
    book = load_workbook(target)
    assert book.sheetnames == ["Rencana", "Permasalahan", "Indikator", "Kegiatan", "Pendanaan"]
    assert book["Rencana"]["A2"].value == "Tanah Laut"
    assert [row[3].value for row in book["Kegiatan"].iter_rows(min_row=2)] == [
        "Layanan LLTT",
        "SPALD-S untuk 300 rumah tangga",
        "DED TPST kabupaten",
        "Perbup air limbah domestik",
    ]


def test_export_csv_by_option_or_by_file_suffix(
    runner: FlaskCliRunner, users: dict[str, Any], tmp_path: Path
) -> None:
    plan = factories.plan_with_activities(users["drafter"])
    db.session.commit()

    by_option = invoke(
        runner, "export", "plan", str(plan.id), "--format", "csv", "-o", str(tmp_path / "a.out")
    )
    by_suffix = invoke(runner, "export", "plan", str(plan.id), "-o", str(tmp_path / "b.csv"))

    assert (by_option.exit_code, by_suffix.exit_code) == (0, 0)
    assert (tmp_path / "a.out").read_bytes() == (tmp_path / "b.csv").read_bytes()
    rows = list(csv.reader(io.StringIO((tmp_path / "b.csv").read_text("utf-8-sig"))))
    assert rows[0][-3:] == ["Tahun", "Sumber dana", "Jumlah (Rp)"]
    assert len(rows) == 1 + 6  # five funding lines and one activity without funding


def test_export_refuses_an_unknown_plan_or_format(
    runner: FlaskCliRunner, users: dict[str, Any], tmp_path: Path
) -> None:
    missing = invoke(runner, "export", "plan", "999999", "-o", str(tmp_path / "x.xlsx"))
    assert missing.exit_code == EXIT_NOT_FOUND
    assert missing.stderr.strip() == "Error: plan 999999 not found"

    plan = factories.complete_plan(users["drafter"])
    db.session.commit()
    odd = invoke(runner, "export", "plan", str(plan.id), "-o", str(tmp_path / "x.ods"))
    assert odd.exit_code == EXIT_USAGE
    bad = invoke(runner, "export", "plan", str(plan.id), "--format", "pdf", "-o", "x")
    assert bad.exit_code == EXIT_USAGE
    assert not (tmp_path / "x.xlsx").exists() and not (tmp_path / "x.ods").exists()


def test_import_with_invalid_rows_prints_each_and_saves_nothing(
    runner: FlaskCliRunner, users: dict[str, Any], tmp_path: Path
) -> None:
    plan = factories.complete_plan(users["drafter"])
    db.session.commit()
    before = snapshot(plan.id)
    path = write_workbook(
        tmp_path / "salah.xlsx",
        [activity(1, "Baik"), activity(2, "Terlambat", start=2029, end=2026)],
        [[1, 2026, "APBN", 100], [1, 2026, "APBN", 200], [3, 2026, "DAK", "seratus"]],
    )

    result = invoke(
        runner, "import", "activities", str(plan.id), str(path), "--as", "drafter.6301", "--replace"
    )

    assert result.exit_code == EXIT_REFUSED
    lines = result.stderr.splitlines()
    assert lines[:4] == [
        "Kegiatan 3 Tahun selesai: The activity cannot end before it starts.",
        "Pendanaan 3 Sumber dana: Activity 1 already has funding from this source in 2026 "
        "on row 2.",
        "Pendanaan 4 No.: There is no activity number 3 in sheet “Kegiatan”.",
        "Pendanaan 4 Jumlah (Rp): Not a valid amount. Write it like 1.500.000 or Rp1.500.000.",
    ]
    assert lines[4].startswith("Error: 4 invalid cells")
    assert snapshot(plan.id) == before


def test_import_of_a_good_file_replaces_the_activities(
    runner: FlaskCliRunner, users: dict[str, Any], tmp_path: Path
) -> None:
    plan = factories.complete_plan(users["drafter"])
    db.session.commit()
    version = snapshot(plan.id)[0]
    path = write_workbook(
        tmp_path / "baik.xlsx",
        [activity(1, "IPLT Pelaihari"), activity(2, "STBM 15 desa")],
        [[1, 2026, "APBN", "Rp2.500.000.000"], [2, 2027, "Dana Desa", 75_000_000]],
    )

    without_confirmation = invoke(
        runner, "import", "activities", str(plan.id), str(path), "--as", "drafter.6301"
    )
    assert without_confirmation.exit_code == EXIT_REFUSED
    assert "--replace" in without_confirmation.stderr
    assert snapshot(plan.id)[0] == version

    result = invoke(
        runner, "import", "activities", str(plan.id), str(path), "--as", "drafter.6301", "--replace"
    )

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"plan {plan.id}: 2 activities imported")
    new_version, activities = snapshot(plan.id)
    assert new_version > version
    assert activities == [
        ("IPLT Pelaihari", [(2026, "apbn", 2_500_000_000)]),
        ("STBM 15 desa", [(2027, "dana_desa", 75_000_000)]),
    ]


def test_import_refuses_unknown_users_foreign_plans_and_locked_plans(
    runner: FlaskCliRunner, users: dict[str, Any], tmp_path: Path
) -> None:
    draft = factories.complete_plan(users["drafter"])
    review = factories.plan_in_state(users, "district_review")
    db.session.commit()
    path = write_workbook(tmp_path / "k.xlsx", [activity(1, "Baru")], [])
    before = snapshot(draft.id), snapshot(review.id)

    def run(plan_id: int, username: str) -> Result:
        return invoke(
            runner, "import", "activities", str(plan_id), str(path), "--as", username, "--replace"
        )

    unknown_user = run(draft.id, "nobody")
    assert unknown_user.exit_code == EXIT_NOT_FOUND
    assert "unknown user 'nobody'" in unknown_user.stderr
    assert run(999999, "drafter.6301").exit_code == EXIT_NOT_FOUND
    foreign = run(draft.id, "drafter.6304")
    assert foreign.exit_code == EXIT_NOT_FOUND
    assert foreign.stderr.strip() == f"Error: plan {draft.id} not found"
    reviewer = run(draft.id, "reviewer.6301")
    assert reviewer.exit_code == EXIT_REFUSED
    assert "403 forbidden" in reviewer.stderr
    locked = run(review.id, "drafter.6301")
    assert locked.exit_code == EXIT_REFUSED
    assert "409 invalid_state" in locked.stderr
    assert (snapshot(draft.id), snapshot(review.id)) == before


def test_import_of_a_file_that_is_not_a_workbook_is_one_clear_error(
    runner: FlaskCliRunner, users: dict[str, Any], tmp_path: Path
) -> None:
    plan = ops.create_plan(
        users["drafter"], factories.regions()["6301"], title="K", period_start=2025, period_end=2029
    )
    db.session.commit()
    path = tmp_path / "kegiatan.csv"
    path.write_text("No.,Nama kegiatan\n1,LLTT\n", encoding="utf-8")

    result = invoke(runner, "import", "activities", str(plan.id), str(path), "--as", "drafter.6301")

    assert result.exit_code == EXIT_REFUSED
    assert result.stderr.strip() == (
        f"Error: {path}: The file is not an Excel workbook (.xlsx). Use the import template."
    )
    assert snapshot(plan.id)[1] == []
