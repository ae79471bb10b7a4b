"""Characters with no use in a name or a note are refused (issue 12): NUL, BEL, escape, and
the bidirectional overrides that make a name read backwards; the CLI shows them escaped; a
spreadsheet export never runs a value as a formula."""

from __future__ import annotations

import pytest

from records.catalogue import get_kind
from records.students import StudentInput
from records.text_rules import bad_characters, escape_for_terminal, neutralise_formula
from records.validation import validate_values


@pytest.mark.parametrize("bad", ["张\x00三", "张\x07三", "张\x1b[2J三", "张\u202e三", "张\u2066三",
                                 "\u200f张三", "张\x7f三", "张\x85三"])
def test_control_and_bidi_characters_are_refused_in_names(bad):
    problems = StudentInput(bad, guardian_phone="13812345678").problems()
    assert [p.field for p in problems] == ["name"] and "控制字符" in problems[0].message_zh
    assert bad not in problems[0].message_zh  # the message never repeats the value


def test_form_text_fields_refuse_them_and_long_text_keeps_line_breaks():
    kind = get_kind("F9")
    values = {"student": {"number": "XS-2026-00001", "name": "张三"},
              "current_class": "初二\u202e1班", "intent": "续班", "contact_date": "2026-11-02",
              "parent_feedback": "第一行\n第二行\t缩进"}
    assert [p.field for p in validate_values(kind, values)] == ["current_class"]
    values["current_class"] = "初二1班"
    values["parent_feedback"] = "反馈\x07"
    assert [p.field for p in validate_values(kind, values)] == ["parent_feedback"]


def test_cli_escapes_and_exports_neutralise():
    assert escape_for_terminal("张\u202e三\x07") == "张\\u202e三\\u0007"
    assert bad_characters("普通的名字 O'Brien-李") is None
    for formula in ("=cmd|' /C calc'!A0", "+1+1", "-2", "@SUM(A1)"):
        assert neutralise_formula(formula) == "'" + formula
    assert neutralise_formula("张三") == "张三" and neutralise_formula(5) == 5
