"""Security by default: CSRF on every form, headers, no caching of private pages."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from grantpanel.extensions import db
from tests.builders import make_user


def _post_routes(app: Flask) -> list[str]:
    out = []
    for rule in app.url_map.iter_rules():
        if "POST" in (rule.methods or set()) and not rule.endpoint.startswith("api."):
            values = {arg: 1 for arg in rule.arguments}
            for arg, conv in rule._converters.items():
                if hasattr(conv, "items") and conv.items:  # the `any(...)` converter
                    values[arg] = next(iter(conv.items))
            out.append(str(rule.build(values, append_unknown=False)[1]))
    return out


def test_every_form_post_without_csrf_token_is_refused(app: Flask, client: FlaskClient) -> None:
    staff = make_user(role="staff", email="staff@example.org")
    db.session.commit()
    with client.session_transaction() as sess:
        sess["_user_id"] = staff.get_id()
    routes = _post_routes(app)
    assert "/sign-in" in routes and "/sign-out" in routes
    for url in routes:
        resp = client.post(url, data={"anything": "1"})
        assert resp.status_code == 400, url
        assert "nothing was saved" in resp.get_data(as_text=True), url


def test_api_changes_nothing_and_takes_no_posts(app: Flask) -> None:
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            assert (rule.methods or set()) <= {"GET", "HEAD", "OPTIONS"}, rule.rule


def test_html_pages_are_not_cached_and_have_csp(client: FlaskClient) -> None:
    resp = client.get("/sign-in")
    assert resp.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
