"""Add many staff accounts at once (a new term, a new branch) from a CSV or .xlsx list read
exactly as the student import reads one (records.student_import.read_table: encodings, size
and row limits, blank rows; the header is the first row naming known columns, so a title row
above it and note rows below it are skipped, and rows keep their spreadsheet numbers).

Columns: 登录名, 姓名, 部门 (codes such as TEA or names such as 教学部, several
separated by 、 or spaces), and optionally 负责部门 (the departments this person heads, among
their own). Administrators are never made from a file.

No password comes from the file: a password column would leave every initial password in a
spreadsheet on someone's disk. Each account gets its own generated password, shown once to the
operator who hands it over; each person then changes it (`docs/operations.md`).

All or nothing: a file with any problem adds no account, and the report names each problem by
spreadsheet row and column."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from records.accounts import LOGIN_RE, Accounts
from records.departments import Department
from records.errors import Conflict, ValidationFailed
from records.student_import import (
    ImportFileRejected,
    ImportProblem,
    Table,
    header_name,
    read_table,
)
from records.text_rules import bad_characters

__all__ = ["COLUMNS", "MAX_STAFF_ROWS", "StaffRow", "apply_staff_import", "plan_staff_import",
           "read_staff_table"]

MAX_STAFF_ROWS = 500
"""Most accounts in one file: a whole school's staff fits easily."""

COLUMNS = {"登录名": "login", "姓名": "name", "部门": "departments", "负责部门": "heads"}
HEADER_OF = {field: header for header, field in COLUMNS.items()}
ALIASES = {"账号": "login", "用户名": "login", "所属部门": "departments", "负责人": "heads",
           **{field: field for field in COLUMNS.values()}}
REQUIRED = ("login", "name", "departments")
KNOWN_HEADERS = frozenset({*COLUMNS, *ALIASES})
_SEPARATORS = re.compile(r"[\s,，、;；/]+")
_BY_LABEL = {d.label_zh: d for d in Department}


@dataclass(frozen=True)
class StaffRow:
    """One account to add, as checked."""

    row: int
    """Spreadsheet row (header = row 1)."""
    login: str
    name: str
    departments: tuple[Department, ...]
    heads: tuple[Department, ...]
    """Departments this person heads (among `departments`)."""


def read_staff_table(path: Path) -> Table:
    """The file as a table, or ImportFileRejected with a message about staff."""
    try:
        return read_table(path, max_rows=MAX_STAFF_ROWS, known=KNOWN_HEADERS)
    except ImportFileRejected as exc:
        if exc.reason == "too_many_rows":
            raise ImportFileRejected(exc.reason, f"文件超过 {MAX_STAFF_ROWS} 个账号的上限，"
                                     "请分批导入。", exc.limit) from None
        if exc.reason == "empty":
            raise ImportFileRejected(exc.reason, "文件为空：第 1 行应为表头（登录名、姓名、"
                                     "部门）。") from None
        raise


def plan_staff_import(table: Table, accounts: Accounts) -> tuple[list[StaffRow],
                                                                  list[ImportProblem]]:
    """Every row checked: (the rows, every problem by row)."""
    columns, problems = _columns(table.headers, table.header_row)
    if problems:
        return [], problems
    if not table.rows:
        return [], [ImportProblem(table.header_row + 1, "", "文件中没有账号数据。")]
    existing = {s.login for s in accounts.list()}
    rows, seen = [], {}
    for number, cells in table.rows:
        values = {field: _text(cells[i] if i < len(cells) else None)
                  for i, field in columns.items()}
        row_problems = []

        def problem(field: str, message: str, number=number, row_problems=row_problems):
            row_problems.append(ImportProblem(number, HEADER_OF[field], message))

        login = values.get("login", "").lower()
        if not LOGIN_RE.match(login):
            problem("login", "登录名须以小写字母开头，2-32 位小写字母、数字或 . _ -。")
        elif login in existing:
            problem("login", "该登录名已存在。")
        elif login in seen:
            problem("login", f"与第 {seen[login]} 行的登录名重复。")
        seen.setdefault(login, number)
        name = values.get("name", "")
        if not name or len(name) > 64:
            problem("name", "姓名不能为空，且不超过 64 个字符。")
        elif bad_characters(name):
            problem("name", bad_characters(name))
        depts, unknown = _departments(values.get("departments", ""))
        heads, unknown_heads = _departments(values.get("heads", ""))
        if unknown or not depts:
            problem("departments", "部门须为部门代码或名称（如 TEA 或 教学部），至少一个。")
        if unknown_heads:
            problem("heads", "负责部门须为部门代码或名称。")
        elif set(heads) - set(depts):
            problem("heads", "只能担任本人所属部门的负责人。")
        if row_problems:
            problems += row_problems
        else:
            rows.append(StaffRow(number, login, name, depts, heads))
    return rows, problems


def apply_staff_import(rows: list[StaffRow], accounts: Accounts, *,
                       make_password: Callable[[], str], actor: str) -> list[tuple[StaffRow, str]]:
    """Add every account in one savepoint of the caller's session (the caller commits), each
    with its own generated password; returns (row, password) for the operator, once."""
    added = []
    try:
        with accounts.session.begin_nested():
            for row in rows:
                password = make_password()
                accounts.add(row.login, row.name, password, row.departments,
                             head_of=row.heads, actor=actor)
                added.append((row, password))
    except (Conflict, ValidationFailed):  # e.g. a login added meanwhile: nothing is kept
        accounts.audit.append(actor=actor, action="staff.import", outcome="rolled_back",
                              context={"rows": len(rows), "failed_at": len(added)})
        raise
    accounts.audit.append(actor=actor, action="staff.import", context={"added": len(added)})
    return added


def _columns(headers: tuple[str, ...], row: int) -> tuple[dict[int, str], list[ImportProblem]]:
    columns: dict[int, str] = {}
    problems = []
    for index, header in enumerate(headers):
        name = header_name(header)
        if not name:
            continue
        field = COLUMNS.get(name) or ALIASES.get(name.lower())
        if field is None:
            problems.append(ImportProblem(row, header, "无法识别的列名，请使用 登录名、姓名、"
                                          "部门、负责部门。"))
        elif field in columns.values():
            problems.append(ImportProblem(row, header, "该列重复出现。"))
        else:
            columns[index] = field
    problems += [ImportProblem(row, HEADER_OF[f], "缺少必填列。") for f in REQUIRED
                 if f not in columns.values()]
    return columns, problems


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _departments(text: str) -> tuple[tuple[Department, ...], bool]:
    """The departments named in `text` (codes or Chinese names), and whether any was unknown."""
    found, unknown = [], False
    for part in (p for p in _SEPARATORS.split(text) if p):
        dept = _BY_LABEL.get(part)
        if dept is None:
            try:
                dept = Department.parse(part)
            except ValueError:
                unknown = True
                continue
        found.append(dept)
    return tuple(dict.fromkeys(found)), unknown
