"""A changed byte in either revision, or an appended page-content update, fails verification."""

from __future__ import annotations

import io
import re

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from signing.sign import RECEIVER_FIELD, SENDER_FIELD


def _flip_reason(pdf: bytes, occurrence: int) -> bytes:
    """Change one byte of the /Reason of the n-th signature dictionary (0: sender).

    The reason is a UTF-16 literal string (移交 / 接收); its first code unit's low byte
    is a printable character, changed to the next one: the file still parses.
    """
    matches = list(re.finditer(rb"/Reason \(\\376\\377", pdf))
    assert len(matches) == 2
    pos = matches[occurrence].end()
    assert 0x21 <= pdf[pos] < 0x7E and pdf[pos:pos + 1] != b"\\"
    return pdf[:pos] + bytes([pdf[pos] + 1]) + pdf[pos + 1:]


def test_a_byte_changed_in_the_sender_revision_fails_both(countersigned, verify):
    report = verify(_flip_reason(countersigned, 0))
    assert not report.ok
    sender = report.by_field(SENDER_FIELD)
    assert not sender.intact and not sender.ok
    assert "改动" in sender.verdict
    # The receiver's signature covers the sender's revision too.
    assert RECEIVER_FIELD in report.failed


def test_a_byte_changed_in_the_receiver_revision_names_the_receiver(countersigned, verify):
    report = verify(_flip_reason(countersigned, 1))
    assert not report.ok
    # The archive timestamp covers the receiver's revision too.
    assert report.failed == (RECEIVER_FIELD, "Archive_TS_001")
    assert not report.by_field(RECEIVER_FIELD).intact
    assert not report.timestamps[0].intact and "改动" in report.timestamps[0].verdict
    assert report.by_field(SENDER_FIELD).ok


def test_appended_page_content_update_fails_docmdp(countersigned, verify):
    writer = IncrementalPdfFileWriter(io.BytesIO(countersigned))
    stream = generic.StreamObject(stream_data=b"BT /F1 24 Tf 100 100 Td (PAID) Tj ET")
    writer.add_stream_to_page(0, writer.add_object(stream))
    out = io.BytesIO()
    writer.write(out)
    tampered = out.getvalue()
    assert tampered.startswith(countersigned)  # a genuine incremental update

    report = verify(tampered)
    assert not report.ok
    for sig in report.signatures:
        # The bytes each signature covers are intact: only DocMDP catches this.
        assert sig.intact and sig.valid
        assert not sig.docmdp_ok and not sig.ok
    # The archive timestamp's bytes are intact too, but more than validation data followed.
    stamp = report.timestamps[0]
    assert stamp.intact and not stamp.ok and "验证材料以外" in stamp.verdict
    assert set(report.failed) == {SENDER_FIELD, RECEIVER_FIELD, "Archive_TS_001"}
    assert "不允许的修改" in report.by_field(SENDER_FIELD).verdict
