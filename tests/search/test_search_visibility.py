"""Leaks: what a caller may not see leaves no trace in hits, counts, facets, pages,
suggestions, matched terms or snippets; metadata-only callers find numbers, never content."""

from __future__ import annotations

import pytest

from search import Filters, Visibility
from tests.search.search_helpers import ids

# u-aca-1 receives h1 and h3; ENR sent h1; h2 went to u-aca-2; h4 went to TEA.
ACA_CLERK = Visibility(receiver_ids={"u-aca-1"})
SUPERVISION = Visibility(metadata_only_all=True)


def test_excluded_document_leaves_no_trace_even_when_named_exactly(index):
    for query in ["王芳", "JJ-2026-0002", "13900001111", "Scratch创意编程", "王芳 OR 欧阳"]:
        res = index.search(query, visibility=ACA_CLERK)
        assert "h2" not in ids(res)
        assert res.total == len(res.hits)
        assert "F7" not in res.facets.get("kind", {})
        assert "completed" not in res.facets.get("status", {})
        assert "TEA" not in res.facets.get("department", {})
    assert index.search("王芳", visibility=ACA_CLERK).total == 0


def test_counts_facets_and_pages_reflect_only_visible_documents(index):
    res = index.search("", visibility=ACA_CLERK, page_size=1)
    assert res.total == 2 and res.pages == 2
    assert res.facets["kind"] == {"F2": 1, "F10": 1}
    assert res.facets["department"] == {"ACA": 2, "ENR": 1, "FIN": 1}
    page2 = index.search("", visibility=ACA_CLERK, page=2, page_size=1)
    assert {res.hits[0].doc_id, page2.hits[0].doc_id} == {"h1", "h3"}
    assert index.search("", visibility=ACA_CLERK, page=3, page_size=1).hits == []


def test_each_criterion_grants_exactly_its_documents(index):
    cases = [
        (Visibility(doc_ids={"h2"}), ["h2"]),
        (Visibility(sender_ids={"u-fin-1"}), ["h3"]),
        (Visibility(receiver_ids={"u-tea-2"}), ["h4"]),
        (Visibility(departments={"TEA"}), ["h4"]),  # receiving department, not sender
        (Visibility(departments={"ACA"}), ["h1", "h2", "h3", "s1"]),
        (Visibility(student_ids={"s1"}), ["h1", "s1"]),
        (Visibility(), []),
        (Visibility(receiver_ids={"nobody"}), []),  # matches no document at all
    ]
    for vis, expected in cases:
        assert ids(index.search("", visibility=vis)) == expected, vis


def test_nothing_visible_means_nothing_found(index):
    res = index.search("欧阳", visibility=Visibility())
    assert res.total == 0 and res.hits == [] and res.facets == {}
    assert index.suggest("JJ", visibility=Visibility()) == []


def test_filters_cannot_widen_visibility(index):
    res = index.search("", visibility=ACA_CLERK, filters=Filters(kinds={"F7"}))
    assert res.total == 0


def test_suggestions_only_for_visible_numbers(index):
    assert index.suggest("jj-2026", visibility=ACA_CLERK) == ["JJ-2026-0001", "JJ-2026-0003"]
    assert index.suggest("JJ-2026-000", visibility=SUPERVISION, limit=3) == [
        "JJ-2026-0001",
        "JJ-2026-0002",
        "JJ-2026-0003",
    ]


def test_metadata_only_matches_number_not_content(index):
    assert ids(index.search("JJ-2026-0002", visibility=SUPERVISION)) == ["h2"]
    for query in ["王芳", "成绩", "13900001111", '"期末成绩"', "JJ-2026-0002 王芳"]:
        assert index.search(query, visibility=SUPERVISION).total == 0, query


def test_metadata_only_hit_reveals_no_content_match(index):
    res = index.search("JJ-2026-0002 OR 王芳", visibility=SUPERVISION)
    [hit] = res.hits
    assert hit.doc_id == "h2"
    assert hit.matched_terms == ("JJ-2026-0002",)
    assert hit.content_visible is False
    assert hit.meta["number"] == "JJ-2026-0002" and hit.meta["kind"] == "F7"


@pytest.mark.parametrize("op", ["NOT", "-"])
def test_negated_content_is_no_oracle_for_metadata_only_callers(index, op):
    """`number NOT word` must answer the same whether or not the document contains word."""
    sep = " " if op == "NOT" else ""
    contains = index.search(f"JJ-2026-0002 {op}{sep}王芳", visibility=SUPERVISION)
    lacks = index.search(f"JJ-2026-0002 {op}{sep}李子涵", visibility=SUPERVISION)
    assert ids(contains) == ids(lacks) == ["h2"]


def test_full_and_metadata_only_together(index):
    vis = Visibility(receiver_ids={"u-aca-1"}, metadata_only_all=True)
    # content of h1 (visible) matches; content of h2 (metadata only) does not
    assert ids(index.search("欧阳 OR 王芳", visibility=vis)) == ["h1"]
    # numbers of both match, and each hit says whether its content may be shown
    res = index.search("JJ-2026-0001 OR JJ-2026-0002", visibility=vis)
    assert {h.doc_id: h.content_visible for h in res.hits} == {"h1": True, "h2": False}
    # the content term is evaluated for the visible branch; it must not be reported for h2
    res = index.search("JJ-2026-0002 OR 王芳", visibility=vis)
    assert [(h.doc_id, h.matched_terms) for h in res.hits] == [("h2", ("JJ-2026-0002",))]
    # a fully visible document is judged on its content, also under NOT
    assert ids(index.search("JJ-2026-0001 NOT 欧阳", visibility=vis)) == []


def test_metadata_only_departments(index):
    vis = Visibility(metadata_only_departments={"FIN"})
    assert ids(index.search("JJ-2026-0003", visibility=vis)) == ["h3"]
    assert ids(index.search("JJ-2026-0002", visibility=vis)) == []
    assert ids(index.search("退费", visibility=vis)) == []


def test_snippets_only_for_content_visible_hits(index):
    """The index hands out no text; a caller makes snippets from decrypted text, and only
    for hits whose content it may see."""
    res = index.search("JJ-2026-0002 OR 王芳", visibility=SUPERVISION)
    assert all(not h.content_visible for h in res.hits)
    assert not any(hasattr(h, "text") or hasattr(h, "snippet") for h in res.hits)
    res = index.search("王芳", visibility=Visibility(doc_ids={"h2"}))
    assert res.hits[0].content_visible
    assert "<mark>王芳</mark>" in index.snippet("学生王芳，期末成绩优秀", "王芳")
