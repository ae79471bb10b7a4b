"""Form rendering: every kind rendered to a real PDF through signing's Renderer, read back
with pypdf."""

from __future__ import annotations

import datetime as dt
import http.server
import io
import re
import threading
from decimal import Decimal

import pytest
import segno
from pypdf import PdfReader

from records.catalogue import (
    KINDS,
    LONGTEXT_MAX_CHARS,
    METHOD_DOCUMENTS,
    ROWS_MAX,
    FieldType,
    get_form_spec,
    get_kind,
)
from records.forms import (
    TEMPLATES_DIR,
    AttachmentRef,
    Party,
    display_value,
    render_form_html,
    sample_document,
    sample_values,
)
from records.validation import validate_values
from signing.render import Renderer

MM = 72 / 25.4  # PDF points per millimetre
ALL_CODES = [*KINDS, *METHOD_DOCUMENTS]


@pytest.fixture(scope="module")
def renderer():
    return Renderer(TEMPLATES_DIR)


def squash(text: str) -> str:
    """Text without whitespace: PDF extraction breaks lines wherever the layout wrapped."""
    return re.sub(r"\s+", "", text)


def read_pdf(pdf: bytes) -> tuple[PdfReader, list[str]]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader, [squash(page.extract_text()) for page in reader.pages]


def printed_values(spec, values) -> list[str]:
    """Every value of the form as it must appear in the PDF text."""
    out = []
    for f in spec.fields:
        v = values.get(f.name)
        if f.type == FieldType.TABLE:
            out += [display_value(c, row[c.name]) for row in v for c in f.columns if c.name in row]
        elif f.type in (FieldType.STUDENTS, FieldType.STUDENT):
            out += [s[k] for s in (v if isinstance(v, list) else [v]) for k in ("name", "number")]
        elif v is not None:
            out.append(display_value(f, v))
    return [squash(x) for x in out if x]


def assert_page_numbers(pages: list[str]) -> None:
    for i, text in enumerate(pages, 1):
        assert f"第{i}页/共{len(pages)}页" in text, (i, len(pages))


def page_bodies(pages: list[str], doc) -> str:
    """The pages joined without their margin boxes (school, number, title, page x / y)."""
    out = []
    for i, text in enumerate(pages, 1):
        margins = f"{doc.school_name}交接编号{doc.number}{doc.spec.name_zh}第{i}页/共{len(pages)}页"
        assert text.endswith(margins), i
        out.append(text.removesuffix(margins))
    return "".join(out)


@pytest.mark.parametrize("code", ALL_CODES)
def test_each_form_prints_everything(renderer, code):
    doc = sample_document(code)
    spec = doc.spec
    result = renderer.render(render_form_html(doc))
    reader, pages = read_pdf(result.pdf)
    text = "".join(pages)
    assert result.page_count == len(pages)
    assert_page_numbers(pages)
    expected = [doc.school_name, spec.name_zh, doc.number, f"第{doc.version}版", spec.clause,
                doc.sender.name, doc.receiver.name, doc.sender.department_label,
                doc.receiver.department_label, doc.deadline_text, doc.content_sha256()]
    expected += [a.sha256 for a in doc.attachments]
    expected += printed_values(spec, doc.values)
    missing = [s for s in map(squash, expected) if s and s not in text]
    assert not missing
    if code == "M1":  # policy M1: wet signatures on paper, no digital boxes
        assert result.boxes == {} and "移交人（签字）" in text and "接收人（签字）" in text
        assert text.count("日期：年月日") == 2  # dated by hand
    else:
        assert set(result.boxes) == {"sender", "receiver"}
        for box in result.boxes.values():
            assert box.x2 - box.x1 == pytest.approx(62 * MM, abs=0.5)
            # 21 mm (was 26): the signature row fits on the page that ends the content
            assert box.y2 - box.y1 == pytest.approx(21 * MM, abs=0.5)
        assert "移交人签章" in text and "接收人签章" in text
        assert "签章日期以电子签章上的时间为准" in text  # the stamp carries its time
    assert not result.warnings and not result.refused


@pytest.mark.parametrize("code", ALL_CODES)
def test_fields_are_laid_out_once_and_boxes_stay_empty(code):
    doc = sample_document(code)
    html = render_form_html(doc)
    for f in doc.spec.fields:
        assert html.count(f'data-field="{f.name}"') == 1, f.name
    if code != "M1":
        for side in ("sender", "receiver"):
            assert re.search(rf'<div class="sigbox" id="sigbox-{side}"></div>', html)


def test_qr_code_carries_url_and_content_hash():
    doc = sample_document("F2")
    payload = doc.qr_payload()
    assert payload == f"{doc.verify_url}?sha256={doc.content_sha256()}"
    assert segno.make(payload, error="m").png_data_uri(scale=4, border=0) in render_form_html(doc)
    with_query = sample_document("F2", verify_url="https://x.example/v?id=JJ-2026-000123")
    assert with_query.qr_payload().endswith("&sha256=" + with_query.content_sha256())


def test_content_hash_is_canonical_and_covers_the_content():
    doc = sample_document("F2")
    base = doc.content_sha256()
    same = dict(doc.values, fee_paid="4680.5", registration_date="2026-03-02")
    assert sample_document("F2", values=same).content_sha256() == base
    assert sample_document("F2", values=dict(doc.values, fee_paid="4680.51")).content_sha256() \
        != base
    other_file = (AttachmentRef("a.pdf", "0" * 64, "enrollment_agreement"),)
    assert sample_document("F2", attachments=other_file).content_sha256() != base
    assert sample_document("F2", version=2).content_sha256() != base
    assert sample_document("F2", receiver=Party("周明", "FIN")).content_sha256() != base


def test_unknown_department_is_refused():
    with pytest.raises(ValueError, match="未知部门代码"):
        Party("张晓燕", "XYZ")


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server's name
        self.hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"leak")

    def log_message(self, *args):
        pass


@pytest.fixture
def http_recorder():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    _Recorder.hits = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", _Recorder.hits
    server.shutdown()
    server.server_close()


def test_user_text_is_printed_not_interpreted(renderer, http_recorder):
    base, hits = http_recorder
    attacks = [
        '<img src="file:///etc/passwd">',
        '<a rel="attachment" href="file:///etc/passwd">附件</a>',
        f'<img src="{base}/pixel.png"><link rel="stylesheet" href="{base}/x.css">',
        "{{ 7*7 }}{% raw %}",
    ]
    values = dict(sample_values(get_kind("F1")), communication_record="\n".join(attacks),
                  course_of_interest=f"{base}/course", prospect_name="<b>王语嫣</b>")
    doc = sample_document("F1", values=values, verify_url=f"{base}/verify")
    html = render_form_html(doc)
    assert "<img src=" not in html.replace('<img src="data:image/png', "")
    assert 'rel="attachment"' not in html and "<b>" not in html and "<link" not in html
    result = renderer.render(html)
    reader, pages = read_pdf(result.pdf)
    text = "".join(pages)
    for attack in [*attacks, "<b>王语嫣</b>", f"{base}/course"]:
        assert squash(attack) in text
    assert result.refused == () and hits == []
    assert not reader.attachments
    assert b"/EmbeddedFile" not in result.pdf and b"root:" not in result.pdf


def render_at_limit(renderer, code: str, **changes):
    """Render a form whose values sit at a documented limit; check it spans numbered pages."""
    values = sample_values(get_kind(code)) | changes
    assert validate_values(get_kind(code), values) == []
    doc = sample_document(code, values=values)
    result = renderer.render(render_form_html(doc))
    _, pages = read_pdf(result.pdf)
    assert len(pages) >= 4
    assert_page_numbers(pages)
    assert result.boxes["sender"].page_index == len(pages) - 1
    return page_bodies(pages, doc)


def test_longest_allowed_text_runs_over_numbered_pages(renderer):
    # policy F1 communication record at the documented limit: accepted and printed in full
    long = ("家长询问课程安排与退费规则，老师逐条解答并记录。" * 1000)[:LONGTEXT_MAX_CHARS]
    assert squash(long) in render_at_limit(renderer, "F1", communication_record=long)
    # over the limit: refused before anything is rendered, with the limit in the message
    over = sample_values(get_kind("F1")) | {"communication_record": "学" * 100_000}
    (problem,) = validate_values(get_kind("F1"), over)
    assert problem.field == "communication_record" and str(LONGTEXT_MAX_CHARS) in problem.message_zh


def test_largest_allowed_roster_runs_over_numbered_pages(renderer):
    # policy F4 class roster at the documented row limit: printed in full over several pages
    roster = [{"student_number": f"S2026{i:04d}", "name": f"学生{i:03d}号",
               "gender": "男女"[i % 2], "age": 10 + i % 6, "basis": "基础中等",
               "goal": "提高成绩"} for i in range(ROWS_MAX)]
    text = render_at_limit(renderer, "F4", roster=roster)
    assert all(row["student_number"] + row["name"] in text for row in roster)
    assert f"本班共{ROWS_MAX}名学生" in text
    # a 500-row roster is over the limit: refused with the limit in the message
    over = sample_values(get_kind("F4")) | {"roster": (roster * 3)[:500]}
    (problem,) = validate_values(get_kind("F4"), over)
    assert problem.field == "roster" and str(ROWS_MAX) in problem.message_zh


def test_values_print_in_school_format():
    spec = get_form_spec("F2")
    fee = next(f for f in spec.fields if f.name == "fee_paid")
    assert display_value(fee, Decimal("12345.5")) == "¥12,345.50"
    assert display_value(fee, None) == ""
    student = next(f for f in spec.fields if f.name == "student")
    assert display_value(student, {"number": "S1", "name": "王"}) == "王（学号 S1）"
    meeting = get_form_spec("M3").fields[0]
    assert display_value(meeting, dt.datetime(2026, 3, 2, 14, 30, 59)) == "2026-03-02 14:30"
