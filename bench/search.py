"""Search benchmark: full reindex, index size, commit latency and query latency on synthetic
Chinese handovers, against references measured in the same run.

    .venv/bin/python bench/search.py                 # 100,000 documents (several minutes)
    .venv/bin/python bench/search.py --n 5000 --out -   # quick look, Markdown to stdout

References: jieba segmentation alone and our tokenisation (jieba + grams + HMAC) alone on the
first documents (what indexing cannot go below), and a linear substring scan of the plaintext
in memory for the same one-word queries (what the index must beat; its counts check recall).
Writes a Markdown section to docs/benchmarks/search.md unless --out says otherwise, with the
verdict against the targets (reindex of 100k under 5 minutes, query p95 under 50 ms) worked
out from this run's figures.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import platform
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
# this script is named like the package it measures: keep bench/ off the import path
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH]
sys.path.insert(0, str(ROOT))

from search import Filters, SearchIndex, Visibility  # noqa: E402
from search._whoosh.engine import RANK_LIMIT  # noqa: E402
from search._whoosh.schema import segmenter, to_fields  # noqa: E402
from search.tokens import KeyedTokens  # noqa: E402


def _load_generator():
    spec = importlib.util.spec_from_file_location("gen_handovers", BENCH / "gen_handovers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen_handovers = _load_generator()

COURSE_WORDS = ["Python", "机器人", "书法", "Scratch", "英语", "奥数", "GESP3级", "钢琴", "围棋"]
NOTE_WORDS = ["退费", "补课", "考级", "分期缴费", "注意力", "信息学竞赛", "周末班", "续班", "教材"]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def make_queries(docs, rng: random.Random, count: int) -> dict[str, list[str]]:
    """Query sets drawn from the documents themselves."""
    sample = [rng.choice(docs) for _ in range(count)]
    one = []
    for i, d in enumerate(sample):
        student = d.texts["student"]
        pick = i % 5
        if pick == 0:
            one.append(student)
        elif pick == 1:
            start = rng.randrange(len(student) - 1)
            one.append(student[start : start + 2])
        elif pick == 2:
            one.append(rng.choice(COURSE_WORDS))
        elif pick == 3:
            one.append(rng.choice(NOTE_WORDS))
        else:
            one.append(d.exact[0])
    two = [f"{d.texts['student']} {rng.choice(COURSE_WORDS + NOTE_WORDS)}" for d in sample]
    return {"one": one, "two": two}


def time_queries(ix: SearchIndex, queries, **kwargs) -> tuple[list[float], list[int], int]:
    """Times (ms) and totals of the queries, and how many were answered newest first
    because they matched too many documents to rank."""
    times, totals, by_date = [], [], 0
    for q in queries:
        t = time.perf_counter()
        res = ix.search(q, **kwargs)
        times.append((time.perf_counter() - t) * 1000)
        totals.append(res.total)
        by_date += res.ranked_by_date
    return times, totals, by_date


def scan(texts: list[str], queries: list[str]) -> tuple[list[float], list[int]]:
    times, counts = [], []
    for q in queries:
        t = time.perf_counter()
        n = sum(1 for text in texts if q in text)
        times.append((time.perf_counter() - t) * 1000)
        counts.append(n)
    return times, counts


def verdict(n_docs, index_s, index_cpu, jieba_per_doc, tokenise_per_doc, rows, after_write):
    """The section's verdict and analysis: figures from this run, causes from profiles of the
    same code (cProfile on 20,000 and 100,000 generated handovers on this machine)."""
    p95s = [(label, pct(times, 95)) for label, times, _, _ in rows]
    missed = [label for label, p95 in p95s if p95 >= 50]
    low, high = min(v for _, v in p95s), max(v for _, v in p95s)
    if not missed:
        query_result = "met in every row"
    else:
        query_result = f"missed in {len(missed)} of {len(p95s)} rows: " + "; ".join(missed)
    if n_docs != 100_000:
        scale = f" for {n_docs:,} documents"
        reindex_result = "not comparable: the target is for 100,000"
        title = "meets the query target" if not missed else "misses the query target"
    else:
        scale = ""
        reindex_met = index_s < 300
        reindex_result = "met" if reindex_met else f"missed {index_s / 300:.1f}x"
        title = {
            (True, True): "meets both targets",
            (True, False): "meets the reindex target, misses the query target",
            (False, True): "meets the query target, misses the reindex target",
            (False, False): "misses both targets",
        }[(reindex_met, not missed)]
    return [
        f"### Verdict: this run {title}",
        "",
        "| Target | Measured | |",
        "|---|---|---|",
        f"| Full reindex of 100k under 5 minutes | {index_s / 60:.1f} minutes "
        f"({index_cpu / 60:.1f} CPU minutes){scale} | {reindex_result} |",
        f"| Query p95 under 50 ms | p95 {low:.1f}-{high:.1f} ms over the {len(p95s)} query "
        f"rows | {query_result} |",
        f"| (no target) first query after a write | p95 {pct(after_write, 95):.0f} ms | |",
        "",
        "What the search does. Before these changes the same bench measured p95 2.4-7.5 s in "
        "the query rows and a 20-minute reindex, on a machine loaded 4-5 where its jieba "
        f"reference took 2.10 ms per document ({2.10 / (jieba_per_doc * 1000):.0f} times this "
        "run's): compare those figures with care, the changes below were each measured "
        "before and after on the same machine state.",
        "",
        "- **Match sets without Whoosh's matchers.** Whoosh checked phrase positions and "
        "computed BM25 in Python for each of the ~20,000 matches of a note word, twice (once "
        "for totals and facets, once for the page). Now each term's documents are read a "
        "block at a time and kept per segment, And/Or/NOT are set operations, and a phrase's "
        "positions are checked only where they can change the answer (visible documents not "
        "already matched by the jieba word of the same term), once per document for as long "
        "as its segment lives. The match sets, totals and facets were compared with the "
        "previous code on 390 query/visibility combinations (20,000 documents); the recall "
        "check above "
        "compares them with the plaintext. Whoosh's AndNot skipped its check of the first "
        "document in some cases (`python NOT 入门` returned a document with 入门); the set "
        "evaluation does not.",
        f"- **Broad results are not ranked.** Above {RANK_LIMIT:,} visible matches the page is "
        "the newest first from a cached date array and `SearchResults.ranked_by_date` says "
        "so; below, the matches are scored with Whoosh's BM25F scorer from the cached "
        "postings and field lengths (the scores equal Whoosh's: ranking ~1,000 matches "
        "takes 4-9 ms).",
        "- **Facets** count each combination of kind, status and departments once per "
        "document, in C.",
        "- **Rebuild** writes segments of 20,000 documents whose postings are sorted in "
        "memory (1 GB pool) and commits them without a merge. With the old 256 MB pool Whoosh "
        "spilled a 100k rebuild to run files and merged them back one posting at a time: on "
        "20,000 documents 103 s CPU against 70 s in memory. The flush looks up field lengths "
        "once per document and field instead of once per posting, and a lone position's "
        "encoded value is made once (50.7 s -> 46.4 s CPU on 20,000).",
        "",
        "What still costs, from profiles:",
        "",
        "- **The first read of a term.** Whoosh pickles the ids, weights and positions of up "
        "to 128 postings together, so reading a broad term's documents unpickles its positions "
        "too: 20-60 ms for a note word on 100k the first time, 150-250 ms for a phrase that has "
        "no jieba word to skip with (`GESP3级`, `周末班`), whose positions are then checked. "
        "The first query row and the queries after writes pay this; the reads are kept per "
        "segment after that.",
        "- **A write.** Opening the new index version costs about 150 ms on 100k, most of it "
        "Whoosh copying each segment's files out of the memory map; what is cached per "
        "segment survives, so only the new small segment is read again (the \"first query "
        "after a write\" row).",
        "- **Garbage collection.** A full collection of this process (which holds the 100k "
        "plaintext documents for the reference scan) took 0.2-0.4 s and lands on whichever "
        "query triggers it: it shows in the maxima more than in p95.",
        "- **Indexing is per-posting Python in Whoosh** (posting pool, sorting, `add_posting`, "
        f"pickled blocks): {index_cpu / n_docs * 1000:.1f} ms CPU per document in this run, of "
        f"which our tokenisation (jieba + grams + HMAC) is about {tokenise_per_doc * 1000:.1f} "
        "ms (reference row; a profile put it at 28%). The rebuild uses one core; tokenising in "
        "a second process while the first writes would overlap that share, and a compiled "
        "engine behind the same interface would remove most of the rest (the keyed tokens are "
        "made before the engine sees any text).",
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="documents to index")
    parser.add_argument("--queries", type=int, default=100, help="queries per set")
    parser.add_argument("--ref-docs", type=int, default=20_000, help="documents for references")
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks" / "search.md"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    load_before = os.getloadavg()
    started = datetime.now(UTC)
    rng = random.Random(7)

    t = time.perf_counter()
    docs = list(gen_handovers.generate(args.n))
    gen_s = time.perf_counter() - t
    chars = sum(len(v) for d in docs for v in d.texts.values())
    print(
        f"generated {len(docs)} docs ({chars / len(docs):.0f} chars each) in {gen_s:.1f}s",
        file=sys.stderr,
    )

    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        tmp = Path(tmp)
        key = secrets.token_bytes(32)
        tk = segmenter(tmp / "jieba")
        ref = docs[: args.ref_docs]
        t = time.perf_counter()
        for d in ref:
            for text in d.texts.values():
                list(tk.cut_for_search(text))
        jieba_s = time.perf_counter() - t
        keyed = KeyedTokens(key)
        t = time.perf_counter()
        for d in ref:
            to_fields(d, keyed, tk)
        tokenise_s = time.perf_counter() - t
        print(
            f"references on {len(ref)} docs: jieba {jieba_s:.1f}s, tokenise {tokenise_s:.1f}s",
            file=sys.stderr,
        )

        ix = SearchIndex(tmp / "ix", key, jieba_cache_dir=tmp / "jieba")

        def progress(n: int) -> None:
            if n % 10_000 == 0:
                print(f"  indexed {n}", file=sys.stderr)

        t, cpu = time.perf_counter(), time.process_time()
        ix.rebuild(docs, progress=progress)
        index_s, index_cpu = time.perf_counter() - t, time.process_time() - cpu
        size = folder_size(tmp / "ix")
        print(f"indexed in {index_s:.1f}s, {size / 2**20:.1f} MiB", file=sys.stderr)

        sets = make_queries(docs, rng, args.queries)
        everything = Visibility(all=True)
        time_queries(ix, sets["one"][:10], visibility=everything)  # warm up

        # each write opens a new index version: time the first broad query after it
        commits, after_write = [], []
        extras = []
        for i in range(20):
            extra = next(gen_handovers.generate(1, seed=1000 + i))
            extra = type(extra)(f"extra{i}", extra.doc_type, extra.meta, extra.texts, extra.exact)
            extras.append(extra)
            t = time.perf_counter()
            ix.add_or_update([extra])
            commits.append((time.perf_counter() - t) * 1000)
            word = NOTE_WORDS[i % len(NOTE_WORDS)]
            after_write += time_queries(ix, [word], visibility=everything)[0]

        aca = Visibility(departments={"ACA"}, sender_ids={"u-aca-3"}, receiver_ids={"u-aca-3"})
        teacher = Visibility(sender_ids={"u-tea-5"}, receiver_ids={"u-tea-5"})
        supervision = Visibility(metadata_only_all=True)
        recent = Filters(kinds={"F6", "F7"}, date_from=date(2026, 3, 1), date_to=date(2026, 6, 30))
        numbers = [d.meta["number"] for d in (rng.choice(docs) for _ in range(args.queries))]

        runs = [
            ("one word, all visible", sets["one"], {"visibility": everything}),
            (
                "one word, all visible, no facets",
                sets["one"],
                {"visibility": everything, "facets": False},
            ),
            ("two words (AND), all visible", sets["two"], {"visibility": everything}),
            ("one word, ACA staff visibility", sets["one"], {"visibility": aca}),
            (
                "one word + kind/date filter, ACA staff visibility",
                sets["one"],
                {"visibility": aca, "filters": recent},
            ),
            (
                "one word + kind/date filter, one teacher's handovers",
                sets["one"],
                {"visibility": teacher, "filters": recent},
            ),
            (
                "two words, sorted by date, ACA staff visibility",
                sets["two"],
                {"visibility": aca, "sort": "date"},
            ),
            ("handover number, supervision (metadata only)", numbers, {"visibility": supervision}),
        ]
        rows = []
        for label, queries, kwargs in runs:
            times, totals, by_date = time_queries(ix, queries, **kwargs)
            rows.append((label, times, statistics.median(totals), by_date))
            print(
                f"{label}: p50 {pct(times, 50):.1f} ms, p95 {pct(times, 95):.1f} ms",
                file=sys.stderr,
            )

        words = [q for q in sets["one"] if not q.isdigit()]
        texts = ["\n".join(d.texts.values()) for d in docs + extras]
        scan_times, scan_counts = scan(texts, words)
        _, ix_counts, _ = time_queries(ix, words, visibility=everything)
        agree = sum(1 for a, b in zip(scan_counts, ix_counts, strict=True) if a == b)
        ix.close()
    load_after = os.getloadavg()
    ended = datetime.now(UTC)

    lines = [
        "## Search (Whoosh + jieba, keyed tokens)",
        "",
        f"Command: `.venv/bin/python bench/search.py --n {args.n} --queries {args.queries} "
        f"--ref-docs {args.ref_docs}` (run once, {started:%H:%M} UTC start to {ended:%H:%M} UTC "
        f"end of {ended:%Y-%m-%d}, {(ended - started).total_seconds() / 60:.0f} minutes wall "
        "clock including data generation)",
        "",
        f"Machine: {os.cpu_count()} cores (shared with other jobs; load average "
        f"{load_before[0]:.1f} before, {load_after[0]:.1f} after), Python "
        f"{platform.python_version()}, whoosh-reloaded {metadata.version('whoosh-reloaded')}, "
        f"jieba {metadata.version('jieba')}. Synthetic handovers from `bench/gen_handovers.py`: "
        f"{len(docs):,} documents, {chars / len(docs):.0f} characters of text each.",
        "",
        "| Measure | Result |",
        "|---|---|",
        f"| Full reindex of {len(docs):,} documents (`SearchIndex.rebuild`) | {index_s:.0f} s "
        f"({index_s / len(docs) * 1000:.2f} ms per document; {index_cpu:.0f} s CPU) |",
        f"| Reference on the first {len(ref):,}: jieba `cut_for_search` alone | {jieba_s:.1f} s "
        f"({jieba_s / len(ref) * 1000:.2f} ms per document) |",
        f"| Reference on the first {len(ref):,}: our tokenisation (jieba + grams + HMAC) alone "
        f"| {tokenise_s:.1f} s ({tokenise_s / len(ref) * 1000:.2f} ms per document) |",
        f"| Index size | {size / 2**20:.0f} MiB ({size / len(docs) / 1024:.1f} KiB per document) |",
        f"| Add one document and commit (20 times) | p50 {pct(commits, 50):.0f} ms, "
        f"p95 {pct(commits, 95):.0f} ms |",
        f"| First one-word query after each of those commits (a note word, all visible) | "
        f"p50 {pct(after_write, 50):.0f} ms, p95 {pct(after_write, 95):.0f} ms |",
        "",
        f"Query latency, {args.queries} queries per row, page of 20 with facets unless said "
        "(one-word queries: full names, two-character parts of names, course words, note "
        "words, phone numbers). The first row is the first time these queries run on this "
        "index version (after 10 warm-up queries); later rows reuse what it read. \"by date\": "
        f"queries with more than {RANK_LIMIT:,} visible matches, answered newest first "
        "instead of by relevance (`SearchResults.ranked_by_date`).",
        "",
        "| Queries | p50 ms | p95 ms | median hits | by date |",
        "|---|---|---|---|---|",
    ]
    for label, times, median_total, by_date in rows:
        lines.append(
            f"| {label} | {pct(times, 50):.1f} | {pct(times, 95):.1f} | {median_total:.0f} "
            f"| {by_date} |"
        )
    lines += [
        f"| Reference: linear substring scan of the plaintext in memory ({len(words)} "
        f"one-word queries) | {pct(scan_times, 50):.1f} | {pct(scan_times, 95):.1f} | "
        f"{statistics.median(scan_counts):.0f} | |",
        "",
        f"Recall check: for {agree} of {len(words)} one-word queries (phone numbers left out) "
        "the index found exactly as many documents as the plaintext scan.",
        "",
        "\"Median hits\" of the one-word rows mixes phone numbers and names (a handful of hits) "
        "with course and note words (thousands); the reference row counts only the word queries.",
        "",
    ]
    lines += verdict(
        len(docs), index_s, index_cpu, jieba_s / len(ref), tokenise_s / len(ref), rows, after_write
    )
    text = "\n".join(lines)
    if args.out == "-":
        print(text)
    else:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text, encoding="utf-8")
        print(text)


if __name__ == "__main__":
    main()
