"""A user's browser, as far as the system test needs one: a cookie jar, the login form and the
action forms of a plan page (or of an action's confirmation page), read from the HTML the
server sends (CSRF token, trigger, version)."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import requests

from tests.factories import PASSWORD


class FormReader(HTMLParser):
    """The action and the named fields of the form with id `form_id` (None: the first form)."""

    def __init__(self, form_id: str | None) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        wanted = (self.form_id is None and self.action is None) or found.get("id") == self.form_id
        if tag == "form" and wanted:
            self.inside = True
            self.action = found.get("action") or ""
        elif self.inside and tag in ("input", "textarea") and found.get("name"):
            self.fields[str(found["name"])] = found.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


def read_form(html: str, form_id: str | None) -> tuple[str, dict[str, str]]:
    reader = FormReader(form_id)
    reader.feed(html)
    assert reader.action is not None, f"no form #{form_id} on the page"
    return reader.action, reader.fields


class Browser:
    def __init__(self, base_url: str, username: str) -> None:
        self.base_url = base_url
        self.username = username
        self.session = requests.Session()

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.base_url + path, timeout=30)

    def log_in(self) -> None:
        page = self.get("/login")
        assert page.status_code == 200, page.status_code
        _, fields = read_form(page.text, None)
        fields.update(username=self.username, password=PASSWORD)
        answer = self.session.post(
            self.base_url + "/login", data=fields, allow_redirects=False, timeout=30
        )
        assert answer.status_code == 302, f"login of {self.username}: {answer.status_code}"

    def act(
        self, plan_id: int, trigger: str, *, comment: str = "", request_id: str | None = None
    ) -> requests.Response:
        """Press an action button on the plan page (as the form there posts it); an action that
        cannot be undone links to its confirmation page, whose form is posted instead."""
        page = self.get(f"/plans/{plan_id}")
        assert page.status_code == 200, page.status_code
        link = re.search(rf'href="([^"]+)" id="confirm-link-{trigger}"', page.text)
        if link:
            page = self.get(html.unescape(link.group(1)))
            assert page.status_code == 200, page.status_code
        action, fields = read_form(page.text, "confirm-form" if link else f"action-{trigger}")
        fields["comment"] = comment
        headers = {"X-Request-ID": request_id} if request_id else {}
        return self.session.post(
            self.base_url + action, data=fields, headers=headers, allow_redirects=False, timeout=30
        )
