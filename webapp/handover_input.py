"""Reading a posted handover form: field values by the catalogue, students by id (only those
the sender may see, policy C1), tables, uploads, the meeting record (policy M3); and the way
back: stored values as the form shows them, problems keyed by form element."""

from __future__ import annotations

from typing import Any

from flask import abort
from sqlalchemy import select

from records.catalogue import METHOD_DOCUMENTS, FieldSpec, FieldType, HandoverKind, MethodDocument
from records.errors import ValidationFailed
from records.students import Student
from records.workflow import Upload
from webapp.db import get_db

__all__ = ["FormInput", "form_values", "meeting_errors", "meeting_input", "problems"]


class FormInput:
    """A posted handover form turned into workflow values; anything that is not one of the
    kind's fields or attachment slots is refused (a tampered form). The form's own fields
    are named "f.<field>", the meeting record's (policy M3) "m.<field>" (`prefix`)."""

    def __init__(self, kind: HandoverKind | MethodDocument, allowed_students: set[int] | None,
                 prefix: str = "f"):
        self.kind, self.allowed, self.prefix = kind, allowed_students, f"{prefix}."

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
        return out

    def _field(self, spec: FieldSpec, form) -> Any:
        key = f"{self.prefix}{spec.name}"
        if spec.type is FieldType.STUDENTS:
            return [self._student(v) for v in form.getlist(key) if v]
        if spec.type is FieldType.TABLE:
            return self._table(spec, form)
        if spec.type is FieldType.STUDENT:
            raw = form.get(key, "").strip()
            return self._student(raw) if raw else None
        return _scalar(spec, form.get(key, ""))

    def _student(self, raw: str) -> int:
        # policy C1: only students the sender may see; a forged id is refused, not looked up.
        try:
            sid = int(raw)
        except ValueError:
            abort(400, description="学生选择无效，请从名册中选择。")
        if self.allowed is not None and sid not in self.allowed:
            abort(403, description="您无权为该学生办理交接。")
        return sid

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
    return FormInput(METHOD_DOCUMENTS["M3"], set(), prefix="m").values(form)
