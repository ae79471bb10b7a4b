"""Sample documents and small helpers for the search tests."""

from __future__ import annotations

import datetime as dt

from search import IndexDocument, Visibility

EVERYTHING = Visibility(all=True)


def handover(
    doc_id: str,
    *,
    number: str,
    kind: str = "F2",
    status: str = "submitted",
    sender: str = "u-enr-1",
    receiver: str = "u-aca-1",
    sender_dept: str = "ENR",
    receiver_dept: str = "ACA",
    students: tuple[str, ...] = (),
    date: dt.date = dt.date(2026, 3, 2),
    overdue: bool = False,
    texts: dict[str, str] | None = None,
    exact: tuple[str, ...] = (),
) -> IndexDocument:
    return IndexDocument(
        doc_id=doc_id,
        doc_type="handover",
        meta={
            "number": number,
            "kind": kind,
            "status": status,
            "sender_id": sender,
            "receiver_id": receiver,
            "sender_dept": sender_dept,
            "receiver_dept": receiver_dept,
            "student_ids": list(students),
            "date": date,
            "due": dt.datetime.combine(date, dt.time(18)) + dt.timedelta(days=2),
            "overdue": overdue,
        },
        texts=texts or {},
        exact=list(exact),
    )


def sample_docs() -> list[IndexDocument]:
    """A small school: four handovers between departments and one student record."""
    return [
        handover(
            "h1",
            number="JJ-2026-0001",
            students=("s1",),
            date=dt.date(2026, 3, 2),
            texts={
                "name": "欧阳明轩",
                "course": "Python入门班",
                "notes": "基础较弱，家长希望孩子明年参加GESP3级考试。",
                "address": "幸福路88号",
            },
            exact=("138 1234 5678", "11010520150307123X"),
        ),
        handover(
            "h2",
            number="JJ-2026-0002",
            kind="F7",
            status="completed",
            sender="u-tea-1",
            receiver="u-aca-2",
            sender_dept="TEA",
            students=("s2",),
            date=dt.date(2026, 4, 10),
            texts={"name": "王芳", "course": "Scratch创意编程", "notes": "期末成绩优秀，课堂积极"},
            exact=("13900001111",),
        ),
        handover(
            "h3",
            number="JJ-2026-0003",
            kind="F10",
            status="submitted",
            sender="u-fin-1",
            receiver="u-aca-1",
            sender_dept="FIN",
            students=("s3",),
            date=dt.date(2026, 5, 20),
            overdue=True,
            texts={
                "name": "李子涵",
                "course": "乐高机器人班",
                "notes": "因搬家申请退费，入门课程已上完",
            },
            exact=("13700002222",),
        ),
        handover(
            "h4",
            number="JJ-2026-0004",
            kind="F3",
            status="returned",
            sender="u-aca-3",
            receiver="u-tea-2",
            sender_dept="ACA",
            receiver_dept="TEA",
            date=dt.date(2026, 6, 1),
            texts={"course": "Python进阶班", "notes": "周六上午上课，地点三楼教室"},
        ),
        IndexDocument(
            doc_id="s1",
            doc_type="student",
            meta={"number": "XH-000123", "departments": ["ACA"], "student_ids": ["s1"]},
            texts={"name": "欧阳明轩", "notes": "对编程很感兴趣"},
            exact=("138 1234 5678",),
        ),
    ]


def ids(results) -> list[str]:
    return sorted(h.doc_id for h in results.hits)
