"""Whoosh's segment writer, with the field-length look-ups of a flush done once per field.

When a segment is flushed, Whoosh asks the new segment's length columns for the length of
the document of every posting (about 160 postings per handover, each a column read and a
byte-to-length conversion): about a tenth of a rebuild's CPU in a profile. The lengths are
the same for every posting of a document and field, so they are looked up once per
document and field, through the same reader, and served from a list.
"""

from __future__ import annotations

from whoosh.writing import SegmentWriter

__all__ = ["segment_writer"]


def segment_writer(ix, *, limitmb: int) -> SegmentWriter:
    """A writer for ``ix`` (raises ``LockError`` while another one holds it)."""
    return _SegmentWriter(ix, limitmb=limitmb)


class _SegmentWriter(SegmentWriter):
    def per_document_reader(self):
        return _Lengths(super().per_document_reader(), self.docnum)


class _Lengths:
    """A per-document reader whose ``doc_field_length`` answers from per-field lists."""

    def __init__(self, reader, doccount: int) -> None:
        self._reader = reader
        self._doccount = doccount
        self._fields: dict[tuple[str, int], list] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0):
        found = self._fields.get((fieldname, default))
        if found is None:
            look_up = self._reader.doc_field_length
            found = [look_up(d, fieldname, default) for d in range(self._doccount)]
            self._fields[(fieldname, default)] = found
        return found[docnum]

    def __getattr__(self, name: str):
        return getattr(self._reader, name)  # close() and anything else: the real reader
