"""The plan page's workflow section (plans/_diagram.html: the drawing, its caption, the states
and steps as text) is rendered once per definition, state and language, then reused: it reads
nothing else. The same section is on the page either way."""

from __future__ import annotations

from flask import Flask, template_rendered

from workflow_app.extensions import db
from workflow_app.plans import diagram

from .. import factories
from ..conftest import signed_in


def _diagram_renders(app: Flask, url: str) -> tuple[int, str]:
    renders = 0

    def counted(_sender: Flask, template: object, **_extra: object) -> None:
        nonlocal renders
        renders += getattr(template, "name", "") == "plans/_diagram.html"

    client = signed_in(app, "drafter.6301")
    template_rendered.connect(counted, app)
    try:
        with app.app_context():
            answer = client.get(url)
    finally:
        template_rendered.disconnect(counted, app)
    assert answer.status_code == 200
    return renders, answer.get_data(as_text=True)


def _section(page: str) -> str:
    start = page.index('<section class="card plan-diagram')
    return page[start : page.index("</section>", start)]


def test_the_workflow_section_is_rendered_once_per_state_and_language(
    app_ctx: Flask, users: dict
) -> None:
    diagram._sections.clear()
    draft = factories.plan_in_state(users, "draft")
    other_draft = factories.plan_in_state(users, "draft")
    returned = factories.plan_in_state(users, "returned")

    first, page = _diagram_renders(app_ctx, f"/plans/{draft.id}")
    again, same_state = _diagram_renders(app_ctx, f"/plans/{other_draft.id}")
    other_state, returned_page = _diagram_renders(app_ctx, f"/plans/{returned.id}")
    users["drafter"].language = "en"
    db.session.commit()
    english, english_page = _diagram_renders(app_ctx, f"/plans/{draft.id}")

    assert (first, again, english, other_state) == (1, 0, 1, 1)
    assert _section(same_state) == _section(page)
    assert _section(english_page) != _section(page)  # English labels
    assert 'aria-current="step"' in _section(returned_page)
    assert _section(returned_page) != _section(page)  # another state marked
