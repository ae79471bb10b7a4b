"""The access matrix (issue 12, policy C1-C3): every route of the URL map has an entry in
webapp.route_access.ROUTES, and every route that shows or changes an object is requested as
every role (each department's member, a teacher of another class, a department head and a
deputy, a member without a handling role, the administrator, a disabled account) on every kind
of object, with the outcome the policy functions' tables expect; a student's record is checked
category by category (policy C2). The handover list and the search answer from the rule's SQL
and index forms, the pages from its Python form: flipping one entry of records.visibility.ACCESS
makes them disagree, and docs/auditing.md no longer matches the table."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from records.class_registry import Classes
from records.handovers import Handover
from records.staff import Staff
from records.visibility import Access, access_to, may_countersign, shown_categories, visible_among
from records.work_categories import work_categories
from tests.conftest import make_app
from tests.webapp.access_world import (
    ADDRESS,
    GUARDIAN_PHONES,
    HEALTH,
    ID_NUMBER,
    NAMES,
    PEOPLE,
    build,
)
from tests.webapp.access_world import sign_in as _sign_in
from vault import PrivateCategory
from webapp.access_docs import render
from webapp.route_access import ROUTES, Rule

ROOT = Path(__file__).resolve().parents[2]
DENIED = (403, 404)


@pytest.fixture(scope="module")
def world(tmp_path_factory, instance_template):
    made = build(tmp_path_factory.mktemp("access") / "instance", make_app, instance_template)
    yield made
    made.app.extensions["handover"].close()


@pytest.fixture(scope="module")
def clients(world):
    out = {login: _sign_in(world.app, login, world.passwords[login]) for login in PEOPLE}
    svc = world.app.extensions["handover"]
    with svc.session_factory() as db:
        svc.accounts(db).disable("gone")
        db.commit()
    return out


def _staff(world, db, login: str) -> Staff:
    """`login` as the pages see them: with their classes and approvals attached."""
    svc = world.app.extensions["handover"]
    return svc.relate(db, db.scalars(select(Staff).where(Staff.login == login)).one())


def test_every_route_has_an_entry(world):
    endpoints = {rule.endpoint for rule in world.app.url_map.iter_rules()}
    assert endpoints - set(ROUTES) == set(), "routes without an access entry"
    assert set(ROUTES) - endpoints == set(), "entries for routes that no longer exist"


def test_docs_show_the_access_tables():
    assert render() in (ROOT / "docs" / "auditing.md").read_text(encoding="utf-8"), \
        "run: python -m webapp.access_docs --write docs/auditing.md"


def _handover_rule(rule: Rule, staff: Staff, h: Handover) -> bool:
    return {Rule.HANDOVER_METADATA: lambda: access_to(staff, h) >= Access.METADATA,
            Rule.HANDOVER_CONTENT: lambda: access_to(staff, h) == Access.CONTENT,
            Rule.HANDOVER_COUNTERSIGN: lambda: may_countersign(staff, h) is None,
            Rule.HANDOVER_SENDER: lambda: staff.active and h.sender_id == staff.id}[rule]()


def _url(endpoint: str, h: Handover) -> str:
    tail = {"handovers.view": "", "handovers.pdf": "/pdf", "handovers.checklist": "/checklist",
            "handovers.preview": "/preview",
            "handovers.countersign": "/countersign", "handovers.return": "/return",
            "handovers.edit": "/edit", "handovers.submit": "/submit",
            "handovers.withdraw": "/withdraw", "handovers.correct": "/correct"}
    if endpoint == "verify.arrival":
        return f"/verify/{h.number}"
    if endpoint == "handovers.attachment":
        return f"/handovers/{h.number}/attachments/{h.current.attachments[0].id}"
    return f"/handovers/{h.number}{tail[endpoint]}"


def test_handover_routes_follow_the_rule(world, clients):
    svc = world.app.extensions["handover"]
    routes = [(e, r) for e, r in ROUTES.items() if r.obj == "handover"
              and r.rule not in (Rule.SIGNED_IN,) and e != "verify.arrival"]
    with svc.session_factory() as db:
        handovers = list(db.scalars(select(Handover).order_by(Handover.id)))
        for login, client in clients.items():
            staff = _staff(world, db, login)
            for h in handovers:
                for endpoint, entry in routes:
                    if endpoint == "handovers.attachment" and not h.current.attachments:
                        continue
                    url = _url(endpoint, h)
                    allowed = _handover_rule(entry.rule, staff, h) and (
                        endpoint != "handovers.checklist" or h.method == "M1")  # paper only
                    get = endpoint in ("handovers.view", "handovers.pdf", "handovers.preview",
                                       "handovers.checklist", "handovers.attachment")
                    if not get and allowed:
                        continue  # a permitted change is the workflow tests' business
                    r = (client.get(url) if get
                         else client.post(url, data={"csrf_token": client.csrf}))
                    where = f"{login} {endpoint} {h.number}"
                    if login == "gone":
                        assert r.status_code == 302, where  # signed out at the next request
                    elif allowed:
                        assert r.status_code not in DENIED and r.status_code < 500, where
                    else:
                        assert r.status_code in (*DENIED, 409), where
                        if access_to(staff, h) == Access.NONE:
                            assert r.status_code == 404, where  # no hint that it exists


def test_the_list_and_the_search_agree_with_the_pages(world, clients):
    """The lists page and count in SQL, the search filters in the index: each form of the rule
    finds exactly the handovers its Python form (the pages') lets the person see, content only
    where it says so, and the inbox exactly what they may countersign."""
    from records.clock import utcnow
    from records.finding import handover_document, visibility_for
    from records.visibility import countersignable, visible_handovers

    svc = world.app.extensions["handover"]
    with svc.session_factory() as db:
        handovers = list(db.scalars(select(Handover).order_by(Handover.id)))
        docs = {h.id: handover_document(h, utcnow()) for h in handovers}
        for login, client in clients.items():
            staff = _staff(world, db, login)
            level = {h.id: access_to(staff, h) for h in handovers}
            listed = set(db.scalars(select(Handover.id).where(visible_handovers(db, staff))))
            assert listed == {i for i, a in level.items() if a > Access.NONE}, login
            inbox = set(db.scalars(select(Handover.id).where(countersignable(staff))))
            assert inbox == {h.id for h in handovers if may_countersign(staff, h) is None}, login
            vis = visibility_for(db, staff)
            for h in handovers:
                found = svc.search_index.search(h.number, visibility=vis, facets=False)
                assert (docs[h.id].doc_id in {x.doc_id for x in found.hits}) == (
                    level[h.id] > Access.NONE), f"{login} search {h.number}"
                stored = {"doc_id": docs[h.id].doc_id, **docs[h.id].meta}
                assert vis.allows_content(stored) == (level[h.id] == Access.CONTENT), \
                    f"{login} search content {h.number}"
            if login != "gone":
                page = client.get("/handovers/").get_data(as_text=True)
                assert all((h.number in page) == (level[h.id] > Access.NONE)
                           for h in handovers), login


def test_student_records_show_the_categories_of_the_work(world, clients):
    svc = world.app.extensions["handover"]
    value = {PrivateCategory.ADDRESS: ADDRESS, PrivateCategory.HEALTH: HEALTH,
             PrivateCategory.IDENTITY: ID_NUMBER[:-1]}
    with svc.session_factory() as db:
        for login, client in clients.items():
            staff = _staff(world, db, login)
            own = visible_among(db, staff, world.students)
            for n, sid in enumerate(world.students):
                r = client.get(f"/students/{sid}")
                where = f"{login} student {n}"
                if login == "gone":
                    assert r.status_code == 302, where
                    continue
                shown = shown_categories(staff, sid, own=sid in own)
                if not shown:
                    assert r.status_code == 404, where
                    continue
                html = r.get_data(as_text=True)
                assert r.status_code == 200, where
                for category, text in value.items():
                    assert (text in html) == (category in shown), f"{where} {category}"
                assert (GUARDIAN_PHONES[n] in html) == (PrivateCategory.CONTACT in shown), where
                assert (f"201{n}-03-15" in html) == (PrivateCategory.AGE in shown), where
                assert (NAMES[n] in html) == (PrivateCategory.NAME in shown), where


def test_phone_lookup_needs_contact_details(world, clients):
    svc = world.app.extensions["handover"]
    with svc.session_factory() as db:
        for login, client in clients.items():
            if login == "gone":
                continue
            staff = _staff(world, db, login)
            r = client.post("/students/", data={"csrf_token": client.csrf,
                                                "phone": GUARDIAN_PHONES[0]})
            if PrivateCategory.CONTACT not in work_categories(staff):
                assert r.status_code == 403, login
            else:
                found = f"/students/{world.students[0]}\"" in r.get_data(as_text=True)
                assert found == bool(visible_among(db, staff, world.students[:1])), login


def test_class_pages_follow_the_rule(world, clients):
    svc = world.app.extensions["handover"]
    with svc.session_factory() as db:
        from records.classes import SchoolClass

        for login, client in clients.items():
            staff = _staff(world, db, login)
            for name, cid in world.classes.items():
                r = client.get(f"/classes/{cid}")
                if login == "gone":
                    assert r.status_code == 302
                    continue
                sees = Classes.sees(staff, db.get(SchoolClass, cid))
                assert (r.status_code == 200) == sees, f"{login} {name}"
                assert r.status_code in (200, 404)


def test_archive_routes_follow_the_rule(world, clients):
    """The archive office manages the register; a consult needs a loan, a relation to the
    archived form or an approval; the administrator gets neither (policy R-ARC, C1)."""
    from records.archive_rules import may_manage

    svc = world.app.extensions["handover"]
    number = world.archive_file
    with svc.session_factory() as db:
        f8 = db.scalar(select(Handover).where(Handover.number == world.handovers["f8_done"]))
        for login, client in clients.items():
            if login == "gone":
                continue
            staff = _staff(world, db, login)
            r = client.get(f"/archive/{number}")
            assert (r.status_code == 200) == may_manage(staff), login
            assert r.status_code in (200, 404), login
            consult = client.post(f"/archive/{number}/consult",
                                  data={"csrf_token": client.csrf, "purpose": "教学检查"})
            may_read = may_manage(staff) and access_to(staff, f8) == Access.CONTENT
            if may_read:
                assert consult.status_code == 200, login
                assert consult.mimetype == "application/pdf"
            else:
                assert consult.status_code in DENIED, login


def test_a_new_teacher_sees_nothing_of_classes_they_do_not_teach(world, clients):
    """The scenario of issue 12: a newly added teacher with no class saw 4 handovers, exported
    the F4 roster and found a child's address by the guardian's phone."""
    c = clients["newtea"]
    page = c.get("/handovers/").get_data(as_text=True)
    assert not any(number in page for number in world.handovers.values())
    for number in world.handovers.values():
        assert c.get(f"/handovers/{number}").status_code == 404
        assert c.get(f"/handovers/{number}/pdf").status_code == 404  # the F4 form and roster
    for cid in world.classes.values():
        assert c.get(f"/classes/{cid}").status_code == 404
    assert c.post("/students/", data={"csrf_token": c.csrf,
                                      "phone": GUARDIAN_PHONES[0]}).status_code == 403
    listed = c.get("/students/").get_data(as_text=True)
    assert not any(name in listed for name in NAMES)
    found = c.post("/search/", data={"csrf_token": c.csrf, "q": world.handovers["f4_done"]},
                   follow_redirects=True)
    assert 'id="result-count"' in found.get_data(as_text=True)
    assert f'/handovers/{world.handovers["f4_done"]}"' not in found.get_data(as_text=True)


def test_the_administrator_reads_no_student_content(world, clients):
    c = clients["admin"]
    consult = c.post(f"/archive/{world.archive_file}/consult",
                     data={"csrf_token": c.csrf, "purpose": "教学检查"})
    assert consult.status_code in DENIED and consult.mimetype != "application/pdf"
    for number in world.handovers.values():
        assert c.get(f"/handovers/{number}").status_code == 200  # metadata: it exists
        assert c.get(f"/handovers/{number}/pdf").status_code == 404
    for sid in world.students:
        assert c.get(f"/students/{sid}").status_code == 404


def _role_rule(rule: Rule, staff: Staff) -> bool:
    from records.money.payments import may_read_ledger
    from records.reassignment import managed_departments
    from webapp.money import keeps_books

    return {Rule.MONEY: lambda: may_read_ledger(staff),
            Rule.MONEY_ENTRY: lambda: keeps_books(staff),
            Rule.STAFF_WORK: lambda: bool(managed_departments(staff)),
            Rule.OWN: lambda: staff.active,
            Rule.ADMIN: lambda: staff.active and staff.is_admin}[rule]()


def test_pages_for_a_kind_of_work_follow_the_rule(world, clients):
    """The pages a role opens (the payment ledger, moving a leaver's work, one's notices): each
    GET route without parameters, as every role."""
    rules = (Rule.MONEY, Rule.MONEY_ENTRY, Rule.STAFF_WORK, Rule.OWN, Rule.ADMIN)
    routes = [rule for rule in world.app.url_map.iter_rules()
              if ROUTES[rule.endpoint].rule in rules and "GET" in rule.methods
              and not rule.arguments]
    assert {ROUTES[r.endpoint].rule for r in routes} >= {Rule.MONEY, Rule.MONEY_ENTRY,
                                                          Rule.STAFF_WORK, Rule.OWN}
    svc = world.app.extensions["handover"]
    with svc.session_factory() as db:
        for login, client in clients.items():
            staff = _staff(world, db, login)
            for route in routes:
                r = client.get(route.rule)
                where = f"{login} {route.endpoint}"
                if login == "gone":
                    assert r.status_code == 302, where
                elif _role_rule(ROUTES[route.endpoint].rule, staff):
                    assert r.status_code == 200, (where, r.status_code)
                else:
                    assert r.status_code in DENIED, (where, r.status_code)
