"""Synthetic Chinese student handovers for benchmarks (deterministic for a seed).

Names from common surnames (some compound) and given-name characters, real-sounding courses,
notes assembled from phrases a school writes, phone numbers, addresses; handover kinds with
the departments of the policy's flows (F1-F13), staff ids per department, statuses and dates.

    python bench/gen_handovers.py --n 5        # print a few as a sample
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project, also when run alone

from records.synthetic_text import COURSES, address, name, notes, phone  # noqa: E402
from search import IndexDocument  # noqa: E402

FLOWS = {  # kind: (sender department, receiver department), policy F1-F13
    "F1": ("ENR", "ACA"),
    "F2": ("ENR", "ACA"),
    "F3": ("ACA", "TEA"),
    "F4": ("ACA", "TEA"),
    "F5": ("ACA", "TEA"),
    "F6": ("TEA", "ACA"),
    "F7": ("TEA", "ACA"),
    "F8": ("ACA", "ARC"),
    "F9": ("TEA", "ENR"),
    "F10": ("FIN", "ACA"),
    "F11": ("ACA", "TEA"),
    "F12": ("ACA", "FIN"),
    "F13": ("FIN", "ACA"),
}
KIND_WEIGHTS = [8, 10, 6, 6, 4, 20, 10, 4, 5, 2, 2, 2, 2]
STATUSES = ["submitted", "received", "completed", "returned"]
STATUS_WEIGHTS = [20, 15, 60, 5]
STAFF_PER_DEPT = 20


def generate(n: int, seed: int = 2026) -> Iterator[IndexDocument]:
    """``n`` handover documents, ids ``h0``..; about 1 in 3 students appears several times."""
    rng = random.Random(seed)
    kinds = list(FLOWS)
    start = dt.date(2025, 9, 1)
    students = max(1, n * 2 // 3)
    for i in range(n):
        kind = rng.choices(kinds, KIND_WEIGHTS)[0]
        sender_dept, receiver_dept = FLOWS[kind]
        sid = rng.randrange(students)
        srng = random.Random(seed * 1_000_003 + sid)  # a student's private data is stable
        student, tel, addr = name(srng), phone(srng), address(srng)
        course = rng.choice(COURSES)
        day = start + dt.timedelta(days=rng.randrange(420))
        status = rng.choices(STATUSES, STATUS_WEIGHTS)[0]
        yield IndexDocument(
            doc_id=f"h{i}",
            doc_type="handover",
            meta={
                "number": f"JJ-{day.year}-{i:06d}",
                "kind": kind,
                "status": status,
                "sender_id": f"u-{sender_dept.lower()}-{rng.randrange(STAFF_PER_DEPT)}",
                "receiver_id": f"u-{receiver_dept.lower()}-{rng.randrange(STAFF_PER_DEPT)}",
                "sender_dept": sender_dept,
                "receiver_dept": receiver_dept,
                "student_ids": [f"s{sid}"],
                "date": day,
                "due": dt.datetime.combine(day + dt.timedelta(days=3), dt.time(18)),
                "overdue": status in ("submitted", "received") and rng.random() < 0.2,
            },
            texts={
                "student": student,
                "course": course,
                "notes": notes(rng, course, tel, addr),
            },
            exact=[tel],
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    for doc in generate(args.n, args.seed):
        print(doc.doc_id, doc.meta["number"], doc.meta["kind"], doc.texts, doc.exact)


if __name__ == "__main__":
    main()
