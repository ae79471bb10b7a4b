"""The catalogue of handover kinds against the policy (CLAUSES.md F, T, M, C2) and validation."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from records.catalogue import (
    KINDS,
    LONGTEXT_MAX_CHARS,
    METHOD_DOCUMENTS,
    MONEY_MAX,
    ROWS_MAX,
    TEXT_MAX_CHARS,
    DeadlineBasis,
    FieldType,
    Method,
    UnknownKindError,
    get_form_spec,
    get_kind,
)
from records.departments import Department
from records.forms import sample_values
from records.validation import validate_values
from vault import PrivateCategory

# CLAUSES.md section F: each flow with its sender and receiver. F11 and F12 are round trips
# (ACA->TEA->ACA, ACA->FIN->ACA); the form is the answer handed back to ACA.
POLICY_FLOWS = {
    "F1": ("ENR", "ACA"), "F2": ("ENR", "ACA"), "F3": ("ACA", "TEA"), "F4": ("ACA", "TEA"),
    "F5": ("ACA", "TEA"), "F6": ("TEA", "ACA"), "F6b": ("ACA", "TEA"), "F7": ("TEA", "ACA"),
    "F8": ("ACA", "ARC"), "F9": ("TEA", "ENR"), "F10": ("FIN", "ACA"), "F11": ("TEA", "ACA"),
    "F12": ("FIN", "ACA"), "F13": ("FIN", "ACA"),
}
# CLAUSES.md section T, and the flow each deadline applies to.
POLICY_DEADLINES = {"F1": "T1a", "F2": "T1b", "F3": "T2", "F4": "T2", "F6": "T3a",
                    "F7": "T3b", "F6b": "T4a", "F8": "T4b", "F12": "T5a", "F13": "T5b"}
# Words in a label that mean the field holds a C2 category of private information
# (a parent's name is the family's contact, not the student's name).
C2_WORDS = {"学生姓名": {"name"}, "姓名": {"name", "contact"}, "性别": {"gender"},
            "年龄": {"age"}, "住址": {"address"}, "联系方式": {"contact"}, "成绩": {"grades"},
            "评语": {"grades"}, "健康": {"health"}, "缴费金额": {"finances"},
            "退费金额": {"finances"}, "已缴金额": {"finances"}}

ALL_SPECS = [*KINDS.values(), *METHOD_DOCUMENTS.values()]


def all_fields(spec):
    for f in spec.fields:
        yield f
        yield from f.columns


def test_every_policy_flow_is_a_kind_with_its_departments():
    assert set(KINDS) == set(POLICY_FLOWS)
    for code, (sender, receiver) in POLICY_FLOWS.items():
        kind = get_kind(code)
        assert (kind.sender, kind.receiver) == (sender, receiver), code
        assert kind.clause == code
        assert kind.template == f"{code}.html"


def test_departments_are_policy_departments():
    for kind in KINDS.values():
        assert isinstance(kind.sender, Department) and isinstance(kind.receiver, Department)
        assert kind.sender != kind.receiver
        assert kind.requested_by is None or isinstance(kind.requested_by, Department)
    assert get_kind("F11").requested_by == Department.ACA  # policy F11: ACA asks TEA


def test_every_private_field_has_a_c2_category():
    for spec in ALL_SPECS:
        for f in all_fields(spec):
            assert f.private is None or isinstance(f.private, PrivateCategory)
            assert not (f.type == FieldType.TABLE and f.private), "declare it on the columns"
            if f.type in (FieldType.STUDENT, FieldType.STUDENTS):
                assert f.private is PrivateCategory.NAME, (spec.code, f.name)
            for word, categories in C2_WORDS.items():
                # a table's privacy is declared on its columns; M3 participants are staff
                label = re.sub(r"（.*?）$", "", f.label_zh)
                if label.endswith(word) and f.type != FieldType.TABLE and spec.code != "M3":
                    assert f.private is not None, (spec.code, f.name)
                    assert f.private.value in categories, (spec.code, f.name)


def test_deadlines_follow_section_t():
    for code, kind in KINDS.items():
        rule = kind.deadline
        if code in POLICY_DEADLINES:
            assert rule is not None and rule.clause == POLICY_DEADLINES[code], code
            assert rule.setting_key == f"deadline.{rule.clause}_days"
            assert rule.default_days >= 0 and rule.trigger_zh
    assert get_kind("F2").deadline.basis is DeadlineBasis.SAME_DAY  # policy T1b
    assert get_kind("F6").deadline.basis is DeadlineBasis.PERIODIC  # policy T3a
    assert get_kind("F1").deadline.basis is DeadlineBasis.WORKING_DAYS


def test_methods_chains_and_attachments():
    assert {k.method for k in KINDS.values()} <= set(Method)
    assert get_kind("F2").method is Method.PAPER  # policy M1: registration papers
    assert get_kind("F3").method is Method.ELECTRONIC  # policy M2: schedules
    assert get_kind("F6").next_kinds == ("F6b",)
    chain, code = [], "F10"
    while code:
        chain.append(code)
        nxt = get_kind(code).next_kinds
        code = nxt[0] if nxt else None
    assert chain == ["F10", "F11", "F12", "F13"]
    required = {k: {a.code for a in kind.attachments if a.required} for k, kind in KINDS.items()}
    assert "enrollment_agreement" in required["F2"]
    assert {"written_application", "proof"} <= required["F10"]
    assert "payment_voucher" in required["F13"]
    assert get_kind("F4").multi_student and get_kind("F6").multi_student
    assert not get_kind("F2").multi_student


def test_method_documents():
    assert set(METHOD_DOCUMENTS) == {"M1", "M3"}
    assert METHOD_DOCUMENTS["M1"].wet_signatures and not METHOD_DOCUMENTS["M3"].wet_signatures
    meeting = {f.name for f in METHOD_DOCUMENTS["M3"].fields}
    assert {"meeting_time", "participants", "content", "outcome"} <= meeting  # policy M3
    assert get_form_spec("M3").method is Method.FACE_TO_FACE


def test_unknown_kind_is_a_clear_error():
    with pytest.raises(UnknownKindError) as info:
        get_kind("F99")
    assert info.value.code == "F99"
    assert "未知的交接类型" in str(info.value)
    with pytest.raises(UnknownKindError):
        get_kind("M1")  # a method document, not a handover kind
    assert get_form_spec("M1") is METHOD_DOCUMENTS["M1"]


@pytest.mark.parametrize("spec", ALL_SPECS, ids=lambda s: s.code)
def test_sample_values_are_valid_and_empty_values_name_every_required_field(spec):
    assert validate_values(spec, sample_values(spec)) == []
    problems = {p.field for p in validate_values(spec, {})}
    assert problems == {f.name for f in spec.fields if f.required}


def problems_for(code, **changes):
    spec = get_form_spec(code)
    values = sample_values(spec) | changes
    return {p.field: p.message_zh for p in validate_values(spec, values)}


@pytest.mark.parametrize("field, value", [
    ("age", "十二"), ("age", True), ("age", 12.5), ("age", -1), ("age", 101),
    ("expected_start", "2026-13-01"), ("expected_start", "3月2日"),
    ("expected_start", dt.datetime(2026, 3, 2, 9, 0)),
    ("gender", "未知"), ("prospect_name", 42), ("prospect_name", "张三\n李四"),
    ("communication_record", ["列表"]),
])
def test_bad_types_are_refused(field, value):
    assert field in problems_for("F1", **{field: value})


@pytest.mark.parametrize("value", ["-0.01", "12.345", 12.5, "十元", "NaN", "Infinity",
                                   MONEY_MAX + 1])
def test_money_must_be_non_negative_yuan_with_two_decimals(value):
    assert "fee_paid" in problems_for("F2", fee_paid=value)


@pytest.mark.parametrize("value", ["0", 0, "4680.5", Decimal("4680.50"), 4680, MONEY_MAX])
def test_money_accepts_yuan(value):
    assert "fee_paid" not in problems_for("F2", fee_paid=value)


def test_students_tables_and_unknown_keys():
    got = problems_for("F2", student={"number": "S1"}, surprise="x")
    assert "student" in got and got["surprise"] == "未知字段：surprise"
    roster = sample_values(get_kind("F4"))["roster"]
    bad = [roster[0], "not a row", {**roster[1], "age": "老"}, {**roster[2], "extra": 1}]
    got = problems_for("F4", roster=bad)
    assert {"roster[2]", "roster[3].age", "roster[4].extra"} <= set(got)
    assert "第 3 行" in got["roster[3].age"]
    assert "attention_students" in problems_for("F6b", attention_students=[{"name": "王"}])


def test_limits_both_sides():
    at_limit = "学" * LONGTEXT_MAX_CHARS
    assert "communication_record" not in problems_for("F1", communication_record=at_limit)
    got = problems_for("F1", communication_record="学" * 100_000)
    assert str(LONGTEXT_MAX_CHARS) in got["communication_record"]
    assert "100000" in got["communication_record"]
    assert "course" in problems_for("F2", course="课" * (TEXT_MAX_CHARS + 1))
    assert "course" not in problems_for("F2", course="课" * TEXT_MAX_CHARS)
    row = sample_values(get_kind("F4"))["roster"][0]
    assert "roster" not in problems_for("F4", roster=[row] * ROWS_MAX)
    got = problems_for("F4", roster=[row] * (ROWS_MAX + 1))
    assert str(ROWS_MAX) in got["roster"]


def test_messages_never_repeat_private_values():
    secret = "欧阳娜娜"
    got = problems_for("F1", prospect_name=secret * 60, contact=secret + "\n",
                       gender=secret, age=secret)
    assert {"prospect_name", "contact", "gender", "age"} <= set(got)
    assert all(secret not in message for message in got.values())
