"""What the walk of docs/operations.md (tests/test_operations_doc.py) adds that the docs do not:
a little of a school's data for the example commands to act on (the demo, `handover demo`,
takes about a minute and a half). Run as `python -m tests.ops_seed INSTANCE ENV_FILE ROSTER`
right after the walk's first `handover init`: it adds the staff the examples name (enr, aca,
tea, arc, mgt), two students, one countersigned handover and one archive file, writes the
numbers and the borrower's password to ENV_FILE (shell assignments) and a two-row roster to
ROSTER (.xlsx)."""

from __future__ import annotations

import shlex
import sys
from datetime import date
from pathlib import Path

from openpyxl import Workbook

from records.departments import Department
from records.students import StudentInput
from tests.webapp.test_pki_publication import countersigned
from webapp import create_app
from webapp.cli import random_password

STAFF = (("enr", "王晓燕", ("ENR",), ()), ("aca", "李建国", ("ACA",), ()),
         ("tea", "陈静", ("TEA",), ()), ("arc", "孙丽", ("ARC",), ()),
         ("mgt", "刘志远", ("MGT",), ("MGT",)))


def seed(instance: Path) -> dict[str, str]:
    app = create_app({"INSTANCE": instance})
    svc = app.extensions["handover"]
    passwords = {}
    try:
        with svc.session_factory() as db:
            accounts = svc.accounts(db)
            for login, name, depts, heads in STAFF:
                passwords[login] = random_password()
                accounts.add(login, name, passwords[login], [Department(d) for d in depts],
                             head_of=[Department(d) for d in heads], actor="seed")
            db.commit()
        number = countersigned(app, passwords, "XY-1")  # also adds the student 李浩然
        with svc.session_factory() as db:
            students = svc.students(db)
            second = students.add(StudentInput("张小雨", "女", "2015-03-12", "", "", "",
                                               "张伟", "13612345678"), actor_id=None, actor="seed")
            first = students.find_by_phone("13987654321")[0]
            arc = svc.accounts(db).get("arc")
            archive = svc.archive_register(db).register_by_hand(
                arc, title="学习档案 · 示例", student_ids=[first.id],
                materials=[{"category": "成绩报告单", "title": "期末成绩单", "pages": 1}],
                filed_on=date(2026, 1, 5),
                retention="30y", security="normal", location="A 柜 01 层 1 格")
            db.commit()
            values = {"SEED_HANDOVER": number, "SEED_STUDENT_1": first.student_no,
                      "SEED_STUDENT_2": second.student_no, "SEED_ARCHIVE": archive.number,
                      "SEED_LOAN": archive.number.replace("DA-", "JY-"),
                      "TEA_PASSWORD": passwords["tea"]}
    finally:
        svc.close()
    return values


def roster(path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "性别", "出生日期", "手机", "监护人", "监护人电话"])
    sheet.append(["周子涵", "男", "2014-09-01", "", "周强", "13800001111"])
    sheet.append(["吴欣怡", "女", "2015-01-20", "", "吴敏", "13800002222"])
    book.save(path)


if __name__ == "__main__":
    instance, env_file, roster_file = map(Path, sys.argv[1:4])
    found = seed(instance)
    env_file.write_text("".join(f"{k}={shlex.quote(v)}\n" for k, v in found.items()))
    roster(roster_file)
