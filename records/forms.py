"""Handover forms as HTML: one Jinja template per kind over templates/forms.

:func:`render_form_html` lays out what the catalogue declares for the form's kind; the PDF is
made from that HTML by ``signing.render.Renderer``. Every value is autoescaped: text a user
typed is printed, never interpreted as markup, template syntax or a URL to fetch.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.resources
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import segno
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from .catalogue import (
    METHODS,
    PAPER_SCAN,
    FieldSpec,
    FieldType,
    HandoverKind,
    Method,
    MethodDocument,
    get_form_spec,
)
from .departments import Department

__all__ = [
    "TEMPLATES_DIR", "templates_root", "AttachmentRef", "FormDocument", "Party", "display_value",
    "form_environment", "render_form_html", "sample_document", "sample_values",
]

def templates_root() -> Path:
    """The templates folder: the installed package `handover_templates` (templates/ of the
    project, shipped in the wheel), found with importlib.resources; a checkout that has not
    been installed falls back to its own templates/."""
    try:
        found = importlib.resources.files("handover_templates")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "templates"
    return Path(str(found))


TEMPLATES_DIR = templates_root() / "forms"
"""The form templates shipped with the project."""

_SCALAR_TYPES = frozenset({FieldType.TEXT, FieldType.INT, FieldType.MONEY, FieldType.DATE,
                           FieldType.DATETIME, FieldType.CHOICE, FieldType.STUDENT})


@dataclass(frozen=True)
class Party:
    """One side of a handover."""

    name: str
    """Staff member's name (staff names are not student data)."""
    department: Department
    """The party's department (a code such as "ENR" is accepted and converted)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "department", Department.parse(self.department))

    @property
    def department_label(self) -> str:
        """The department's Chinese name."""
        return self.department.label_zh


@dataclass(frozen=True)
class AttachmentRef:
    """A file attached to a handover, identified by its hash."""

    name: str
    """File name as stored."""
    sha256: str
    """Hex SHA-256 of the file's bytes."""
    code: str = ""
    """Attachment slot (``AttachmentSpec.code``) it fills; empty for an extra file."""


@dataclass(frozen=True)
class FormDocument:
    """Everything printed on one version of a handover form."""

    school_name: str
    """School name in the masthead."""
    number: str
    """Handover number, e.g. ``JJ-2026-000123``."""
    version: int
    """Version of this handover (a correction after a return is a new version)."""
    kind: str
    """Kind code (F1..F13, F6b) or method document code (M1, M3)."""
    sender: Party
    """Handing party (移交人)."""
    receiver: Party
    """Receiving party (接收人)."""
    values: Mapping[str, Any]
    """Field values, already validated with ``catalogue.validate_values``."""
    method: Method | str
    """Handover method (policy M), a ``Method`` or its code."""
    verify_url: str
    """Public verification URL for the QR code; must not contain private data (policy C2)."""
    deadline_text: str = ""
    """The computed due time as the school reads it; empty prints the catalogue's rule."""
    attachments: tuple[AttachmentRef, ...] = field(default=())
    """Attached files with their hashes."""

    @property
    def spec(self) -> HandoverKind | MethodDocument:
        """The catalogue entry for ``kind``."""
        return get_form_spec(self.kind)

    def canonical_content(self) -> dict[str, Any]:
        """The form's content as JSON-ready data, values normalised by their field type."""
        fields = {f.name: f for f in self.spec.fields}
        return {
            "school_name": self.school_name,
            "number": self.number,
            "version": self.version,
            "kind": self.kind,
            "method": Method(self.method).value,
            "sender": {"name": self.sender.name, "department": self.sender.department.value},
            "receiver": {"name": self.receiver.name,
                         "department": self.receiver.department.value},
            "deadline_text": self.deadline_text,
            "values": {k: _canonical(fields[k], v) for k, v in self.values.items()
                       if k in fields and v is not None},
            "attachments": [{"name": a.name, "sha256": a.sha256.lower(), "code": a.code}
                            for a in self.attachments],
        }

    def content_sha256(self) -> str:
        """Hex SHA-256 of the canonical JSON of :meth:`canonical_content`."""
        text = json.dumps(self.canonical_content(), ensure_ascii=False, sort_keys=True,
                          separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def qr_payload(self, content_hash: str | None = None) -> str:
        """What the QR code carries: the verification URL plus the content hash."""
        joiner = "&" if "?" in self.verify_url else "?"
        return f"{self.verify_url}{joiner}sha256={content_hash or self.content_sha256()}"


def _canonical(spec: FieldSpec, value: Any) -> Any:
    """One value in canonical form: money as "0.00" text, dates ISO, rows as lists."""
    if value is None or value == "":
        return None
    match spec.type:
        case FieldType.MONEY:
            return str(Decimal(str(value).strip()).quantize(Decimal("0.01")))
        case FieldType.INT:
            return int(value)
        case FieldType.DATE | FieldType.DATETIME:
            return value.isoformat() if isinstance(value, dt.date) else str(value)
        case FieldType.STUDENT:
            return {"number": value["number"], "name": value["name"]}
        case FieldType.STUDENTS:
            return [{"number": s["number"], "name": s["name"]} for s in value]
        case FieldType.TABLE:
            return [{c.name: _canonical(c, row.get(c.name)) for c in spec.columns}
                    for row in value]
    return value


def display_value(spec: FieldSpec, value: Any) -> str:
    """A value as printed on the form (empty text for an absent value)."""
    value = _canonical(spec, value)
    if value is None:
        return ""
    match spec.type:
        case FieldType.MONEY:
            return f"¥{Decimal(value):,.2f}"
        case FieldType.DATETIME:
            return dt.datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M")
        case FieldType.STUDENT:
            return f"{value['name']}（学号 {value['number']}）"
        case FieldType.STUDENTS:
            return "、".join(f"{s['name']}（{s['number']}）" for s in value)
    return str(value)


def _qr_data_uri(payload: str) -> str:
    """The QR code as a data: PNG URI (drawn much faster than an inline SVG path)."""
    return segno.make(payload, error="m").png_data_uri(scale=4, border=0)


@lru_cache(maxsize=4)
def form_environment(templates_dir: Path = TEMPLATES_DIR) -> Environment:
    """The Jinja environment of the form templates: autoescape on for every template."""
    env = Environment(
        loader=FileSystemLoader(str(templates_dir)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["display"] = display_value
    return env


def render_form_html(doc: FormDocument, *, templates_dir: Path = TEMPLATES_DIR) -> str:
    """The form's HTML, ready for ``signing.render.Renderer.render``."""
    spec = doc.spec
    declared = {a.code: a for a in getattr(spec, "attachments", ())}
    method = Method(doc.method)
    content_hash = doc.content_sha256()
    return form_environment(templates_dir).get_template(spec.template).render(
        doc=doc,
        spec=spec,
        values=doc.values,
        scalar_fields=[f for f in spec.fields if f.type in _SCALAR_TYPES],
        block_fields=[f for f in spec.fields if f.type not in _SCALAR_TYPES],
        attachment_rows=_attachment_rows(doc.attachments, declared, method),
        method_label=f"{method.value} {METHODS[method]}",
        deadline_rule=getattr(spec, "deadline", None),
        qr_uri=_qr_data_uri(doc.qr_payload(content_hash)),
        content_hash=content_hash,
        FieldType=FieldType,
    )


def _attachment_rows(refs: tuple[AttachmentRef, ...], declared: Mapping[str, Any],
                     method: Method) -> list[dict]:
    """Declared slots first (filled or marked missing), then extra files. The scan of the
    paper checklist belongs to a paper handover only (policy M1); face to face the meeting
    record replaces it (M3), so its slot is not printed as required or missing there."""
    rows = []
    for code, slot in declared.items():
        filled = [r for r in refs if r.code == code]
        required = slot.required and (code != PAPER_SCAN.code or method is Method.PAPER)
        if code == PAPER_SCAN.code and not required and not filled:
            continue
        rows.extend({"label": slot.label_zh, "ref": r, "required": required} for r in filled)
        if not filled:
            rows.append({"label": slot.label_zh, "ref": None, "required": required})
    rows.extend({"label": "其他附件", "ref": r, "required": False}
                for r in refs if r.code not in declared)
    return rows


# --- sample content, for template previews, demos and tests --------------------------------

_SAMPLE_TEXT = {
    "prospect_name": "王语嫣", "guardian_name": "王建国", "contact": "138-0013-8000",
    "course_of_interest": "初二数学思维提高班", "course": "初二数学思维提高班",
    "class_name": "初二数学A班", "current_class": "初二数学A班", "teacher": "李秀英",
    "head_teacher": "陈静", "schedule": "每周六 09:00-11:00", "place": "本校三楼 302 教室",
    "materials": "《初中数学思维训练》第二册", "grouping_basis": "年龄相近、学习基础中等",
    "agreement_number": "XY-2026-0457", "ranking": "3/28", "refund_ref": "JJ-2026-000311",
    "report_ref": "JJ-2026-000287", "voucher_number": "TK20260318001",
    "target_course": "初三数学冲刺班", "subject": "代数", "item": "练习册（第二册）",
    "title": "入学登记表", "department": "教务部门", "role": "教务主管",
    "performance": "积极发言，思路清晰", "homework": "按时完成，正确率高", "basis": "基础中等",
    "goal": "期末成绩提高到 90 分以上", "notes": "已核对",
}
# within the default prepayment caps (policy F2: at most 3 months per charge)
_SAMPLE_NUMBERS = {"prepaid_months": 3}
_SAMPLE_PEOPLE = (("S2026017", "刘子涵"), ("S2026021", "赵一鸣"), ("S2026034", "孙悦"))
_SAMPLE_PARAGRAPH = (
    "家长关心班级人数和授课进度，询问是否可以试听一次。招生老师说明每班不超过 20 人，"
    "每周六上午上课，可安排一次免费试听；家长表示孩子几何较弱，希望老师多加关注。")


def sample_values(spec: HandoverKind | MethodDocument) -> dict[str, Any]:
    """Realistic Chinese values for every field of ``spec`` (all valid for the catalogue)."""
    return {f.name: _sample(f, 0) for f in spec.fields}


def _sample(spec: FieldSpec, row: int) -> Any:
    number, name = _SAMPLE_PEOPLE[row % len(_SAMPLE_PEOPLE)]
    match spec.type:
        case FieldType.TEXT:
            if spec.name == "student_number":
                return number
            if spec.private is not None and spec.name == "name":
                return name
            return _SAMPLE_TEXT.get(spec.name, spec.label_zh + "已填写")
        case FieldType.LONGTEXT:
            return f"{spec.label_zh}：{_SAMPLE_PARAGRAPH}"
        case FieldType.INT:
            return _SAMPLE_NUMBERS.get(spec.name, min(spec.max_value or 1000, 12 + row))
        case FieldType.MONEY:
            return Decimal("4680.50") - row * 100
        case FieldType.DATE:
            return dt.date(2026, 3, 2 + row)
        case FieldType.DATETIME:
            return dt.datetime(2026, 3, 2, 14, 30)
        case FieldType.CHOICE:
            return spec.choices[row % len(spec.choices)]
        case FieldType.STUDENT:
            return {"number": number, "name": name}
        case FieldType.STUDENTS:
            return [{"number": n, "name": m} for n, m in _SAMPLE_PEOPLE]
        case FieldType.TABLE:
            return [{c.name: _sample(c, i) for c in spec.columns} for i in range(3)]
    raise AssertionError(spec.type)  # pragma: no cover - every FieldType is handled


def sample_document(code: str, **overrides: Any) -> FormDocument:
    """A complete form of kind ``code`` filled with :func:`sample_values` (a preview)."""
    spec = get_form_spec(code)
    sender, receiver = (spec.sender, spec.receiver) if isinstance(spec, HandoverKind) else (
        "ACA", "TEA")
    fields: dict[str, Any] = {
        "school_name": "明德培训学校", "number": "JJ-2026-000123", "version": 1, "kind": code,
        "sender": Party("张晓燕", sender), "receiver": Party("周明", receiver),
        "values": sample_values(spec), "method": spec.method,
        "verify_url": "https://archive.example.edu.cn/verify/JJ-2026-000123",
        "deadline_text": "2026年3月4日 17:00 前" if getattr(spec, "deadline", None) else "",
        "attachments": tuple(
            AttachmentRef(f"{a.code}.pdf", hashlib.sha256(a.code.encode()).hexdigest(), a.code)
            for a in getattr(spec, "attachments", ())),
    }
    fields.update(overrides)
    return FormDocument(**fields)
