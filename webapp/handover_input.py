"""Reading a posted handover form: field values by the catalogue, students by 学号 or id (only
those the sender may see, policy C1), tables, uploads, the meeting record (policy M3); and the
way back: stored values as the form shows them, problems keyed by form element."""

from __future__ import annotations

import re
from typing import Any

from flask import abort
from sqlalchemy import select

from records.catalogue import METHOD_DOCUMENTS, FieldSpec, FieldType, HandoverKind, MethodDocument
from records.errors import ValidationFailed
from records.money.refund_case import applicants_among
from records.staff import Staff
from records.students import Student
from records.visibility import visible_among
from records.workflow import Upload
from webapp.db import get_db

__all__ = ["FormInput", "form_values", "meeting_errors", "meeting_input", "problems"]


# Between the 学号 of a students field: spaces, commas, the enumeration comma, semicolons.
SEPARATORS = re.compile(r"[\s,，、;；]+")
MAX_ID = 12  # digits of a registry id; anything longer is not one


class FormInput:
    """A posted handover form turned into workflow values; anything that is not one of the
    kind's fields or attachment slots is refused (a tampered form). The form's own fields
    are named "f.<field>", the meeting record's (policy M3) "m.<field>" (`prefix`).

    A student arrives as a 学号 (typed, or picked while typing) or as a registry id (what the
    picker posted before). Only students `picker`'s own work shows may be chosen (policy C1;
    None: none; on finance's refund application also those who paid, policy R-FIN): a forged
    id is refused (403); an unknown 学号 and one of a student they may not see stay as typed,
    and the workflow asks for a student of the registry, the same answer for both, so that
    the form tells nothing about students beyond their reach."""

    def __init__(self, kind: HandoverKind | MethodDocument, picker: Staff | None,
                 prefix: str = "f"):
        self.kind, self.picker, self.prefix = kind, picker, f"{prefix}."

    def values(self, form) -> dict[str, Any]:
        specs = {f.name: f for f in self.kind.fields}
        for key in form:
            if key.startswith(self.prefix) and key.split(".")[1] not in specs:
                abort(400, description="表单中有未知字段，请刷新页面后重新填写。")
        out: dict[str, Any] = {}
        for spec in self.kind.fields:
            value = self._field(spec, form)
            if value not in (None, "", []):
                out[spec.name] = value
        return self._students(out)

    def _field(self, spec: FieldSpec, form) -> Any:
        key = f"{self.prefix}{spec.name}"
        if spec.type is FieldType.STUDENTS:
            return [part for raw in form.getlist(key) for part in SEPARATORS.split(raw) if part]
        if spec.type is FieldType.TABLE:
            return self._table(spec, form)
        if spec.type is FieldType.STUDENT:
            return form.get(key, "").strip() or None
        return _scalar(spec, form.get(key, ""))

    def _students(self, values: dict[str, Any]) -> dict[str, Any]:
        """Student fields from what was posted (学号 or id) to registry ids, in one query for
        the 学号 and one for who may be chosen."""
        fields = [s.name for s in self.kind.fields if s.name in values
                  and s.type in (FieldType.STUDENT, FieldType.STUDENTS)]
        posted = {raw for name in fields for raw in _as_list(values[name])}
        ids = {raw: _registry_id(raw) for raw in posted if raw.isascii() and raw.isdigit()}
        numbers = {raw: raw.upper() for raw in posted if raw not in ids}
        found = dict(get_db().execute(select(Student.student_no, Student.id).where(
            Student.student_no.in_(set(numbers.values())))).all()) if numbers else {}
        wanted = set(ids.values()) | set(found.values())
        allowed = visible_among(get_db(), self.picker, wanted) if self.picker else set()
        if self.picker:  # policy R-FIN: a refund application names a student who paid
            allowed |= applicants_among(get_db(), self.picker, self.kind.code, wanted - allowed)
        if any(sid not in allowed for sid in ids.values()):
            abort(403, description="您无权为该学生办理交接。")
        chosen = {**{raw: found[n] for raw, n in numbers.items() if found.get(n) in allowed},
                  **ids}
        out = dict(values)
        for name in fields:
            picked = [chosen.get(raw, raw) for raw in _as_list(values[name])]
            out[name] = picked if isinstance(values[name], list) else picked[0]
        return out

    def _table(self, spec: FieldSpec, form) -> list[dict]:
        prefix, cols = f"{self.prefix}{spec.name}.", {c.name: c for c in spec.columns}
        cells: dict[int, dict[str, Any]] = {}
        for key in form:
            if not key.startswith(prefix):
                continue
            index, _, col = key[len(prefix):].partition(".")
            if not index.isdecimal() or col not in cols or int(index) > 10_000:
                abort(400, description="表格中有未知的列，请刷新页面后重新填写。")
            value = _scalar(cols[col], form.get(key, ""))
            cells.setdefault(int(index), {})
            if value not in (None, ""):
                cells[int(index)][col] = value
        return [row for _, row in sorted(cells.items()) if row]

    def uploads(self, files) -> list[Upload]:
        slots = {a.code for a in self.kind.attachments}
        out = []
        for key in files:
            code = key.removeprefix("att.")
            if not key.startswith("att.") or code not in slots:
                abort(400, description="未知的附件类型。")
            for f in files.getlist(key):
                if f and f.filename:
                    out.append(Upload(code, f.filename, f.read()))
        return out


def _as_list(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


def _registry_id(raw: str) -> int:
    if len(raw) > MAX_ID:
        abort(400, description="学生选择无效，请输入学号或从列表中选择。")
    return int(raw)


def _scalar(spec: FieldSpec, raw: str) -> Any:
    raw = raw.replace("\r\n", "\n").strip() if spec.type is FieldType.LONGTEXT else raw.strip()
    if spec.type is FieldType.INT and raw.isdecimal():
        return int(raw)
    return raw or None


def form_values(kind: HandoverKind, stored: dict) -> dict:
    """Stored values (students as {number, name}) as the form shows them (students by id)."""
    numbers = {s.get("number") for f in kind.fields for s in _refs(f, stored.get(f.name))}
    ids = dict(get_db().execute(select(Student.student_no, Student.id).where(
        Student.student_no.in_(numbers or {""}))).all())
    out = dict(stored)
    for spec in kind.fields:
        refs = _refs(spec, stored.get(spec.name))
        if spec.type is FieldType.STUDENT and refs:
            out[spec.name] = ids.get(refs[0]["number"])
        elif spec.type is FieldType.STUDENTS:
            out[spec.name] = [ids.get(r["number"]) for r in refs]
    return out


def _refs(spec: FieldSpec, value: Any) -> list[dict]:
    if spec.type is FieldType.STUDENT and isinstance(value, dict):
        return [value]
    if spec.type is FieldType.STUDENTS and isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def problems(exc: ValidationFailed) -> dict[str, list[str]]:
    """Problems keyed by the form element they belong to ("roster[2].name" -> "roster";
    the meeting record's "meeting.participants[1].name" -> "meeting.participants")."""
    out: dict[str, list[str]] = {}
    for p in exc.problems:
        out.setdefault(p.field.split("[", 1)[0], []).append(p.message_zh)
    return out


def meeting_errors(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """The meeting record's problems (policy M3), keyed by its own field names."""
    return {k.removeprefix("meeting."): v for k, v in errors.items()
            if k.startswith("meeting.")}


def meeting_input(form) -> dict[str, Any]:
    """The posted meeting record (policy M3), "m.<field>" names."""
    return FormInput(METHOD_DOCUMENTS["M3"], None, prefix="m").values(form)
