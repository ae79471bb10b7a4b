"""WeasyPrint's embedded fonts cut down to the glyphs the page draws.

WeasyPrint (70) subsets each font with HarfBuzz's *retain glyph ids* flag: its content
streams, ``/W`` arrays and ``/ToUnicode`` maps name each glyph by its id in the full font
(Identity-H, CID = glyph id), so the subset keeps an empty slot for every glyph below the
highest one drawn. Noto Sans CJK puts its Simplified Chinese forms near the end of its
65,535 glyphs: one face drawing a hundred characters kept ~60,000 slots (CFF charstring
offsets, ``hmtx`` and ``vmtx`` entries), ~750 KB, ~150 KB compressed, for ~15 KB of glyphs.

:func:`compact_fonts` (a WeasyPrint *finisher*, run before the file is written) subsets
each such font again, without the slots, and embeds it as a bare CID-keyed CFF
(``/FontFile3`` of subtype ``/CIDFontType0C``). In a CID-keyed CFF a CID selects its glyph
through the font's charset, and HarfBuzz keeps each glyph's CID there when it renumbers
the glyphs; Noto's CIDs equal its glyph ids. So every CID in the content streams, ``/W``
and ``/ToUnicode`` still selects the same outline, and nothing else in the file changes.
Each result is checked (its charset must hold exactly the CIDs drawn); a font that fails
the check or is not a CID-keyed CFF (a TrueType fallback font, say) stays as WeasyPrint
wrote it, with a warning.
"""

from __future__ import annotations

import io
import logging

import pydyf
import uharfbuzz as hb
from fontTools.cffLib import CFFFontSet

__all__ = ["compact_fonts", "subset_cid_keyed_cff"]

_CFF = "CFF "


def subset_cid_keyed_cff(otf: bytes, gids: set[int]) -> bytes | None:
    """The CFF table of ``otf`` holding only ``gids`` (and .notdef), each glyph keyed by its
    glyph id in ``otf`` as CID; ``None`` if ``otf`` is no CID-keyed CFF whose CIDs are its
    glyph ids, or HarfBuzz fails."""
    face = hb.Face(hb.Blob(otf))
    if _CFF not in face.table_tags:
        return None
    wanted = {0} | {gid for gid in gids if gid < face.glyph_count}
    plan = hb.SubsetInput()
    for gid in wanted:
        plan.glyph_set.add(gid)
    result = hb.subset(face, plan)
    if result is None:
        return None
    cff = result.reference_table(_CFF).data
    return cff if _charset_cids(cff) == wanted else None


def _charset_cids(cff: bytes) -> set[int] | None:
    """The CIDs a CID-keyed CFF holds glyphs for; ``None`` if it is keyed by glyph names."""
    fonts = CFFFontSet()
    fonts.decompile(io.BytesIO(cff), None)
    top = fonts[fonts.fontNames[0]]
    if not hasattr(top, "ROS"):
        return None
    return {0 if name == ".notdef" else int(name.removeprefix("cid")) for name in top.charset}


def compact_fonts(document, pdf: pydyf.PDF, logger: logging.Logger) -> None:
    """Replace each OpenType font program in ``pdf`` by a bare CFF of the glyphs drawn.

    Meant as ``document.write_pdf(finisher=...)``: ``document.fonts`` says which glyph ids
    each font draws (fonts of one name share one font program: their glyphs are merged).
    """
    drawn: dict[bytes, set[int]] = {}
    in_forms: set[bytes] = set()
    for font in document.fonts.values():
        drawn.setdefault(font.name, set()).update(font.to_unicode)
        if font.used_in_forms:  # form fields need the whole font; WeasyPrint kept it
            in_forms.add(font.name)
    for obj in pdf.objects:
        if not (isinstance(obj, pydyf.Dictionary) and obj.get("Type") == "/FontDescriptor"
                and "FontFile3" in obj and obj["FontName"] not in in_forms):
            continue
        program = pdf.objects[int(obj["FontFile3"].split()[0])]
        if program.extra.get("Subtype") != "/OpenType":  # compacted already (shared)
            continue
        cff = subset_cid_keyed_cff(b"".join(program.stream), drawn.get(obj["FontName"], set()))
        if cff is None:
            logger.warning("kept the font %s as WeasyPrint embedded it: not a CID-keyed CFF "
                           "keyed by glyph id", obj["FontName"].decode(errors="replace"))
            continue
        program.stream = [cff]
        program.extra["Subtype"] = "/CIDFontType0C"
