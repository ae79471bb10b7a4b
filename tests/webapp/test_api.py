"""The HTTP API under /api/v1 (issue 16): personal access tokens (made and revoked on the
account page, stored hashed, expiring, scoped), problem details, paging, the owner's
visibility and nothing more, students and drafts created through the real use cases, every
call in the ledger under the token's owner, and the generated OpenAPI document."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from openapi_spec_validator import validate
from sqlalchemy import select

from records import listing
from records.api_tokens import ApiToken, ApiTokens
from records.clock import utcnow
from records.handovers import Handover
from records.web_sessions import token_digest
from tests.webapp.staff_env import F2_VALUES, make_school
from webapp.route_access import ROUTES


@pytest.fixture
def school(app, add_staff, passwords):
    return make_school(app, add_staff, passwords)


def _token(app, login, *scopes, days=30, clock=None) -> str:
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        tokens = ApiTokens(db, audit=svc.ledger, **({"clock": clock} if clock else {}))
        _, secret = tokens.create(svc.accounts(db).get(login), "测试", scopes or ("read",), days)
        db.commit()
    return secret


def _auth(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def _problem(r, status: int) -> dict:
    assert r.status_code == status, r.get_data(as_text=True)
    assert r.mimetype == "application/problem+json"
    body = r.get_json(force=True)
    assert body["status"] == status and body["type"].startswith("urn:handover:problem:")
    assert re.search(r"[\u4e00-\u9fff]", body["title"]) and body["detail"]
    return body


def _account_page(login_client, passwords, login):
    """A browser signed in as `login` on their tokens page, and its CSRF token."""
    browser = login_client(login, passwords[login])
    page = browser.get("/account/tokens/").get_data(as_text=True)
    return browser, re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_a_token_is_made_on_the_account_page_shown_once_stored_hashed_and_revoked(
        app, school, login_client, passwords):
    browser, csrf = _account_page(login_client, passwords, "wang")
    r = browser.post("/account/tokens/", data={"csrf_token": csrf, "name": "收费系统",
                                               "scopes": ["read"], "days": "30"})
    assert r.status_code == 200
    secret = re.search(r'<code id="token-secret">([^<]+)</code>', r.get_data(as_text=True))[1]
    assert secret not in browser.get("/account/tokens/").get_data(as_text=True)  # once
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        row = db.scalar(select(ApiToken))
        assert row.token_hash == token_digest(secret) and secret not in row.token_hash
        token_id = row.id
    api = app.test_client()
    assert api.get("/api/v1/students", headers=_auth(secret)).status_code == 200
    r = browser.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf})
    assert r.status_code == 302
    body = _problem(api.get("/api/v1/students", headers=_auth(secret)), 401)
    assert body["type"].endswith("token-revoked")
    # someone else cannot revoke it, nor see that it exists
    other = login_client("enr", passwords["enr"])
    assert other.post(f"/account/tokens/{token_id}/revoke",
                      data={"csrf_token": csrf}).status_code in (400, 404)


def test_a_token_needs_a_name_a_scope_and_an_expiry_within_a_year(app, school, passwords,
                                                                 login_client):
    browser, csrf = _account_page(login_client, passwords, "wang")
    r = browser.post("/account/tokens/", data={"csrf_token": csrf, "name": "",
                                               "scopes": ["root"], "days": "366"})
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert 'id="err-name"' in html and 'id="err-scopes"' in html and 'id="err-days"' in html
    with app.extensions["handover"].session_factory() as db:
        assert db.scalar(select(ApiToken)) is None


def test_missing_unknown_and_expired_tokens_are_401_and_a_wrong_scope_403(app, school):
    api = app.test_client()
    body = _problem(api.get("/api/v1/handovers"), 401)
    assert "Bearer" in api.get("/api/v1/handovers").headers["WWW-Authenticate"]
    assert body["type"].endswith("unauthorized")
    _problem(api.get("/api/v1/handovers", headers=_auth("hat_nothing")), 401)
    old = _token(app, "wang", "read", days=1, clock=lambda: utcnow() - timedelta(days=2))
    assert _problem(api.get("/api/v1/handovers", headers=_auth(old)), 401)[
        "type"].endswith("token-expired")
    read = _token(app, "wang", "read")
    r = api.post("/api/v1/students", headers=_auth(read), json={"name": "张三"})
    assert _problem(r, 403)["type"].endswith("insufficient-scope")
    write = _token(app, "wang", "students:write")
    _problem(api.get("/api/v1/students", headers=_auth(write)), 403)  # write is not read


def test_errors_are_problem_details_with_fields(app, school):
    api, secret = app.test_client(), _token(app, "wang", "read", "students:write")
    body = _problem(api.post("/api/v1/students", headers=_auth(secret), data="{name: 1",
                             content_type="application/json"), 400)
    assert body["type"].endswith("malformed-json")
    _problem(api.post("/api/v1/students", headers=_auth(secret), json=["x"]), 400)
    body = _problem(api.post("/api/v1/students", headers=_auth(secret),
                             json={"name": "张三", "guardian_phone": "123", "colour": "red"}), 400)
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"colour"}
    body = _problem(api.post("/api/v1/students", headers=_auth(secret),
                             json={"name": "张三", "guardian_phone": "123"}), 400)
    assert {e["field"] for e in body["errors"]} == {"guardian_phone"}
    assert "123" not in r_text(body)  # policy C2: no private value echoed
    _problem(api.get("/api/v1/nothing-here", headers=_auth(secret)), 404)
    _problem(api.delete("/api/v1/students", headers=_auth(secret)), 405)
    _problem(api.get("/api/v1/handovers?status=lost", headers=_auth(secret)), 400)
    _problem(api.get("/api/v1/handovers/JJ-2026-999999", headers=_auth(secret)), 404)


def r_text(body: dict) -> str:
    return repr(body)


def test_students_are_made_by_the_registry_and_the_list_pages(app, school):
    api, secret = app.test_client(), _token(app, "wang", "read", "students:write")
    made = []
    for i, name in enumerate(("张一", "张二", "张三")):
        r = api.post("/api/v1/students", headers=_auth(secret),
                     json={"name": name, "birth_date": f"2015-01-0{i + 1}",
                           "guardian_phone": "13800138000"})
        assert r.status_code == 201, r.get_data(as_text=True)
        assert "Set-Cookie" not in r.headers  # never the session cookie
        made.append(r.get_json()["student_no"])
    dup = api.post("/api/v1/students", headers=_auth(secret),
                   json={"name": "张一", "birth_date": "2015-01-01",
                         "guardian_phone": "13800138000"})
    _problem(dup, 409)
    first = api.get("/api/v1/students?per_page=2", headers=_auth(secret)).get_json()
    assert first["total"] == 4 and len(first["items"]) == 2 and first["next"]
    second = api.get(first["next"], headers=_auth(secret)).get_json()
    assert len(second["items"]) == 2 and second["next"] is None
    numbers = [s["student_no"] for s in first["items"] + second["items"]]
    assert set(made) < set(numbers) and len(set(numbers)) == 4
    _problem(api.get("/api/v1/students?per_page=101", headers=_auth(secret)), 400)
    _problem(api.get("/api/v1/students?page=0", headers=_auth(secret)), 400)
    tea = _token(app, "tea", "read", "students:write")  # not a registry department
    _problem(api.post("/api/v1/students", headers=_auth(tea),
                      json={"name": "李四", "guardian_phone": "13800138000"}), 403)


def test_a_token_sees_what_its_owner_sees_and_no_more(app, school):
    api, svc = app.test_client(), app.extensions["handover"]
    for login in ("wang", "enr", "enr2", "aca3", "acahead", "tea", "admin"):
        secret = _token(app, login, "read")
        got = api.get("/api/v1/handovers?per_page=100", headers=_auth(secret)).get_json()
        with svc.session_factory() as db:
            me = svc.relate(db, svc.accounts(db).get(login))
            pages = listing.visible(db, me, utcnow(), calendar=svc.calendar).page(1, 100)
            expected = {r.handover.number: r.access for r in pages.rows}
        assert {h["number"] for h in got["items"]} == set(expected), login
        assert got["total"] == len(expected), login
        for h in got["items"]:
            assert ("students" in h) <= (h["access"] == "content"), login
        students = api.get("/api/v1/students", headers=_auth(secret)).get_json()
        if login == "tea":
            assert students["total"] == 0 and got["total"] == 0
            _problem(api.get(f"/api/v1/handovers/{school.draft}", headers=_auth(secret)), 404)
    wang = _token(app, "wang", "read")
    draft = api.get(f"/api/v1/handovers/{school.draft}", headers=_auth(wang)).get_json()
    assert draft["status"] == "draft" and draft["students"] == ["李浩然"]
    aca3 = _token(app, "aca3", "read")  # a draft is the sender's only
    _problem(api.get(f"/api/v1/handovers/{school.draft}", headers=_auth(aca3)), 404)
    listed = api.get("/api/v1/handovers?status=submitted", headers=_auth(wang)).get_json()
    assert [h["number"] for h in listed["items"]] == [school.addressed]


def test_a_draft_is_created_and_the_call_is_in_the_ledger_under_the_owner(app, school):
    api, svc = app.test_client(), app.extensions["handover"]
    secret = _token(app, "wang", "read", "handovers:write")
    with svc.session_factory() as db:
        sid = db.scalar(select(Handover).where(Handover.number == school.draft)).students[0] \
            .student_id
    r = api.post("/api/v1/handovers", headers=_auth(secret),
                 json={"kind": "F2", "values": {"student": sid, **F2_VALUES}})
    assert r.status_code == 201, r.get_data(as_text=True)
    made = r.get_json()
    assert made["status"] == "draft" and made["kind"] == "F2"
    assert r.headers["Location"].endswith(made["number"])
    _problem(api.post("/api/v1/handovers", headers=_auth(secret), json={"kind": "ZZ"}), 400)
    tea = _token(app, "tea", "handovers:write")  # F2 is sent by 招生部
    _problem(api.post("/api/v1/handovers", headers=_auth(tea),
                      json={"kind": "F2", "values": {}}), 403)
    with svc.session_factory() as db:
        token_id = db.scalar(select(ApiToken.id).where(ApiToken.token_hash
                                                        == token_digest(secret)))
    calls = [e for e in svc.ledger.entries(action="api.call") if e.actor == "wang"]
    assert calls and all(e.origin["channel"] == "api" for e in calls)
    assert any(e.origin["token"] == str(token_id) and e.context["endpoint"]
               == "api.handovers_create" for e in calls)
    created = list(svc.ledger.entries(action="handover.create", actor="wang"))
    assert created[-1].origin == {"channel": "api", "address": "127.0.0.1",
                                  "token": str(token_id)}


def test_owed_lists_the_owners_obligations_as_the_command_does(app, school, runner):
    svc = app.extensions["handover"]
    with svc.session_factory() as db:  # wang countersigns the F2: 教务部 now owes what follows
        wf, wang = svc.workflow(db), svc.relate(db, svc.accounts(db).get("wang"))
        wf.countersign(wang, wf.get(wang, school.addressed), school.passwords["wang"])
        db.commit()
    api = app.test_client()
    for login in ("wang", "tea"):
        got = api.get("/api/v1/owed?per_page=100", headers=_auth(_token(app, login, "read")))
        cli = runner.invoke(args=["owed", "--as", login, "--json"])
        expected = [json.loads(line) for line in cli.output.splitlines() if line.strip()]
        assert got.get_json()["items"] == expected and got.get_json()["total"] == len(expected)
        assert bool(expected) == (login == "wang"), login


def test_the_openapi_document_is_valid_and_covers_every_api_route(app):
    r = app.test_client().get("/api/v1/openapi.json")
    assert r.status_code == 200
    doc = r.get_json()
    validate(doc)
    assert doc["openapi"].startswith("3.1")
    listed = {op["operationId"] for path in doc["paths"].values() for op in path.values()}
    routes = {e.removeprefix("api.") for e in ROUTES if e.startswith("api.")}
    assert listed == routes
    assert doc["paths"]["/api/v1/handovers/{number}"]["get"]["security"] == [
        {"token": ["read"]}]


def test_a_student_is_corrected_through_the_registrys_checks(app, school):
    api, svc = app.test_client(), app.extensions["handover"]
    secret = _token(app, "wang", "read", "students:write")
    made = api.post("/api/v1/students", headers=_auth(secret),
                    json={"name": "王五", "guardian_phone": "13800138000"}).get_json()
    url = f"/api/v1/students/{made['id']}"
    r = api.patch(url, headers=_auth(secret), json={"address": "上海市长宁区"})
    assert r.status_code == 200 and r.get_json()["student_no"] == made["student_no"]
    body = _problem(api.patch(url, headers=_auth(secret), json={"guardian_phone": ""}), 400)
    assert {e["field"] for e in body["errors"]} == {"guardian_phone"}  # no phone left at all
    _problem(api.patch(url, headers=_auth(secret), json={"name": "李浩然",
                                                        "birth_date": "2014-07-28"}), 409)
    _problem(api.patch("/api/v1/students/999999", headers=_auth(secret), json={}), 404)
    tea = _token(app, "tea", "students:write")
    _problem(api.patch(url, headers=_auth(tea), json={"address": "北京"}), 403)
    with svc.session_factory() as db:
        student = svc.students(db).get(made["id"], actor="t", reason="测试")
        assert student.address == "上海市长宁区" and student.guardian_phone == "13800138000"
    entry = list(svc.ledger.entries(action="student.update"))[-1]
    assert entry.actor == "wang" and entry.context == {"fields": ["address"]}


def test_verify_answers_what_the_public_page_shows(app, school):
    api, secret = app.test_client(), _token(app, "tea", "read")  # no relation needed
    got = api.get(f"/api/v1/verify/{school.addressed}", headers=_auth(secret)).get_json()
    assert got["number"] == school.addressed and got["matches"] is None
    assert "students" not in got and "李浩然" not in repr(got)  # policy C1
    wrong = api.get(f"/api/v1/verify/{school.addressed}?sha256={'0' * 64}",
                    headers=_auth(secret)).get_json()
    assert wrong["matches"] is False
    _problem(api.get(f"/api/v1/verify/{school.addressed}?sha256=xyz", headers=_auth(secret)),
             400)
    _problem(api.get("/api/v1/verify/JJ-2026-999999", headers=_auth(secret)), 404)


def test_schemathesis_finds_no_server_error_and_no_schema_violation(app, school):
    """Bounded property-based run of every operation of the generated document against the
    app (WSGI): no 5xx, every answer as documented (status, content type, body schema)."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    secret = _token(app, "wang", "read", "students:write", "handovers:write")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    ran = []
    for found in schema.get_all_operations():
        op = found.ok()

        @given(case=op.as_strategy())
        @settings(max_examples=15, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def call(case):
            # business rules (a duplicate, a registry-only action) refuse schema-valid data
            case.call_and_validate(headers=_auth(secret),
                                   excluded_checks=[positive_data_acceptance])

        call()
        ran.append(op.definition.raw["operationId"])
    # all but the document itself, which schemathesis leaves out
    assert sorted(ran) == sorted(e.removeprefix("api.") for e in ROUTES
                                 if e.startswith("api.") and e != "api.openapi")


def test_a_disabled_accounts_tokens_stop_working(app, school):
    api, svc = app.test_client(), app.extensions["handover"]
    secret = _token(app, "enr2", "read")
    assert api.get("/api/v1/owed", headers=_auth(secret)).status_code == 200
    with svc.session_factory() as db:
        svc.accounts(db).disable("enr2")
        db.commit()
    body = _problem(api.get("/api/v1/owed", headers=_auth(secret)), 401)
    assert body["type"].endswith("token-disabled")
