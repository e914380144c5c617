"""Evidence on the report page: upload (checked by content), take back, and download.

Uploading and removing: the district drafter while the report can be filled in. Downloading:
anyone who may see the report; everyone else, and an attachment of another report, is 404.
Files go out as downloads only (never rendered inline) with the type recorded at upload and
`nosniff`, so a browser cannot be talked into treating one as a page.
"""

from __future__ import annotations

from flask import abort, flash, redirect, send_file, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from ..engine import InvalidInput
from ..plans.case_views import Refusal
from ..unit_of_work import unit_of_work
from . import evidence, operations
from .blueprint import blueprint
from .forms import AttachmentForm
from .page import actor, report_page

Page = tuple[str, int] | Response


def _back(report_id: int, line_id: int | None) -> Response:
    anchor = f"evidence-line-{line_id}" if line_id else "evidence"
    return redirect(url_for("monitoring.report", report_id=report_id, _anchor=anchor), code=303)


@blueprint.post("/reports/<int:report_id>/attachments")
@login_required
def upload(report_id: int) -> Page:
    user = actor()
    report = operations.load_visible_report(user, report_id)
    operations.check_fillable(user, report)  # 403 (role) or 409 (status) on the error page
    form = AttachmentForm()
    if not form.validate():
        if form.file.errors:
            message = _("Choose a file to upload.")
        else:
            message = _("The data sent is not valid.")
        return report_page(report, status=400, refusal=Refusal(400, message))
    sent_file = form.file.data
    # One byte more than allowed is enough to know the file is too large.
    data = sent_file.stream.read(evidence.max_bytes() + 1)
    line_id = form.line_id.data
    try:
        with unit_of_work():
            attachment = operations.add_attachment(
                user, report, line_id=line_id, filename=sent_file.filename or "", data=data
            )
            name = attachment.original_name
    except InvalidInput as exc:
        report = operations.load_visible_report(user, report_id)
        return report_page(report, status=400, refusal=Refusal(400, exc.message))
    flash(_("The file “%(name)s” was attached.", name=name), "success")
    return _back(report_id, line_id)


@blueprint.post("/reports/<int:report_id>/attachments/<int:attachment_id>/delete")
@login_required
def delete_attachment(report_id: int, attachment_id: int) -> Response:
    user = actor()
    report = operations.load_visible_report(user, report_id)
    attachment = next((a for a in report.attachments if a.id == attachment_id), None)
    if attachment is None:
        abort(404)
    name, line_id = attachment.original_name, attachment.line_id
    # The app-wide CSRF check has passed; refusals (403, 409) become the app's error page.
    with unit_of_work():
        operations.remove_attachment(user, report, attachment_id)
    flash(_("The file “%(name)s” was removed.", name=name), "success")
    return _back(report_id, line_id)


@blueprint.get("/reports/<int:report_id>/attachments/<int:attachment_id>")
@login_required
def download(report_id: int, attachment_id: int) -> Response:
    report = operations.load_visible_report(actor(), report_id)
    attachment = next((a for a in report.attachments if a.id == attachment_id), None)
    if attachment is None:
        abort(404)
    path = evidence.path_of(attachment.stored_name)
    if not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=attachment.original_name,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.private = True
    return response
