"""What a signer sees on each printed form (issue 14): the signature boxes on the page that
ends the content, no attachment printed as required where the method needs none, and no
empty 日期 blanks under a digital stamp (the stamp carries its own time). Every kind of the
catalogue, rendered for real and read back with pypdf."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from records.catalogue import KINDS, PAPER_SCAN, Method
from records.forms import TEMPLATES_DIR, render_form_html, sample_document
from signing.render import Renderer

# An empty date line: "日期：____年____月____日" reads back as 日期：年月日.
EMPTY_DATE = re.compile(r"日期：年月日")
# Forms whose full sample content runs over a page; their last page still starts with the
# attachments, never with the signature row alone.
LONG = {"F12"}


@pytest.fixture(scope="module")
def renderer():
    return Renderer(TEMPLATES_DIR)


def pages_of(renderer, doc):
    rendered = renderer.render(render_form_html(doc))
    reader = PdfReader(io.BytesIO(rendered.pdf))
    return rendered, [re.sub(r"\s+", "", p.extract_text()) for p in reader.pages]


@pytest.mark.parametrize("code", list(KINDS))
def test_each_kind_prints_what_its_signer_needs(renderer, code):
    # as the kind's own method: the signature boxes end the content on its page
    rendered, pages = pages_of(renderer, sample_document(code))
    assert len(pages) == (2 if code in LONG else 1), (code, len(pages))
    last = len(pages) - 1
    assert {b.page_index for b in rendered.boxes.values()} == {last}
    if last:  # the signatures do not stand alone on the last page
        assert pages[last].startswith("附件"), pages[last][:40]
    assert not EMPTY_DATE.search("".join(pages)), code
    # face to face (policy M3): the meeting record replaces the paper checklist's scan
    without_scan = tuple(a for a in sample_document(code).attachments
                         if a.code != PAPER_SCAN.code)
    _, pages = pages_of(renderer, sample_document(code, method=Method.FACE_TO_FACE.value,
                                                  attachments=without_scan))
    text = "".join(pages)
    assert PAPER_SCAN.label_zh not in text and "未附" not in text, code
    assert not EMPTY_DATE.search(text), code


def test_paper_still_asks_for_the_checklist_scan_and_its_dates(renderer):
    """policy M1: on paper a missing scan is printed as required and missing, and the
    hand-signed checklist keeps its date blanks."""
    doc = sample_document("F2")
    without_scan = tuple(a for a in doc.attachments if a.code != PAPER_SCAN.code)
    _, pages = pages_of(renderer, sample_document("F2", attachments=without_scan))
    assert f"{PAPER_SCAN.label_zh}（必附）未附" in "".join(pages)
    _, pages = pages_of(renderer, sample_document("M1"))
    assert len(EMPTY_DATE.findall("".join(pages))) == 2
