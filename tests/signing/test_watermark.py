"""Watermarked copies: every page carries the lines; the signed original is untouched."""

from __future__ import annotations

import hashlib
import io

import pypdf

from signing.watermark import watermark

LINES = ["查看人：王五（教务部）", "时间：2026-11-28 10:30", "用途：核对报名信息"]
TWO_PAGES = """<html lang="zh-Hans"><body><h1>第一页</h1>
<p style="page-break-after: always">学生名单</p><h1>第二页</h1><p>成绩</p></body></html>"""


def _texts(pdf: bytes) -> list[str]:
    return [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def test_every_page_carries_the_lines(renderer):
    original = renderer.render(TWO_PAGES).pdf
    texts = _texts(watermark(original, LINES, renderer))
    assert len(texts) == 2
    for text in texts:
        for line in LINES:
            assert line in text
    assert "第二页" in texts[1]


def test_signed_original_is_unchanged_and_copy_is_not_a_signed_file(countersigned, renderer,
                                                                    verify):
    digest = hashlib.sha256(countersigned).hexdigest()
    copy = watermark(countersigned, LINES, renderer)
    assert hashlib.sha256(countersigned).hexdigest() == digest
    assert verify(countersigned).ok
    # A new file, not an update appended after the last signature (pyHanko issue 259).
    assert not copy.startswith(countersigned[:-64])
    reader = pypdf.PdfReader(io.BytesIO(copy))
    assert "/AcroForm" not in reader.trailer["/Root"]
    assert not reader.get_fields()
    text = reader.pages[0].extract_text()
    # The stamps are kept, flattened into the page.
    assert "移交人：张三" in text and "接收人：李四" in text
    assert all(line in text for line in LINES)
    assert not verify(copy).signatures
