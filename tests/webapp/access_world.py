"""A small school for the access-matrix and scenario tests (policy C1-C3): one person per kind
of relation, two classes, and handovers both completed and waiting, signed for real. Built
once per module: signing costs."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from records.catalogue import FieldType, get_kind
from records.departments import Department as D
from records.forms import sample_values
from records.staff import Role
from records.students import Student, StudentInput
from records.workflow import Upload

SCAN_PDF = b"%PDF-1.4\n% scan\n%%EOF\n"
# login: (departments, role in the first, administrator)
PEOPLE = {
    "enr": ([D.ENR], Role.MEMBER, False),
    "aca": ([D.ACA], Role.MEMBER, False),  # a member without a handling role
    "acahead": ([D.ACA, D.SUP], Role.HEAD, False),  # a department head
    "tea": ([D.TEA], Role.MEMBER, False),  # teaches class A
    "tea2": ([D.TEA], Role.MEMBER, False),  # teaches class B: a teacher of another class
    "teadep": ([D.TEA], Role.DEPUTY, False),  # deputy head of teaching
    "newtea": ([D.TEA], Role.MEMBER, False),  # newly added, no class yet
    "fin": ([D.FIN], Role.MEMBER, False),
    "arc": ([D.ARC], Role.MEMBER, False),
    "arcdep": ([D.ARC], Role.DEPUTY, False),
    "log": ([D.LOG], Role.MEMBER, False),
    "mgt": ([D.MGT, D.SUP], Role.HEAD, False),
    "sup": ([D.SUP], Role.MEMBER, False),
    "admin": ([], Role.MEMBER, True),
    "gone": ([D.ACA], Role.MEMBER, False),  # disabled after signing in
}
ADDRESS, ID_NUMBER, HEALTH = "测试市示例路 7 号", "110105201403150021", "花生过敏需注意"
GUARDIAN_PHONES = ("13800000001", "13800000002", "13800000003")
NAMES = ("甲同学", "乙同学", "丙同学")


@dataclass
class World:
    app: object
    passwords: dict[str, str]
    students: list[int]  # s1, s2 in class A (tea), s3 in class B (tea2)
    classes: dict[str, int]
    handovers: dict[str, str] = field(default_factory=dict)  # name -> number
    archive_file: str = ""


def _values(kind_code: str, student_ids: list[int], class_name: str) -> dict:
    kind = get_kind(kind_code)
    values = sample_values(kind)
    for spec in kind.fields:
        if spec.type is FieldType.STUDENT:
            values[spec.name] = student_ids[0]
        elif spec.type is FieldType.STUDENTS:
            values[spec.name] = student_ids
    if "class_name" in values:
        values["class_name"] = class_name
    return values


def build(folder: Path, make_app, template: Path) -> World:
    from records.classes import ClassMember, SchoolClass

    app = make_app(folder, template)
    svc = app.extensions["handover"]
    pw: dict[str, str] = {}
    now = datetime.now(UTC)
    with svc.session_factory() as db:
        accounts = svc.accounts(db)
        for login, (depts, role, admin) in PEOPLE.items():
            pw[login] = "Passw0rd-" + secrets.token_hex(4)
            accounts.add(login, login, pw[login], depts, is_admin=admin)
            if depts and role is not Role.MEMBER:
                accounts.set_role(login, depts[0], role)
        students = svc.students(db)
        ids = [students.add(StudentInput(name, "女", f"201{n}-03-15", "", ADDRESS,
                                         ID_NUMBER[:-1] + str(n), "监护人", GUARDIAN_PHONES[n],
                                         HEALTH), actor_id=None, actor="t").id
               for n, name in enumerate(NAMES)]
        classes = {}
        for name, teacher, members in (("A班", "tea", ids[:2]), ("B班", "tea2", ids[2:])):
            cls = SchoolClass(name=name, course="少儿英语", teacher_id=accounts.get(teacher).id,
                              created_at=now, active=True, starts_on=date.today(),
                              ends_on=date.today() + timedelta(days=60))
            db.add(cls)
            db.flush()
            db.add_all([ClassMember(class_id=cls.id, student_id=s, joined_at=now)
                        for s in members])
            classes[name] = cls.id
        db.commit()
        world = World(app, pw, ids, classes)
        wf = svc.workflow(db)
        # name, kind, sender, about, class, named receiver, countersigned by (None: waiting).
        # F4 names its class, not linked students (its roster is a table): ACA names the
        # class's teacher as its receiver. F6b links the students it is about.
        plan = (
            ("f2_done", "F2", "enr", ids[:1], "A班", None, "acahead"),
            ("f2_wait", "F2", "enr", ids[2:], "B班", None, None),
            ("f4_done", "F4", "aca", ids[:2], "A班", "tea", "tea"),
            ("f6b_done", "F6b", "aca", ids[:2], "A班", None, "teadep"),
            ("f6b_wait", "F6b", "aca", ids[2:], "B班", None, None),
            ("f8_done", "F8", "aca", ids[:1], "A班", None, "arcdep"),
        )
        for name, kind, sender, about, class_name, receiver, signer in plan:
            actor = accounts.get(sender)
            uploads = [Upload(a.code, "a.pdf", SCAN_PDF) for a in get_kind(kind).attachments
                       if a.required]
            h = wf.create(actor, kind, _values(kind, about, class_name), uploads=uploads,
                          receiver_id=accounts.get(receiver).id if receiver else None)
            wf.submit(actor, h, pw[sender])
            if signer:
                wf.countersign(accounts.get(signer), h, pw[signer])
            db.commit()
            world.handovers[name] = h.number
        from records.archive import ArchiveFile

        world.archive_file = db.scalar(select(ArchiveFile.number))
        assert db.scalar(select(Student.id).where(Student.id == ids[0])) is not None
    return world


def sign_in(app, login: str, password: str):
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    r = client.post("/login", data={"csrf_token": token, "login": login, "password": password})
    assert r.status_code == 302, login
    # the session is renewed at sign-in: a form of the signed-in session carries its token
    html = client.get("/account/password").get_data(as_text=True)
    client.csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    return client
