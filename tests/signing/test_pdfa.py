"""Forms claim PDF/A-3b and are tagged; signing keeps what the claim rests on.

veraPDF is not available here: these tests check, with qpdf, poppler and pypdf, the parts of
ISO 19005-3 that the claim most often breaks on (docs/signatures.md says what is claimed and
what is not verified).
"""

from __future__ import annotations

import io
import re
import subprocess
import warnings

import pypdf
import pytest

from signing.render import Renderer


def _pdfinfo(pdf: bytes, tmp_path, *args: str) -> str:
    path = tmp_path / "form.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdfinfo", *args, str(path)], capture_output=True, text=True,
                          check=True).stdout


def _xmp(pdf: bytes) -> str:
    return pypdf.PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/Metadata"].get_data().decode()


@pytest.fixture(params=["rendered", "countersigned"])
def form(request, rendered, countersigned) -> bytes:
    return rendered.pdf if request.param == "rendered" else countersigned


def test_xmp_claims_pdfa_3b(form):
    assert pypdf.PdfReader(io.BytesIO(form)).xmp_metadata is not None  # pypdf parses it
    text = _xmp(form)
    assert re.search(r'pdfaid:part(="|>)3', text), text
    assert re.search(r'pdfaid:conformance(="|>)B', text), text


def test_pdf_1_7_header_and_no_later_version_in_the_catalog(form):
    assert form.startswith(b"%PDF-1.7")
    version = pypdf.PdfReader(io.BytesIO(form)).trailer["/Root"].get("/Version")
    assert version in (None, "/1.7"), version  # pyHanko would declare 2.0 for ECDSA


def test_srgb_output_intent_with_an_embedded_icc_profile(form):
    intents = pypdf.PdfReader(io.BytesIO(form)).trailer["/Root"]["/OutputIntents"]
    assert len(intents) == 1
    intent = intents[0].get_object()
    assert intent["/S"] == "/GTS_PDFA1"
    profile = intent["/DestOutputProfile"].get_object()
    assert profile["/N"] == 3 and profile.get_data()[36:40] == b"acsp"  # ICC signature


def test_document_info_agrees_with_xmp(form):
    """ISO 19005-3 6.6.2.3.1: what the Info dictionary says, the XMP metadata says too."""
    reader = pypdf.PdfReader(io.BytesIO(form))
    info = reader.trailer["/Info"].get_object() if "/Info" in reader.trailer else {}
    xmp = _xmp(form)
    producer = info.get("/Producer")
    if producer is not None:
        assert f'pdf:Producer="{producer}"' in xmp or f">{producer}</pdf:Producer>" in xmp
    if "/Title" in info:
        assert str(info["/Title"]) in xmp
    assert "/ModDate" not in info or "xmp:ModifyDate" in xmp


def test_tagged_with_a_structure_tree_and_a_language(form, tmp_path):
    root = pypdf.PdfReader(io.BytesIO(form)).trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == "zh-Hans"
    assert "Tagged:          yes" in _pdfinfo(form, tmp_path)


def test_annotations_print_and_have_only_normal_appearances(countersigned):
    """ISO 19005-3 6.3.2/6.3.3: annotations print, are not hidden, and (unless zero-sized)
    have an appearance dictionary holding only /N."""
    page = pypdf.PdfReader(io.BytesIO(countersigned)).pages[0]
    for ref in page["/Annots"]:
        annot = ref.get_object()
        flags = int(annot.get("/F", 0))
        assert flags & 4 and not flags & (1 | 2 | 32), (annot.get("/T"), flags)
        x1, y1, x2, y2 = (float(v) for v in annot["/Rect"])
        if x1 != x2 or y1 != y2:
            assert list(annot["/AP"].keys()) == ["/N"], annot.get("/T")


def test_no_encryption_no_javascript_structure_ok(form, tmp_path):
    info = _pdfinfo(form, tmp_path)
    assert "Encrypted:       no" in info and "JavaScript:      no" in info
    result = subprocess.run(["qpdf", "--check", str(tmp_path / "form.pdf")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_rendering_leaves_no_open_file(renderer, form_html):
    # WeasyPrint's own "srgb" output intent opens its ICC file and never closes it.
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        renderer.render(form_html)


def test_plain_pdf_on_request(static_root, render_logger, form_html):
    pdf = Renderer(static_root, logger=render_logger, pdf_variant=None,
                   pdf_tags=False).render(form_html).pdf
    root = pypdf.PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    assert "/OutputIntents" not in root and "/StructTreeRoot" not in root
