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


def test_stamp_subset_holds_exactly_what_the_stamp_needs(stamp_font):
    factory = stamp_font.factory("移交人张三招生部")
    font = TTFont(io.BytesIO(factory.font_bytes))
    cmap = font.getBestCmap()
    for char in "移交人张三招生部：2026-11-28 09:30":
        assert ord(char) in cmap, char
    assert ord("李") not in cmap
    assert "GSUB" not in font
    assert len(factory.font_bytes) < 200_000
