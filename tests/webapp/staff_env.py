"""A school where someone leaves: `wang` (招生部 and 教务部) holds a draft F2 of their own and a
submitted F2 addressed to them by name; colleagues `enr2` (ENR), `aca2` (ACA), the head of
教务部 `acahead`, a plain member `aca3`, and the administrator `admin`. Made through the real
workflow (the F2 addressed to wang is signed by `enr`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from records.handovers import Handover
from records.students import StudentInput
from records.workflow import Upload

SCAN = b"%PDF-1.4\n% scan\n%%EOF\n"
F2_VALUES = {"course": "少儿编程", "registration_date": "2026-03-02", "fee_paid": "3200",
             "payment_method": "现金", "class_hours": 24, "agreement_number": "XY-1"}
UPLOADS = [Upload("enrollment_agreement", "a.pdf", SCAN), Upload("paper_scan", "s.pdf", SCAN)]


@dataclass
class School:
    app: object
    draft: str
    """wang's own draft F2 (ENR → ACA)."""
    addressed: str
    """An F2 submitted by enr and addressed to wang by name, waiting for countersignature."""
    passwords: dict

    def handover(self, number: str) -> Handover:
        svc = self.app.extensions["handover"]
        with svc.session_factory() as db:
            h = db.scalar(select(Handover).where(Handover.number == number))
            h.events  # noqa: B018  (loaded before the session closes)
            db.expunge_all()
            return h


def make_school(app, add_staff, passwords) -> School:
    for login, depts, heads in (("wang", ("ENR", "ACA"), ()), ("enr", ("ENR",), ()),
                                ("enr2", ("ENR",), ()), ("aca2", ("ACA",), ()),
                                ("aca3", ("ACA",), ()), ("acahead", ("ACA",), ("ACA",)),
                                ("tea", ("TEA",), ())):
        add_staff(login, depts=depts, heads=heads, name=f"测试{login}")
    add_staff("admin", depts=(), admin=True, name="管理员")
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        sid = svc.students(db).add(StudentInput("李浩然", "男", "2014-07-28", "", "", "", "李娜",
                                                "13987654321"), actor_id=None, actor="t").id
        wf, accounts = svc.workflow(db), svc.accounts(db)
        wang, enr = accounts.get("wang"), accounts.get("enr")
        draft = wf.create(wang, "F2", {"student": sid, **F2_VALUES}, uploads=UPLOADS)
        addressed = wf.create(enr, "F2", {"student": sid, **F2_VALUES}, uploads=UPLOADS,
                              receiver_id=wang.id)
        wf.submit(enr, addressed, passwords["enr"])
        db.commit()
        return School(app, draft.number, addressed.number, passwords)
