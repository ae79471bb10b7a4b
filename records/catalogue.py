"""The catalogue of handover kinds: every kind declared once, as data.

Each handover flow of the policy (F1-F13 and the F6b feedback) is a :class:`HandoverKind`;
the two method documents (the M1 paper checklist and the M3 meeting record) are
:class:`MethodDocument`. Forms, validation, search and deadlines all read these entries;
nothing else repeats them.

Size limits (refused by `records.validation.validate_values`, naming the limit):
``TEXT_MAX_CHARS`` per text field, ``LONGTEXT_MAX_CHARS`` per long text, ``ROWS_MAX`` rows per
table or student list, ``INT_MAX`` and ``MONEY_MAX`` for numbers. A class of a training
school is well under 100 students; 200 rows print on about 6 pages in a few seconds, while
a 500-row table would take WeasyPrint over 10 seconds on a busy server.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from vault import PrivateCategory

from .departments import Department

__all__ = [
    "AttachmentSpec",
    "DeadlineBasis",
    "DeadlineRule",
    "FieldSpec",
    "FieldType",
    "HandoverKind",
    "INT_MAX",
    "KINDS",
    "LONGTEXT_MAX_CHARS",
    "METHODS",
    "METHOD_DOCUMENTS",
    "MONEY_MAX",
    "Method",
    "MethodDocument",
    "ROWS_MAX",
    "TEXT_MAX_CHARS",
    "UnknownKindError",
    "get_form_spec",
    "get_kind",
]

TEXT_MAX_CHARS = 200
LONGTEXT_MAX_CHARS = 20_000
ROWS_MAX = 200
INT_MAX = 1_000_000
MONEY_MAX = Decimal("10000000.00")


class FieldType(enum.StrEnum):
    """The value types a form field can hold."""

    TEXT = "text"  # one line, up to TEXT_MAX_CHARS (or the field's max_length)
    LONGTEXT = "longtext"  # paragraphs, up to LONGTEXT_MAX_CHARS
    INT = "int"  # whole number, 0..INT_MAX
    MONEY = "money"  # yuan, non-negative, at most 2 decimal places
    DATE = "date"  # datetime.date or "YYYY-MM-DD"
    DATETIME = "datetime"  # datetime.datetime or ISO 8601 text
    CHOICE = "choice"  # one of FieldSpec.choices
    STUDENT = "student"  # {"number": 学号, "name": 姓名}
    STUDENTS = "students"  # list of student references
    TABLE = "table"  # list of rows, each a mapping of column name -> value


class Method(enum.StrEnum):
    """Handover methods (policy M)."""

    PAPER = "M1"  # policy M1: paper, both sign a handover checklist
    ELECTRONIC = "M2"  # policy M2: through the school system
    FACE_TO_FACE = "M3"  # policy M3: meeting with a signed record


METHODS: dict[Method, str] = {
    Method.PAPER: "纸质文档交接",
    Method.ELECTRONIC: "电子文档交接",
    Method.FACE_TO_FACE: "面对面沟通交接",
}

class DeadlineBasis(enum.StrEnum):
    """How a deadline rule counts (policy T)."""

    WORKING_DAYS = "working_days"  # N working days after the trigger
    SAME_DAY = "same_day"  # before the end of the trigger's working day (T1b)
    PERIODIC = "periodic"  # a fixed time each week or fortnight (T3a)


@dataclass(frozen=True)
class FieldSpec:
    """One field of a form."""

    name: str
    """Key in the values mapping (ASCII identifier)."""
    label_zh: str
    """Label printed on the form."""
    type: FieldType
    """Value type; decides validation and layout."""
    required: bool = True
    """Whether an empty value is refused."""
    private: PrivateCategory | None = None
    """Policy C2 category when the value is a student's private information (for a table:
    declared on its columns)."""
    max_length: int | None = None
    """Character limit; defaults to the type's limit (TEXT_MAX_CHARS / LONGTEXT_MAX_CHARS)."""
    choices: tuple[str, ...] = ()
    """Allowed values of a choice field."""
    columns: tuple[FieldSpec, ...] = ()
    """Columns of a table field (each a FieldSpec of a scalar type)."""
    help_zh: str = ""
    """Hint for the person filling the form."""
    max_value: int | None = None
    """Upper bound of an int field; defaults to INT_MAX."""


@dataclass(frozen=True)
class AttachmentSpec:
    """A document that travels with a handover."""

    code: str
    """Stable identifier of the attachment slot."""
    label_zh: str
    """Name printed on the form."""
    required: bool = True
    """Whether the handover cannot be submitted without it."""


@dataclass(frozen=True)
class DeadlineRule:
    """When the handover is due (policy T); the number of days is school configuration."""

    clause: str
    """Policy clause id, e.g. "T1a"."""
    setting_key: str
    """Configuration key holding the school's number of working days."""
    default_days: int
    """Working days used when the school has not configured the key."""
    trigger_zh: str
    """The event the deadline counts from."""
    basis: DeadlineBasis = DeadlineBasis.WORKING_DAYS
    """How the deadline is counted."""


@dataclass(frozen=True)
class HandoverKind:
    """One handover flow of the policy (section F)."""

    code: str
    """F1..F13 or F6b."""
    name_zh: str
    """Form title."""
    clause: str
    """Policy clause id the kind implements."""
    sender: Department
    """Department of the handing party."""
    receiver: Department
    """Department of the receiving party."""
    fields: tuple[FieldSpec, ...]
    """Form fields in print order."""
    method: Method
    """Default handover method (policy M)."""
    attachments: tuple[AttachmentSpec, ...] = ()
    """Documents that travel with the form."""
    deadline: DeadlineRule | None = None
    """Deadline rule; None where the policy sets no time limit."""
    multi_student: bool = False
    """True when one form covers a whole class (roster, class progress)."""
    next_kinds: tuple[str, ...] = ()
    """Kinds that follow this one in a chain (F6 -> F6b; F10 -> F11 -> F12 -> F13)."""
    requested_by: Department | None = None
    """Department that asks for this handover when it is not the receiver's own flow."""

    @property
    def template(self) -> str:
        """Template file under templates/forms."""
        return f"{self.code}.html"

    @property
    def private_categories(self) -> frozenset[PrivateCategory]:
        """Policy C2 categories its form carries, table columns included: what an approval
        must cover before someone outside the handover may read it (policy C3)."""
        return frozenset(f.private for spec in self.fields for f in (spec, *spec.columns)
                         if f.private is not None)


@dataclass(frozen=True)
class MethodDocument:
    """A document a handover method requires (policy M1 checklist, M3 meeting record)."""

    code: str
    """The method code, M1 or M3."""
    name_zh: str
    """Form title."""
    clause: str
    """Policy clause id."""
    fields: tuple[FieldSpec, ...]
    """Form fields in print order."""
    template: str
    """Template file under templates/forms."""
    wet_signatures: bool
    """True when both parties sign on paper (signature lines instead of digital boxes)."""

    @property
    def method(self) -> Method:
        """The method this document belongs to."""
        return Method(self.code)


class UnknownKindError(KeyError):
    """Raised for a code that is neither a handover kind nor a method document."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code

    def __str__(self) -> str:
        return f"未知的交接类型：{self.code!r}"


# --- declaration helpers -------------------------------------------------------------------

T, LT, INT, MONEY, DATE, DTIME, CHOICE, STUDENT, STUDENTS, TABLE = FieldType
NAME, GENDER, AGE, ADDRESS, CONTACT, GRADES, HEALTH, FINANCES, _IDENTITY = PrivateCategory


def _f(name: str, label: str, ftype: FieldType = T, **kw: Any) -> FieldSpec:
    return FieldSpec(name, label, ftype, **kw)


def _opt(name: str, label: str, ftype: FieldType = LT, **kw: Any) -> FieldSpec:
    return FieldSpec(name, label, ftype, required=False, **kw)


def _days(clause: str, default: int, trigger: str, basis=DeadlineBasis.WORKING_DAYS):
    return DeadlineRule(clause, f"deadline.{clause}_days", default, trigger, basis)


# policy M1: in a paper handover both parties sign the printed checklist by hand; its scan is
# uploaded, so the receiver's digital countersignature covers the record of that scan (the
# form prints every attachment's SHA-256).
PAPER_SCAN = AttachmentSpec("paper_scan", "交接清单签字扫描件")


def _kind(code: str, name: str, sender: str, receiver: str, method: Method,
          fields: tuple[FieldSpec, ...], **kw: Any) -> HandoverKind:
    if "requested_by" in kw:
        kw["requested_by"] = Department(kw["requested_by"])
    if method is Method.PAPER:
        kw["attachments"] = (*kw.get("attachments", ()), PAPER_SCAN)
    return HandoverKind(code, name, code, Department(sender), Department(receiver), fields,
                        method, **kw)


GENDERS = ("男", "女")
STUDENT_F = _f("student", "学生", STUDENT, private=NAME)
CLASS_F = _f("class_name", "班级", T)
REFUND_REF_F = _f("refund_ref", "退费申请编号", T, max_length=40)
NUMBER_COL = _f("student_number", "学号", T, max_length=40)
NAME_COL = _f("name", "姓名", T, private=NAME, max_length=50)

_KIND_LIST = (
    # Enrollment stage
    _kind("F1", "潜在学生信息交接单", "ENR", "ACA", Method.PAPER, (  # policy F1
        _f("prospect_name", "学生姓名", private=NAME, max_length=50),
        _f("gender", "性别", CHOICE, private=GENDER, choices=GENDERS),
        _f("age", "年龄", INT, private=AGE, max_value=100),
        _f("guardian_name", "家长姓名", private=CONTACT, max_length=50),
        _f("contact", "联系方式", private=CONTACT, max_length=100),
        _f("course_of_interest", "咨询课程"),
        _f("expected_start", "期望入学时间", DATE),
        _f("intent_date", "达成初步意向日期", DATE),
        _f("communication_record", "沟通记录", LT,
           help_zh="学生及家长提出的问题、关注点以及招生人员的解答情况"),
    ), deadline=_days("T1a", 2, "与潜在学生达成初步意向后")),
    _kind("F2", "报名学生信息交接单", "ENR", "ACA", Method.PAPER, (  # policy F2
        STUDENT_F,
        _f("course", "报名课程"),
        _f("registration_date", "报名手续完成日期", DATE),
        _f("fee_paid", "缴费金额（元）", MONEY, private=FINANCES),
        _f("payment_method", "缴费方式", CHOICE,
           choices=("现金", "银行转账", "微信支付", "支付宝", "银行卡刷卡")),
        _f("class_hours", "购买课时", INT, max_value=10_000),
        _f("agreement_number", "入学协议编号", max_length=40),
        _opt("special_needs", "特殊需求或特殊情况", private=HEALTH,
             help_zh="如学习基础薄弱、有特殊学习目标等"),
        # policy F2 with DOMAIN-RULES: the prepayment caps depend on the course type and period
        _opt("course_type", "课程类型", CHOICE, choices=("学科类", "非学科类"),
             help_zh="未填写时按各类课程中最严格的预收费上限核对"),
        _opt("prepaid_months", "本次预收费覆盖月数", INT, max_value=120),
        _opt("cap_override", "超出预收费上限的批准说明", LT, private=FINANCES,
             help_zh="由系统根据管理层在缴费台账中的批准填写"),
    ), attachments=(AttachmentSpec("enrollment_agreement", "入学协议"),
                    AttachmentSpec("payment_receipt", "缴费凭证", required=False)),
        deadline=_days("T1b", 0, "报名手续办理完成当日", DeadlineBasis.SAME_DAY)),
    # Teaching stage
    _kind("F3", "课程安排交接单", "ACA", "TEA", Method.ELECTRONIC, (  # policy F3
        _f("course", "课程名称"),
        _f("teacher", "授课教师", max_length=50),
        _f("schedule", "上课时间", help_zh="如：每周六 09:00-11:00"),
        _f("start_date", "开课日期", DATE),
        _f("place", "上课地点"),
        _f("lesson_minutes", "每次课时长（分钟）", INT, max_value=600),
        _f("total_lessons", "总课次", INT, max_value=1_000),
        _f("materials", "课程教材"),
        _opt("change_reason", "调整原因", help_zh="调整课程安排时填写，并提前通知教学部门"),
        _opt("change_arrangement", "调整后的具体安排"),
    ), deadline=_days("T2", 3, "收到招生部门移交的学生信息后")),  # policy T2
    _kind("F4", "学生分班交接单", "ACA", "TEA", Method.ELECTRONIC, (  # policy F4
        CLASS_F,
        _f("head_teacher", "班主任", max_length=50),
        _f("grouping_basis", "分班依据", help_zh="年龄、学习基础、学习目标等"),
        _f("roster", "班级学生名单", TABLE, columns=(
            NUMBER_COL, NAME_COL,
            _f("gender", "性别", CHOICE, private=GENDER, choices=GENDERS),
            _f("age", "年龄", INT, private=AGE, max_value=100),
            _f("basis", "学习基础", private=GRADES, max_length=100),
            _opt("goal", "学习目标", T, max_length=100),
        )),
        _f("analysis", "班级学生基本情况分析", LT, private=GRADES),
    ), deadline=_days("T2", 3, "收到招生部门移交的学生信息后"), multi_student=True),
    _kind("F5", "教学资料交接单", "ACA", "TEA", Method.ELECTRONIC, (  # policy F5
        CLASS_F,
        _f("teaching_start", "教学开始日期", DATE),
        _f("items", "资料清单", TABLE, columns=(
            _f("item", "资料名称"),
            _f("category", "类别", CHOICE, choices=("教材", "讲义", "练习册", "电子资料", "其他")),
            _f("quantity", "数量", INT),
            _opt("notes", "备注", T, max_length=100),
        )),
        _opt("updates", "更新或补充说明"),
    ), deadline=_days("T2", 3, "收到招生部门移交的学生信息后（教学开始前）")),
    # policy R-TEA: teachers record progress and report grades and comments on time (F6, F7).
    _kind("F6", "学生学习进度报告", "TEA", "ACA", Method.ELECTRONIC, (  # policy F6
        CLASS_F,
        _f("report_cycle", "报告周期", CHOICE, choices=("每周", "每两周")),
        _f("period_start", "报告期开始", DATE),
        _f("period_end", "报告期结束", DATE),
        _f("progress", "学生学习进度", TABLE, columns=(
            NUMBER_COL, NAME_COL,
            _f("performance", "课堂表现", private=GRADES, max_length=100),
            _f("homework", "作业完成情况", private=GRADES, max_length=100),
            _opt("quiz_score", "测验成绩", INT, private=GRADES, max_value=1_000),
        )),
        _opt("summary", "本期教学小结"),
    ), deadline=_days("T3a", 0, "每周/每两周固定的报告时间（如周五下午）",
                      DeadlineBasis.PERIODIC), multi_student=True, next_kinds=("F6b",)),
    _kind("F6b", "学习情况反馈单", "ACA", "TEA", Method.ELECTRONIC, (  # policy F6 (feedback)
        CLASS_F,
        _f("report_ref", "对应进度报告编号", max_length=40),
        _f("overall", "整体学习情况", LT),
        _opt("attention_students", "需重点关注的学生", STUDENTS, private=NAME),
        _f("suggestions", "教学策略调整建议", LT),
    ), deadline=_days("T4a", 2, "收到学习进度报告或成绩报告单后")),  # policy T4a
    # End of term / course
    _kind("F7", "成绩及考核结果交接单", "TEA", "ACA", Method.PAPER, (  # policy F7
        STUDENT_F, CLASS_F,
        _f("course_end", "课程结束日期", DATE),
        _f("scores", "各科成绩", TABLE, columns=(
            _f("subject", "科目", max_length=50),
            _f("score", "成绩", INT, private=GRADES, max_value=1_000),
            _opt("full_marks", "满分", INT, max_value=1_000),
        )),
        _f("total_score", "总成绩", INT, private=GRADES),
        _f("ranking", "班级排名", private=GRADES, max_length=20, help_zh="如：3/28"),
        _f("assessment", "考核评语", LT, private=GRADES),
        _f("overall_evaluation", "综合评价", LT, private=GRADES),
    ), deadline=_days("T3b", 5, "课程结束后")),
    _kind("F8", "学生学习档案交接单", "ACA", "ARC", Method.PAPER, (  # policy F8
        STUDENT_F, CLASS_F,
        _f("term_end", "学期/课程结束日期", DATE),
        _f("documents", "档案材料清单", TABLE, columns=(
            _f("category", "类别", CHOICE, choices=("入学资料", "学习进度记录", "成绩报告单",
                                                   "考核评语", "奖惩记录", "退费记录", "其他")),
            _f("title", "材料名称"),
            _f("pages", "页数", INT, max_value=10_000),
            _opt("notes", "备注", T, max_length=100),
        )),
        _f("completeness", "资料完整性", CHOICE, choices=("齐全", "不齐全（见备注）")),
        _opt("remarks", "备注"),
    ), deadline=_days("T4b", 10, "学期/课程结束后")),
    _kind("F9", "续班及升级交接单", "TEA", "ENR", Method.ELECTRONIC, (  # policy F9
        STUDENT_F,
        _f("current_class", "当前班级"),
        _f("intent", "续班/升级意向", CHOICE, choices=("续班", "升级", "暂不续报", "待定")),
        _opt("target_course", "意向课程", T),
        _f("contact_date", "与家长沟通日期", DATE),
        _f("parent_feedback", "家长反馈", LT),
        _opt("teacher_advice", "教师建议"),
    )),
    # Refund
    _kind("F10", "退费申请受理交接单", "FIN", "ACA", Method.PAPER, (  # policy F10
        STUDENT_F, CLASS_F,
        _f("application_date", "家长申请日期", DATE),
        _f("reason", "申请退费原因", LT, private=FINANCES),
        _f("amount_paid", "已缴金额（元）", MONEY, private=FINANCES),
        _f("payment_status", "缴费情况", CHOICE, choices=("已全额缴费", "部分缴费", "分期缴费中")),
        _f("lessons_purchased", "购买课时", INT, max_value=10_000),
    ), attachments=(AttachmentSpec("written_application", "家长书面退费申请"),
                    AttachmentSpec("proof", "相关证明材料"),
                    AttachmentSpec("payment_receipt", "缴费凭证", required=False)),
        next_kinds=("F11",)),
    _kind("F11", "教学核实交接单", "TEA", "ACA", Method.ELECTRONIC, (  # policy F11
        STUDENT_F, CLASS_F, REFUND_REF_F,
        _f("lessons_total", "合同课时", INT, max_value=10_000),
        _f("lessons_completed", "已完成课时", INT, max_value=10_000),
        _f("lessons_remaining", "剩余课时", INT, max_value=10_000),
        _f("progress", "学习进度核实情况", LT, private=GRADES),
        _opt("teaching_impact", "剩余课程情况及对后续教学安排的影响"),
    ), requested_by="ACA", next_kinds=("F12",)),
    # policy R-FIN: finance computes refunds, pays them and hands back the voucher (F12, F13).
    _kind("F12", "退费财务核算交接单", "FIN", "ACA", Method.PAPER, (  # policy F12
        STUDENT_F, REFUND_REF_F,
        _f("received_date", "收到核实结果日期", DATE),
        _f("amount_paid", "已缴金额（元）", MONEY, private=FINANCES),
        _f("lessons_completed", "已完成课时", INT, max_value=10_000),
        _f("unit_price", "合同课时单价（元）", MONEY),
        _f("non_refundable", "已交付不予退还项目（元）", MONEY, private=FINANCES),
        _f("refund_amount", "退费金额（元）", MONEY, private=FINANCES),
        _f("breakdown", "退费金额明细", TABLE, columns=(
            _f("item", "项目"),
            _f("amount", "金额（元）", MONEY, private=FINANCES),
            _opt("notes", "说明", T),
        )),
        _f("basis", "核算依据", LT, help_zh="学校退费政策条款及版本"),
        # policy F12: computed by the system (records.money); finance changes the amount only
        # with a reason, printed on the form.
        _opt("cause", "退费情形", CHOICE, choices=("学生申请退费", "学校取消课程")),
        _opt("rule_version", "退费规则版本", T, max_length=20, help_zh="由系统填写"),
        _opt("formula", "核算公式", T, max_length=200, help_zh="由系统填写"),
        _opt("computed_amount", "系统核算退费金额（元）", MONEY, private=FINANCES,
             help_zh="由系统填写"),
        _opt("adjust_reason", "财务调整原因", LT, private=FINANCES,
             help_zh="退费金额与系统核算结果不同时必须填写"),
    ), requested_by="ACA", next_kinds=("F13",),
        deadline=_days("T5a", 3, "收到教务部门移交的申请信息及核实结果后")),  # policy T5a
    _kind("F13", "退费手续办理交接单", "FIN", "ACA", Method.PAPER, (  # policy F13
        STUDENT_F, REFUND_REF_F,
        _f("agreed_date", "与家长确定退费金额日期", DATE),
        _f("refund_amount", "退费金额（元）", MONEY, private=FINANCES),
        _f("paid_date", "退款支付日期", DATE),
        _f("payment_channel", "退款渠道", CHOICE, choices=("原路退回", "银行转账", "现金")),
        _f("voucher_number", "支付凭证号", max_length=60),
        _f("payment_status_after", "更新后缴费状态", CHOICE, choices=("已全额退费", "已部分退费")),
        _opt("archive_note", "学习档案记录说明"),
        _opt("difference_reason", "与核算金额不同的原因", LT, private=FINANCES,
             help_zh="退费金额与财务核算（F12）不同时必须填写"),
    ), attachments=(AttachmentSpec("payment_voucher", "退费支付凭证"),
                    AttachmentSpec("procedure_documents", "退费手续资料", required=False)),
        deadline=_days("T5b", 5, "与家长沟通确定退费金额后")),
)

KINDS: dict[str, HandoverKind] = {k.code: k for k in _KIND_LIST}

METHOD_DOCUMENTS: dict[str, MethodDocument] = {
    "M1": MethodDocument("M1", "交接清单", "M1", (  # policy M1
        _f("handover_date", "交接日期", DATE),
        _f("items", "交接文件/资料明细", TABLE, columns=(
            _f("item", "文件/资料名称"),
            _f("copies", "份数", INT, max_value=10_000),
            _opt("pages", "页数", INT, max_value=100_000),
            _opt("notes", "备注", T, max_length=100),
        )),
        _opt("remarks", "其他说明"),
    ), "checklist.html", wet_signatures=True),
    "M3": MethodDocument("M3", "面对面沟通记录", "M3", (  # policy M3
        _f("meeting_time", "沟通时间", DTIME),
        _f("place", "沟通地点"),
        _f("participants", "参加人员", TABLE, columns=(
            _f("name", "姓名", max_length=50),
            _f("department", "部门", max_length=50),
            _opt("role", "职务", T, max_length=50),
        )),
        _f("content", "沟通内容", LT),
        _f("outcome", "沟通结果", LT),
    ), "meeting.html", wet_signatures=False),
}


def get_kind(code: str) -> HandoverKind:
    """The handover kind with this code; UnknownKindError otherwise."""
    try:
        return KINDS[code]
    except KeyError:
        raise UnknownKindError(code) from None


def get_form_spec(code: str) -> HandoverKind | MethodDocument:
    """A handover kind (F..) or a method document (M1, M3) by code."""
    spec = KINDS.get(code) or METHOD_DOCUMENTS.get(code)
    if spec is None:
        raise UnknownKindError(code)
    return spec
