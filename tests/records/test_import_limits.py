"""Hostile and malformed import files (issue 12): each is refused quickly with a clear Chinese
message (ImportFileRejected), never a server error or gigabytes of memory."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from records.import_file import MAX_SHEET_ROWS, ImportFileRejected
from records.student_import import plan_import, read_table_bytes
from tests.records import xlsx_attacks


def refused(data: bytes, suffix: str = ".xlsx", seconds: float = 3.0) -> ImportFileRejected:
    # CPU time, not wall time: a loaded machine (CI beside other jobs) must not fail it, and a
    # reader that parses the whole bomb still spends far more than `seconds` of CPU
    started = time.process_time()
    with pytest.raises(ImportFileRejected) as info:
        read_table_bytes(data, suffix)
    assert time.process_time() - started < seconds
    return info.value


def test_a_zip_bomb_is_refused_quickly_without_unpacking_it():
    bomb = xlsx_attacks.zip_bomb(2048)  # 2 GiB of shared strings
    assert len(bomb) < 3 * 1024 * 1024
    tracemalloc.start()
    try:
        exc = refused(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert exc.reason == "too_large" and "解压后超过" in exc.message_zh
    assert peak < 50 * 1024 * 1024


@pytest.mark.parametrize("declared", [4096, 3 * 1024**3])
def test_a_bomb_that_misstates_its_size_is_refused_too(declared):
    tracemalloc.start()
    try:
        exc = refused(xlsx_attacks.zip_bomb(1024, declared=declared))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert exc.reason in {"too_large", "format"} and peak < 50 * 1024 * 1024


def test_400k_blank_rows_are_refused_fast():
    exc = refused(xlsx_attacks.blank_rows(400_000), seconds=1.0)
    assert exc.reason == "too_many_rows" and exc.limit == MAX_SHEET_ROWS
    assert "空行" in exc.message_zh


@pytest.mark.parametrize("make", [xlsx_attacks.external_entity, xlsx_attacks.entity_expansion])
def test_xml_entities_are_refused(make):
    exc = refused(make())
    assert "DTD" in exc.message_zh and "etc/passwd" not in exc.message_zh


def test_a_formula_cell_holding_text_is_read_as_its_value():
    table = read_table_bytes(xlsx_attacks.formula_holding_text(), ".xlsx")
    plan = plan_import(table)
    assert [data.name for _, data in plan.good] == ["孙浩然"]
    # row 3: a formula never calculated has no value, and an error value is no phone number
    assert [(p.row, p.column) for p in plan.problems] == [(3, "姓名"), (3, "监护人电话")]


def test_too_many_elements_are_refused_before_openpyxl_parses_them():
    from records.import_file import MAX_XML_ELEMENTS

    cells = "".join('<c r="A2"/>' for _ in range(MAX_XML_ELEMENTS))
    data = xlsx_attacks.with_parts(sheet=xlsx_attacks.sheet(
        xlsx_attacks.HEADER_ROW + f'<row r="2">{cells}</row>'))
    assert refused(data, seconds=2.0).reason == "too_complex"


def test_a_csv_field_over_the_csv_limit_is_a_clear_refusal():
    data = ("姓名,监护人电话\r\n" + '"' + "长" * 140_000 + '",13600001111\r\n').encode()
    exc = refused(data, ".csv")
    assert exc.reason == "format" and "第 2 行" in exc.message_zh


def test_a_long_cell_and_too_many_columns_are_refused():
    long_cell = ("姓名,监护人电话\r\n" + "长" * 5000 + ",13600001111\r\n").encode()
    assert refused(long_cell, ".csv").reason == "cell_too_long"
    wide = ("姓名,监护人电话" + ",x" * 100 + "\r\n").encode()
    assert refused(wide, ".csv").reason == "too_many_columns"


def test_letters_in_a_phone_number_are_a_row_problem_not_an_error():
    data = "姓名,监护人电话\r\n孙浩然,138abcd1234\r\n李四,\r\n".encode()
    plan = plan_import(read_table_bytes(data, ".csv"))
    assert [(p.row, p.column) for p in plan.problems] == [(2, "监护人电话"), (3, "监护人电话")]


def test_a_bom_with_bad_utf8_is_an_encoding_refusal():
    assert refused(b"\xef\xbb\xbf\xff\xfe", ".csv").reason == "encoding"


def test_without_defusedxml_an_xlsx_is_refused_not_parsed_plainly(monkeypatch):
    import openpyxl

    monkeypatch.setattr(openpyxl, "DEFUSEDXML", False)
    exc = refused(xlsx_attacks.with_parts())
    assert "defusedxml" in exc.message_zh


def test_a_sheet_hidden_under_a_binary_name_is_scanned_too():
    data = xlsx_attacks.external_entity().replace(b"sheet1.xml", b"sheet1.bin")
    assert "DTD" in refused(data).message_zh
