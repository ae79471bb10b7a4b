"""Fuzzing every route of the URL map (issue 12: "0 × 5xx"): signed in as staff of several
roles, and signed out, random and boundary values go to every route parameter, every query
parameter and every form field the pages and views name, on every method the route takes.
Any answer may be a refusal (4xx) or a page; none may be a server error. Bounded: a fixed
number of examples per role, derandomised, so that CI takes well under a minute.

The field names are read from the source (templates' `name="..."`, the views' request.form /
request.args / request.files reads, WTForms fields, the catalogue's handover fields) and from
the forms each role's pages render, so a new form is fuzzed without editing this file; a new
route is fuzzed because the routes come from the URL map."""

from __future__ import annotations

import io
import os
import re
import time
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.conftest import make_app

ROOT = Path(__file__).resolve().parents[2]
ROLES = ("enr", "tea", "admin", None)  # registry, teacher, administrator; None: signed out
# A deeper run by hand: FUZZ_EXAMPLES=50 pytest tests/webapp/test_fuzz_routes.py
EXAMPLES_PER_ROUTE = int(os.environ.get("FUZZ_EXAMPLES", "3"))
FILE_NAMES = ["a.pdf", "名单.xlsx", "名单.csv", "x", "", "..", "a\x00.pdf"]
SKIPPED = {"auth.logout"}  # it would sign the fuzzing client out for the rest of the run


def _names(pattern: str, globs: tuple[str, ...]) -> set[str]:
    found: set[str] = set()
    for glob in globs:
        for path in ROOT.glob(glob):
            found.update(re.findall(pattern, path.read_text(encoding="utf-8"), re.M))
    return found


def _catalogue_fields() -> set[str]:
    """The handover forms' fields, named from the catalogue as the form macros name them."""
    from records.catalogue import KINDS, METHOD_DOCUMENTS

    names: set[str] = set()
    for prefix, documents in (("f", KINDS.values()), ("m", METHOD_DOCUMENTS.values())):
        for document in documents:
            for spec in document.fields:
                names.add(f"{prefix}.{spec.name}")
                names.update(f"{prefix}.{spec.name}.0.{c.name}" for c in spec.columns or ())
    return names


def _attachment_slots() -> set[str]:
    from records.catalogue import KINDS

    return {f"att.{a.code}" for kind in KINDS.values() for a in kind.attachments}


FORM_FIELDS = sorted(
    _names(r'name="([A-Za-z_][\w-]*)"', ("templates/web/**/*.html",))
    | _names(r'request\.(?:form|values)\.(?:get|getlist)\(\s*"(\w+)"', ("webapp/**/*.py",))
    | _names(r"^\s+(\w+) = \w*Field\(", ("webapp/**/*.py",)) | _catalogue_fields())
FILE_FIELDS = sorted(
    _names(r'type="file"[^>]*name="(\w+)"', ("templates/web/**/*.html",))
    | _names(r'name="(\w+)"[^>]*type="file"', ("templates/web/**/*.html",))
    | _names(r'request\.files\.(?:get|getlist)\(\s*"(\w+)"', ("webapp/**/*.py",))
    | _attachment_slots())
QUERY_FIELDS = sorted(
    _names(r'request\.args\.(?:get|getlist)\(\s*"(\w+)"', ("webapp/**/*.py",))
    | _names(r'page_number\(\s*"(\w+)"', ("webapp/**/*.py",)) | {"page", "next"})

BOUNDARY = [
    "", " ", "0", "-1", "1", "2", str(2**31 - 1), str(2**31), str(2**63), "9" * 60,
    "-" + "9" * 60, "1e309", "NaN", "0x10", "1.5", "\x00", "\x07", "a\x1bb", "\u202e", "\ufeff",
    "a\r\nb", "../../etc/passwd", "<script>alert(1)</script>", "' OR 1=1 --", "%", "%00",
    "=cmd|' /C calc'!A0", "x" * 5000, "长" * 3000, "2026-02-30", "9999-12-31", "0000-00-00",
    "1900-01-01", "13800000000", "138abcd1234", "on", "true", "F2", "ENR", "JJ-2026-000001",
    "XS-2026-00001", "DA-2026-000001", "JY-2026-000001", "ZG-2026-000001", "//evil.example",
]
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
VALUES = st.one_of(st.sampled_from(BOUNDARY), TEXT, st.integers().map(str),
                   st.binary(max_size=24))  # bytes: sent raw, often not UTF-8


def _routes(app) -> list[tuple[str, str, tuple[str, ...]]]:
    """(rule, method, parameter names) for every route and method."""
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIPPED:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((rule.rule, method, tuple(rule.arguments)))
    return sorted(out)


def _rendered_forms(app, client, routes, number: str) -> dict[tuple[str, str], set[str]]:
    """(endpoint, method) -> the fields of the forms that post to it, as the role's pages
    render them (loops over field lists, the handover forms and their tables included)."""
    adapter = app.url_map.bind("localhost")
    forms: dict[tuple[str, str], set[str]] = {}
    for rule, method, params in routes:
        if method != "GET":
            continue
        path = rule
        for name in params:
            path = re.sub(rf"<(?:[^:<>]+:)?{name}>", "1" if "int:" in rule else number, path)
        response = client.get(path)
        if response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        for form in re.finditer(r"<form\b([^>]*)>(.*?)</form>", html, re.S):
            action = re.search(r'action="([^"]*)"', form[1])
            post = "post" in form[1].lower()
            try:
                endpoint, _ = adapter.match((action[1] if action else path).split("?")[0],
                                            method="POST" if post else "GET")
            except Exception:  # noqa: BLE001, S112 (a link elsewhere: not a route to fuzz)
                continue
            names = re.findall(r'<(?:input|select|textarea)[^>]*?\sname="([^"{}]+)"', form[2])
            forms.setdefault((endpoint, "POST" if post else "GET"), set()).update(names)
    return forms


def _encoded(value) -> str:
    return quote(value if isinstance(value, bytes) else value.encode("utf-8"), safe="")


@pytest.fixture
def fuzz_app(tmp_path, populated_template):
    app = make_app(tmp_path / "instance", populated_template.folder, WTF_CSRF_ENABLED=False)
    yield app
    app.extensions["handover"].close()


def _client(app, populated_template, role):
    from tests.conftest import _add_staff

    client = app.test_client()
    if role is None:
        return client
    passwords = dict(populated_template.passwords)
    if role == "admin":
        _add_staff(app, passwords, "admin", depts=(), admin=True, name="管理员")
    r = client.post("/login", data={"login": role, "password": passwords[role]})
    assert r.status_code == 302, role
    return client


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_no_route_answers_random_input_with_a_server_error(fuzz_app, populated_template, role):
    app, known = fuzz_app, populated_template.numbers
    client = _client(app, populated_template, role)
    routes = _routes(app)
    forms = _rendered_forms(app, client, routes, known["done"])
    vocabulary = sorted(set(FORM_FIELDS).union(*forms.values()))
    params = st.one_of(st.sampled_from([*known.values(), "1", "2"]), VALUES)
    endpoints = {r.rule: r.endpoint for r in app.url_map.iter_rules()}
    requests: list[str] = []

    def form_for(rule: str, data) -> dict:
        own = sorted(forms.get((endpoints[rule], "POST"), ()))
        form = {name: data.draw(VALUES, label=name) for name in own
                if data.draw(st.integers(0, 4), label=f"has {name}")}  # each 4 in 5
        extra = st.dictionaries(st.sampled_from(vocabulary), VALUES, max_size=4)
        return {**data.draw(extra, label="other fields"), **form}

    def body_for(form: dict, data) -> dict:
        if not data.draw(st.booleans(), label="multipart"):
            return {"data": urlencode([(k, v if isinstance(v, bytes) else v.encode("utf-8"))
                                       for k, v in form.items()]),
                    "content_type": "application/x-www-form-urlencoded"}
        names = data.draw(st.sets(st.sampled_from(FILE_FIELDS), max_size=2), label="files")
        files = {name: FileStorage(io.BytesIO(data.draw(st.binary(max_size=200))),
                                   filename=data.draw(st.sampled_from(FILE_NAMES)))
                 for name in names}
        texts = {k: v if isinstance(v, str) else v.decode("latin-1") for k, v in form.items()}
        boundary, body = encode_multipart({**texts, **files})
        return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}

    @settings(max_examples=EXAMPLES_PER_ROUTE, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def fuzz(route, data):
        rule, method, names = route
        path = rule
        for name in names:
            path = re.sub(rf"<(?:[^:<>]+:)?{name}>", _encoded(data.draw(params, label=name)),
                          path)
        query = data.draw(st.dictionaries(st.sampled_from(QUERY_FIELDS), VALUES, max_size=3),
                          label="query")
        url = path + ("?" + "&".join(f"{k}={_encoded(v)}" for k, v in query.items())
                      if query else "")
        kwargs = body_for(form_for(rule, data), data) if method == "POST" else {}
        started = time.perf_counter()
        response = client.open(url, method=method, **kwargs)
        requests.append((time.perf_counter() - started, method, rule))
        assert response.status_code < 500, (method, url[:200], response.status_code)

    for route in routes:
        fuzz(route)
    if os.environ.get("FUZZ_TIMES"):  # where the time goes, for tuning the bound
        slowest = sorted(requests, reverse=True)[:15]
        print("\n".join(f"{t:6.3f}s {m} {r}" for t, m, r in slowest))
    assert len(requests) >= len(routes)  # every route, several times each
