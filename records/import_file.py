"""An uploaded spreadsheet read as untrusted input: CSV (UTF-8 with or without BOM, or
GB18030/GBK as Excel saves it in China) or Excel .xlsx, as rows of cells, refusing with a clear
Chinese message (`ImportFileRejected`) anything that could cost the server more than a real
school list does (issue 12: a 2 MB .xlsx that unpacked to 2 GiB, 400k blank rows, XML
entities, a CSV field over the csv module's limit).

An .xlsx is a zip of XML parts. Before openpyxl opens it: at most `MAX_XLSX_PARTS` parts, and
at most `MAX_UNPACKED_BYTES` unpacked in all, counted from the sizes the archive declares and
again while each part is unpacked in chunks (never more than one chunk in memory). Each XML
part is parsed by expat as it is unpacked: no DTD (no real workbook has one; entities live
there), at most `MAX_SHEET_ROWS` rows in a part and `MAX_XML_ELEMENTS` elements in all, since
openpyxl reads the shared strings whole and, in read_only mode too, parses a sheet without a
declared size to its end before the first row. openpyxl then reads through defusedxml (refused
if that is missing), one row at a time; the sheet's declared dimensions are ignored, so a
stray cell at XFD1048576 pads nothing. While rows are read, their number (blank ones
included), their columns and the length of each cell are limited, for CSV alike.
"""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any
from xml.parsers import expat

from records.errors import DomainError

__all__ = ["ImportFileRejected", "MAX_CELL_CHARS", "MAX_COLUMNS", "MAX_SHEET_ROWS",
           "MAX_UNPACKED_BYTES", "MAX_XLSX_PARTS", "MAX_XML_ELEMENTS", "read_rows"]

MAX_UNPACKED_BYTES = 64 * 1024 * 1024
"""All parts of an .xlsx unpacked: a 5,000-student list is a few MB."""
MAX_XLSX_PARTS = 200
"""Parts in an .xlsx: a plain list has about ten."""
MAX_SHEET_ROWS = 20_000
"""Rows read from the file, blank ones included (Excel keeps formatted empty rows)."""
MAX_COLUMNS = 64
"""Cells in one row: the template has nine columns."""
MAX_CELL_CHARS = 2_000
"""Characters in one cell: a long address or health note has a few hundred."""
MAX_XML_ELEMENTS = 400_000
"""XML elements in all parts of an .xlsx: 5,000 rows of nine cells take about 150,000."""
_CHUNK = 1024 * 1024
_BOMS = (b"\xef\xbb", b"\xff\xfe", b"\xfe\xff")  # XML in UTF-8 with a BOM, or UTF-16


class ImportFileRejected(DomainError):
    """The file as a whole cannot be imported; `reason` is a short code, `limit` a number."""

    def __init__(self, reason: str, message_zh: str, limit: int | None = None):
        self.reason, self.limit = reason, limit
        super().__init__(message_zh)


def _unreadable() -> ImportFileRejected:
    return ImportFileRejected("format", "无法读取该 Excel 文件，请确认是 .xlsx 格式。")


def read_rows(data: bytes, suffix: str) -> Iterator[tuple[Any, ...] | list[str]]:
    """The cells of each row of the first sheet, row 1 first, within the limits above."""
    if suffix == ".xlsx":
        rows = _xlsx_rows(data)
    elif suffix in (".csv", ".txt"):
        rows = _csv_rows(data)
    else:
        raise ImportFileRejected("format", "只支持 .csv 和 .xlsx 文件（Excel 请另存为 .xlsx）。")
    for number, cells in enumerate(rows, start=1):
        if number > MAX_SHEET_ROWS:
            raise _too_many_rows()
        if len(cells) > MAX_COLUMNS and any(c not in (None, "") for c in cells[MAX_COLUMNS:]):
            raise ImportFileRejected("too_many_columns", f"第 {number} 行超过 {MAX_COLUMNS} "
                                     "列的上限，请只保留模板中的列。", MAX_COLUMNS)
        for cell in cells:
            if isinstance(cell, str) and len(cell) > MAX_CELL_CHARS:
                raise ImportFileRejected("cell_too_long", f"第 {number} 行有单元格超过 "
                                         f"{MAX_CELL_CHARS} 个字符的上限。", MAX_CELL_CHARS)
        yield cells


# -- CSV -------------------------------------------------------------------------------------


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    reader = csv.reader(io.StringIO(_decode(data), newline=""))
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error:  # a field over the csv module's own limit, a stray NUL, ...
            raise ImportFileRejected(
                "format", f"CSV 文件第 {reader.line_num} 行无法读取：单元格过长（超过 "
                f"{MAX_CELL_CHARS} 个字符）或格式有误。", MAX_CELL_CHARS) from None


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8")
        except UnicodeDecodeError:
            pass
    else:
        for encoding in ("utf-8", "gb18030"):  # GB18030 is a superset of GBK and GB2312
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
    raise ImportFileRejected("encoding", "无法识别文件编码，请保存为 UTF-8 或 GBK 编码的 CSV。")


# -- xlsx ------------------------------------------------------------------------------------


class _PartScan:
    """One XML part read by expat as it is unpacked: counts rows and elements, refuses a
    DTD (and so any entity) before anything in it is used."""

    def __init__(self, budget: list[int]):
        self.rows, self.budget = 0, budget
        self.parser = expat.ParserCreate()
        self.parser.StartDoctypeDeclHandler = self._doctype
        self.parser.EntityDeclHandler = self._doctype
        self.parser.StartElementHandler = self._element

    def _doctype(self, *_args) -> None:
        raise ImportFileRejected("format", "Excel 文件含有不允许的 XML 声明（DTD 或实体），"
                                 "请在 Excel 中另存为新的 .xlsx 文件后再导入。")

    def _element(self, name: str, _attrs) -> None:
        self.budget[0] -= 1
        if self.budget[0] < 0:
            raise ImportFileRejected("too_complex", "Excel 文件内容过多（超过 "
                                     f"{MAX_XML_ELEMENTS} 个 XML 元素），不是一份正常的学生名单，"
                                     "请只保留名单本身后再导入。", MAX_XML_ELEMENTS)
        if name == "row" or name.endswith(":row"):
            self.rows += 1
            if self.rows > MAX_SHEET_ROWS:
                raise _too_many_rows()

    def feed(self, chunk: bytes, final: bool = False) -> None:
        self.parser.Parse(chunk, final)


def _too_many_rows() -> ImportFileRejected:
    return ImportFileRejected("too_many_rows", f"文件超过 {MAX_SHEET_ROWS} 行（含空行）的上限："
                              "请删除多余的空行，或分批导入。", MAX_SHEET_ROWS)


def _looks_like_xml(name: str, first_chunk: bytes) -> bool:
    """Whether a part may be read as XML by openpyxl: by its name, or by its first bytes
    (whatever a hostile file calls it); images and other binary parts are only counted."""
    start = first_chunk.lstrip()[:1]
    return name.endswith((".xml", ".rels")) or start in (b"", b"<") or first_chunk[:2] in _BOMS


def _check_archive(data: bytes) -> None:
    """Parts, unpacked size (declared, then counted while unpacking), and every XML part
    scanned as it is unpacked (see _PartScan), before openpyxl reads anything."""
    too_big = ImportFileRejected("too_large", "Excel 文件解压后超过 "
                                 f"{MAX_UNPACKED_BYTES // 1024 // 1024} MB 的上限，不是一份"
                                 "正常的学生名单。", MAX_UNPACKED_BYTES)
    budget = [MAX_XML_ELEMENTS]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            if len(parts) > MAX_XLSX_PARTS:
                raise _unreadable()
            if sum(p.file_size for p in parts) > MAX_UNPACKED_BYTES:
                raise too_big
            unpacked = 0
            for part in parts:
                scan: _PartScan | None = None
                with archive.open(part) as stream:
                    first = True
                    while chunk := stream.read(_CHUNK):
                        unpacked += len(chunk)
                        if unpacked > MAX_UNPACKED_BYTES:
                            raise too_big
                        if first and _looks_like_xml(part.filename, chunk):
                            scan = _PartScan(budget)
                        first = False
                        if scan is not None:
                            scan.feed(chunk)
                if scan is not None:
                    scan.feed(b"", final=True)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError,
            expat.ExpatError, zlib.error):
        raise _unreadable() from None


def _xlsx_rows(data: bytes) -> Iterator[tuple[Any, ...]]:
    from openpyxl import DEFUSEDXML, load_workbook

    if not DEFUSEDXML:  # fail closed: openpyxl would parse with the plain stdlib parser
        raise ImportFileRejected("format", "服务器缺少安全读取 Excel 文件的组件（defusedxml），"
                                 "暂时只能导入 CSV 文件，请联系管理员。")
    _check_archive(data)
    # what a damaged or hostile workbook raises inside openpyxl: XML syntax errors (stdlib and
    # lxml) are SyntaxErrors, defusedxml's refusals ValueErrors
    broken = (zipfile.BadZipFile, KeyError, ValueError, TypeError, IndexError, OSError,
              EOFError, SyntaxError)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except broken:
        raise _unreadable() from None
    try:
        if not workbook.worksheets:
            raise _unreadable()
        worksheet = workbook.worksheets[0]
        worksheet.reset_dimensions()  # the declared size is the file's word, not a fact
        rows = worksheet.iter_rows(values_only=True)
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except broken:
                raise _unreadable() from None
            yield row
    finally:
        workbook.close()
