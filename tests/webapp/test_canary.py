"""The canary (policy C2): a test student's private values, written through the normal API,
never appear in clear in any file of the instance or in the database."""

from __future__ import annotations

from pathlib import Path

from records.students import StudentInput
from tests.canary import assert_absent
from tests.webapp.canary_values import CANARY


def test_canary_student_is_absent_from_every_file(app, runner):
    svc = app.extensions["handover"]
    with app.app_context(), svc.session_factory() as db:
        students = svc.students(db)
        student = students.add(StudentInput(**CANARY), actor_id=None, actor="tester")
        db.commit()
        # A document about the student goes into the vault, and is read back (both recorded).
        object_id = svc.vault.put(f"{CANARY['name']} {CANARY['address']}".encode(),
                                  actor="tester", reason="canary", context={"student": student.id})
        assert CANARY["name"].encode() in svc.vault.get(object_id, actor="tester", reason="check")
        found = students.find_by_phone(CANARY["guardian_phone"])
        assert [s.id for s in found] == [student.id]
        assert students.get(student.id, actor="tester", reason="canary").name == CANARY["name"]
    assert runner.invoke(args=["demo"]).exit_code == 0
    svc.engine.dispose()  # flush SQLite's WAL into the database file before scanning
    values = [CANARY[k] for k in ("name", "address", "guardian_name", "health_notes")]
    values += [CANARY["guardian_phone"], CANARY["id_number"]]
    assert_absent(Path(app.instance_path), values)
