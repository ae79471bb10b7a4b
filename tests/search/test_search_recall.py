"""Chinese recall: names and their two-character parts, courses, notes, mixed scripts, exact
numbers; the query language (NOT, phrases, OR, parentheses, Chinese operators); filters,
facets, sorting and pages."""

from __future__ import annotations

import datetime as dt

import pytest

from search import Filters
from tests.search.search_helpers import EVERYTHING, handover, ids


def find(index, query, **kwargs):
    return ids(index.search(query, visibility=EVERYTHING, **kwargs))


@pytest.mark.parametrize("query", ["欧阳明轩", "欧阳", "阳明", "明轩"])
def test_full_name_and_every_two_character_part(index, query):
    assert find(index, query) == ["h1", "s1"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("王芳", ["h2"]),
        ("李子涵", ["h3"]),
        ("子涵", ["h3"]),
        ("乐高机器人班", ["h3"]),
        ("机器人", ["h3"]),
        ("Scratch创意编程", ["h2"]),
        ("编程", ["h2", "s1"]),
        ("退费", ["h3"]),
        ("成绩优秀", ["h2"]),
        ("家长", ["h1"]),
        ("搬家", ["h3"]),
    ],
)
def test_courses_and_note_words(index, query, expected):
    assert find(index, query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Python入门班", ["h1"]),
        ("python", ["h1", "h4"]),
        ("PYTHON", ["h1", "h4"]),
        ("Ｐｙｔｈｏｎ入门班", ["h1"]),  # full-width letters as typed by a Chinese IME
        ("GESP3级", ["h1"]),
        ("gesp", ["h1"]),
        ("3级", ["h1"]),
        ("88号", ["h1"]),
    ],
)
def test_mixed_chinese_latin_and_digits(index, query, expected):
    assert find(index, query) == expected


@pytest.mark.parametrize("query", ["13812345678", "138-1234-5678", "１３８１２３４５６７８"])
def test_phone_found_by_exact_match_in_any_notation(index, query):
    assert find(index, query) == ["h1", "s1"]


def test_id_number_exact_with_check_letter(index):
    assert find(index, "11010520150307123x") == ["h1"]


def test_exact_values_match_only_whole(index):
    assert find(index, "12345678") == []
    assert find(index, "1381234") == []
    assert find(index, "1101052015") == []


def test_a_name_does_not_match_across_other_text(index):
    # 明 and 轩 both occur elsewhere, never together: substring matching is exact
    assert find(index, "轩明") == []
    assert find(index, "欧阳芳") == []


def test_not_and_minus_exclude(index):
    assert find(index, "python") == ["h1", "h4"]
    assert find(index, "python NOT 入门") == ["h4"]
    assert find(index, "python -入门") == ["h4"]
    assert find(index, "python 不含 进阶") == ["h1"]
    assert find(index, "NOT 欧阳") == ["h2", "h3", "h4"]


def test_not_applies_to_the_whole_term_not_to_its_parts(index):
    # NOT 入门班 must not also exclude documents that merely contain 入门 (h3)
    assert find(index, "NOT 入门班") == ["h2", "h3", "h4", "s1"]


def test_phrases_are_position_exact(index):
    assert find(index, '"入门班"') == ["h1"]
    assert find(index, '"班入门"') == []
    assert find(index, "“期末成绩”") == ["h2"]
    assert find(index, '"python 进阶"') == ["h4"]
    assert find(index, '"进阶 python"') == []


def test_or_and_parentheses(index):
    assert find(index, "王芳 OR 李子涵") == ["h2", "h3"]
    assert find(index, "王芳 或者 李子涵") == ["h2", "h3"]
    assert find(index, "(王芳 OR 李子涵) 退费") == ["h3"]
    assert find(index, "（王芳 或者 李子涵） 并且 退费") == ["h3"]
    assert find(index, "python AND (入门 OR 三楼)") == ["h1", "h4"]


def test_words_found_apart_when_not_adjacent(index):
    # jieba words of one query term, all present but not adjacent in the document
    assert find(index, "家长孩子") == ["h1"]


def test_handover_number_matches(index):
    assert find(index, "JJ-2026-0003") == ["h3"]
    assert find(index, "jj-2026-0003") == ["h3"]


def test_filters(index):
    assert find(index, "", filters=Filters(kinds={"F7", "F10"})) == ["h2", "h3"]
    assert find(index, "", filters=Filters(statuses={"returned"})) == ["h4"]
    assert find(index, "", filters=Filters(departments={"TEA"})) == ["h2", "h4"]
    assert find(index, "", filters=Filters(overdue=True)) == ["h3"]
    window = Filters(date_from=dt.date(2026, 4, 10), date_to=dt.date(2026, 5, 20))
    assert find(index, "", filters=window) == ["h2", "h3"]
    assert find(index, "python", filters=Filters(departments={"ENR"})) == ["h1"]


def test_facets_count_all_matches_not_just_the_page(index):
    res = index.search("", visibility=EVERYTHING, page_size=1)
    assert res.total == 5 and res.pages == 5 and len(res.hits) == 1
    assert res.facets["kind"] == {"F2": 1, "F7": 1, "F10": 1, "F3": 1}
    assert res.facets["status"] == {"submitted": 2, "completed": 1, "returned": 1}
    assert res.facets["department"] == {"ACA": 5, "ENR": 1, "TEA": 2, "FIN": 1}


def test_sort_by_date_and_pages(index):
    first = index.search("", visibility=EVERYTHING, sort="date", page_size=2)
    second = index.search("", visibility=EVERYTHING, sort="date", page=2, page_size=2)
    assert [h.doc_id for h in first.hits] == ["h4", "h3"]
    assert [h.doc_id for h in second.hits] == ["h2", "h1"]
    assert first.pages == 3


def test_relevance_prefers_more_matches(make_index):
    ix = make_index()
    ix.add_or_update(
        [
            handover("a", number="A", texts={"notes": "数学作业按时完成"}),
            handover("b", number="B", texts={"notes": "数学作业数学测验数学竞赛"}),
        ]
    )
    res = ix.search("数学", visibility=EVERYTHING)
    assert [h.doc_id for h in res.hits] == ["b", "a"]
    assert res.hits[0].score > res.hits[1].score > 0


def test_update_replaces_and_delete_removes(index):
    index.add_or_update([handover("h2", number="JJ-2026-0002", texts={"name": "王小芳"})])
    assert find(index, "王芳") == []
    assert find(index, "王小芳") == ["h2"]
    index.delete(["h2", "unknown"])
    assert find(index, "王小芳") == []
    assert index.doc_count() == 4


def test_matched_terms_name_the_query_words(index):
    res = index.search("欧阳 OR 王芳 OR 火星", visibility=EVERYTHING)
    by_id = {h.doc_id: h.matched_terms for h in res.hits}
    assert by_id["h1"] == ("欧阳",)
    assert by_id["h2"] == ("王芳",)
