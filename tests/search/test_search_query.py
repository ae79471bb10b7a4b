"""The query language: trees for good queries, QuerySyntaxError with a Chinese message and a
position for malformed ones, never any other exception."""

from __future__ import annotations

import random
import re

import pytest

from search import QuerySyntaxError
from search.query import And, Not, Or, Phrase, Word, parse
from tests.search.search_helpers import EVERYTHING

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_trees():
    assert parse("") is None
    assert parse("   ") is None
    assert parse("欧阳") == Word("欧阳", 0)
    assert parse("a b") == And((Word("a", 0), Word("b", 2)))
    assert parse("a AND b OR c") == Or((And((Word("a", 0), Word("b", 6))), Word("c", 11)))
    assert parse("a 或者 b") == Or((Word("a", 0), Word("b", 5)))
    assert parse("-a") == Not(Word("a", 1))
    assert parse("不含 a") == Not(Word("a", 3))
    assert parse('"a b"') == Phrase("a b", 0)
    assert parse("（a）") == Word("a", 1)
    assert parse("x (a OR b)") == And((Word("x", 0), Or((Word("a", 3), Word("b", 8)))))


def test_operators_only_as_whole_words():
    assert parse("不含税") == Word("不含税", 0)
    assert parse("not") == Word("not", 0)
    assert parse("ANDROID") == Word("ANDROID", 0)
    assert parse("138-1234-5678") == Word("138-1234-5678", 0)
    assert parse('"NOT a"') == Phrase("NOT a", 0)


@pytest.mark.parametrize(
    ("query", "position", "fragment"),
    [
        ('"欧阳', 0, "引号不成对"),
        ("王芳 “期末", 3, "引号不成对"),
        ("(欧阳 OR 王芳", 0, "左括号没有闭合"),
        ("欧阳)", 2, "右括号没有对应的左括号"),
        ("欧阳 AND", 3, "AND"),
        ("OR 欧阳", 0, "OR"),
        ("欧阳 OR OR 王芳", 3, "OR"),
        ("NOT", 0, "NOT"),
        ("欧阳 不含", 3, "不含"),
        ("()", 0, "括号内没有搜索词"),
        ('""', 0, "引号内没有搜索词"),
        ("(欧阳 AND)", 4, "AND"),
    ],
)
def test_malformed_queries(query, position, fragment):
    with pytest.raises(QuerySyntaxError) as err:
        parse(query)
    assert err.value.position == position
    assert fragment in err.value.message_zh
    assert CJK.search(err.value.message_zh)
    assert err.value.query == query
    for word in ("欧阳", "王芳", "期末"):  # the message never repeats what was searched
        assert word not in str(err.value)


def test_search_raises_query_syntax_error_not_anything_else(index):
    with pytest.raises(QuerySyntaxError):
        index.search("(欧阳", visibility=EVERYTHING)
    with pytest.raises(QuerySyntaxError):
        index.snippet("欧阳明轩", "欧阳 AND")


def test_random_queries_parse_or_fail_cleanly(index):
    pieces = ["欧阳", "王芳", "AND", "OR", "NOT", "不含", "或者", "并且", "-", "(", ")", "（",
              "）", '"', "“", "”", " ", "python", "3级", "-入门", "JJ-2026-0001", "&", "|"]
    rng = random.Random(20260301)
    for _ in range(300):
        query = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 8)))
        try:
            index.search(query, visibility=EVERYTHING)
        except QuerySyntaxError as err:
            assert 0 <= err.position <= len(query)
            assert CJK.search(err.message_zh)
