"""Reloading the address of an action shows the page it acted on, not "405".

A refused action (a transition, a comment, an upload) answers with its page at the action's
own address, which takes only POST; reloading that page, or opening a copied link, then asks
for it with GET. Such a GET is sent on to the page of the case the action belongs to (with
the route arguments that page takes), where the user sees the current state and may act again.
Nothing is done on a GET. The actions and their pages are declared where the app is wired
(web.py), and checked against the URL map at start-up.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask, current_app, redirect, request, url_for
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.wrappers import Response

_EXTENSION = "reload_targets"


def init_reloads(app: Flask, targets: Mapping[str, str]) -> None:
    """`targets` maps the endpoint of a POST-only action to the endpoint of its page."""
    arguments: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        arguments.setdefault(rule.endpoint, set()).update(rule.arguments)
    unknown = sorted({*targets, *targets.values()} - set(arguments))
    if unknown:
        raise ValueError(f"reload targets name unknown endpoints: {', '.join(unknown)}")
    # Each action's page, with the route arguments the page takes.
    app.extensions[_EXTENSION] = {
        action: (page, frozenset(arguments[page])) for action, page in targets.items()
    }
    app.before_request(_reload_shows_the_page)


def _reload_shows_the_page() -> Response | None:
    # Routing has already failed with 405 (raised later, at dispatch); before_request runs first.
    if not isinstance(request.routing_exception, MethodNotAllowed):
        return None
    if request.method not in ("GET", "HEAD"):
        return None
    adapter = current_app.create_url_adapter(request)
    if adapter is None:
        return None
    try:
        endpoint, args = adapter.match(method="POST")
    except HTTPException:
        return None
    target = current_app.extensions[_EXTENSION].get(endpoint)
    if target is None:
        return None
    page, page_arguments = target
    return redirect(url_for(page, **{k: v for k, v in args.items() if k in page_arguments}))
