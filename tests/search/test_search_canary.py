"""The canary: private values indexed are absent in clear from every file of the index folder
(policy C1, C2), and never appear in logs or error messages either."""

from __future__ import annotations

import logging

import pytest

from search import IndexDocument, QuerySyntaxError, SearchIndex
from tests.canary import assert_absent, find_occurrences
from tests.search.search_helpers import EVERYTHING, handover

NAME = "欧阳明轩"
PHONE = "13812345678"
ADDRESS = "幸福路88号"
ID_NUMBER = "11010520150307123X"
NOTE = "家庭经济困难"
CANARIES = [NAME, PHONE, ADDRESS, ID_NUMBER, NOTE, "明轩", "Python入门班".lower()]


def _private_docs() -> list[IndexDocument]:
    return [
        handover(
            "h1",
            number="JJ-2026-0001",
            texts={
                "name": NAME,
                "contact": f"电话 {PHONE}",
                "address": ADDRESS,
                "notes": f"{NOTE}，报名Python入门班",
            },
            exact=(PHONE, ID_NUMBER),
        )
    ]


def test_scanner_finds_values_written_in_clear(tmp_path):
    """The scanner itself can fail: a file holding a value in UTF-16 is reported."""
    (tmp_path / "x.bin").write_bytes(b"\x00" + NAME.encode("utf-16-le"))
    assert find_occurrences(tmp_path, [NAME]) == [(tmp_path / "x.bin", 0, "utf-16-le")]
    with pytest.raises(AssertionError):
        assert_absent(tmp_path, [NAME])


def test_index_folder_holds_no_private_value(tmp_path, token_key, jieba_cache):
    # jieba's dictionary cache is kept outside (it is public, but holds common words such as
    # 明轩 that would trip any scan); everything the index writes is scanned
    ix = SearchIndex(tmp_path / "ix", token_key, jieba_cache_dir=jieba_cache)
    ix.add_or_update(_private_docs())
    for query in [NAME, "明轩", PHONE, ID_NUMBER, ADDRESS, NOTE]:
        assert ix.search(query, visibility=EVERYTHING).total == 1, query
    ix.delete(["nothing"])
    ix.rebuild(_private_docs())
    ix.close()
    assert_absent(tmp_path / "ix", CANARIES)


def test_keyed_tokens_depend_on_the_key(make_index, tmp_path):
    """The same text under another key does not match: tokens are keyed, not plain hashes."""
    ix = make_index()
    ix.add_or_update(_private_docs())
    other = SearchIndex(tmp_path / "ix", b"another key of 32 bytes........!")
    try:
        assert other.search(NAME, visibility=EVERYTHING).total == 0
        assert other.search("JJ-2026-0001", visibility=EVERYTHING).total == 1
    finally:
        other.close()


def test_logs_and_errors_hold_no_private_value(make_index, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    ix = make_index(rebuild=_private_docs)
    ix.add_or_update(_private_docs())
    ix.close()
    for seg in (tmp_path / "ix").glob("ix-*/*.seg"):
        seg.write_bytes(seg.read_bytes()[:100])
    ix = make_index(rebuild=_private_docs)
    assert ix.search(NAME, visibility=EVERYTHING).total == 1
    assert "damaged" in caplog.text
    with pytest.raises(QuerySyntaxError) as err:
        ix.search(f'"{NAME} {PHONE}', visibility=EVERYTHING)
    texts = [caplog.text, str(err.value), repr(err.value.args)]
    for text in texts:
        for value in CANARIES:
            assert value not in text
