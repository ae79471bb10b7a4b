"""Snippets: escaped HTML, matches in <mark>, a window around the first match."""

from __future__ import annotations

from search import SearchIndex

snippet = SearchIndex.snippet


def test_marks_matches_and_escapes_everything_else():
    out = snippet('学生<script>alert("x")</script>欧阳明轩报名', "欧阳明轩")
    assert out == "学生&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;<mark>欧阳明轩</mark>报名"


def test_escapes_inside_marks_too():
    assert snippet("a<b>c", '"a<b"') == "<mark>a&lt;b</mark>&gt;c"


def test_several_terms_case_and_width_insensitive():
    out = snippet("报名Ｐｙｔｈｏｎ入门班，GESP3级", "python gesp3级")
    assert out == "报名<mark>Ｐｙｔｈｏｎ</mark>入门班，<mark>GESP3级</mark>"


def test_negated_terms_are_not_marked():
    assert snippet("王芳和李子涵", "王芳 NOT 李子涵") == "<mark>王芳</mark>和李子涵"


def test_phone_marked_whatever_its_notation():
    assert snippet("电话 138 1234 5678", "13812345678") == "电话 <mark>138 1234 5678</mark>"


def test_window_around_first_match():
    text = "甲" * 300 + "欧阳明轩" + "乙" * 300
    out = snippet(text, "明轩")
    assert out.startswith("…") and out.endswith("…")
    assert "<mark>明轩</mark>" in out
    assert len(out.replace("<mark>", "").replace("</mark>", "")) == 122


def test_no_match_gives_the_start():
    assert snippet("期末成绩优秀", "火星") == "期末成绩优秀"
