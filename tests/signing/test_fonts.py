"""The stamp font: extracted once from Noto's collection, then tiny per-stamp subsets."""

from __future__ import annotations

import io

from fontTools.ttLib import TTFont

from signing.fonts import StampFont


def test_face_extracted_once_and_cached(stamp_font, tmp_path):
    path = stamp_font.path
    font = TTFont(path)
    assert font["name"].getDebugName(1) == "Noto Sans CJK SC"
    cmap = font.getBestCmap()
    assert ord("张") in cmap and ord("A") in cmap
    assert ord("가") not in cmap  # Hangul is outside the kept ranges
    stamp = path.stat().st_mtime_ns
    assert StampFont(path.parent).path.stat().st_mtime_ns == stamp


def test_stamp_subset_holds_exactly_what_the_stamp_shows(stamp_font):
    text = "移交人：张三\n招生部\n2026-11-28 09:30"
    factory = stamp_font.factory(text)
    font = TTFont(io.BytesIO(factory.font_bytes))
    shown = {ord(c) for c in text if c != "\n"}
    assert set(font.getBestCmap()) == shown
    assert len(font.getGlyphOrder()) == len(shown) + 1  # and .notdef
    assert "GSUB" not in font
    assert len(factory.font_bytes) < 10_000
