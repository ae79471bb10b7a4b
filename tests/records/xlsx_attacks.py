"""Hostile .xlsx files made from a clean one, for the import tests: a zip bomb, a sheet of
blank rows, XML entities (external and expanding), a formula cell holding text. Built by
hand so that the test controls every byte the reader sees."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from openpyxl import Workbook

SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def clean_parts() -> dict[str, bytes]:
    """The parts of a valid one-student list (inline strings, no shared-strings part)."""
    book = Workbook()
    book.active.append(["姓名", "出生日期", "监护人电话"])
    book.active.append(["孙浩然", "2015-02-03", "13600001111"])
    out = io.BytesIO()
    book.save(out)
    with zipfile.ZipFile(out) as z:
        return {name: z.read(name) for name in z.namelist()}


def sheet(rows_xml: str, dtd: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>{dtd}<worksheet xmlns="{MAIN_NS}">'
            f"<sheetData>{rows_xml}</sheetData></worksheet>").encode()


HEADER_ROW = ('<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c>'
              '<c r="B1" t="inlineStr"><is><t>监护人电话</t></is></c></row>')


def with_parts(**replace: bytes) -> bytes:
    """A clean workbook with some parts replaced (keys: "sheet", "strings")."""
    parts = clean_parts()
    names = {"sheet": SHEET, "strings": STRINGS}
    for key, body in replace.items():
        parts[names[key]] = body
    if "strings" in replace:  # the workbook must name the part for the reader to open it
        parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
            b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
        parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
            b"</Relationships>", b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats'
            b'.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
            b"</Relationships>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in parts.items():
            z.writestr(name, body)
    return out.getvalue()


def zip_bomb(expanded_mib: int = 2048, declared: int | None = None) -> bytes:
    """A workbook whose shared-strings part is a few MB packed and `expanded_mib` MiB
    unpacked; its headers tell the truth, or `declared` (a reader must not trust them)."""
    chunk = b"<si><t>" + b"A" * (1 << 20) + b"</t></si>"
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)  # history reset:
    head = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}">'.encode()
    tail = b"</sst>"  # every repeat of the segment unpacks to the same chunk
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = packer.compress(head) + packer.flush(zlib.Z_FULL_FLUSH)
    packer2 = zlib.compressobj(9, zlib.DEFLATED, -15)
    last = packer2.compress(tail) + packer2.flush()
    body = first + segment * expanded_mib + last
    size = len(head) + len(chunk) * expanded_mib + len(tail)
    return _raw_zip(with_parts(strings=b"<sst/>"), STRINGS, body,
                    size if declared is None else declared)


def _raw_zip(template: bytes, name: str, deflated: bytes, size: int) -> bytes:
    """`template` with part `name` replaced by raw deflate data of `size` bytes unpacked
    (CRC left 0: a reader that unpacks it all fails anyway)."""
    with zipfile.ZipFile(io.BytesIO(template)) as z:
        parts = [(n, z.read(n)) for n in z.namelist()]
    out, central = io.BytesIO(), []
    for part, data in parts:
        if part == name:
            payload, method, crc, usize = deflated, 8, 0, size
        else:
            payload, method, crc, usize = data, 0, zlib.crc32(data), len(data)
        offset, encoded = out.tell(), part.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0, crc,
                              len(payload), usize, len(encoded), 0) + encoded + payload)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0,
                                   0, crc, len(payload), usize, len(encoded), 0, 0, 0, 0, 0,
                                   offset) + encoded)
    start = out.tell()
    out.write(b"".join(central))
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central),
                          out.tell() - start, start, 0))
    return out.getvalue()


def blank_rows(count: int = 400_000) -> bytes:
    rows = "".join(f'<row r="{r}"/>' for r in range(2, count + 2))
    return with_parts(sheet=sheet(HEADER_ROW + rows))


def external_entity() -> bytes:
    dtd = '<!DOCTYPE worksheet [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    row = '<row r="2"><c r="A2" t="inlineStr"><is><t>&e;</t></is></c></row>'
    return with_parts(sheet=sheet(HEADER_ROW + row, dtd))


def entity_expansion() -> bytes:
    levels = ['<!ENTITY l0 "hahahahahahahahahaha">'] + [
        f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10)]
    dtd = f"<!DOCTYPE sst [{''.join(levels)}]>"
    strings = (f'<?xml version="1.0" encoding="UTF-8"?>{dtd}<sst xmlns="{MAIN_NS}">'
               "<si><t>&l9;</t></si></sst>").encode()
    return with_parts(strings=strings)


def formula_holding_text() -> bytes:
    row = ('<row r="2"><c r="A2" t="str"><f>"孙"&amp;"浩然"</f><v>孙浩然</v></c>'
           '<c r="B2" t="str"><f>"1360000"&amp;"1111"</f><v>13600001111</v></c></row>'
           '<row r="3"><c r="A3" t="str"><f>A2&amp;"二"</f></c>'
           '<c r="B3" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>')
    return with_parts(sheet=sheet(HEADER_ROW + row))
