"""Rendering: Chinese text, A4, signature boxes, HarfBuzz subsetting, warnings routed."""

from __future__ import annotations

import io
import logging

import pypdf
import pytest

from signing import render as render_module
from signing.errors import HarfBuzzMissing
from signing.render import check_harfbuzz_subsetting

FONTTOOLS_FALLBACK = "Using fontTools instead of HarfBuzz-Subset"


def test_chinese_form_renders_on_a4_with_text_and_no_fonttools_fallback(renderer, form_html):
    out = renderer.render(form_html)
    # The fallback warning would mean seconds per page: fail if it fires.
    assert not [w for w in out.warnings if FONTTOOLS_FALLBACK in w], out.warnings
    reader = pypdf.PdfReader(io.BytesIO(out.pdf))
    assert out.page_count == len(reader.pages) == 1
    width, height = (float(v) for v in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    text = reader.pages[0].extract_text()
    assert "学生信息交接单" in text
    assert "少儿英语" in text


def test_signature_boxes_are_in_pdf_points_from_bottom_left(renderer, form_html):
    boxes = renderer.render(form_html).boxes
    assert set(boxes) == {"sender", "receiver"}
    for box in boxes.values():
        assert box.page_index == 0
        # 70 mm x 28 mm plus the 1 px border on each side.
        assert box.x2 - box.x1 == pytest.approx(70 / 25.4 * 72 + 1.5, abs=0.2)
        assert box.y2 - box.y1 == pytest.approx(28 / 25.4 * 72 + 1.5, abs=0.2)
        assert 0 <= box.x1 < box.x2 <= 595.3 and 0 <= box.y1 < box.y2 <= 841.9
    # Both boxes sit on one line, below the heading: the upper part of the page.
    assert boxes["sender"].x2 <= boxes["receiver"].x1
    assert boxes["sender"].y1 > 841.89 / 2


def test_check_harfbuzz_subsetting_passes_here_and_detects_absence(monkeypatch):
    check_harfbuzz_subsetting()
    import weasyprint.text.ffi as ffi

    monkeypatch.setattr(ffi, "harfbuzz_subset", None)
    with pytest.raises(HarfBuzzMissing) as caught:
        check_harfbuzz_subsetting()
    assert caught.value.library == "libharfbuzz-subset0"


def test_weasyprint_warnings_go_to_the_given_logger(renderer, render_logger, caplog):
    html = '<p style="color: notacolor">测试</p><img src="missing.png">'
    with caplog.at_level(logging.WARNING, logger=render_logger.name):
        out = renderer.render(html)
    ours = [r for r in caplog.records if r.name in ("weasyprint", render_logger.name)]
    assert any("notacolor" in r.getMessage() for r in ours)
    assert any("notacolor" in w for w in out.warnings)
    assert render_module.logging.getLogger("weasyprint").propagate is False
