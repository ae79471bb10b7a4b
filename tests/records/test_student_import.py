"""Student import from CSV and .xlsx on both databases: a precise per-row report (row, column,
problem) that never repeats the private value, nothing imported from a faulty file unless
good-rows-only, and all-or-nothing when a row fails half-way."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from openpyxl import Workbook

from records.db import make_engine, make_session_factory, migrate
from records.errors import Conflict
from records.student_import import (
    ImportFileRejected,
    ImportProblem,
    apply_import,
    plan_import,
    read_table,
)
from records.students import StudentInput, Students
from vault import FieldCipher, attach_field_cipher
from vault.keyring import Keyring
from vault.ledger import Ledger

HEADER = "姓名,性别,出生日期,手机,家庭住址,身份证号,监护人,监护人电话,健康状况"
GOOD_A = "赵一鸣,男,2014-03-01,,杭州市西湖区一号,,赵父,13800000001,"
GOOD_B = "钱二妹,女,2015/6/7,,杭州市上城区二号,,钱母,13800000002,花粉过敏"
BAD_PHONE = "孙三,男,2013-01-02,,杭州市三号,,孙父,1380000,"
DUP_OF_A = "赵一鸣,男,2014-03-01,,杭州市西湖区一号,,赵父,13800000009,"
NO_NAME = ",女,2014-05-05,,杭州市五号,,某家长,13800000005,"
REGISTERED = StudentInput("李已登", "女", "2012-02-02", guardian_name="李家长",
                          guardian_phone="13900000000")
REGISTERED_ROW = "李已登,女,2012-02-02,,,,李家长,13900000000,"


@pytest.fixture
def env(db_url, tmp_path):
    engine = make_engine(db_url)
    migrate(engine)
    keyring = Keyring.open(tmp_path / "keys", create=True)
    keyring.ensure()
    attach_field_cipher(engine, FieldCipher(keyring))
    session = make_session_factory(engine)()
    students = Students(session, cipher=FieldCipher(keyring), audit=Ledger(tmp_path / "ledger",
                                                                             keyring))
    students.add(REGISTERED, actor_id=None, actor="setup")
    session.commit()
    yield students
    session.close()
    engine.dispose()


def write_csv(path, lines, encoding="utf-8"):
    path.write_bytes("\r\n".join(lines).encode(encoding) + b"\r\n")
    return path


FAULTY = [HEADER, GOOD_A, BAD_PHONE, DUP_OF_A, NO_NAME, GOOD_B, REGISTERED_ROW]
EXPECTED = [
    ImportProblem(3, "监护人电话", "手机号码应为 11 位数字（以 1 开头）。"),
    ImportProblem(4, "姓名", "与第 2 行重复（姓名与出生日期相同）。"),
    ImportProblem(5, "姓名", "姓名不能为空。"),
    ImportProblem(7, "姓名", "该学生已登记（姓名与出生日期相同）。"),
]


def test_faulty_file_gives_a_precise_report_and_imports_nothing(env, tmp_path):
    plan = plan_import(read_table(write_csv(tmp_path / "in.csv", FAULTY)), env)
    assert list(plan.problems) == EXPECTED
    assert [row for row, _ in plan.good] == [2, 6]
    result = apply_import(plan, env, only_good_rows=False, actor="aca")
    env.session.commit()
    assert result.refused and result.imported == ()
    assert env.count() == 1  # only the student registered before


def test_good_rows_only_imports_exactly_the_good_rows(env, tmp_path):
    plan = plan_import(read_table(write_csv(tmp_path / "in.csv", FAULTY)), env)
    result = apply_import(plan, env, only_good_rows=True, actor="aca")
    env.session.commit()
    assert [row for row, _ in result.imported] == [2, 6] and not result.refused
    assert env.count() == 3
    second = env.get(env.find_duplicate(plan.good[1][1]).id, actor="t", reason="test")
    assert (second.birth_date, second.health_notes) == ("2015-06-07", "花粉过敏")
    entries = list(env.audit.entries(action="student.import"))
    assert entries[-1].context == {"imported": 2, "skipped_rows": [3, 4, 5, 7]}


def test_messages_never_repeat_private_values(env, tmp_path):
    plan = plan_import(read_table(write_csv(tmp_path / "in.csv", FAULTY)), env)
    private = {cell for line in FAULTY[1:] for cell in line.split(",") if len(cell) > 1}
    for problem in plan.problems:
        assert not any(value in problem.message_zh for value in private), problem


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-8-sig", "utf-8"])
def test_csv_encodings(env, tmp_path, encoding):
    path = write_csv(tmp_path / "in.csv", [HEADER, GOOD_A, GOOD_B], encoding)
    if encoding == "utf-8-sig":
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    plan = plan_import(read_table(path), env)
    assert plan.problems == ()
    assert [d.name for _, d in plan.good] == ["赵一鸣", "钱二妹"]
    assert plan.good[1][1].address == "杭州市上城区二号"


def test_xlsx_with_real_dates_text_dates_and_numbers(env, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER.split(","))
    ws.append(["周四", "男", datetime(2014, 3, 4), None, "杭州四号", "330106201403040012",
               "周父", 13800000004, None])
    ws.append(["吴五", "女", "2015年6月7日", None, None, None, "吴母", "138 0000 0005", None])
    ws.append(["郑六", "男", date(2013, 1, 2), None, None, 3.30106201301020e17, "郑父",
               13800000006, None])
    ws.append([None] * 9)  # a formatted but empty row
    ws.append(["王七", "男", 41000, None, None, None, "王父", 13800000007, None])  # a serial date
    wb.save(tmp_path / "in.xlsx")
    plan = plan_import(read_table(tmp_path / "in.xlsx"), env)
    good = {row: data for row, data in plan.good}
    assert sorted(good) == [2, 3, 6]
    assert (good[2].birth_date, good[2].guardian_phone) == ("2014-03-04", "13800000004")
    assert good[3].birth_date == "2015-06-07"
    assert good[6].birth_date == "2012-04-01"  # Excel serial 41000 in a General cell
    assert [(p.row, p.column) for p in plan.problems] == [(4, "身份证号")]
    result = apply_import(plan, env, only_good_rows=True, actor="aca")
    env.session.commit()
    assert len(result.imported) == 3 and env.count() == 4


def test_unknown_and_missing_columns_block_even_good_rows_only(env, tmp_path):
    path = write_csv(tmp_path / "in.csv", ["性别,电话号码", "男,13800000001"])
    plan = plan_import(read_table(path), env)
    assert [(p.row, p.column, p.message_zh) for p in plan.problems] == [
        (1, "电话号码", "无法识别的列名，请使用模板中的列名。"),
        (1, "姓名", "缺少必填列。"),
        (1, "监护人电话", "缺少联系电话列（手机或监护人电话）。"),
    ]
    path = write_csv(tmp_path / "in2.csv", ["姓名,监护人电话,地址x", "赵一鸣,13800000001,某地"])
    plan = plan_import(read_table(path), env)
    assert [row for row, _ in plan.good] == [2] and plan.header_problems
    assert apply_import(plan, env, only_good_rows=True, actor="aca").refused


def test_english_field_names_are_accepted(env, tmp_path):
    path = write_csv(tmp_path / "in.csv", ["name,birth_date,guardian_phone",
                                           "赵一鸣,2014-03-01,13800000001"])
    plan = plan_import(read_table(path), env)
    assert plan.problems == () and plan.good[0][1].birth_date == "2014-03-01"


def test_file_level_refusals(env, tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(ImportFileRejected) as err:
        read_table(tmp_path / "empty.csv")
    assert err.value.reason == "empty"
    path = write_csv(tmp_path / "in.csv", [HEADER, GOOD_A, GOOD_B])
    with pytest.raises(ImportFileRejected) as err:
        read_table(path, max_bytes=100)
    assert err.value.reason == "too_large" and err.value.limit == 100
    with pytest.raises(ImportFileRejected) as err:
        read_table(path, max_rows=1)
    assert err.value.reason == "too_many_rows"
    (tmp_path / "in.xlsx").write_bytes(b"not a zip")
    with pytest.raises(ImportFileRejected) as err:
        read_table(tmp_path / "in.xlsx")
    assert err.value.reason == "format"
    plan = plan_import(read_table(write_csv(tmp_path / "h.csv", [HEADER])), env)
    assert [(p.row, p.message_zh) for p in plan.problems] == [(2, "文件中没有学生数据。")]


def test_failure_half_way_leaves_nothing_imported(env, tmp_path):
    plan = plan_import(read_table(write_csv(tmp_path / "in.csv", [HEADER, GOOD_A, GOOD_B])), env)
    assert len(plan.good) == 2
    # Someone registers the second student between the check and the import.
    env.add(plan.good[1][1], actor_id=None, actor="other")
    env.session.commit()
    with pytest.raises(Conflict):
        apply_import(plan, env, only_good_rows=False, actor="aca")
    env.session.commit()
    assert env.count() == 2  # the registered one and the concurrent one; not row 2
    assert env.find_duplicate(plan.good[0][1]) is None
    last = list(env.audit.entries(action="student.import"))[-1]
    assert last.outcome == "rolled_back" and last.context["failed_at"] == 1
