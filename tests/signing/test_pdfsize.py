"""Small signed PDFs: every embedded font holds only the glyphs drawn, and nothing else changes.

Two copies of each handover are kept, and a one-page form used to weigh 376 KB, almost all
of it font programs that held (empty) slots for every glyph of Noto Sans CJK.
"""

from __future__ import annotations

import io
import logging
import re
import subprocess
from pathlib import Path

import pypdf
import pytest
from fontTools.cffLib import CFFFontSet
from fontTools.ttLib import TTFont
from weasyprint import CSS, HTML

from signing import fontsubset
from signing.fontsubset import subset_cid_keyed_cff
from signing.render import _DEFAULT_CSS

#: Issue 10: a countersigned one-page form at most 150 KB.
MAX_COUNTERSIGNED = 150_000
#: A TrueType font (Debian's fonts-dejavu-core, which fontconfig usually pulls in).
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
needs_dejavu = pytest.mark.skipif(not DEJAVU.exists(), reason="fonts-dejavu-core missing")


def _cids_in_widths(widths) -> set[int]:
    """The CIDs a CIDFont's /W array gives widths for (the glyphs its text draws)."""
    cids: set[int] = set()
    items = list(widths)
    i = 0
    while i < len(items):
        first = int(items[i])
        if isinstance(items[i + 1], pypdf.generic.ArrayObject):
            cids.update(range(first, first + len(items[i + 1])))
            i += 2
        else:
            cids.update(range(first, int(items[i + 1]) + 1))
            i += 3
    return cids


def _charset_cids(program) -> list[int]:
    """The CIDs a CID-keyed CFF program has glyphs for (its charset), in glyph order."""
    data = program.get_data()
    if program.get("/Subtype") == "/OpenType":
        cff = TTFont(io.BytesIO(data))["CFF "].cff
    else:
        cff = CFFFontSet()
        cff.decompile(io.BytesIO(data), None)
    top = cff[cff.fontNames[0]]
    assert hasattr(top, "ROS"), "not a CID-keyed CFF: CIDs would not select glyphs"
    return [0 if name == ".notdef" else int(name.removeprefix("cid")) for name in top.charset]


def embedded_fonts(pdf: bytes) -> dict[str, tuple[set[int], list[int]]]:
    """BaseFont -> (CIDs drawn, CIDs the font program holds), for the page and the stamps."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    found: dict[str, tuple[set[int], list[int]]] = {}

    def walk(resources) -> None:
        resources = resources.get_object() if resources is not None else {}
        for ref in (resources.get("/Font") or {}).values():
            font = ref.get_object()
            cidfont = font["/DescendantFonts"][0].get_object()
            program = cidfont["/FontDescriptor"]["/FontFile3"].get_object()
            found[str(font["/BaseFont"])] = (_cids_in_widths(cidfont["/W"]),
                                             _charset_cids(program))
        for ref in (resources.get("/XObject") or {}).values():
            xobject = ref.get_object()
            if xobject.get("/Subtype") == "/Form":
                walk(xobject.get("/Resources"))

    for page in reader.pages:
        walk(page.get("/Resources"))
        for annot in page.get("/Annots") or []:
            appearance = (annot.get_object().get("/AP") or {}).get("/N")
            if appearance is not None:
                walk(appearance.get_object().get("/Resources"))
    return found


def test_countersigned_form_is_small_and_still_validates(countersigned, verify):
    assert len(countersigned) <= MAX_COUNTERSIGNED, len(countersigned)
    assert verify(countersigned).ok


def test_every_font_holds_exactly_the_glyphs_it_draws(countersigned):
    fonts = embedded_fonts(countersigned)
    # Regular and bold on the page, one font per stamp.
    assert len(fonts) == 4, sorted(fonts)
    for name, (drawn, held) in fonts.items():
        assert drawn <= set(held), f"{name}: drawn glyphs missing from the font"
        assert len(held) <= len(drawn) + 1, f"{name}: {len(held)} glyphs for {len(drawn)}"


#: A row of poppler's pdffonts: name, type (may hold spaces), encoding, emb, sub, uni, id.
PDFFONTS_ROW = re.compile(r"^(?P<name>\S+)\s+(?P<type>.+?)\s+(?P<encoding>\S+)\s+"
                          r"(?P<emb>yes|no)\s+(?P<sub>yes|no)\s+(?P<uni>yes|no)\s+\d+\s+\d+$")


def pdffonts(pdf: bytes, path) -> list[dict[str, str]]:
    """poppler's pdffonts table, one dict per font (long names overflow its columns)."""
    path.write_bytes(pdf)
    lines = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                           check=True).stdout.splitlines()
    return [PDFFONTS_ROW.match(line).groupdict() for line in lines[2:]]


def test_pdffonts_lists_only_embedded_cid_keyed_subsets(countersigned, tmp_path):
    fonts = pdffonts(countersigned, tmp_path / "form.pdf")
    assert len(fonts) == 4, fonts
    for font in fonts:
        assert "+" in font["name"], font
        # Bare CID-keyed CFF: a CID selects its glyph through the font's charset.
        assert font["type"] == "CID Type 0C", font
        assert (font["emb"], font["sub"], font["uni"]) == ("yes", "yes", "yes"), font


def test_chinese_text_still_extracts(countersigned):
    text = pypdf.PdfReader(io.BytesIO(countersigned)).pages[0].extract_text()
    for words in ("学生信息交接单", "移交部门：招生部", "少儿英语（春季班）", "报名信息、缴费方式"):
        assert words in text


def _raster(pdf: bytes, path) -> bytes:
    path.write_bytes(pdf)
    return subprocess.run(["pdftoppm", "-r", "100", "-gray", str(path)],
                          capture_output=True, check=True).stdout


def assert_looks_as_weasyprint_draws_it(ours: bytes, html: str, static_root, tmp_path) -> bytes:
    """Poppler draws ``ours`` pixel for pixel as WeasyPrint's own file; returns the latter."""
    plain = HTML(string=html, base_url=str(static_root)).write_pdf(
        stylesheets=[CSS(string=_DEFAULT_CSS)])
    assert _raster(ours, tmp_path / "ours.pdf") == _raster(plain, tmp_path / "plain.pdf")
    return plain


def test_page_looks_exactly_as_weasyprint_draws_it(rendered, form_html, static_root,
                                                   tmp_path):
    """Every glyph id drawn still selects the same outline as in WeasyPrint's own file."""
    plain = assert_looks_as_weasyprint_draws_it(rendered.pdf, form_html, static_root, tmp_path)
    assert len(rendered.pdf) < len(plain) / 4


@needs_dejavu
def test_a_font_whose_cids_are_not_its_glyph_ids_is_not_cut(stamp_font):
    # HarfBuzz renumbers the glyphs of a stamp font but keeps Noto's CIDs: CID != glyph id.
    stamp = stamp_font.factory("移交人张三").font_bytes
    assert subset_cid_keyed_cff(stamp, {1, 2}) is None
    assert subset_cid_keyed_cff(DEJAVU.read_bytes(), {1, 2}) is None  # TrueType: no CFF


@needs_dejavu
def test_truetype_fonts_pass_through_and_the_page_is_unchanged(renderer, form_html,
                                                               static_root, tmp_path):
    html = form_html.replace("<h1>", '<p style="font-family: \'DejaVu Sans\'">Form F2</p><h1>')
    ours = renderer.render(html).pdf
    types = {font["name"].split("+")[1]: font["type"]
             for font in pdffonts(ours, tmp_path / "mixed.pdf")}
    assert types == {"DejaVu-Sans": "CID TrueType", "Noto-Sans-CJK-SC": "CID Type 0C",
                     "Noto-Sans-CJK-SC-Bold": "CID Type 0C"}
    assert_looks_as_weasyprint_draws_it(ours, html, static_root, tmp_path)


def test_a_font_that_fails_the_check_stays_as_weasyprint_wrote_it(renderer, form_html,
                                                                  render_logger, monkeypatch,
                                                                  caplog, tmp_path):
    monkeypatch.setattr(fontsubset, "subset_cid_keyed_cff", lambda otf, gids: None)
    with caplog.at_level(logging.WARNING, logger=render_logger.name):
        pdf = renderer.render(form_html).pdf
    assert {f["type"] for f in pdffonts(pdf, tmp_path / "kept.pdf")} == {"CID Type 0C (OT)"}
    kept = [r.getMessage() for r in caplog.records if r.name == render_logger.name]
    assert len(kept) == 2 and all("kept the font" in m for m in kept), kept
