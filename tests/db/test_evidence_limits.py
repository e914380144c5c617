"""A report holds a bounded amount of evidence: at most EVIDENCE_MAX_FILES_PER_REPORT files and
EVIDENCE_MAX_BYTES_PER_REPORT bytes together (20 files, 50 MB by default). The upload form says
so, with what is used, before anything is sent; a file beyond either limit is refused with a
message naming it, and nothing is stored. (An attack pass uploaded ten 9.9 MB files in a row.)"""

from __future__ import annotations

import re
from html import unescape

from flask import Flask
from flask_babel import force_locale, format_decimal, gettext
from sqlalchemy import func, select

from tests.db.test_report_views import (
    PDF,
    attachment_count,
    client_as,
    files_in,
    monitored,  # noqa: F401 (fixture)
    text_of,
    token_on,
    upload,
)
from workflow_app.extensions import db
from workflow_app.monitoring.models import ReportAttachment

ALMOST_TEN_MB = 9_900_000


def said(message: str, **values: object) -> str:
    with force_locale("id"):
        return gettext(message, **values)


def mb(value: float) -> str:
    with force_locale("id"):
        return str(format_decimal(value, format="#,##0.#"))


def pdf_of(size: int) -> bytes:
    return PDF + b"%" * (size - len(PDF))


def room_shown(page: str) -> str:
    match = re.search(r'<p id="evidence-room"[^>]*>([^<]*)</p>', page)
    assert match, "the form does not say how much evidence a report may hold"
    return unescape(match.group(1)).strip()


def upload_forms(page: str) -> int:
    return page.count('class="upload-form')


def test_the_form_shows_the_limits_and_what_is_used_before_any_upload(
    app_ctx: Flask,
    users: dict,
    monitored: tuple,  # noqa: F811
) -> None:
    _plan, report = monitored
    client = client_as(app_ctx, "drafter.6301")
    summary = (
        "At most %(files)d files and %(size)s MB per report; used: %(count)d files, %(used)s MB."
    )

    empty = text_of(client.get(f"/reports/{report.id}"))
    assert room_shown(empty) == said(summary, files=20, size=mb(50), count=0, used=mb(0))

    assert upload(client, report.id, "bukti.pdf", pdf_of(2_345_678)).status_code == 303
    after = text_of(client.get(f"/reports/{report.id}"))
    assert room_shown(after) == said(summary, files=20, size=mb(50), count=1, used=mb(2.4))


def test_files_beyond_the_reports_total_size_are_refused_and_nothing_is_stored(
    app_ctx: Flask,
    users: dict,
    monitored: tuple,  # noqa: F811
) -> None:
    _plan, report = monitored
    client = client_as(app_ctx, "drafter.6301")
    for number in range(1, 6):  # 49.5 MB
        assert (
            upload(client, report.id, f"foto-{number}.pdf", pdf_of(ALMOST_TEN_MB)).status_code
            == 303
        )
    before = files_in(app_ctx)

    response = upload(client, report.id, "foto-6.pdf", pdf_of(ALMOST_TEN_MB))

    assert response.status_code == 400
    assert said(
        "The file %(name)s (%(size)s MB) does not fit: a report's files may total at most "
        "%(limit)s MB and %(used)s MB are used.",
        name="foto-6.pdf",
        size=mb(9.9),
        limit=mb(50),
        used=mb(49.5),
    ) in unescape(text_of(response))
    assert attachment_count() == 5
    assert files_in(app_ctx) == before


def test_a_file_beyond_the_reports_number_of_files_is_refused_until_one_is_removed(
    app_ctx: Flask,
    users: dict,
    monitored: tuple,  # noqa: F811
) -> None:
    _plan, report = monitored
    client = client_as(app_ctx, "drafter.6301")
    line_id = report.lines[0].id
    for number in range(1, 21):
        assert upload(client, report.id, f"bukti-{number}.pdf", PDF, line_id).status_code == 303
    full = text_of(client.get(f"/reports/{report.id}"))
    assert upload_forms(full) == 0  # no form offers what would be refused
    assert said("Remove a file to add another.") in unescape(full)
    before = files_in(app_ctx)

    response = upload(client, report.id, "bukti-21.pdf", PDF)

    assert response.status_code == 400
    assert said(
        "A report may have at most %(limit)d evidence files and this one has %(count)d. "
        "Remove one before adding another.",
        limit=20,
        count=20,
    ) in unescape(text_of(response))
    assert attachment_count() == 20
    assert files_in(app_ctx) == before

    first = db.session.scalar(select(func.min(ReportAttachment.id)))
    removed = client.post(
        f"/reports/{report.id}/attachments/{first}/delete",
        data={"csrf_token": token_on(client)},
    )
    assert removed.status_code == 303
    assert upload_forms(text_of(client.get(f"/reports/{report.id}"))) > 0
    assert upload(client, report.id, "bukti-21.pdf", PDF).status_code == 303
    assert attachment_count() == 20
