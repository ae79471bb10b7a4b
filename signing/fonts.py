"""The Chinese stamp font: Noto Sans CJK SC, extracted from Noto's collection once.

pyHanko cannot open a ``.ttc`` collection and subsets the embedded font with fontTools
on every signature, which costs hundreds of milliseconds on the full 16 MB face. So the
SC face is extracted once and pre-subset to CJK and Latin ranges into a cache folder
(HarfBuzz, about a second), and each stamp then gets a tiny font holding only the
characters it shows (HarfBuzz again, a few milliseconds).
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass, field
from pathlib import Path

import uharfbuzz as hb
from fontTools.ttLib import TTCollection
from pyhanko.pdf_utils.font.api import FontEngineFactory
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator

from .errors import FontError
from .files import write_atomic

__all__ = ["DEFAULT_COLLECTION", "StampFont", "StampFontFactory"]

DEFAULT_COLLECTION = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
DEFAULT_FACE = "Noto Sans CJK SC"
#: Unicode ranges kept in the cached face: Latin, general punctuation, CJK punctuation,
#: CJK unified ideographs (basic block) and full-width forms.
CACHED_RANGES = (
    (0x0020, 0x007E), (0x00A0, 0x00FF), (0x2000, 0x206F),
    (0x3000, 0x303F), (0x4E00, 0x9FFF), (0xFF00, 0xFFEF),
)
#: Tables a horizontal stamp does not need; without them pyHanko's own fontTools subsetting
#: of the stamp font takes a few milliseconds instead of about a hundred.
STAMP_DROPPED_TABLES = ("GSUB", "GPOS", "GDEF", "BASE", "vhea", "vmtx", "VORG")


def _subset(face: hb.Face, codepoints, *, drop: tuple[str, ...] = ()) -> bytes:
    plan = hb.SubsetInput()
    for tag in drop:
        plan.drop_table_tag_set.add(int.from_bytes(tag.encode("ascii"), "big"))
    for cp in codepoints:
        plan.unicode_set.add(cp)
    result = hb.subset(face, plan)
    if result is None:
        raise FontError(DEFAULT_FACE, "HarfBuzz subsetting failed")
    return result.blob.data


class _PresubsetAccumulator(GlyphAccumulator):
    """A glyph accumulator for a font that already holds only the stamp's glyphs.

    pyHanko would subset it again with fontTools and recompute the font's bounding box,
    executing every charstring (about 100 ms each); the font from
    :meth:`StampFont.factory` is already that subset, and keeps the face's bounding box.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tt.recalcBBoxes = False

    def _extract_subset(self, options=None) -> None:
        return None


@dataclass(frozen=True)
class StampFontFactory(FontEngineFactory):
    """A pyHanko font factory for one stamp: a font with exactly the characters needed."""

    font_bytes: bytes = field(repr=False)
    """The subset font file (OpenType/CFF)."""
    font_size: int = 10
    """Font size in points."""

    def create_font_engine(self, writer, obj_stream=None) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs:
            obj_stream = writer.prepare_object_stream()
        return _PresubsetAccumulator(
            writer=writer, font_handle=io.BytesIO(self.font_bytes),
            font_size=self.font_size, obj_stream=obj_stream)


class StampFont:
    """Noto Sans CJK SC for stamps, cached in ``cache_dir`` after the first use."""

    def __init__(self, cache_dir: Path, *, collection: Path = DEFAULT_COLLECTION,
                 face_name: str = DEFAULT_FACE):
        self.cache_dir = Path(cache_dir)
        self.collection = Path(collection)
        self.face_name = face_name
        self._face: hb.Face | None = None
        self._lock = threading.Lock()

    @property
    def path(self) -> Path:
        """The cached, pre-subset single-face font file (created on first access)."""
        target = self.cache_dir / (self.face_name.replace(" ", "") + "-stamp.otf")
        if not target.exists():
            self._build(target)
        return target

    def factory(self, text: str, *, font_size: int = 10) -> StampFontFactory:
        """A font factory holding exactly the characters of ``text``: pass the whole stamp
        as printed (time line included), since pyHanko embeds every glyph of this font."""
        chars = {ord(c) for c in text if not c.isspace() or c == " "}
        data = _subset(self._cached_face(), sorted(chars), drop=STAMP_DROPPED_TABLES)
        return StampFontFactory(data, font_size)

    def _cached_face(self) -> hb.Face:
        with self._lock:
            if self._face is None:
                self._face = hb.Face(hb.Blob.from_file_path(str(self.path)))
            return self._face

    def _face_index(self) -> int:
        try:
            with open(self.collection, "rb") as handle:
                names = [font["name"].getDebugName(1)
                         for font in TTCollection(handle, lazy=True).fonts]
        except OSError as exc:
            raise FontError(str(self.collection), type(exc).__name__) from exc
        if self.face_name not in names:
            raise FontError(str(self.collection), f"no face named {self.face_name}")
        return names.index(self.face_name)

    def _build(self, target: Path) -> None:
        face = hb.Face(hb.Blob.from_file_path(str(self.collection)), self._face_index())
        data = _subset(face, (cp for lo, hi in CACHED_RANGES for cp in range(lo, hi + 1)))
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(target, data)
