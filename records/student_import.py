"""Import students from a spreadsheet: CSV (UTF-8 with or without BOM, or GB18030/GBK as Excel
saves it in China) or Excel .xlsx. Three steps:

1. `read_table(path)` reads the header and the rows, refusing a file that cannot be a student
   list (`ImportFileRejected`): empty, over `MAX_FILE_BYTES` (5 MiB) or `MAX_ROWS` (5,000 data
   rows), an unknown encoding, a broken workbook, or anything records.import_file refuses
   while reading (unpacked size, blank rows, columns, cell length, XML entities).
2. `plan_import(table, students)` checks every row (StudentInput.problems(), duplicates within
   the file and against the registry, unknown and missing columns) and reports each problem with
   the row number the user sees in the spreadsheet (header = row 1) and the column's Chinese
   header. Messages never repeat the private value (policy C2).
3. `apply_import(plan, students, only_good_rows=..., actor=...)` adds the students in one
   transaction: a file with problems imports nothing unless `only_good_rows`, and a failure
   half-way (e.g. a duplicate registered meanwhile) leaves nothing imported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from records.import_file import ImportFileRejected, read_rows
from records.students import Student, StudentInput, Students

__all__ = [
    "COLUMNS",
    "ImportFileRejected",
    "ImportPlan",
    "ImportProblem",
    "ImportResult",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "Table",
    "apply_import",
    "plan_import",
    "read_table",
]

MAX_FILE_BYTES = 5 * 1024 * 1024
"""Largest import file: a whole school's list fits easily; anything larger is a wrong file."""
MAX_ROWS = 5_000
"""Most data rows in one import."""

# Chinese header -> StudentInput field, in template order (policy C2: all private but 监护人 role).
COLUMNS: dict[str, str] = {
    "姓名": "name",
    "性别": "gender",
    "出生日期": "birth_date",
    "手机": "phone",
    "家庭住址": "address",
    "身份证号": "id_number",
    "监护人": "guardian_name",
    "监护人电话": "guardian_phone",
    "健康状况": "health_notes",
}
HEADER_OF = {field: header for header, field in COLUMNS.items()}
ALIASES = {"手机号": "phone", "手机号码": "phone", "联系电话": "phone", "住址": "address",
           "家庭地址": "address", "身份证号码": "id_number", "监护人姓名": "guardian_name",
           "监护人手机": "guardian_phone", "家长电话": "guardian_phone", "健康情况": "health_notes",
           **{field: field for field in COLUMNS.values()}}
REQUIRED = ("姓名",)
CONTACT = ("手机", "监护人电话")  # at least one of these columns (StudentInput.problems)
DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


@dataclass(frozen=True)
class Table:
    """A spreadsheet as read: header cells and data rows with their spreadsheet row number."""

    headers: tuple[str, ...]
    """Header cells of row 1, stripped."""
    rows: tuple[tuple[int, tuple[Any, ...]], ...]
    """(row number as the user sees it, cell values); blank rows left out."""


@dataclass(frozen=True)
class ImportProblem:
    """One problem of the file, located as the user sees it in the spreadsheet."""

    row: int
    """Spreadsheet row (header = row 1)."""
    column: str
    """Chinese column header, or "" when the problem is about the whole row."""
    message_zh: str
    """What is wrong, never repeating the private value."""


@dataclass(frozen=True)
class ImportPlan:
    """The outcome of checking a file, before anything is written."""

    good: tuple[tuple[int, StudentInput], ...]
    """Rows without problems, ready to add."""
    problems: tuple[ImportProblem, ...]
    """Every problem, sorted by row."""

    @property
    def header_problems(self) -> tuple[ImportProblem, ...]:
        """Problems of the header row or the whole file: they block even good-rows-only."""
        return tuple(p for p in self.problems if p.row == 1 or not p.column)

    @property
    def bad_rows(self) -> tuple[int, ...]:
        """Rows with at least one problem."""
        return tuple(sorted({p.row for p in self.problems if p.row > 1}))


@dataclass(frozen=True)
class ImportResult:
    """What `apply_import` did."""

    imported: tuple[tuple[int, str], ...]
    """(spreadsheet row, new student number) of every student added."""
    problems: tuple[ImportProblem, ...]
    """The plan's problems (rows left out, or the reason nothing was imported)."""

    @property
    def refused(self) -> bool:
        """True when the file had problems and nothing was imported."""
        return bool(self.problems) and not self.imported


# -- reading ---------------------------------------------------------------------------------


def read_table(path: Path, *, max_bytes: int = MAX_FILE_BYTES, max_rows: int = MAX_ROWS) -> Table:
    """Read a .csv or .xlsx file into a Table (see the module docstring for the limits)."""
    path = Path(path)
    if path.stat().st_size > max_bytes:
        _too_large(max_bytes)
    return read_table_bytes(path.read_bytes(), path.suffix, max_bytes=max_bytes,
                            max_rows=max_rows)


def read_table_bytes(data: bytes, suffix: str, *, max_bytes: int = MAX_FILE_BYTES,
                     max_rows: int = MAX_ROWS) -> Table:
    """The same from an upload held in memory: no clear copy ever reaches the disk (C2)."""
    if len(data) > max_bytes:
        _too_large(max_bytes)
    with closing(read_rows(data, suffix.lower())) as raw_rows:
        return _table(raw_rows, max_rows)


def _too_large(max_bytes: int) -> None:
    raise ImportFileRejected("too_large", f"文件超过 {max_bytes // 1024 // 1024} MB 上限，"
                             "请分批导入。", max_bytes)


def _table(raw_rows: Iterable[Any], max_rows: int) -> Table:
    headers: tuple[str, ...] | None = None
    rows = []
    for number, cells in enumerate(raw_rows, start=1):
        if headers is None:
            headers = tuple(str(c).strip() if c is not None else "" for c in cells)
            continue
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue  # blank rows (Excel keeps formatted empty rows) are not students
        if len(rows) >= max_rows:
            raise ImportFileRejected("too_many_rows", f"文件超过 {max_rows} 行学生数据的上限，"
                                     "请分批导入。", max_rows)
        rows.append((number, tuple(cells)))
    if headers is None or not any(headers):
        raise ImportFileRejected("empty", "文件为空：第 1 行应为表头（姓名、出生日期等）。")
    return Table(headers, tuple(rows))


# -- checking --------------------------------------------------------------------------------


def _cell_text(field: str, value: Any) -> tuple[str, str | None]:
    """The text for `field` from a cell, or a problem message (never repeating the value)."""
    if value is None:
        return "", None
    if isinstance(value, datetime | date):
        if field == "birth_date":
            return (value.date() if isinstance(value, datetime) else value).isoformat(), None
        return "", "该列不应是日期格式。"
    if isinstance(value, float):
        if field == "id_number" or not value.is_integer():
            return "", "数字格式已丢失位数，请将该列设为文本格式后重新填写。"
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        if field == "birth_date":
            return "", "出生日期应为日期或 YYYY-MM-DD 格式的文本。"
        return str(value), None
    text = str(value).strip()
    if field == "birth_date" and (m := DATE_RE.match(text)):
        try:
            return date(int(m[1]), int(m[2]), int(m[3])).isoformat(), None
        except ValueError:
            return text, None  # StudentInput.problems() reports it
    return text, None


def _map_headers(headers: tuple[str, ...]) -> tuple[dict[int, str], list[ImportProblem]]:
    """Column index -> field, and the header problems (row 1)."""
    by_index: dict[int, str] = {}
    problems = []
    for index, header in enumerate(headers):
        if not header:
            continue
        field = COLUMNS.get(header) or ALIASES.get(header) or ALIASES.get(header.lower())
        if field is None:
            problems.append(ImportProblem(1, header, "无法识别的列名，请使用模板中的列名。"))
        elif field in by_index.values():
            problems.append(ImportProblem(1, header, "该列重复出现。"))
        else:
            by_index[index] = field
    for header in REQUIRED:
        if COLUMNS[header] not in by_index.values():
            problems.append(ImportProblem(1, header, "缺少必填列。"))
    if not {COLUMNS[h] for h in CONTACT} & set(by_index.values()):
        problems.append(ImportProblem(1, CONTACT[1], "缺少联系电话列（手机或监护人电话）。"))
    return by_index, problems


def plan_import(table: Table, students: Students | None = None) -> ImportPlan:
    """Check every row of `table`; duplicates against the registry when `students` is given."""
    by_index, problems = _map_headers(table.headers)
    if any(p.message_zh == "缺少必填列。" for p in problems):
        return ImportPlan((), tuple(problems))
    if not table.rows:
        problems.append(ImportProblem(2, "", "文件中没有学生数据。"))
    good = []
    seen: dict[tuple[str, str], int] = {}
    for number, cells in table.rows:
        row_problems, values = [], {}
        for index, field in by_index.items():
            text, message = _cell_text(field, cells[index] if index < len(cells) else None)
            values[field] = text
            if message:
                row_problems.append(ImportProblem(number, HEADER_OF[field], message))
        data = StudentInput(**values)
        failed = {p.column for p in row_problems}  # a cell already reported is not re-checked
        row_problems += [ImportProblem(number, HEADER_OF[fp.field], fp.message_zh)
                         for fp in data.problems() if HEADER_OF[fp.field] not in failed]
        if data.name.strip() and not row_problems:
            key = (data.name.strip(), data.birth_date)
            if key in seen:
                row_problems.append(ImportProblem(
                    number, "姓名", f"与第 {seen[key]} 行重复（姓名与出生日期相同）。"))
            elif students is not None and students.find_duplicate(data) is not None:
                row_problems.append(ImportProblem(
                    number, "姓名", "该学生已登记（姓名与出生日期相同）。"))
            seen.setdefault(key, number)
        if row_problems:
            problems += row_problems
        else:
            good.append((number, data))
    return ImportPlan(tuple(good), tuple(sorted(problems, key=lambda p: p.row)))


# -- applying --------------------------------------------------------------------------------


def apply_import(plan: ImportPlan, students: Students, *, only_good_rows: bool, actor: str,
                 actor_id: int | None = None) -> ImportResult:
    """Add the plan's good rows in one transaction (a savepoint of the caller's session; the
    caller commits). With problems and not `only_good_rows`, or with problems of the header
    (an unknown column would silently drop data), nothing is added. A failure
    half-way rolls every row back, is recorded in the ledger and raised."""
    if (plan.problems and not only_good_rows) or plan.header_problems or not plan.good:
        return ImportResult((), plan.problems)
    added: list[tuple[int, Student]] = []
    try:
        with students.session.begin_nested():
            for number, data in plan.good:
                added.append((number, students.add(data, actor_id=actor_id, actor=actor)))
    except Exception as exc:
        students.audit.append(actor=actor, action="student.import", outcome="rolled_back",
                              context={"rows": len(plan.good), "failed_at": len(added),
                                       "error": type(exc).__name__})
        raise
    students.audit.append(actor=actor, action="student.import",
                          context={"imported": len(added), "skipped_rows": list(plan.bad_rows)})
    return ImportResult(tuple((n, s.student_no) for n, s in added), plan.problems)
