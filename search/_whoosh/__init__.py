"""The engine seam: the only place that imports Whoosh and jieba (private)."""

from .engine import Damaged, Engine, Writer
from .schema import segmenter

__all__ = ["Damaged", "Engine", "Writer", "segmenter"]
