"""Pages bounded by what they show (DESIGN): the SQL statements one page costs, and the private
values it decrypts, do not depend on how many handovers and students there are. Rows are
built directly through the models (fixed times, a few staff and students; signing thousands
would take hours), then each page is counted at two sizes of the tables."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, insert, select

from records.departments import Department
from records.handovers import Handover, HandoverEvent, HandoverStudent, HandoverVersion
from records.staff import Role, Staff
from records.students import Student, StudentInput

SHOW = False  # print each page's statements (pytest -s)


@pytest.fixture(autouse=True)
def derive_obligations_on_every_view(monkeypatch):
    """Page views derive time-made obligations at most once a minute: counted at two sizes a
    few seconds apart, one count would include it and the other not. Every view derives here,
    so both counts include its (bounded) statements."""
    from webapp.services import Services

    monkeypatch.setattr(Services, "OBLIGATIONS_EVERY", 0)
MOST = 20  # statements a page may cost, sign-in check included
SMALL, LARGE = 1_000, 10_000
STUDENTS = 12
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
# kind: (sender, receiver department); statuses cycle so that every list has rows
FLOWS = (("F2", "enr", "ACA"), ("F3", "aca", "TEA"), ("F6", "tea", "ACA"),
         ("F8", "aca", "ARC"), ("F9", "tea", "ENR"), ("F7", "tea", "ACA"))
STATUSES = ("submitted", "completed", "draft", "returned", "completed", "withdrawn", "submitted")


def build(app, staff_ids: dict[str, int], student_ids: list[int], start: int, stop: int):
    """Handovers number `start` to `stop - 1`, each with one version, student and event."""
    svc = app.extensions["handover"]
    handovers, versions, links, events = [], [], [], []
    for i in range(start, stop):
        kind, sender, dept = FLOWS[i % len(FLOWS)]
        status = STATUSES[i % len(STATUSES)]
        at = T0 + timedelta(minutes=i)
        submitted = status not in ("draft",)
        hid = i + 1
        handovers.append({
            "id": hid, "number": f"JJ-2026-{hid:06d}", "kind": kind, "method": "M2",
            "status": status, "sender_id": staff_ids[sender], "sender_dept": sender.upper(),
            "receiver_dept": dept, "receiver_id": staff_ids["aca"] if i % 5 == 0 and dept ==
            "ACA" else None, "current_version": 1, "created_at": at,
            "submitted_at": at + timedelta(hours=1) if submitted else None,
            "trigger_at": at, "due_at": at + timedelta(days=3 + i % 7),
            "receive_due_at": at + timedelta(days=2 + i % 5) if submitted else None,
            "completed_at": at + timedelta(days=1) if status == "completed" else None})
        sid = student_ids[i % len(student_ids)]
        versions.append({"handover_id": hid, "version": 1, "status": status,
                         "values_json": json.dumps({"note": f"第 {i} 份"}, ensure_ascii=False),
                         "created_by": staff_ids[sender], "created_at": at})
        links.append({"handover_id": hid, "student_id": sid})
        events.append({"handover_id": hid, "version": 1, "action": "created",
                       "actor_id": staff_ids[sender], "at": at, "note": None})
    with svc.session_factory() as db:
        for model, rows in ((Handover, handovers), (HandoverVersion, versions),
                            (HandoverStudent, links), (HandoverEvent, events)):
            db.execute(insert(model), rows)
        db.commit()


@pytest.fixture
def school(app, add_staff, login_client):
    people = {login: add_staff(login, depts=(dept,), name=f"测试{login}")
              for login, dept in (("enr", "ENR"), ("aca", "ACA"), ("tea", "TEA"),
                                  ("sup", "SUP"), ("arc", "ARC"))}
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        students = svc.students(db)
        ids = [students.add(StudentInput(f"学生{n:02d}", "男", f"2014-01-{n + 1:02d}", "", "", "",
                                         "家长", "13800000000"), actor_id=None, actor="t").id
               for n in range(STUDENTS)]
        staff = dict(db.execute(select(Staff.login, Staff.id)).all())
        # the teacher handles the teaching department's work: she reads every F3 it receives,
        # and so sees their students (policy C1)
        svc.accounts(db).set_role("tea", Department.TEA, Role.DEPUTY)
        api = {}  # the API's clients: a read token of each, no sign-in
        for login in ("aca", "tea"):
            _, secret = svc.api_tokens(db).create(svc.accounts(db).get(login), "t", ["read"], 9)
            api[f"{login}-api"] = app.test_client()
            api[f"{login}-api"].environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
        db.commit()
    return {"people": people, "staff": staff, "students": ids,
            "client": {**{k: login_client(*v) for k, v in people.items()}, **api}}


def cost(app, client, path: str) -> tuple[int, int]:
    """SQL statements the engine runs, and private values it decrypts, while `client` gets
    `path` (which must answer 200)."""
    svc = app.extensions["handover"]
    engine, cipher = svc.engine, svc.field_cipher
    seen, decrypted = [], []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    def decrypt(token, *, context):
        decrypted.append(context)
        return type(cipher).decrypt(cipher, token, context=context)

    event.listen(engine, "before_cursor_execute", count)
    cipher.decrypt = decrypt
    try:
        response = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", count)
        del cipher.decrypt
    assert response.status_code == 200, (path, response.status_code)
    if SHOW:
        print(path, *(" ".join(q.split())[:150] for q in seen), sep="\n  ")
    return len(seen), len(decrypted)


PAGES = (("aca", "/"), ("tea", "/"), ("sup", "/"), ("aca", "/handovers/"),
         ("aca", "/handovers/?page=999999"),
         ("aca", "/handovers/?dept=ACA&sort=number&from=2026-03-01&to=2026-12-31&page=2"),
         ("tea", "/handovers/?kind=F3&status=completed&sort=created"), ("sup", "/handovers/"),
         ("sup", "/handovers/?page=999999"), ("aca", "/handovers/?list=inbox"),
         ("enr", "/handovers/new/F2"), ("sup", "/supervision/"),
         ("aca", "/students/{0}"), ("tea", "/students/{1}"),  # F2s; F3s (TEA receives)
         ("aca-api", "/api/v1/handovers?per_page=100"), ("tea-api", "/api/v1/handovers"),
         ("aca-api", "/api/v1/handovers?status=submitted&sort=number&page=3"),
         ("tea-api", "/api/v1/students"), ("aca-api", "/api/v1/students?per_page=10"),
         ("aca-api", "/api/v1/owed"))


def measure(app, school) -> dict[tuple[str, str], tuple[int, int]]:
    return {(who, path): cost(app, school["client"][who], path.format(*school["students"]))
            for who, path in PAGES}


def more_students(app, count: int) -> None:
    """Students straight into the table (the registry's own way indexes each for search)."""
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        db.execute(insert(Student), [
            {"student_no": f"XS-2025-{n:05d}", "name": f"学生{n}", "gender": "女",
             "identity_bidx": f"bulk-{n}", "created_at": T0} for n in range(count)])
        db.commit()


def test_statements_per_page_do_not_grow_with_the_tables(app, school):
    build(app, school["staff"], school["students"], 0, SMALL)
    small = measure(app, school)
    build(app, school["staff"], school["students"], SMALL, LARGE)
    more_students(app, 2_000)
    large = measure(app, school)
    report = {f"{who} {path}": (small[key], large[key]) for key in small
              for who, path in [key]}
    print(json.dumps(report, ensure_ascii=False))  # (statements, decryptions) per size
    # the last page holds what is left over: its rows, and so the names it shows, differ
    same = {k for k in small if "999999" not in k[1]}
    assert {k: small[k] for k in same} == {k: large[k] for k in same}, report
    assert {k: n for k, (n, _) in small.items()} == {k: n for k, (n, _) in large.items()}
    assert max(statements for statements, _ in large.values()) <= MOST, report


def test_a_list_decrypts_only_the_names_it_shows(app, school):
    """Each row names its students (records.row_students): one name decrypted per student
    named on the page, none for rows the viewer sees as metadata only (policy C1)."""
    build(app, school["staff"], school["students"], 0, 300)
    more_students(app, 500)
    aca, sup = school["client"]["aca"], school["client"]["sup"]
    for path in ("/handovers/?list=inbox", "/handovers/?list=inbox&sort=number&page=2",
                 "/handovers/?kind=F2&status=completed"):
        _, decrypted = cost(app, aca, path)
        html = aca.get(path).get_data(as_text=True)
        named = re.findall(r'class="hrow-students">学生：([^<]+)<', html)
        assert named, path
        assert decrypted == len({n for line in named for n in line.split("、")}), path
    _, decrypted = cost(app, sup, "/handovers/?kind=F2")
    assert decrypted == 0 and "hrow-students" not in sup.get("/handovers/").get_data(
        as_text=True)


def listed(html: str) -> list[str]:
    """The handover numbers of the page's full list, in order."""
    return re.findall(r'data-number="([^"]+)"', html.split('id="visible"', 1)[1])


def test_a_page_past_the_end_shows_the_last_page(app, school):
    build(app, school["staff"], school["students"], 0, 95)
    sup = school["client"]["sup"]
    html = sup.get("/handovers/?page=5000").get_data(as_text=True)
    last = re.search(r'id="visible-page">第 (\d+) / (\d+) 页', html)
    assert last and last.group(1) == last.group(2)
    shown = sup.get(f"/handovers/?page={last.group(2)}").get_data(as_text=True)
    assert listed(html) == listed(shown) and listed(html)
    for garbage in ("x", "-3", "0", "1e9", "9" * 40, ""):
        r = sup.get(f"/handovers/?page={garbage}")
        assert r.status_code in (200, 400), garbage


def test_handover_list_prints_the_true_total_beyond_500(app, school):
    build(app, school["staff"], school["students"], 0, 700)
    svc = app.extensions["handover"]
    with svc.session_factory() as db:  # sup sees every handover but others' drafts
        total = db.scalar(select(func.count(Handover.id)).where(Handover.status != "draft"))
    assert total > 500
    runner = app.test_cli_runner()
    everything = runner.invoke(args=["list", "--as", "sup"])
    assert everything.exit_code == 0, everything.output
    assert len(everything.stdout.splitlines()) == total
    assert f"共 {total} 条。" in everything.stderr
    lines = runner.invoke(args=["list", "--as", "sup", "--json", "--all"]).stdout.splitlines()
    assert len({json.loads(line)["number"] for line in lines}) == total
    pages = -(-total // 50)
    one = runner.invoke(args=["list", "--as", "sup", "--page", "2", "--per-page", "50"])
    assert len(one.stdout.splitlines()) == 50
    assert f"共 {total} 条，第 2/{pages} 页（每页 50 条）。" in one.stderr
    past = runner.invoke(args=["list", "--as", "sup", "--page", "999", "--per-page", "50"])
    assert len(past.stdout.splitlines()) == total - 50 * (pages - 1)
    assert f"第 {pages}/{pages} 页" in past.stderr
    assert runner.invoke(args=["list", "--as", "sup", "--page", "1", "--all"]).exit_code == 2


def searched(app, client, query: str) -> tuple[int, int]:
    """(statements, decryptions) of one search page for `query`."""
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get("/search/").get_data(as_text=True)).group(1)
    results = client.post("/search/", data={"csrf_token": token, "q": query})
    return cost(app, client, results.headers["Location"])


def test_a_search_page_costs_the_same_for_few_hits_and_many(app, school):
    """No statement per hit: a page of 20 hits costs as many statements as a page of 3."""
    build(app, school["staff"], school["students"], 0, 120)
    svc = app.extensions["handover"]

    def index(count):
        with svc.session_factory() as db:
            finder = svc.finder(db)
            for handover in db.scalars(select(Handover).where(
                    Handover.kind == "F2", Handover.status != "draft").order_by(Handover.id)
                    .limit(count)):
                finder.handover_changed(handover)

    def costs():
        return {who: searched(app, school["client"][who], "报名") for who in ("aca", "sup")}

    index(3)
    few = costs()
    index(60)
    many = costs()
    print(json.dumps({"few": few, "many": many}))
    assert {k: n for k, (n, _) in few.items()} == {k: n for k, (n, _) in many.items()}
    assert max(statements for statements, _ in many.values()) <= MOST, many
    # one value decrypted per snippet shown, a page holds 20 (the supervision group: none),
    # and the saved search's own terms (records.saved_searches)
    assert many["aca"][1] <= 20 + 1 and many["sup"][1] == 1, many
