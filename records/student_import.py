"""Import students from a spreadsheet as schools keep them: CSV (UTF-8 with or without BOM,
or GB18030/GBK as Excel saves it in China) or Excel .xlsx. Three steps:

1. `read_table(path)` reads the rows, refusing a file that cannot be a student list
   (`ImportFileRejected`): empty, over `MAX_FILE_BYTES` (5 MiB) or `MAX_ROWS` (5,000 data
   rows), an unknown encoding, a broken workbook, or anything records.import_file refuses
   while reading (unpacked size, blank rows, columns, cell length, XML entities). The header
   is the first row that names known columns (within the first `HEADER_SEARCH_ROWS`): a
   merged title row above it and note rows ("注：…") below it are skipped, and every row keeps
   the number the user sees in the spreadsheet.
2. `plan_import(table, students, ...)` checks every row (StudentInput.problems(), duplicates
   within the file and against the registry, 学号 in the school's format and not yet taken,
   班级 that exist, unknown and missing columns) and reports each problem with its spreadsheet
   row and the column's Chinese header. A `mapping` (column index -> field) chosen on the
   preview page replaces the one read from the headers. Messages never repeat a private value
   (policy C2).
3. `apply_import(plan, students, only_good_rows=..., actor=...)` adds the students (with their
   own 学号 when given) and puts them in their classes in one transaction: a file with
   problems imports nothing unless `only_good_rows`, and a failure half-way leaves nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from records.import_file import ImportFileRejected, read_rows
from records.students import Student, StudentInput, Students

__all__ = [
    "COLUMNS",
    "DEFAULT_NUMBER_PATTERN",
    "EXTRA_COLUMNS",
    "FIELD_LABELS",
    "ImportFileRejected",
    "ImportPlan",
    "ImportProblem",
    "ImportResult",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "Placement",
    "Table",
    "apply_import",
    "header_mapping",
    "header_name",
    "plan_import",
    "read_table",
    "read_table_bytes",
    "understood",
]

MAX_FILE_BYTES = 5 * 1024 * 1024
"""Largest import file: a whole school's list fits easily; anything larger is a wrong file."""
MAX_ROWS = 5_000
"""Most data rows in one import."""
HEADER_SEARCH_ROWS = 20
"""The header is looked for in this many rows: title rows, a date, a blank line or two."""

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
# Columns that are not fields of the record itself: the school's own number, the class.
EXTRA_COLUMNS: dict[str, str] = {"学号": "student_no", "班级": "class_name", "课程": "course"}
FIELD_LABELS = {**HEADER_OF, **{f: h for h, f in EXTRA_COLUMNS.items()}}
"""Every field an import column may go to, with its Chinese header (the preview's choices)."""
ALIASES = {"手机号": "phone", "手机号码": "phone", "联系电话": "phone", "住址": "address",
           "家庭地址": "address", "身份证号码": "id_number", "身份证": "id_number",
           "监护人姓名": "guardian_name", "家长姓名": "guardian_name", "家长": "guardian_name",
           "监护人手机": "guardian_phone", "家长电话": "guardian_phone",
           "家长手机": "guardian_phone", "健康情况": "health_notes", "学生姓名": "name",
           "出生年月日": "birth_date", "生日": "birth_date", "学生编号": "student_no",
           "编号": "student_no", "班别": "class_name", "所在班级": "class_name",
           "课程名称": "course", "报读课程": "course",
           **{field: field for field in FIELD_LABELS}}
KNOWN_HEADERS = frozenset({*COLUMNS, *EXTRA_COLUMNS, *ALIASES})
REQUIRED = ("姓名",)
CONTACT = ("手机", "监护人电话")  # at least one of these columns (StudentInput.problems)
DEFAULT_NUMBER_PATTERN = r"[A-Z0-9][A-Z0-9-]{0,31}"
"""学号 accepted when the school sets no format of its own (STUDENT_NUMBER_PATTERN)."""
DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
DAY_FIRST_RE = re.compile(r"^\d{1,2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{2,4}$")
SCIENTIFIC_RE = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")
CLASS_SEPARATORS = re.compile(r"[、;；]")
NOTE_RE = re.compile(r"^\s*(注|说明|备注|填表|制表|※|\*)")
EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1900-01-01 (Excel's 1900 leap-year bug)
LOST_DIGITS = ("数字已被 Excel 改成科学计数法（如 3.10105E+17），后几位已丢失：请在 Excel 中"
               "将该列设为“文本”格式，重新填写后再导入。")
AMBIGUOUS_DATE = ("无法确定是“日/月/年”还是“月/日/年”：请写成 年-月-日（如 2015-03-12）"
                  "或 2015年3月12日。")
COURSE_NOT_KEPT = ("“课程”列不单独保存：学生档案没有课程字段，学生的课程随所在班级记录；"
                   "有“班级”列时，本列用于核对班级的课程。")


@dataclass(frozen=True)
class Table:
    """A spreadsheet as read: header cells and data rows with their spreadsheet row number."""

    headers: tuple[str, ...]
    """Header cells, stripped."""
    rows: tuple[tuple[int, tuple[Any, ...]], ...]
    """(row number as the user sees it, cell values); blank and note rows left out."""
    header_row: int = 1
    """The spreadsheet row the headers are on."""
    skipped: tuple[int, ...] = ()
    """Rows above the header (titles) and note rows below it, left out."""


@dataclass(frozen=True)
class ImportProblem:
    """One problem of the file, located as the user sees it in the spreadsheet."""

    row: int
    """Spreadsheet row (the header row for a problem of a column)."""
    column: str
    """Chinese column header, or "" when the problem is about the whole row."""
    message_zh: str
    """What is wrong, never repeating the private value."""


@dataclass(frozen=True)
class Placement:
    """What a good row keeps besides the record: the school's 学号, the class to join."""

    student_no: str | None = None
    class_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class ImportPlan:
    """The outcome of checking a file, before anything is written."""

    good: tuple[tuple[int, StudentInput], ...]
    """Rows without problems, ready to add."""
    problems: tuple[ImportProblem, ...]
    """Every problem, sorted by row."""
    header_row: int = 1
    """The spreadsheet row of the headers."""
    placements: Mapping[int, Placement] = field(default_factory=dict)
    """By spreadsheet row: the 学号 and class of a good row, when the file gives them."""
    notes: tuple[str, ...] = ()
    """What the user should know that is not a problem (a column that is not kept)."""

    @property
    def header_problems(self) -> tuple[ImportProblem, ...]:
        """Problems of the header row or the whole file: they block even good-rows-only."""
        return tuple(p for p in self.problems if p.row <= self.header_row or not p.column)

    @property
    def bad_rows(self) -> tuple[int, ...]:
        """Rows with at least one problem."""
        return tuple(sorted({p.row for p in self.problems if p.row > self.header_row}))


@dataclass(frozen=True)
class ImportResult:
    """What `apply_import` did."""

    imported: tuple[tuple[int, str], ...]
    """(spreadsheet row, student number) of every student added."""
    problems: tuple[ImportProblem, ...]
    """The plan's problems (rows left out, or the reason nothing was imported)."""

    @property
    def refused(self) -> bool:
        """True when the file had problems and nothing was imported."""
        return bool(self.problems) and not self.imported


# -- reading ---------------------------------------------------------------------------------


def read_table(path: Path, *, max_bytes: int = MAX_FILE_BYTES, max_rows: int = MAX_ROWS,
               known: frozenset[str] = KNOWN_HEADERS) -> Table:
    """Read a .csv or .xlsx file into a Table (see the module docstring for the limits);
    `known`: the column names that mark the header row."""
    path = Path(path)
    if path.stat().st_size > max_bytes:
        _too_large(max_bytes)
    return read_table_bytes(path.read_bytes(), path.suffix, max_bytes=max_bytes,
                            max_rows=max_rows, known=known)


def read_table_bytes(data: bytes, suffix: str, *, max_bytes: int = MAX_FILE_BYTES,
                     max_rows: int = MAX_ROWS, known: frozenset[str] = KNOWN_HEADERS) -> Table:
    """The same from an upload held in memory: no clear copy ever reaches the disk (C2)."""
    if len(data) > max_bytes:
        _too_large(max_bytes)
    with closing(read_rows(data, suffix.lower())) as raw_rows:
        return _table(raw_rows, max_rows, known)


def _too_large(max_bytes: int) -> None:
    raise ImportFileRejected("too_large", f"文件超过 {max_bytes // 1024 // 1024} MB 上限，"
                             "请分批导入。", max_bytes)


def header_name(cell: Any) -> str:
    """A header cell as compared with the known names: "姓 名 *" is 姓名."""
    return re.sub(r"[\s\u3000*＊]+", "", str(cell)) if cell is not None else ""


def _blank(cells: Iterable[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _names_columns(cells: tuple[Any, ...], known: frozenset[str]) -> bool:
    """Whether a row is the header: two known column names, or nothing but known names (a
    one-column list); a title row ("2026 春季学生名单") names none."""
    names = [header_name(c) for c in cells if header_name(c)]
    hits = sum(1 for n in names if n in known or n.lower() in known)
    return hits >= 2 or (hits >= 1 and hits == len(names))


def _is_note(cells: tuple[Any, ...]) -> bool:
    """A note row under the header: one filled cell that reads as a note ("注：…")."""
    filled = [c for c in cells if not _blank((c,))]
    return len(filled) == 1 and isinstance(filled[0], str) and bool(NOTE_RE.match(filled[0]))


def _table(raw_rows: Iterable[Any], max_rows: int, known: frozenset[str]) -> Table:
    raw = iter(raw_rows)
    head: list[tuple[int, tuple[Any, ...]]] = []
    at = None
    for number, cells in enumerate(raw, start=1):
        head.append((number, tuple(cells)))
        if _names_columns(head[-1][1], known):
            at = len(head) - 1
            break
        if len(head) >= HEADER_SEARCH_ROWS:
            break
    if at is None:  # no known names: the first filled row, which the check then explains
        at = next((i for i, (_, cells) in enumerate(head) if not _blank(cells)), None)
        if at is None:
            raise ImportFileRejected("empty", "文件为空：应有一行表头（姓名、出生日期等）。")
    header_row, header_cells = head[at]
    skipped = [n for n, cells in head[:at] if not _blank(cells)]
    rows: list[tuple[int, tuple[Any, ...]]] = []

    def take(number: int, cells: tuple[Any, ...]) -> None:
        if _blank(cells):
            return  # blank rows (Excel keeps formatted empty rows) are not students
        if _is_note(cells):
            skipped.append(number)
            return
        if len(rows) >= max_rows:
            raise ImportFileRejected("too_many_rows", f"文件超过 {max_rows} 行学生数据的上限，"
                                     "请分批导入。", max_rows)
        rows.append((number, cells))

    for number, cells in head[at + 1:]:
        take(number, cells)
    for number, cells in enumerate(raw, start=len(head) + 1):
        take(number, tuple(cells))
    headers = tuple(str(c).strip() if c is not None else "" for c in header_cells)
    return Table(headers, tuple(rows), header_row, tuple(skipped))


# -- checking --------------------------------------------------------------------------------


def excel_serial_date(value: float) -> date | None:
    """A date Excel stored as a number in a General cell (days since 1899-12-30), when it is
    a plausible birth date; None otherwise."""
    if not 14_611 <= value <= 73_050:  # 1940-01-01 .. 2099-12-31
        return None
    return EXCEL_EPOCH + timedelta(days=int(value))


def _cell_text(field: str, value: Any) -> tuple[str, str | None]:
    """The text for `field` from a cell, or a problem message (never repeating the value)."""
    if value is None:
        return "", None
    if isinstance(value, datetime | date):
        if field == "birth_date":
            return (value.date() if isinstance(value, datetime) else value).isoformat(), None
        return "", "该列不应是日期格式。"
    if field == "birth_date" and isinstance(value, int | float) and not isinstance(value, bool):
        serial = excel_serial_date(value)
        if serial is None:
            return "", "出生日期应为日期或 YYYY-MM-DD 格式的文本。"
        return serial.isoformat(), None
    if isinstance(value, float):
        if not value.is_integer() or value >= 1e15:  # past 15 digits a float lost some
            return "", LOST_DIGITS if field in ("id_number", "phone", "guardian_phone",
                                                "student_no") else "数字格式有误。"
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value), None
    text = str(value).strip()
    if field in ("id_number", "phone", "guardian_phone", "student_no") \
            and SCIENTIFIC_RE.match(text):  # a CSV saved by Excel from a General column
        return "", LOST_DIGITS
    if field == "birth_date":
        if m := DATE_RE.match(text):
            try:
                return date(int(m[1]), int(m[2]), int(m[3])).isoformat(), None
            except ValueError:
                return text, None  # StudentInput.problems() reports it
        if DAY_FIRST_RE.match(text):
            return "", AMBIGUOUS_DATE
    if field == "student_no":
        text = text.upper()
    return text, None


def header_mapping(headers: tuple[str, ...]) -> dict[int, str]:
    """Column index -> field, as the headers name them (first of a repeated field wins)."""
    out: dict[int, str] = {}
    for index, header in enumerate(headers):
        name = header_name(header)
        found = (COLUMNS.get(name) or EXTRA_COLUMNS.get(name) or ALIASES.get(name)
                 or ALIASES.get(name.lower()))
        if found and found not in out.values():
            out[index] = found
    return out


def _map_headers(headers: tuple[str, ...], row: int, mapping: Mapping[int, str] | None
                 ) -> tuple[dict[int, str], list[ImportProblem]]:
    """Column index -> field, and the problems of the header row. With a `mapping` chosen
    on the preview page, a column left out is the user's choice, not a problem."""
    by_index: dict[int, str] = {}
    problems = []
    chosen = header_mapping(headers) if mapping is None else dict(mapping)
    for index, header in enumerate(headers):
        label = header or f"第 {index + 1} 列"
        if index not in chosen:
            if mapping is None and header_name(header):
                found = ALIASES.get(header_name(header)) or ALIASES.get(
                    header_name(header).lower())
                message = "该列重复出现。" if found else "无法识别的列名，请使用模板中的列名。"
                problems.append(ImportProblem(row, header, message))
            continue
        target = chosen[index]
        if target not in FIELD_LABELS:
            problems.append(ImportProblem(row, label, "所选的对应内容无效。"))
        elif target in by_index.values():
            problems.append(ImportProblem(row, label, "该列重复出现。"))
        else:
            by_index[index] = target
    for header in REQUIRED:
        if COLUMNS[header] not in by_index.values():
            problems.append(ImportProblem(row, header, "缺少必填列。"))
    if not {COLUMNS[h] for h in CONTACT} & set(by_index.values()):
        problems.append(ImportProblem(row, CONTACT[1], "缺少联系电话列（手机或监护人电话）。"))
    return by_index, problems


def _class_names(cell: tuple[str, str | None] | None) -> list[str]:
    """The classes a 班级 cell names: one, or several separated by 、 (as a roster export
    writes them)."""
    if not cell or not cell[0]:
        return []
    return list(dict.fromkeys(n.strip() for n in CLASS_SEPARATORS.split(cell[0]) if n.strip()))


def _classes_named(students: Students | None, names: set[str]) -> dict[str, Any]:
    from records.classes import SchoolClass

    if students is None or not names:
        return {}
    return {c.name: c for c in students.session.scalars(
        select(SchoolClass).where(SchoolClass.name.in_(sorted(names))))}


def _numbers_taken(students: Students | None, numbers: set[str]) -> set[str]:
    if students is None or not numbers:
        return set()
    return set(students.session.scalars(select(Student.student_no).where(
        Student.student_no.in_(sorted(numbers)))))


def plan_import(table: Table, students: Students | None = None, *,
                mapping: Mapping[int, str] | None = None,
                number_pattern: str | None = None, may_assign_classes: bool = True
                ) -> ImportPlan:
    """Check every row of `table`; duplicates, 学号 and 班级 against the registry when
    `students` is given. `number_pattern`: the school's 学号 format (a regular expression the
    whole number must match; STUDENT_NUMBER_PATTERN). `may_assign_classes`: whether the
    importer may put students in classes (policy R-ACA); if not, a 班级 column is refused."""
    hr = table.header_row
    by_index, problems = _map_headers(table.headers, hr, mapping)
    notes = [COURSE_NOT_KEPT] if "course" in by_index.values() else []
    if any(p.message_zh == "缺少必填列。" for p in problems):
        return ImportPlan((), tuple(problems), hr, {}, tuple(notes))
    if not table.rows:
        problems.append(ImportProblem(hr + 1, "", "文件中没有学生数据。"))
    pattern = re.compile(number_pattern or DEFAULT_NUMBER_PATTERN)
    cells_of = [(number, {f: _cell_text(f, cells[i] if i < len(cells) else None)
                          for i, f in by_index.items()}) for number, cells in table.rows]
    classes = _classes_named(students, {name for _, v in cells_of
                                        for name in _class_names(v.get("class_name"))})
    taken = _numbers_taken(students, {v["student_no"][0] for _, v in cells_of
                                      if "student_no" in v and v["student_no"][0]})
    good, placements = [], {}
    seen: dict[tuple[str, str], int] = {}
    seen_numbers: dict[str, int] = {}
    for number, texts in cells_of:
        row_problems = [ImportProblem(number, FIELD_LABELS[f], message)
                        for f, (_, message) in texts.items() if message]
        values = {f: text for f, (text, _) in texts.items() if f in HEADER_OF}
        data = StudentInput(**values)
        failed = {p.column for p in row_problems}  # a cell already reported is not re-checked
        row_problems += [ImportProblem(number, HEADER_OF[fp.field], fp.message_zh)
                         for fp in data.problems() if HEADER_OF[fp.field] not in failed]
        student_no = texts.get("student_no", ("", None))[0] or None
        if student_no and "学号" not in failed:
            if not pattern.fullmatch(student_no):
                row_problems.append(ImportProblem(number, "学号", "学号不符合本校的学号格式"
                                                  f"（{pattern.pattern}）。"))
            elif student_no in taken:
                row_problems.append(ImportProblem(number, "学号", "该学号已被登记。"))
            elif student_no in seen_numbers:
                row_problems.append(ImportProblem(
                    number, "学号", f"与第 {seen_numbers[student_no]} 行的学号重复。"))
            seen_numbers.setdefault(student_no, number)
        names = _class_names(texts.get("class_name"))
        joined = [classes[n] for n in names if n in classes]
        if names and not may_assign_classes:
            row_problems.append(ImportProblem(number, "班级", "只有教务部可以分班（制度 R-ACA）："
                                              "请清空“班级”列，或由教务部导入。"))
        elif len(joined) < len(names):
            row_problems.append(ImportProblem(number, "班级", "没有这个班级：请先在“班级”页"
                                              "建立，或核对班级名称。"))
        course = texts.get("course", ("", None))[0]
        if course and joined and course not in {c.course for c in joined}:
            row_problems.append(ImportProblem(number, "课程", "课程与该班级的课程"
                                              f"（{joined[0].course}）不一致。"))
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
            if student_no or joined:
                placements[number] = Placement(student_no, tuple(c.id for c in joined))
    return ImportPlan(tuple(good), tuple(sorted(problems, key=lambda p: p.row)), hr,
                      placements, tuple(notes))


def understood(table: Table, mapping: Mapping[int, str], limit: int,
               problems: Iterable[ImportProblem] = ()
               ) -> list[tuple[int, list[tuple[str, str, str | None]]]]:
    """The first `limit` rows as the import reads them under `mapping`: per row, for each
    mapped column in file order, (field, text as it will be stored, or the problem). A cell
    with a problem shows no text: a refused value is never echoed (policy C2)."""
    wrong = {(p.row, p.column): p.message_zh for p in problems}
    out = []
    for number, cells in table.rows[:limit]:
        row = []
        for i, f in sorted(mapping.items()):
            text, message = _cell_text(f, cells[i] if i < len(cells) else None)
            message = message or wrong.get((number, FIELD_LABELS[f]))
            row.append((f, "" if message else text, message))
        out.append((number, row))
    return out


# -- applying --------------------------------------------------------------------------------


def apply_import(plan: ImportPlan, students: Students, *, only_good_rows: bool, actor: str,
                 actor_id: int | None = None, classes: Any = None, staff: Any = None
                 ) -> ImportResult:
    """Add the plan's good rows in one transaction (a savepoint of the caller's session; the
    caller commits), each with its own 学号 when the file gave one, and put them in their
    classes (`classes`: a records.class_registry.Classes, `staff`: the importer, who must be
    allowed to group students). With problems and not `only_good_rows`, or with problems of
    the header (an unknown column would silently drop data), nothing is added. A failure
    half-way rolls every row back, is recorded in the ledger and raised."""
    if (plan.problems and not only_good_rows) or plan.header_problems or not plan.good:
        return ImportResult((), plan.problems)
    added: list[tuple[int, Student]] = []
    try:
        with students.session.begin_nested():
            joining: dict[int, list[int]] = {}
            for number, data in plan.good:
                place = plan.placements.get(number, Placement())
                student = students.add(data, actor_id=actor_id, actor=actor,
                                       student_no=place.student_no)
                added.append((number, student))
                for class_id in place.class_ids:
                    joining.setdefault(class_id, []).append(student.id)
            for class_id, ids in joining.items():
                classes.enrol(staff, class_id, ids)
    except Exception as exc:
        students.audit.append(actor=actor, action="student.import", outcome="rolled_back",
                              context={"rows": len(plan.good), "failed_at": len(added),
                                       "error": type(exc).__name__})
        raise
    students.audit.append(actor=actor, action="student.import",
                          context={"imported": len(added), "skipped_rows": list(plan.bad_rows)})
    return ImportResult(tuple((n, s.student_no) for n, s in added), plan.problems)
