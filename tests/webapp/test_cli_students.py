"""`handover student import`: the per-row report, exit codes, the importing user's checks, and
the canary (policy C2): an imported student's private values appear in clear nowhere in the
instance folder or the database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from records.students import StudentInput
from tests.canary import assert_absent
from tests.webapp.canary_values import CANARY
from webapp.cli_students import COMMANDS

HEADER = "姓名,性别,出生日期,手机,家庭住址,身份证号,监护人,监护人电话,健康状况"
COLUMNS = ("name", "gender", "birth_date", "phone", "address", "id_number", "guardian_name",
           "guardian_phone", "health_notes")
GOOD = "赵一鸣,男,2014-03-01,,杭州市西湖区一号,,赵父,13800000001,"
BAD_PHONE = "孙三,男,2013-01-02,,杭州市三号,,孙父,1380000,"
DUP = "赵一鸣,男,2014-03-01,,杭州市西湖区一号,,赵父,13800000009,"
NO_NAME = ",女,2014-05-05,,杭州市五号,,某家长,13800000005,"
OTHER = "钱二妹,女,2015-06-07,,杭州市上城区二号,,钱母,13800000002,"


def runner_for(app):
    """A runner with the student commands registered (until webapp/cli.py does it) and an
    active academic-affairs account "aca"."""
    for command in COMMANDS:
        if command.name not in app.cli.commands:
            app.cli.add_command(command)
    runner = app.test_cli_runner()
    r = runner.invoke(args=["user", "add", "aca", "--name", "李建国", "--dept", "ACA",
                            "--password-stdin"], input="Academic-pass-1\n")
    assert r.exit_code == 0, r.output
    return runner


@pytest.fixture
def db_app(app_factory, db_url):
    """An app on SQLite and on PostgreSQL (when reachable)."""
    return app_factory("db-instance", DATABASE_URL=db_url)


@pytest.fixture
def cli(db_app):
    return runner_for(db_app)


def write_csv(tmp_path: Path, lines, name="students.csv", encoding="utf-8-sig") -> str:
    folder = tmp_path / "in"  # outside the instance folder (the canary scan covers that)
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes("\r\n".join(lines).encode(encoding) + b"\r\n")
    return str(path)


def count_students(app) -> int:
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        return svc.students(db).count()


def test_faulty_file_prints_rows_and_imports_nothing(db_app, cli, tmp_path):
    path = write_csv(tmp_path, [HEADER, GOOD, BAD_PHONE, DUP, NO_NAME, OTHER])
    r = cli.invoke(args=["student", "import", path, "--as", "aca"])
    assert r.exit_code == 1, r.output
    lines = r.output.splitlines()
    assert lines[:4] == ["行\t列\t问题",
                         "3\t监护人电话\t手机号码应为 11 位数字（以 1 开头）。",
                         "4\t姓名\t与第 2 行重复（姓名与出生日期相同）。",
                         "5\t姓名\t姓名不能为空。"]
    assert "未导入任何学生" in lines[4]
    assert count_students(db_app) == 0


def test_good_rows_only_and_json(db_app, cli, tmp_path):
    path = write_csv(tmp_path, [HEADER, GOOD, BAD_PHONE, DUP, NO_NAME, OTHER], encoding="gb18030")
    r = cli.invoke(args=["student", "import", path, "--as", "aca", "--good-rows-only", "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.output)
    assert [i["row"] for i in report["imported"]] == [2, 6] and not report["refused"]
    assert [(p["row"], p["column"]) for p in report["problems"]] == [
        (3, "监护人电话"), (4, "姓名"), (5, "姓名")]
    assert count_students(db_app) == 2
    # The same file again: every row is now a registered duplicate or faulty.
    r = cli.invoke(args=["student", "import", path, "--as", "aca", "--good-rows-only"])
    assert r.exit_code == 1 and "该学生已登记" in r.output
    assert count_students(db_app) == 2


def test_importing_user_must_exist_and_be_active(db_app, cli, tmp_path):
    path = write_csv(tmp_path, [HEADER, GOOD])
    r = cli.invoke(args=["student", "import", path, "--as", "nobody"])
    assert r.exit_code == 1 and "未找到用户" in r.output
    assert cli.invoke(args=["user", "disable", "aca"]).exit_code == 0
    r = cli.invoke(args=["student", "import", path, "--as", "aca"])
    assert r.exit_code == 1 and "已停用" in r.output
    assert count_students(db_app) == 0


def test_rejected_file_exits_1_with_message(cli, tmp_path):
    path = write_csv(tmp_path, [""], name="empty.csv")
    r = cli.invoke(args=["student", "import", path, "--as", "aca"])
    assert r.exit_code == 1 and "文件为空" in r.output and "Traceback" not in r.output


def test_canary_imported_through_the_cli_is_absent_in_clear(app, tmp_path):
    cli = runner_for(app)  # SQLite: the database is a file of the instance
    row = ",".join(CANARY.get(c, "") for c in COLUMNS)
    path = write_csv(tmp_path, [HEADER, row, GOOD], encoding="gb18030")
    r = cli.invoke(args=["student", "import", path, "--as", "aca"])
    assert r.exit_code == 0, r.output
    assert count_students(app) == 2
    svc = app.extensions["handover"]
    with svc.session_factory() as db:  # the values are really stored (decrypted on read)
        students = svc.students(db)
        found = students.find_duplicate(StudentInput(**CANARY))
        assert found is not None and found.health_notes == CANARY["health_notes"]
    values = [CANARY[k] for k in ("name", "address", "guardian_name", "health_notes",
                                  "guardian_phone", "id_number")]
    assert not any(v in r.output for v in values)
    svc.engine.dispose()  # flush SQLite's WAL into the database file before scanning
    assert_absent(Path(app.instance_path), values)


def test_only_the_registry_departments_import(db_app, cli, tmp_path):
    """policy R-ENR, R-ACA, C1: as on the import page, other staff and the administrator
    register no students from the command line either."""
    path = write_csv(tmp_path, [HEADER, GOOD])
    for login, dept in (("teacher", "TEA"), ("root", None)):
        args = ["user", "add", login, "--name", "某某", "--password-stdin"]
        args += ["--dept", dept] if dept else ["--admin"]
        assert cli.invoke(args=args, input="Teacher-pass-1\n").exit_code == 0
        r = cli.invoke(args=["student", "import", path, "--as", login])
        assert r.exit_code == 1 and "只有招生部和教务部" in r.output, login
    assert count_students(db_app) == 0
