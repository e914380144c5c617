"""Two uploads at the same moment to a report with room for one more file, on PostgreSQL:
exactly one is kept and the other is refused, naming the limit.

Without the report's row lock each upload would count the files in its own snapshot (room for
one, twice) and the report would end with one file more than it may hold.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import select

from tests import factories
from tests.db.test_report_views import PDF
from tests.private_postgres import empty_tables, private_postgres_app
from workflow_app.accounts.models import User
from workflow_app.engine import InvalidInput
from workflow_app.extensions import db
from workflow_app.monitoring import operations as reports
from workflow_app.monitoring.models import ProgressReport, ReportAttachment
from workflow_app.unit_of_work import unit_of_work

pytestmark = pytest.mark.postgres

DATABASE = "wf_evidence_limits"
ROUNDS = 5
MAX_FILES = 3


@pytest.fixture(scope="module")
def pg_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    for app in private_postgres_app(tmp_path_factory, DATABASE):
        app.config["EVIDENCE_MAX_FILES_PER_REPORT"] = MAX_FILES
        yield app


def _empty(app: Flask) -> None:
    empty_tables(app)


@pytest.fixture
def emptied(pg_app: Flask) -> Iterator[Flask]:
    yield pg_app
    _empty(pg_app)


def _report_with_room_for_one(app: Flask) -> int:
    with app.app_context():
        users = factories.standard_users()
        _plan, report = factories.monitored_plan_with_report(users)
        for number in range(MAX_FILES - 1):
            with unit_of_work():
                reports.add_attachment(
                    users["drafter"], report, line_id=None, filename=f"{number}.pdf", data=PDF
                )
        report_id = report.id
        db.session.remove()
    return report_id


def _upload_together(app: Flask, report_id: int, names: list[str]) -> list[str]:
    barrier = threading.Barrier(len(names), timeout=20)
    results = ["not run"] * len(names)

    def run(index: int, name: str) -> None:
        with app.app_context(), force_locale("en"):
            try:
                drafter = db.session.scalars(
                    select(User).where(User.username == "drafter.6301")
                ).one()
                report = db.session.get(ProgressReport, report_id)
                assert report is not None and len(report.attachments) == MAX_FILES - 1
                barrier.wait()  # both have seen room for one: now both upload
                with unit_of_work():
                    reports.add_attachment(drafter, report, line_id=None, filename=name, data=PDF)
                results[index] = "kept"
            except InvalidInput as exc:
                results[index] = f"refused: {exc.message}"
            except BaseException as exc:
                results[index] = f"{type(exc).__name__}: {exc}"
                barrier.abort()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(names)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "an upload hung"
    return results


def test_two_uploads_at_once_into_the_last_room_keep_exactly_one(emptied: Flask) -> None:
    for _ in range(ROUNDS):
        report_id = _report_with_room_for_one(emptied)

        results = sorted(_upload_together(emptied, report_id, ["a.pdf", "b.pdf"]))

        assert results[0] == "kept", results
        assert results[1].startswith(f"refused: A report may have at most {MAX_FILES} evidence")
        with emptied.app_context():
            stored = db.session.scalars(
                select(ReportAttachment.stored_name).where(ReportAttachment.report_id == report_id)
            ).all()
            assert len(stored) == MAX_FILES
            folder = Path(emptied.config["ATTACHMENTS_DIR"])
            assert all((folder / name).is_file() for name in stored)
            db.session.remove()
        _empty(emptied)
