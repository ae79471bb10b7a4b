"""HTML to PDF with WeasyPrint, with a fetcher that reads nothing but the static folder.

Forms are rendered on A4 with Noto Sans CJK SC (through fontconfig); each embedded font
holds only the glyphs drawn (:mod:`signing.fontsubset`). By default the files claim PDF/A-3b
(XMP ``pdfaid``, sRGB output intent, a file identifier) and carry WeasyPrint's structure tags
(what that claim rests on and what is not verified: ``docs/signatures.md``). Elements whose
``id`` starts with ``sigbox-`` mark where the visible signature stamps go; their
rectangles come back in PDF points so that :mod:`signing.sign` can put the
signature fields exactly there.
"""

from __future__ import annotations

import importlib.resources
import io
import logging
import mimetypes
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from weasyprint import CSS, HTML
from weasyprint.css import ColorProfile
from weasyprint.urls import URLFetcher, URLFetcherResponse, path2url

from .errors import FetchRefused, HarfBuzzMissing, RenderError
from .fontsubset import compact_fonts

__all__ = [
    "SIGBOX_PREFIX",
    "Renderer",
    "RenderedPdf",
    "SignatureBox",
    "StaticOnlyFetcher",
    "check_harfbuzz_subsetting",
]

SIGBOX_PREFIX = "sigbox-"
#: The archival profile of every form: PDF/A-3 (ISO 19005-3), level B, which allows the
#: signatures' validation data and later incremental revisions.
ARCHIVE_VARIANT = "pdf/a-3b"
#: The output intent of PDF/A files: the sRGB profile WeasyPrint ships, handed in under a name
#: of our own. (WeasyPrint's own "srgb" opens the profile file and never closes it, a
#: ResourceWarning on every render.)
_SRGB = "--archive-srgb"
_SRGB_ICC = (importlib.resources.files("weasyprint.pdf") / "sRGB2014.icc").read_bytes()
#: One CSS pixel is 0.75 PDF point (96 px per inch, 72 pt per inch).
PX_TO_PT = 0.75
_DEFAULT_CSS = """
@page { size: A4; }
html { font-family: "Noto Sans CJK SC", sans-serif; }
"""


@dataclass(frozen=True)
class SignatureBox:
    """Where a visible signature goes, in PDF points, origin at the page's bottom-left."""

    page_index: int
    """Zero-based page number."""
    x1: float
    """Left edge."""
    y1: float
    """Bottom edge."""
    x2: float
    """Right edge."""
    y2: float
    """Top edge."""

    @property
    def rect(self) -> tuple[float, float, float, float]:
        """``(x1, y1, x2, y2)`` as pyHanko's ``SigFieldSpec.box`` expects it."""
        return (self.x1, self.y1, self.x2, self.y2)


@dataclass(frozen=True)
class RenderedPdf:
    """The result of one render."""

    pdf: bytes
    """The PDF file."""
    page_count: int
    """Number of pages."""
    boxes: dict[str, SignatureBox]
    """Signature boxes by name: ``id="sigbox-sender"`` gives the key ``"sender"``."""
    warnings: tuple[str, ...] = field(default=())
    """Warnings WeasyPrint logged during this render (already forwarded to the logger)."""
    refused: tuple[str, ...] = field(default=())
    """URLs that were asked for and refused (nothing was read from them)."""


def check_harfbuzz_subsetting() -> None:
    """Raise :class:`HarfBuzzMissing` if WeasyPrint would subset fonts with fontTools.

    WeasyPrint uses HarfBuzz-Subset >= 4.1.0 when it can be loaded and otherwise warns
    and falls back to fontTools, which costs seconds per Chinese page.
    """
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    if harfbuzz_subset is None or not harfbuzz.hb_version_atleast(4, 1, 0):
        raise HarfBuzzMissing()


class StaticOnlyFetcher(URLFetcher):
    """Fetch ``data:`` URLs and files inside ``static_root``; refuse everything else.

    ``file://`` outside the folder (``..`` and symlinks are resolved first), ``http(s)``,
    loopback and every other scheme raise :class:`FetchRefused`; WeasyPrint catches it
    and renders without the resource. Each refusal is logged and remembered.
    """

    def __init__(self, static_root: Path, logger: logging.Logger):
        super().__init__(timeout=1, allowed_protocols={"data"}, allow_redirects=False)
        self._root = Path(static_root).resolve()
        self._logger = logger
        self.refused: list[str] = []

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = self.static_path(url)
            if path is not None:
                mime, _ = mimetypes.guess_type(path.name)
                return URLFetcherResponse(
                    url, body=path.read_bytes(),
                    headers={"Content-Type": mime or "application/octet-stream"})
        self.refuse(url)
        raise AssertionError("unreachable")  # pragma: no cover

    def refuse(self, url: str) -> None:
        """Log and remember ``url``, then raise :class:`FetchRefused`."""
        self.refused.append(url)
        self._logger.warning("refused to fetch %s", url)
        raise FetchRefused(url)

    def static_path(self, url: str) -> Path | None:
        """The file ``url`` names if it lies inside the static folder, else ``None``."""
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            return None
        path = Path(url2pathname(unquote(parts.path))).resolve()
        if path.is_relative_to(self._root) and path.is_file():
            return path
        return None


class _ForwardHandler(logging.Handler):
    """Forwards the current thread's WeasyPrint warnings to a logger and keeps their text."""

    def __init__(self, target: logging.Logger):
        super().__init__(logging.WARNING)
        self._target = target
        self._thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self._thread:
            return
        self.messages.append(record.getMessage())
        self._target.handle(record)


@contextmanager
def _weasyprint_warnings(target: logging.Logger) -> Iterator[_ForwardHandler]:
    source = logging.getLogger("weasyprint")
    handler = _ForwardHandler(target)
    source.addHandler(handler)
    try:
        yield handler
    finally:
        source.removeHandler(handler)


class Renderer:
    """Turns HTML into A4 PDFs; resources come only from ``static_root`` or ``data:`` URLs."""

    def __init__(self, static_root: Path, *, logger: logging.Logger | None = None,
                 pdf_variant: str | None = ARCHIVE_VARIANT, pdf_tags: bool = True):
        """``pdf_variant``: a WeasyPrint PDF variant (``None`` for plain PDF);
        ``pdf_tags``: write the structure tree (tagged PDF) for screen readers."""
        self.static_root = Path(static_root).resolve()
        self.logger = logger or logging.getLogger("signing.render")
        self.pdf_options = {"pdf_variant": pdf_variant, "pdf_tags": pdf_tags}
        if pdf_variant:
            self.pdf_options["output_intent"] = _SRGB
        self._default_css = CSS(string=_DEFAULT_CSS)
        # WeasyPrint's records reach the application only through ``self.logger`` (and
        # through it the root logger), not twice.
        logging.getLogger("weasyprint").propagate = False

    def render(self, html: str, *, base_url: str | None = None) -> RenderedPdf:
        """Render ``html``; relative URLs resolve against ``base_url`` (default: static_root)."""
        fetcher = StaticOnlyFetcher(self.static_root, self.logger)
        base = base_url or path2url(str(self.static_root)) + "/"
        with _weasyprint_warnings(self.logger) as captured:
            try:
                document = HTML(string=html, base_url=base, url_fetcher=fetcher).render(
                    stylesheets=[self._default_css], color_profiles=self._color_profiles(),
                    **self.pdf_options)
                self._drop_attachments(document, fetcher)
                pdf = document.write_pdf(finisher=partial(_finish, logger=self.logger),
                                         **self.pdf_options)
            except FetchRefused:
                raise
            except Exception as exc:
                raise RenderError(type(exc).__name__) from exc
        return RenderedPdf(
            pdf=pdf,
            page_count=len(document.pages),
            boxes=_signature_boxes(document),
            warnings=tuple(captured.messages),
            refused=tuple(fetcher.refused),
        )

    def _color_profiles(self) -> dict[str, ColorProfile] | None:
        """A fresh profile per render (WeasyPrint writes the PDF object number into it)."""
        if "output_intent" not in self.pdf_options:
            return None
        return {_SRGB: ColorProfile(io.BytesIO(_SRGB_ICC), "sRGB2014.icc",
                                    "relative-colorimetric", (["r"], ["g"], ["b"]))}

    @staticmethod
    def _drop_attachments(document, fetcher: StaticOnlyFetcher) -> None:
        """Remove every ``rel="attachment"`` before the PDF is written: none is ever embedded."""
        for _ in document.metadata.attachments or []:
            _record_refusal(fetcher, '<link rel="attachment">')
        document.metadata.attachments = []
        for page in document.pages:
            for link in page.links:
                if link[0] == "attachment":
                    _record_refusal(fetcher, link[1])
            page.links = [link for link in page.links if link[0] != "attachment"]


def _finish(document, pdf, logger: logging.Logger) -> None:
    """WeasyPrint's finisher: fonts cut to the glyphs drawn, and no ``/Producer`` in the
    document information dictionary. pyHanko writes its own name there and into the XMP
    metadata at each signature, but would *append* it to WeasyPrint's in the dictionary:
    the two would then disagree, which PDF/A forbids (ISO 19005-3, 6.6.2.3.1). The XMP
    metadata still names WeasyPrint until the first signature."""
    compact_fonts(document, pdf, logger=logger)
    pdf.info.pop("Producer", None)


def _record_refusal(fetcher: StaticOnlyFetcher, url: str) -> None:
    try:
        fetcher.refuse(url)
    except FetchRefused:
        pass


def _signature_boxes(document) -> dict[str, SignatureBox]:
    boxes: dict[str, SignatureBox] = {}
    for index, page in enumerate(document.pages):
        for anchor, (x1, y1, x2, y2) in page.anchors.items():
            if not anchor.startswith(SIGBOX_PREFIX):
                continue
            name = anchor[len(SIGBOX_PREFIX):]
            if name in boxes:
                continue
            boxes[name] = SignatureBox(
                page_index=index,
                x1=round(x1 * PX_TO_PT, 2),
                y1=round((page.height - y2) * PX_TO_PT, 2),
                x2=round(x2 * PX_TO_PT, 2),
                y2=round((page.height - y1) * PX_TO_PT, 2),
            )
    return boxes
