"""Every route of the web application, what it shows or changes, and the policy function that
decides who may use it (policy C1-C3). tests/webapp/test_access_matrix.py walks the Flask URL
map against this table: a route without an entry fails it, and each entry's rule is checked
role by role on real objects. docs/auditing.md prints the table (records.access_table)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["ROUTES", "Rule", "RouteAccess"]


class Rule(StrEnum):
    """Who may use a route; each names the policy function that decides."""

    PUBLIC = "public"  # anyone, signed in or not
    SIGNED_IN = "signed_in"  # any active account; what shows is filtered by records.visibility
    HANDOVER_METADATA = "handover_metadata"  # visibility.access_to >= METADATA
    HANDOVER_CONTENT = "handover_content"  # visibility.access_to == CONTENT
    HANDOVER_COUNTERSIGN = "handover_countersign"  # visibility.may_countersign
    HANDOVER_SENDER = "handover_sender"  # the sender (records.workflow)
    STUDENT_RECORD = "student_record"  # visibility.shown_categories not empty (C1, C2, C3)
    REGISTRY = "registry"  # visibility.sees_whole_registry (R-ENR, R-ACA)
    CLASS_VIEW = "class_view"  # class_registry.Classes.sees
    CLASS_MANAGE = "class_manage"  # class_registry.Classes.may_manage (R-ACA)
    ARCHIVE_MANAGE = "archive_manage"  # archive_rules.may_manage (R-ARC)
    ARCHIVE_CONSULT = "archive_consult"  # archive_loans.Loans.consult: loan, relation, C3
    LOAN = "loan"  # archive_rules.may_see_loan: the borrower or the archive office
    OVERDUE = "overdue"  # archive_rules.sees_overdue (S1)
    APPROVAL = "approval"  # approvals.Approvals.get: the requester or an approver
    APPROVAL_DECIDE = "approval_decide"  # archive_rules.may_approve
    SUPERVISION = "supervision"  # visibility.sees_all_metadata (S1)
    OVERSIGHT = "oversight"  # records.oversight: may_issue, is_recipient, sees_register, ...
    METRICS = "metrics"  # the METRICS_TOKEN bearer, no account
    MONEY = "money"  # records.money.payments.may_read_ledger (R-FIN)
    MONEY_ENTRY = "money_entry"  # webapp.money.keeps_books: finance (R-FIN)
    STAFF_WORK = "staff_work"  # records.reassignment.managed_departments not empty
    OWN = "own"  # the signed-in person's own objects only (notifications)
    ADMIN = "admin"  # administrators
    # a live personal access token with the operation's scope; it acts as its owner, so what
    # shows and what may be done is records.visibility's as on the pages (webapp.api)
    API_TOKEN = "api_token"  # noqa: S105  (a rule's name, not a secret)

    @property
    def label_zh(self) -> str:
        return _LABELS[self]


_LABELS = {
    Rule.PUBLIC: "任何人（无需登录）", Rule.SIGNED_IN: "已登录的在职人员（内容按交接关系过滤）",
    Rule.HANDOVER_METADATA: "可见交接单元数据者", Rule.HANDOVER_CONTENT: "可见交接单内容者",
    Rule.HANDOVER_COUNTERSIGN: "可签收者", Rule.HANDOVER_SENDER: "移交人本人",
    Rule.STUDENT_RECORD: "工作范围或审批开放至少一类信息者", Rule.REGISTRY: "招生部、教务部",
    Rule.CLASS_VIEW: "招生部、教务部、本班教师", Rule.CLASS_MANAGE: "教务部",
    Rule.ARCHIVE_MANAGE: "档案室",
    Rule.ARCHIVE_CONSULT: "有查阅登记、交接关系或审批者（管理员除外）",
    Rule.LOAN: "借阅人本人、档案室", Rule.OVERDUE: "档案室、监督小组、管理员",
    Rule.APPROVAL: "申请人、审批人",
    Rule.APPROVAL_DECIDE: "审批人（管理层、部门负责人、档案室、管理员）",
    Rule.SUPERVISION: "监督小组、管理员", Rule.OVERSIGHT: "监督小组及被通知的部门",
    Rule.METRICS: "持监控令牌的采集程序",
    Rule.MONEY: "财务部、管理层", Rule.MONEY_ENTRY: "财务部",
    Rule.STAFF_WORK: "部门负责人（本部门）、管理员", Rule.OWN: "本人",
    Rule.ADMIN: "管理员",
    Rule.API_TOKEN: "持有效访问令牌（含所需权限范围）者，按令牌所属人员的权限过滤",
}


@dataclass(frozen=True)
class RouteAccess:
    obj: str
    """The kind of object the route shows or changes ("handover", "student", ...; "-": none)."""
    rule: Rule
    """Who may use it."""


def _r(obj: str, rule: Rule) -> RouteAccess:
    return RouteAccess(obj, rule)


ROUTES: dict[str, RouteAccess] = {
    "static": _r("-", Rule.PUBLIC),
    "health.healthz": _r("-", Rule.PUBLIC),
    "health.metrics": _r("-", Rule.METRICS),
    "auth.login": _r("-", Rule.PUBLIC),
    "auth.logout": _r("-", Rule.SIGNED_IN),
    "auth.change_password": _r("staff", Rule.SIGNED_IN),
    "home.index": _r("handover list", Rule.SIGNED_IN),
    "verify.index": _r("-", Rule.PUBLIC),
    "verify.arrival": _r("handover", Rule.HANDOVER_METADATA),
    "verify.ca_der": _r("-", Rule.PUBLIC),
    "verify.ca_pem": _r("-", Rule.PUBLIC),
    "verify.crl": _r("-", Rule.PUBLIC),
    "verify.crl_der": _r("-", Rule.PUBLIC),
    "search.index": _r("handover list", Rule.SIGNED_IN),
    "search.results": _r("handover list", Rule.SIGNED_IN),  # its owner's saved search only
    "handovers.index": _r("handover list", Rule.SIGNED_IN),
    "handovers.new": _r("-", Rule.SIGNED_IN),
    "handovers.create": _r("handover", Rule.SIGNED_IN),
    "handovers.blank_checklist": _r("-", Rule.SIGNED_IN),  # the kind's sending department
    "handovers.view": _r("handover", Rule.HANDOVER_METADATA),
    "handovers.checklist": _r("handover", Rule.HANDOVER_CONTENT),
    "handovers.pdf": _r("handover", Rule.HANDOVER_CONTENT),
    "handovers.preview": _r("handover", Rule.HANDOVER_SENDER),  # of a draft (issue 14)
    "handovers.attachment": _r("handover", Rule.HANDOVER_CONTENT),
    "handovers.countersign": _r("handover", Rule.HANDOVER_COUNTERSIGN),
    "handovers.return": _r("handover", Rule.HANDOVER_COUNTERSIGN),
    "handovers.edit": _r("handover", Rule.HANDOVER_SENDER),
    "handovers.submit": _r("handover", Rule.HANDOVER_SENDER),
    "handovers.withdraw": _r("handover", Rule.HANDOVER_SENDER),
    "handovers.correct": _r("handover", Rule.HANDOVER_SENDER),
    # each checked handover is countersigned only if visibility.may_countersign allows it
    "handovers.countersign_many": _r("handover list", Rule.HANDOVER_COUNTERSIGN),
    "handovers.save_filter": _r("saved filter", Rule.OWN),
    "handovers.delete_filter": _r("saved filter", Rule.OWN),
    "students.index": _r("student list", Rule.SIGNED_IN),
    "students.lookup": _r("student list", Rule.SIGNED_IN),
    "students.detail": _r("student", Rule.STUDENT_RECORD),
    "students.new": _r("student", Rule.REGISTRY),
    "students.import_": _r("student", Rule.REGISTRY),
    "students.import_template": _r("-", Rule.SIGNED_IN),
    "students.import_template_xlsx": _r("-", Rule.SIGNED_IN),  # class names only
    "students.import_abandon": _r("student", Rule.REGISTRY),
    "classes.index": _r("class list", Rule.SIGNED_IN),
    "classes.detail": _r("class", Rule.CLASS_VIEW),
    "classes.new": _r("class", Rule.CLASS_MANAGE),
    "classes.enrol": _r("class", Rule.CLASS_MANAGE),
    "classes.leave": _r("class", Rule.CLASS_MANAGE),
    "classes.report_cycle": _r("class", Rule.CLASS_MANAGE),
    "archive.index": _r("loan list", Rule.SIGNED_IN),
    "archive.new": _r("archive file", Rule.ARCHIVE_MANAGE),
    "archive.detail": _r("archive file", Rule.ARCHIVE_MANAGE),
    "archive.correct": _r("archive file", Rule.ARCHIVE_MANAGE),
    "archive.consult": _r("archive file", Rule.ARCHIVE_CONSULT),
    "archive.lend": _r("archive file", Rule.ARCHIVE_MANAGE),
    "archive.borrowers": _r("staff list", Rule.ARCHIVE_MANAGE),  # names, departments, logins
    "archive.loan": _r("loan", Rule.LOAN),
    "archive.slip": _r("loan", Rule.LOAN),
    "archive.loan_consult": _r("loan", Rule.ARCHIVE_CONSULT),
    "archive.renew": _r("loan", Rule.ARCHIVE_MANAGE),
    "archive.return_": _r("loan", Rule.ARCHIVE_MANAGE),
    "archive.overdue": _r("loan list", Rule.OVERDUE),
    "approvals.index": _r("approval list", Rule.SIGNED_IN),
    "approvals.new": _r("approval", Rule.SIGNED_IN),
    "approvals.detail": _r("approval", Rule.APPROVAL),
    "approvals.grant": _r("approval", Rule.APPROVAL_DECIDE),
    "approvals.refuse": _r("approval", Rule.APPROVAL_DECIDE),
    "approvals.revoke": _r("approval", Rule.APPROVAL),
    "obligations.waive": _r("obligation", Rule.OVERSIGHT),
    "supervision.index": _r("handover figures", Rule.SUPERVISION),
    "supervision.figures_csv": _r("handover figures", Rule.SUPERVISION),
    "supervision.figures_xlsx": _r("handover figures", Rule.SUPERVISION),
    "supervision.monthly_pdf": _r("handover figures", Rule.SUPERVISION),
    "oversight.notices_index": _r("notice list", Rule.OVERSIGHT),
    "oversight.notice_new": _r("notice", Rule.OVERSIGHT),
    "oversight.notice_detail": _r("notice", Rule.OVERSIGHT),
    "oversight.notice_answer": _r("notice", Rule.OVERSIGHT),
    "oversight.notice_close": _r("notice", Rule.OVERSIGHT),
    "oversight.notice_reopen": _r("notice", Rule.OVERSIGHT),
    "oversight.complaints_index": _r("complaint list", Rule.OVERSIGHT),
    "oversight.complaint_new": _r("complaint", Rule.OVERSIGHT),
    "oversight.complaint_detail": _r("complaint", Rule.OVERSIGHT),
    "oversight.complaint_resolve": _r("complaint", Rule.OVERSIGHT),
    "oversight.register_index": _r("register", Rule.OVERSIGHT),
    "oversight.register_mine": _r("register", Rule.OVERSIGHT),
    "oversight.register_new": _r("register", Rule.OVERSIGHT),
    "approvals.lookup": _r("student list", Rule.SIGNED_IN),  # 学号, name, class only (C3)
    "exports.index": _r("-", Rule.SIGNED_IN),  # the forms of the exports one may make
    "exports.roster": _r("student list", Rule.REGISTRY),
    "exports.register": _r("archive register", Rule.ARCHIVE_MANAGE),
    "exports.loans": _r("loan list", Rule.ARCHIVE_MANAGE),
    "exports.figures": _r("handover figures", Rule.SUPERVISION),
    "exports.audit": _r("ledger", Rule.SUPERVISION),
    "money.index": _r("payment ledger", Rule.MONEY),
    "money.student": _r("payment ledger", Rule.MONEY),
    "money.totals": _r("payment ledger", Rule.MONEY),
    "money.overdue": _r("payment ledger", Rule.MONEY),
    "money.export": _r("payment ledger", Rule.MONEY),
    "money.new_entry": _r("payment ledger", Rule.MONEY_ENTRY),
    "staff.index": _r("staff work", Rule.STAFF_WORK),
    "staff.person": _r("staff work", Rule.STAFF_WORK),
    "staff.reassign": _r("open work", Rule.STAFF_WORK),
    "staff.transfer": _r("open work", Rule.STAFF_WORK),
    "staff.withdraw": _r("open work", Rule.STAFF_WORK),
    "notifications.index": _r("notification", Rule.OWN),
    "notifications.open_one": _r("notification", Rule.OWN),
    "notifications.read_all": _r("notification", Rule.OWN),
    "notifications.choose": _r("staff", Rule.OWN),
    "notifications.retry": _r("notification", Rule.ADMIN),
    "tokens.index": _r("api token", Rule.OWN),
    "tokens.revoke": _r("api token", Rule.OWN),
    "api.openapi": _r("-", Rule.PUBLIC),
    "api.students_list": _r("api student list", Rule.API_TOKEN),  # read
    "api.students_create": _r("api student", Rule.API_TOKEN),  # students:write + R-ENR/R-ACA
    "api.students_update": _r("api student", Rule.API_TOKEN),  # students:write + R-ENR/R-ACA
    "api.handovers_list": _r("api handover list", Rule.API_TOKEN),  # read
    "api.handovers_get": _r("api handover", Rule.API_TOKEN),  # read + METADATA access
    "api.handovers_create": _r("api handover", Rule.API_TOKEN),  # handovers:write + sender
    "api.verify": _r("api handover", Rule.API_TOKEN),  # read; what the public QR page shows
    "api.owed": _r("api obligation list", Rule.API_TOKEN),  # read, the owner's own
}
