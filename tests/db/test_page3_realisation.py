"""The plan page's realisation section reads its reports' lines and indicator values as plain
numbers in one statement (two ORM loads before, ~20 objects a plan), and computes from them
exactly what realisation.plan_realisation computes from the reports' own rows."""

from __future__ import annotations

from decimal import Decimal

from flask import Flask
from sqlalchemy.orm import Session

from workflow_app.extensions import db
from workflow_app.monitoring.models import ReportIndicatorValue, ReportLine
from workflow_app.monitoring.plan_section import realisation_section
from workflow_app.monitoring.realisation import plan_realisation, plan_reports
from workflow_app.plans.detail_page import load_page_contents

from .. import factories
from ..statements import recorded_statements


def _loaded_objects(session: Session, kind: type) -> int:
    return sum(1 for obj in session.identity_map.values() if isinstance(obj, kind))


def test_the_section_reads_its_figures_in_one_statement_as_its_reports_say(
    app_ctx: Flask, users: dict
) -> None:
    plan, _report = factories.reported_plan(
        users,
        figures=((Decimal("45.5"), 540_000_000), (Decimal("20"), 30_000_000)),
        hygiene_budget=120_000_000,
        safe_sanitation=Decimal("61.25"),
    )
    plan_id = plan.id
    db.session.expire_all()
    with app_ctx.test_request_context():
        plan = db.session.get(type(plan), plan_id)
        load_page_contents(plan)
        with recorded_statements() as statements:
            section = realisation_section(plan)
        assert section is not None
        # The reports, then their lines' and values' numbers together: 2 (3 before); the
        # calendar for the reports' deadlines aside.
        reads = [s for s in statements if "calendar_override" not in s]
        assert len(reads) == 2, reads
        assert "report_indicator_value" in reads[1]
        # No ORM object for a line or a value (the page shows only their sums).
        assert _loaded_objects(db.session, ReportLine) == 0
        assert _loaded_objects(db.session, ReportIndicatorValue) == 0

        expected = plan_realisation(plan, plan_reports(plan))
    assert section.realisation == expected
    assert any(row.spent is not None for row in expected.years)
    assert any(p.achieved is not None for i in expected.indicators for p in i.points)
