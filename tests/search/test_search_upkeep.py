"""Upkeep: concurrent writers lose nothing, writers cancel on error, a damaged or missing index
is detected, logged and rebuilt (or reported), rebuilds switch atomically."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from search import IndexBusy, IndexCorrupt, IndexDocument, SearchIndex
from search import index as index_module
from search.locking import FileLock
from tests.search.search_helpers import EVERYTHING, handover, ids, sample_docs

ROOT = Path(__file__).resolve().parents[2]

WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from search import SearchIndex
    from tests.search.search_helpers import handover

    path, key, cache, tag, n, go = sys.argv[1:]
    ix = SearchIndex(Path(path), bytes.fromhex(key), jieba_cache_dir=Path(cache))
    while not Path(go).exists():
        time.sleep(0.01)
    for i in range(int(n)):
        ix.add_or_update([handover(f"{tag}{i}", number=f"{tag}-{i}",
                                   texts={"notes": f"{tag}进程写入第{i}条"})])
    ix.close()
    """
)


def test_two_processes_writing_at_once_lose_no_update(make_index, tmp_path, token_key, jieba_cache):
    ix = make_index()
    go = tmp_path / "go"
    n = 10
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path / "ix"), token_key.hex(),
             str(jieba_cache), tag, str(n), str(go)],
            cwd=ROOT,
        )
        for tag in ("A", "B")
    ]
    time.sleep(0.5)
    go.touch()
    for p in procs:
        assert p.wait(timeout=120) == 0
    assert ix.doc_count() == 2 * n
    assert ix.search("A进程", visibility=EVERYTHING, page_size=100).total == n
    assert ix.search("B进程", visibility=EVERYTHING, page_size=100).total == n


def test_writer_cancels_on_error_and_releases_the_lock(index):
    def failing():
        yield handover("new", number="N-1", texts={"notes": "不应写入"})
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        index.add_or_update(failing())
    assert index.search("不应写入", visibility=EVERYTHING).total == 0
    index.add_or_update([handover("new", number="N-1", texts={"notes": "已经写入"})])
    assert ids(index.search("已经写入", visibility=EVERYTHING)) == ["new"]


def test_lock_timeout_raises_index_busy(make_index, tmp_path):
    ix = make_index(lock_timeout=0.2)
    with FileLock(tmp_path / "ix" / "write.lock").held():
        with pytest.raises(IndexBusy) as err:
            ix.add_or_update([handover("x", number="X")])
    assert err.value.waited >= 0.2
    ix.add_or_update([handover("x", number="X")])
    assert ix.doc_count() == 1


def _truncate_segments(folder: Path) -> int:
    segs = list(folder.glob("ix-*/*.seg"))
    for seg in segs:
        data = seg.read_bytes()
        seg.write_bytes(data[: len(data) // 2])
    return len(segs)


def test_truncated_segment_detected_on_open_and_rebuilt(make_index, tmp_path, caplog):
    ix = make_index()
    ix.add_or_update(sample_docs())
    ix.close()
    assert _truncate_segments(tmp_path / "ix") >= 1
    caplog.set_level(logging.WARNING, logger="search")
    calls = []

    def source():
        calls.append(1)
        return sample_docs()

    ix = make_index(rebuild=source)
    assert calls == [1]
    assert "damaged" in caplog.text
    assert ids(ix.search("欧阳", visibility=EVERYTHING)) == ["h1", "s1"]
    assert len(list((tmp_path / "ix").glob("ix-*"))) == 1  # the damaged copy is gone


def test_damage_while_open_detected_on_search_and_rebuilt(make_index, tmp_path, caplog):
    ix = make_index(rebuild=sample_docs)
    ix.add_or_update(sample_docs())
    assert ix.search("王芳", visibility=EVERYTHING).total == 1
    ix.close()  # readers hold files open; a real crash or disk fault damages files at rest
    _truncate_segments(tmp_path / "ix")
    caplog.set_level(logging.WARNING, logger="search")
    assert ids(ix.search("王芳", visibility=EVERYTHING)) == ["h2"]
    assert "damaged" in caplog.text


def test_damage_without_rebuild_callback_is_index_corrupt(make_index, tmp_path):
    ix = make_index()
    ix.add_or_update(sample_docs())
    ix.close()
    _truncate_segments(tmp_path / "ix")
    with pytest.raises(IndexCorrupt) as err:
        make_index()
    assert err.value.path == tmp_path / "ix"
    assert "损坏" in str(err.value)


def test_missing_index_directory_is_rebuilt(make_index, tmp_path):
    ix = make_index()
    ix.add_or_update(sample_docs())
    ix.close()
    for d in (tmp_path / "ix").glob("ix-*"):
        for f in d.iterdir():
            f.unlink()
        d.rmdir()
    with pytest.raises(IndexCorrupt):
        make_index()
    ix = make_index(rebuild=sample_docs)
    assert ix.doc_count() == 5


def test_new_folder_is_filled_from_the_rebuild_callback(make_index):
    ix = make_index(rebuild=sample_docs)
    assert ix.doc_count() == 5
    assert make_index("empty").doc_count() == 0


def test_rebuild_replaces_everything_and_reports_progress(index):
    seen = []
    docs = [handover(f"r{i}", number=f"R-{i}", texts={"notes": "重建"}) for i in range(1200)]
    index.rebuild(iter(docs), progress=seen.append)
    assert seen == [1000, 1200]
    assert index.doc_count() == 1200
    assert index.search("欧阳", visibility=EVERYTHING).total == 0


def test_failed_rebuild_keeps_the_old_index(index, tmp_path):
    dup = [handover("d", number="D"), handover("d", number="D")]
    with pytest.raises(ValueError):
        index.rebuild(dup)
    assert index.doc_count() == 5
    assert len(list((tmp_path / "ix").glob("ix-*"))) == 1


def test_other_process_sees_a_rebuild(make_index, tmp_path, token_key, jieba_cache):
    reader = make_index()
    reader.add_or_update(sample_docs())
    assert reader.doc_count() == 5
    writer = SearchIndex(tmp_path / "ix", token_key, jieba_cache_dir=jieba_cache)
    writer.rebuild([IndexDocument("only", "student", {"number": "XH-1"}, {"name": "新生"})])
    writer.close()
    assert ids(reader.search("新生", visibility=EVERYTHING)) == ["only"]


def test_rebuild_in_several_segments_keeps_every_document(index, tmp_path, monkeypatch):
    monkeypatch.setattr(index_module, "_REBUILD_BATCH", 3)  # 3 segments, the last one short
    docs = [handover(f"b{i}", number=f"B-{i}", texts={"notes": f"分批{i}号"}) for i in range(7)]
    index.rebuild(iter(docs))
    assert index.doc_count() == 7
    assert ids(index.search("分批", visibility=EVERYTHING)) == sorted(d.doc_id for d in docs)
    assert ids(index.search('"6号"', visibility=EVERYTHING)) == ["b6"]
    with pytest.raises(ValueError):  # a duplicate in a later batch still fails the rebuild
        index.rebuild(docs + [handover("b1", number="B-1")])
    assert index.doc_count() == 7
    assert len(list((tmp_path / "ix").glob("ix-*"))) == 1
