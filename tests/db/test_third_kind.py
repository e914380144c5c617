"""A third kind of case, added exactly as the README's worked example says: its YAML block
(taken from README.md, so the example cannot rot) dropped into a copy of the shipped
workflows directory, and nothing else. The kind is then found in every place a kind of case
appears: the menu, its list with filters, the form, the case page, "Tugas Saya" with its due
date, the deadline's escalation email, the CLI, the JSON API, the exports, the dashboard,
`audit verify` and `workflow-app status`."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from tests import factories
from tests.conftest import app_of_its_own, csrf_token, emptied_afterwards, signed_in
from workflow_app.accounts.models import User
from workflow_app.cases.models import DeclaredCase
from workflow_app.deadlines.sweep import run_sweep
from workflow_app.extensions import db
from workflow_app.notifications.models import Notification
from workflow_app.resources import resource_path

README = Path(__file__).resolve().parents[2] / "README.md"
KIND = "complaint"


def readme_example() -> str:
    """The YAML of the README's worked example."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Worked example: adding a third kind") :]
    match = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert match, "the README's worked example has no YAML block"
    return match.group(1)


@pytest.fixture(scope="module")
def third_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    tmp = tmp_path_factory.mktemp("third_kind")
    workflows = tmp / "workflows"
    shutil.copytree(resource_path("workflows"), workflows)
    (workflows / f"{KIND}.yaml").write_text(readme_example(), encoding="utf-8")
    with app_of_its_own(tmp, WORKFLOWS_DIR=str(workflows)) as application:
        yield application


@pytest.fixture
def ctx(third_app: Flask) -> Iterator[Flask]:
    with emptied_afterwards(third_app):
        factories.standard_users()
        db.session.commit()
        yield third_app


def _text(response: Any) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def _open_complaint(app: Flask) -> DeclaredCase:
    drafter = signed_in(app, "drafter.6301")
    url = f"/cases/{KIND}/new"
    form = drafter.get(url)
    assert form.status_code == 200 and "Pokok aduan" in _text(form)
    data = {
        "csrf_token": csrf_token(drafter, url),
        "received_on": "2026-11-30",
        "village": "Desa Bumi Jaya",
        "topic": "overflow",
        "save": "1",
    }
    created = drafter.post(url, data=data)
    assert created.status_code == 303, _text(created)[:1500]
    return db.session.scalars(select(DeclaredCase).where(DeclaredCase.kind == KIND)).one()


def test_the_third_kind_is_everywhere_with_no_code_of_its_own(ctx: Flask) -> None:
    case = _open_complaint(ctx)
    assert case.title == "Pengaduan 30 November 2026 Desa Bumi Jaya"
    assert case.state == "open" and case.due_at is not None
    drafter = signed_in(ctx, "drafter.6301")

    # The menu, the list and its filter.
    tasks = drafter.get("/tasks").get_data(as_text=True)
    assert f'href="/cases/{KIND}"' in tasks and "Pengaduan Sanitasi" in tasks
    assert f'id="task-{KIND}-{case.id}"' in tasks and 'class="due due-' in tasks
    assert case.title in _text(drafter.get(f"/cases/{KIND}?topic=overflow"))
    assert case.title not in _text(drafter.get(f"/cases/{KIND}?topic=waste"))

    # The case page: its values, history, diagram and the declared check on its action.
    page = _text(drafter.get(f"/cases/{KIND}/{case.id}"))
    assert "Tangki septik meluap" in page and "Riwayat" in page and "Terbuka" in page
    assert "Tanggapan belum diisi" in page
    other = signed_in(ctx, "drafter.6304")
    assert other.get(f"/cases/{KIND}/{case.id}").status_code == 404

    # The deadline's escalation reaches the district head.
    run_sweep(case.due_at + timedelta(days=5))
    told = db.session.scalars(
        select(Notification).where(
            Notification.subject_of(case), Notification.event == "escalation"
        )
    ).all()
    assert [row.recipient.username for row in told] == ["head.6301"]
    assert told[0].payload["item_path"] == f"/cases/{KIND}/{case.id}"

    # The exports of the list and of the case, and the JSON API.
    for url in (f"/cases/{KIND}/export.xlsx", f"/cases/{KIND}/{case.id}/export.csv"):
        exported = drafter.get(url)
        assert exported.status_code == 200 and exported.data, url
    assert "Desa Bumi Jaya" in drafter.get(f"/cases/{KIND}/{case.id}/export.csv").get_data(
        as_text=True
    )
    token = factories.api_token(db.session.get(User, case.created_by_id))
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    api = ctx.test_client()
    listed = api.get(f"/api/v1/cases/{KIND}", headers=headers).get_json()
    assert [item["id"] for item in listed["items"]] == [case.id]
    detail = api.get(f"/api/v1/cases/{KIND}/{case.id}", headers=headers).get_json()
    assert detail["values"]["village"] == "Desa Bumi Jaya"
    assert [t["trigger"] for t in detail["transitions"]] == ["answer"]
    # The province's dashboard counts it by state and district.
    dashboard = signed_in(ctx, "provincial.63").get("/dashboard?year=2026").get_data(as_text=True)
    assert f'id="declared-{KIND}"' in dashboard

    # The CLI: refused while the answer is missing, done once it is written.
    runner = ctx.test_cli_runner()
    assert f"{KIND}  {case.id}" in runner.invoke(args=["cases", "list", KIND]).output
    refused = runner.invoke(
        args=["cases", "transition", KIND, str(case.id), "answer", "--as", "drafter.6301"]
    )
    assert refused.exit_code == 4 and "Answer is not filled in" in refused.output
    url = f"/cases/{KIND}/{case.id}/edit"
    saved = drafter.post(
        url,
        data={
            "csrf_token": csrf_token(drafter, url),
            "version": str(case.version),
            "received_on": "2026-11-30",
            "village": "Desa Bumi Jaya",
            "topic": "overflow",
            "answer": "Truk sedot tinja dijadwalkan 2 Desember.",
        },
    )
    assert saved.status_code == 303, _text(saved)[:1500]
    done = runner.invoke(
        args=["cases", "transition", KIND, str(case.id), "answer", "--as", "drafter.6301"]
    )
    assert done.exit_code == 0 and "open → answered" in done.output

    # The audit chain and the status checks know it.
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    status = runner.invoke(args=["status"])
    assert "every case and pending step finds its definition" in status.output
