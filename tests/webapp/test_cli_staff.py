"""`handover user ...` for staff who come and go: enable, set-department, import from CSV and
.xlsx (generated passwords shown once), disable telling what is still open, and offboard
moving a leaving person's open work (recorded; signed forms untouched; the new receiver
countersigns)."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from records.handovers import Status
from records.staff import Staff
from tests.webapp.staff_env import make_school


@pytest.fixture
def school(app, add_staff, passwords):
    return make_school(app, add_staff, passwords)


def staff(app, login) -> Staff:
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        found = db.scalar(select(Staff).where(Staff.login == login))
        db.expunge_all()
        return found


def test_enable_after_disable_and_twice_is_refused(runner, add_staff):
    add_staff("zhang", depts=("TEA",))
    assert runner.invoke(args=["user", "disable", "zhang"]).exit_code == 0
    r = runner.invoke(args=["user", "enable", "zhang"])
    assert r.exit_code == 0 and "已启用用户 zhang" in r.output and "新证书" in r.output
    assert "启用" in runner.invoke(args=["user", "list"]).output
    again = runner.invoke(args=["user", "enable", "zhang"])
    assert again.exit_code == 1 and "已是启用状态" in again.output
    assert runner.invoke(args=["user", "enable", "nobody"]).exit_code == 1


def test_enabled_account_gets_a_new_certificate_at_its_next_password_change(app, runner,
                                                                          add_staff):
    login, password = add_staff("zhang", depts=("TEA",))
    runner.invoke(args=["user", "disable", login])
    runner.invoke(args=["user", "enable", login])
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        me = svc.accounts(db).get(login)
        assert svc.credentials(db).current(me) is None  # revoked when disabled
        svc.accounts(db).change_password(me, password, "New-passw0rd-x")
        assert svc.credentials(db).current(me) is not None


def test_set_department_keeps_head_roles_and_refuses_bad_codes(app, runner, add_staff):
    add_staff("li", depts=("ACA", "TEA"), heads=("ACA",))
    r = runner.invoke(args=["user", "set-department", "li", "aca", "FIN"])
    assert r.exit_code == 0, r.output
    assert "教务部" in r.output and "财务部" in r.output and "教学部" not in r.output
    li = staff(app, "li")
    assert li.department_codes == ["ACA", "FIN"] and li.headed == ["ACA"]
    bad = runner.invoke(args=["user", "set-department", "li", "XYZ"])
    assert bad.exit_code != 0 and "未知部门代码" in bad.output
    assert staff(app, "li").department_codes == ["ACA", "FIN"]
    assert runner.invoke(args=["user", "set-department", "li"]).exit_code != 0


def test_leaving_a_department_with_open_work_says_what_is_open(runner, school):
    r = runner.invoke(args=["user", "set-department", "wang", "ENR"])
    assert r.exit_code == 0
    assert "已离开教务部" in r.output and school.addressed in r.output and "offboard" in r.output


def write(tmp_path: Path, name: str, lines: list[str]) -> str:
    path = tmp_path / name
    path.write_bytes("\r\n".join(lines).encode("utf-8-sig"))
    return str(path)


def test_import_from_csv_prints_each_password_once_and_the_accounts_sign_in(
        app, runner, tmp_path, login_client):
    path = write(tmp_path, "staff.csv", ["登录名,姓名,部门,负责部门", "zhao,赵老师,教学部、TEA,",
                                        "qian,钱主任,ACA TEA,教务部"])
    r = runner.invoke(args=["user", "import", path])
    assert r.exit_code == 0, r.output
    assert "已添加 2 个账号" in r.output and "只显示这一次" in r.output
    lines = {line.split()[0]: line.split()[1] for line in r.output.splitlines()[1:]}
    assert set(lines) == {"zhao", "qian"} and lines["zhao"] != lines["qian"]
    assert staff(app, "qian").headed == ["ACA"] and staff(app, "zhao").department_codes == ["TEA"]
    login_client("qian", lines["qian"])  # the printed password works
    # the passwords are nowhere else: not in the ledger, not in the instance folder
    ledger = (Path(app.instance_path) / "ledger").rglob("*")
    assert not any(lines["qian"].encode() in p.read_bytes() for p in ledger if p.is_file())


def test_import_with_problems_adds_nobody_and_names_rows(app, runner, tmp_path, add_staff):
    add_staff("taken", depts=("TEA",))
    path = write(tmp_path, "staff.csv", [
        "登录名,姓名,部门,负责部门", "ok.one,甲,TEA,", "taken,乙,TEA,", "Bad Login,丙,TEA,",
        "ding,丁,月球部,", "wu,戊,TEA,ACA", "ok.one,己,TEA,", "ji,\u202e庚,TEA,"])
    r = runner.invoke(args=["user", "import", path])
    assert r.exit_code == 1 and "未添加任何账号" in r.output
    for row, text in ((3, "已存在"), (4, "登录名须"), (5, "部门须为"), (6, "本人所属部门"),
                      (7, "与第 2 行"), (8, "控制字符")):
        assert any(line.startswith(f"{row}\t") and text in line for line in r.output.splitlines())
    assert staff(app, "ok.one") is None
    header = write(tmp_path, "h.csv", ["姓名,部门", "甲,TEA"])
    r = runner.invoke(args=["user", "import", header])
    assert r.exit_code == 1 and "登录名\t缺少必填列" in r.output
    r = runner.invoke(args=["user", "import", write(tmp_path, "x.pdf", ["a"])])
    assert r.exit_code == 1 and "只支持 .csv 和 .xlsx" in r.output


def test_import_from_xlsx(app, runner, tmp_path):
    wb = Workbook()
    wb.active.append(["登录名", "姓名", "部门"])
    wb.active.append(["sun", "孙老师", "TEA"])
    path = tmp_path / "staff.xlsx"
    wb.save(path)
    r = runner.invoke(args=["user", "import", str(path), "--json"])
    assert r.exit_code == 0, r.output
    assert '"login": "sun"' in r.output and staff(app, "sun").display_name == "孙老师"


def test_disable_tells_what_is_still_open(runner, school):
    r = runner.invoke(args=["user", "disable", "wang"])
    assert r.exit_code == 0 and "已停用用户 wang" in r.output
    assert school.draft in r.output and school.addressed in r.output
    assert "handover user offboard wang" in r.output


def test_offboard_moves_drafts_and_addressed_handovers_and_the_new_receiver_countersigns(
        app, runner, school):
    before = school.handover(school.addressed)
    signed_object = before.current.signed_object_id
    r = runner.invoke(args=["user", "offboard", "wang", "--to", "enr2", "--to", "aca2",
                            "--as", "admin"])
    assert r.exit_code == 0, r.output
    assert school.draft in r.output and school.addressed in r.output and "已停用" in r.output
    draft, addressed = school.handover(school.draft), school.handover(school.addressed)
    assert draft.sender_id == staff(app, "enr2").id and draft.status == Status.DRAFT
    assert addressed.receiver_id == staff(app, "aca2").id
    assert addressed.current.signed_object_id == signed_object  # the signed form untouched
    last = addressed.events[-1]
    assert last.action == "reassigned" and "离职：测试wang → 测试aca2" in last.note
    entries = [e for e in app.extensions["handover"].ledger.entries(action="handover.reassign")]
    assert entries[-1].reason == "离职" and entries[-1].actor == "admin"
    assert entries[-1].context == {"from": staff(app, "wang").id, "to": staff(app, "aca2").id}
    assert not staff(app, "wang").active
    svc = app.extensions["handover"]
    with svc.session_factory() as db:  # the new receiver countersigns, the old one cannot
        wf = svc.workflow(db)
        aca2 = svc.accounts(db).get("aca2")
        wf.countersign(aca2, wf.get(aca2, school.addressed), school.passwords["aca2"])
        db.commit()
    assert school.handover(school.addressed).status == Status.COMPLETED
    assert "没有未完成的工作" in runner.invoke(args=["user", "open-work", "wang"]).output


def test_offboard_refuses_when_a_department_has_nobody_named_and_moves_nothing(
        app, runner, school):
    r = runner.invoke(args=["user", "offboard", "wang", "--to", "enr2", "--as", "admin"])
    assert r.exit_code == 1 and "教务部" in r.output
    assert school.handover(school.addressed).receiver_id == staff(app, "wang").id
    assert school.handover(school.draft).sender_id == staff(app, "wang").id
    assert staff(app, "wang").active
    r = runner.invoke(args=["user", "offboard", "wang", "--to", "tea", "--to", "aca2",
                            "--as", "admin"])
    assert r.exit_code == 1 and "招生部" in r.output


def test_offboard_by_someone_without_the_right_is_refused(app, runner, school):
    r = runner.invoke(args=["user", "offboard", "wang", "--to", "enr2", "--to", "aca2",
                            "--as", "aca3"])
    assert r.exit_code == 1 and "负责人" in r.output
    assert school.handover(school.addressed).receiver_id == staff(app, "wang").id


def test_offboard_can_withdraw_drafts_instead(app, runner, school):
    r = runner.invoke(args=["user", "offboard", "wang", "--to", "aca2", "--withdraw-drafts",
                            "--reason", "moved", "--keep-enabled", "--as", "admin"])
    assert r.exit_code == 0, r.output
    draft = school.handover(school.draft)
    assert draft.status == Status.WITHDRAWN and "调岗" in draft.events[-1].note
    assert staff(app, "wang").active
    assert school.handover(school.addressed).receiver_id == staff(app, "aca2").id
