"""Watermarked copies for viewing: viewer, time and purpose printed on every page.

The signed original is never touched: nothing may be appended after its last signature
(pyHanko issue 259). The copy is a new file whose signature stamps are flattened into
the page content and whose signature fields are removed, so that no reader presents
the copy as a signed original (policy C1/C3: a copy names who saw it and why).
"""

from __future__ import annotations

import html
import io

from pypdf import PdfReader, PdfWriter, Transformation
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
)

from .render import Renderer

__all__ = ["watermark"]

_OVERLAY = """<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8"><style>
@page {{ size: {w}pt {h}pt; margin: 0; }}
body {{ margin: 0; }}
.diag {{ position: absolute; top: 40%; left: -10%; width: 120%; text-align: center;
         transform: rotate(-30deg); color: rgba(200, 30, 30, 0.18); font-size: 22pt; }}
.foot {{ position: absolute; bottom: 6mm; left: 10mm; right: 10mm;
         color: rgba(120, 0, 0, 0.8); font-size: 7.5pt; }}
</style></head><body><div class="diag">{lines}</div><div class="foot">{foot}</div></body></html>
"""


def _overlay(lines: list[str], width: float, height: float, renderer: Renderer):
    escaped = [html.escape(line) for line in lines]
    page_html = _OVERLAY.format(w=width, h=height, lines="<br>".join(escaped),
                                foot="　|　".join(escaped))
    return PdfReader(io.BytesIO(renderer.render(page_html).pdf)).pages[0]


def _flatten_widgets(page) -> None:
    """Draw each widget's normal appearance into the page content, then drop the widgets."""
    annots = page.get("/Annots")
    if not annots:
        return
    kept, drawn = ArrayObject(), []
    resources = page.setdefault(NameObject("/Resources"), DictionaryObject())
    xobjects = resources.setdefault(NameObject("/XObject"), DictionaryObject())
    for ref in annots:
        annot = ref.get_object()
        if annot.get("/Subtype") != "/Widget":
            kept.append(ref)
            continue
        ap = annot.get("/AP")
        if ap is None or "/N" not in ap:
            continue
        appearance = ap["/N"]
        name = f"/WmFlat{len(drawn)}"
        xobjects[NameObject(name)] = ap.raw_get("/N")
        r = [float(v) for v in annot["/Rect"]]
        x1, y1, x2, y2 = min(r[0], r[2]), min(r[1], r[3]), max(r[0], r[2]), max(r[1], r[3])
        b = [float(v) for v in appearance.get("/BBox", [0, 0, 1, 1])]
        bx1, by1, bx2, by2 = min(b[0], b[2]), min(b[1], b[3]), max(b[0], b[2]), max(b[1], b[3])
        sx = (x2 - x1) / ((bx2 - bx1) or 1)
        sy = (y2 - y1) / ((by2 - by1) or 1)
        drawn.append(f"q {sx:.4f} 0 0 {sy:.4f} {x1 - bx1 * sx:.2f} {y1 - by1 * sy:.2f} cm "
                     f"{name} Do Q")
    if drawn:
        contents = page.get_contents()
        data = b"q\n" + (contents.get_data() if contents is not None else b"") + b"\nQ\n"
        stream = DecodedStreamObject()
        stream.set_data(data + "\n".join(drawn).encode("ascii"))
        page.replace_contents(stream)
    if kept:
        page[NameObject("/Annots")] = kept
    else:
        del page["/Annots"]


def watermark(pdf: bytes, lines: list[str], renderer: Renderer) -> bytes:
    """A new PDF: every page of ``pdf`` with ``lines`` printed over it; ``pdf`` is untouched."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    root = writer.root_object
    for key in ("/AcroForm", "/Perms", "/DSS"):
        if key in root:
            del root[key]
    overlays: dict[tuple[float, float], object] = {}
    for page in writer.pages:
        _flatten_widgets(page)
        size = (round(float(page.mediabox.width), 2), round(float(page.mediabox.height), 2))
        if size not in overlays:
            overlays[size] = _overlay(lines, size[0], size[1], renderer)
        page.merge_transformed_page(overlays[size], Transformation().translate(
            float(page.mediabox.left), float(page.mediabox.bottom)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
