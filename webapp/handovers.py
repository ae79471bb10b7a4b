"""Pages of the handovers area: lists (inbox, outbox, everything visible), the kind picker,
the form generated from the catalogue, one handover with its PDF, versions, timeline and the
actions the viewer may take now (policy F1-F13, M, T, C1)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select

from records import listing, student_lookup
from records.catalogue import (
    KINDS,
    METHOD_DOCUMENTS,
    METHODS,
    DeadlineBasis,
    FieldType,
    HandoverKind,
    Method,
)
from records.classes import SchoolClass
from records.clock import utcnow
from records.deadlines import SCHOOL_TZ
from records.departments import Department
from records.errors import FieldProblem, ValidationFailed
from records.forms import display_value
from records.handovers import Handover, Status
from records.listing import Row
from records.obligation_model import Obligation
from records.staff import Staff, StaffDepartment
from records.student_lookup import Pick
from records.visibility import (
    Access,
    access_to,
    may_countersign,
    reading_approval,
    visible_among,
)
from signing import SigningError
from webapp import services
from webapp.db import get_db
from webapp.handover_input import (
    FormInput,
    form_values,
    meeting_errors,
    meeting_input,
    problems,
)
from webapp.return_reasons import last_return_reason

__all__ = ["bp", "may_send", "Row"]

bp = Blueprint("handovers", __name__, url_prefix="/handovers")

# The policy's stages, in the order a student meets them (CLAUSES.md, section F).
STAGES = (
    ("招生阶段", ("F1", "F2")),
    ("教学阶段", ("F3", "F4", "F5", "F6", "F6b")),
    ("期末阶段", ("F7", "F8", "F9")),
    ("退费流程", ("F10", "F11", "F12", "F13")),
)
EVENT_LABELS = {
    "created": "创建草稿", "submitted": "签名提交", "countersigned": "签收",
    "returned": "退回", "corrected": "修改后重新提交", "withdrawn": "撤回", "edited": "修改草稿",
    "reassigned": "改派接收人", "transferred": "转交移交人",
}
EMPTY_TABLE_ROWS = 3


def _wf():
    return services().workflow(get_db())


def _me() -> Staff:
    return current_user.staff


# -- lists (webapp.handover_lists registers them) -------------------------------------------


def may_send(staff: Staff) -> bool:
    """Whether `staff` sends any kind of handover (the "新建交接" button)."""
    return any(staff.belongs_to(k.sender) for k in KINDS.values())


# -- the kind picker ----------------------------------------------------------------------------


def deadline_text(kind: HandoverKind) -> str:
    rule = kind.deadline
    if rule is None:
        return "制度未规定时限"
    if rule.basis is DeadlineBasis.PERIODIC:
        return f"{rule.clause}：每周/每两周固定时间"
    days = services().deadline_settings.get(rule.setting_key, rule.default_days)
    if rule.basis is DeadlineBasis.SAME_DAY or days == 0:
        return f"{rule.clause}：{rule.trigger_zh}（当日）"
    return f"{rule.clause}：{rule.trigger_zh} {days} 个工作日内"


@bp.route("/new")
@login_required
def new():
    me = _me()
    stages = [(name, [KINDS[c] for c in codes if me.belongs_to(KINDS[c].sender)])
              for name, codes in STAGES]
    return render_template("handovers/new.html", stages=[s for s in stages if s[1]],
                           deadline_text=deadline_text, methods=METHODS)


# -- the generated form -----------------------------------------------------------------------


def _picked(kind: HandoverKind, values: dict) -> dict[int, Pick]:
    """The students already chosen in `values` (registry ids), with 学号 and name, among those
    `me` may pick: the form shows them; any other is found while typing (students.lookup).
    Showing their names is a recorded read, ids only (policy C2, C3)."""
    chosen = {v for spec in kind.fields if spec.type in (FieldType.STUDENT, FieldType.STUDENTS)
              for v in _listed(values.get(spec.name)) if isinstance(v, int)}
    picks = student_lookup.picks(get_db(), visible_among(get_db(), _me(), chosen))
    if picks:
        services().ledger.append(actor=_me().login, action="student.list",
                                 reason="交接表单：已选学生",
                                 context={"ids": [p.id for p in picks], "via": "handover-form"})
    return {p.id: p for p in picks}


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def _receivers(kind: HandoverKind, me: Staff) -> list[Staff]:
    return list(get_db().scalars(
        select(Staff).join(StaffDepartment).where(
            StaffDepartment.department == kind.receiver.value, Staff.active,
            Staff.id != me.id).order_by(Staff.display_name)))


def _kind_for(code: str, me: Staff) -> HandoverKind:
    kind = KINDS.get(code) or abort(404)
    if not me.belongs_to(kind.sender):
        abort(403, description=f"只有{kind.sender.label_zh}可以发起「{kind.name_zh}」。")
    return kind


def _method_choice(kind: HandoverKind) -> str | None:
    """The posted 交接方式: the kind's own method or M3 (face to face)."""
    raw = request.form.get("method", "").strip()
    if raw and raw not in (kind.method.value, Method.FACE_TO_FACE.value):
        abort(400, description="交接方式无效，请刷新页面后重新填写。")
    return raw or None


def _render_form(kind, *, values, errors=None, parent=None, status=200, handover=None,
                 form_error="", chosen=None, meeting=None, obligation=None):
    errors = errors or {}
    return render_template(
        "handovers/form.html", kind=kind, values=values, errors=errors, parent=parent,
        obligation=obligation,
        picked=_picked(kind, values), receivers=_receivers(kind, _me()), handover=handover,
        deadline=deadline_text(kind), method=METHODS[kind.method], form_error=form_error,
        T=FieldType, empty_rows=EMPTY_TABLE_ROWS, methods=METHODS, M3=Method.FACE_TO_FACE,
        chosen=chosen or kind.method.value, meeting_spec=METHOD_DOCUMENTS["M3"],
        meeting=meeting or {}, meeting_errors=meeting_errors(errors)), status


def _failed(render: Callable[..., Any], exc: Exception):
    """Undo everything of this request and show the form again with the problems."""
    get_db().rollback()
    if isinstance(exc, ValidationFailed):
        return render(errors=problems(exc), status=400,
                      form_error="请更正标出的问题后重新提交（草稿未能保存，附件需要重新选择）。")
    return render(status=400, form_error=str(exc))


@bp.route("/new/<code>", methods=["GET", "POST"])
@login_required
def create(code: str):
    me = _me()
    kind = _kind_for(code, me)
    parent = (request.form.get("parent") or request.args.get("parent") or "").strip() or None
    obligation = _obligation_id()
    if request.method == "GET":
        return _render_form(kind, values=_owed_values(obligation), parent=parent,
                            obligation=obligation)
    reader = FormInput(kind, me)
    values = reader.values(request.form)
    chosen, meeting = _method_choice(kind), meeting_input(request.form)
    face_to_face = chosen == Method.FACE_TO_FACE.value
    render = lambda **kw: _render_form(  # noqa: E731
        kind, values=values, parent=parent, chosen=chosen, meeting=meeting,
        obligation=obligation, **kw)
    wf = _wf()
    try:
        h = wf.create(me, kind.code, values, uploads=reader.uploads(request.files),
                      receiver_id=_receiver_id(), parent_number=parent, method=chosen,
                      meeting=meeting if face_to_face else None, obligation_id=obligation)
    except (ValidationFailed, SigningError) as exc:
        return _failed(render, exc)
    return _then(h, f"草稿 {h.number} 已保存。")


def _then(h: Handover, saved: str):
    """After a draft was saved (created or edited) from a form: what its button asked for.
    The draft and its files are committed first, so that a signature that fails (a field
    still missing, a wrong password) keeps them: the draft page shows the form again with
    the files attached (issue 14). The signing itself is all or nothing."""
    action = request.form.get("action", "draft")
    number = h.number
    get_db().commit()
    if action == "preview":
        return redirect(url_for("handovers.view", number=number, edit=1, preview=1)
                        + "#preview")
    if action != "submit":
        flash(saved, "success")
        return redirect(url_for("handovers.view", number=number))
    wf = _wf()
    try:
        wf.submit(_me(), wf.get(_me(), number), request.form.get("password", ""))
    except (ValidationFailed, SigningError) as exc:
        get_db().rollback()
        errors = problems(exc) if isinstance(exc, ValidationFailed) else {
            "password": [str(exc)]}
        return _view(number, errors=errors, status=400, editing=True,
                     action_error="草稿和已选的附件已保存；请更正标出的问题后重新签名提交。")
    kind = KINDS[h.kind]
    flash(f"交接单 {number} 已签名提交，等待{kind.receiver.label_zh}签收。", "success")
    return redirect(url_for("handovers.view", number=number))


def _obligation_id() -> int | None:
    """The obligation a new handover is made to answer (from the 我应交 list)."""
    raw = (request.form.get("obligation") or request.args.get("obligation") or "").strip()
    if not raw:
        return None
    if not raw.isdecimal() or len(raw) > 12:
        abort(404)
    return int(raw)


def _owed_values(obligation_id: int | None) -> dict:
    """A form made for an obligation starts with its student and class filled in."""
    if obligation_id is None:
        return {}
    ob = get_db().get(Obligation, obligation_id) or abort(404)
    values = {"student": ob.student_id} if ob.student_id else {}
    if ob.class_id:
        values["class_name"] = get_db().get(SchoolClass, ob.class_id).name
    return values


def _receiver_id() -> int | None:
    raw = request.form.get("receiver", "").strip()
    if not raw:
        return None
    if not raw.isdecimal():
        raise ValidationFailed([FieldProblem("receiver", "接收人选择无效。")])
    return int(raw)


# -- one handover ------------------------------------------------------------------------------


@bp.app_context_processor
def _labels():
    return {"status_label": lambda s: Status(s).label_zh,
            "dept_label": lambda d: Department(d).label_zh,
            "provisional": _provisional}


def _provisional(moment: datetime | None) -> bool:
    """policy T: a deadline in a year the State Council has not announced yet is provisional."""
    return moment is not None and services().calendar.is_provisional(
        moment.astimezone(SCHOOL_TZ).date())


@bp.app_template_filter("local")
def _local(moment: datetime | None) -> str:
    """A moment as the school's clock reads it. A naive one is UTC (the search index keeps
    times without their zone): astimezone would take it for the server's own local time."""
    if not moment:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(SCHOOL_TZ).strftime("%Y-%m-%d %H:%M")


def _changeable(me: Staff, h: Handover) -> bool:
    """Whether the sender may submit a corrected version now (a return, or an F3 change)."""
    return h.sender_id == me.id and (
        h.status == Status.RETURNED
        or (h.kind == "F3" and h.status in (Status.SUBMITTED, Status.COMPLETED)))


def _view(number: str, *, errors=None, status=200, action_error="", correction=None,
          meeting=None, editing=False):
    me, wf = _me(), _wf()
    h = wf.get(me, number)
    kind = KINDS[h.kind]
    content = access_to(me, h) >= Access.CONTENT
    face_to_face = h.method == Method.FACE_TO_FACE.value
    draft_values = draft_meeting = None
    if content and h.status == Status.DRAFT:
        stored = wf.values_of(me, h)
        draft_values = [(f, display_value(f, stored.get(f.name))) for f in kind.fields]
        if face_to_face:  # policy M3: the meeting record of the draft
            record = wf.meeting_of(me, h) or {}
            draft_meeting = [(f, display_value(f, record.get(f.name)))
                             for f in METHOD_DOCUMENTS["M3"].fields]
    editing_draft = h.status == Status.DRAFT and h.sender_id == me.id and (
        editing or "edit" in request.args)
    if correction is None and content and (_changeable(me, h) or editing_draft):
        correction = form_values(kind, wf.values_of(me, h))
        if face_to_face:
            meeting = wf.meeting_of(me, h) or {}
    picked = _picked(kind, correction) if correction is not None else {}
    names = _staff_names({v.created_by for v in h.versions}
                         | {v.countersigned_by for v in h.versions if v.countersigned_by})
    # what the sender must put right, at the top and beside the correction form, not only in
    # the history at the bottom of the page
    return_reason = last_return_reason(h.events) \
        if content and h.status == Status.RETURNED else None
    return render_template(
        "handovers/view.html", h=h, kind=kind, content=content, return_reason=return_reason,
        row=listing.rows(me, [h], utcnow(), calendar=services().calendar)[0], names=names,
        under_approval=reading_approval(me, h),
        draft_values=draft_values, correction=correction,
        can_countersign=may_countersign(me, h) is None,
        is_sender=h.sender_id == me.id, open_statuses=listing.OPEN, Status=Status,
        next_kinds=[KINDS[c] for c in kind.next_kinds if me.belongs_to(KINDS[c].sender)],
        event_labels=EVENT_LABELS, errors=errors or {}, action_error=action_error,
        values=correction or {}, picked=picked, T=FieldType, empty_rows=1,
        preview="preview" in request.args and editing_draft,
        method=METHODS[Method(h.method)], deadline=deadline_text(kind),
        face_to_face=face_to_face, draft_meeting=draft_meeting, meeting=meeting or {},
        meeting_spec=METHOD_DOCUMENTS["M3"], meeting_errors=meeting_errors(errors or {})), status


def _staff_names(ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    return dict(get_db().execute(select(Staff.id, Staff.display_name).where(
        Staff.id.in_(ids or {-1}))).all())


@bp.route("/<number>")
@login_required
def view(number: str):
    return _view(number)


def _act(number: str, do: Callable[[Any, Handover], Any], done: str, *, correction=None,
         meeting=None):
    """Run one action on the handover; form problems (reason, password) come back to the page
    with 400 and nothing of this request is kept."""
    wf = _wf()
    h = wf.get(_me(), number)
    try:
        do(wf, h)
    except (ValidationFailed, SigningError) as exc:
        get_db().rollback()
        errors = problems(exc) if isinstance(exc, ValidationFailed) else {}
        return _view(number, errors=errors, status=400, correction=correction,
                     meeting=meeting, action_error=str(exc) if not errors else "请更正标出的问题。")
    flash(done, "success")
    return redirect(url_for("handovers.view", number=number))


def _password() -> str:
    return request.form.get("password", "")


def _reason() -> str:
    return request.form.get("reason", "")


# The one-step actions: (endpoint and path, workflow call, message on success).
ACTIONS = (
    ("countersign", lambda wf, h: wf.countersign(_me(), h, _password()), "已签收交接单 {}。"),
    ("return", lambda wf, h: wf.return_(_me(), h, _reason()),
     "已退回交接单 {}，移交人将修改后重新提交。"),
    ("withdraw", lambda wf, h: wf.withdraw(_me(), h, _reason()), "已撤回交接单 {}。"),
)


@bp.post("/<number>/submit")
@login_required
def submit(number: str):
    """Sign and submit a draft from its page. Files chosen there join the draft first and
    stay with it if the signature fails (issue 14)."""
    me, wf = _me(), _wf()
    h = wf.get(me, number, need=Access.CONTENT)
    uploads = FormInput(KINDS[h.kind], None).uploads(request.files)
    if uploads:
        try:
            wf.attach(me, h, uploads)
        except (ValidationFailed, SigningError) as exc:
            get_db().rollback()
            return _view(number, errors=problems(exc) if isinstance(exc, ValidationFailed)
                         else {}, status=400, action_error=str(exc))
        get_db().commit()
        h = wf.get(me, number)
    return _act(number, lambda wf, h: wf.submit(_me(), h, _password()),
                f"交接单 {number} 已签名提交。")


def _action_view(do: Callable[[Any, Handover], Any], done: str):
    @login_required
    def action(number: str):
        return _act(number, do, done.format(number))
    return action


for _name, _do, _done in ACTIONS:
    bp.add_url_rule(f"/<number>/{_name}", _name, _action_view(_do, _done), methods=["POST"])


def _changed_content(number: str):
    """The form of a correction or a draft edit, read once: (me, values, uploads, meeting)."""
    me = _me()
    h = _wf().get(me, number, need=Access.CONTENT)
    reader = FormInput(KINDS[h.kind], me)
    # policy M3: a face-to-face handover carries its (possibly corrected) meeting record
    meeting = meeting_input(request.form) if h.method == Method.FACE_TO_FACE.value else None
    return me, reader.values(request.form), reader.uploads(request.files), meeting


@bp.post("/<number>/correct")
@login_required
def correct(number: str):
    """A corrected version after a return, or a schedule change of an F3 (policy F3)."""
    me, values, uploads, meeting = _changed_content(number)
    return _act(number, lambda wf, h: wf.correct(me, h, values, reason=_reason(),
                                                 password=_password(), uploads=uploads,
                                                 meeting=meeting),
                f"交接单 {number} 的新版本已签名提交。", correction=values, meeting=meeting)


@bp.post("/<number>/edit")
@login_required
def edit(number: str):
    """Save changes to one's own draft; signing stays a separate step."""
    me, values, uploads, meeting = _changed_content(number)
    wf = _wf()
    h = wf.get(me, number)
    try:
        wf.edit_draft(me, h, values, uploads=uploads, meeting=meeting, remove=_removed())
    except (ValidationFailed, SigningError) as exc:
        get_db().rollback()
        return _view(number, errors=problems(exc) if isinstance(exc, ValidationFailed) else {},
                     status=400, correction=values, meeting=meeting,
                     action_error="请更正标出的问题。" if isinstance(exc, ValidationFailed)
                     else str(exc))
    if request.form.get("remove_attachment"):  # the form again, without that file
        get_db().commit()
        flash("已移除附件。", "success")
        return redirect(url_for("handovers.view", number=number, edit=1) + "#correction")
    return _then(h, f"草稿 {number} 已保存。")


def _removed() -> list[int]:
    """The attachment a draft form's 移除 button names (an id of the draft's own)."""
    raw = request.form.get("remove_attachment", "").strip()
    if not raw:
        return []
    if not raw.isdecimal() or len(raw) > 12:
        abort(400, description="附件选择无效，请刷新页面后重试。")
    return [int(raw)]


# -- files --------------------------------------------------------------------------------------


def _file(data: bytes, mimetype: str, filename: str, *, download: bool) -> Response:
    """A file response; the name is ASCII (the handover number), never a student's name."""
    disposition = "attachment" if download else "inline"
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


@bp.get("/<number>/pdf")
@login_required
def pdf(number: str):
    me, wf = _me(), _wf()
    h = wf.get(me, number, need=Access.CONTENT)
    version = request.args.get("v", "")
    if version and not version.isdecimal():
        abort(404)
    document = request.args.get("document", "form")
    if document not in ("form", "meeting") or (
            document == "meeting" and h.method != Method.FACE_TO_FACE.value):
        abort(404)
    download = request.args.get("download") == "1"
    data = wf.pdf(me, h, reason="下载" if download else "在线查看",
                  version=int(version) if version else None, document=document)
    older = version and int(version) != h.current_version
    suffix = "-meeting" if document == "meeting" else ""
    name = f"{h.number}{suffix}-v{version}.pdf" if older else f"{h.number}{suffix}.pdf"
    return _framed(_file(data, "application/pdf", name, download=download))


def _framed(response: Response) -> Response:
    """Our own page frames the PDF; the app's default header denies all framing."""
    response.headers["Content-Security-Policy"] = "frame-ancestors 'self'"
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.get("/<number>/checklist")
@login_required
def checklist(number: str):
    """The paper checklist (policy M1) to print, sign by hand, scan and upload."""
    me, wf = _me(), _wf()
    h = wf.get(me, number, need=Access.CONTENT)
    if h.method != "M1":
        abort(404)
    return _file(wf.checklist_pdf(me, h), "application/pdf", f"{h.number}-checklist.pdf",
                 download=False)


@bp.get("/<number>/preview")
@login_required
def preview(number: str):
    """The draft's form as signing it now would sign it, watermarked 预览 (issue 14); only
    the number is in the URL, the content stays with the draft (policy C2)."""
    me, wf = _me(), _wf()
    h = wf.get(me, number, need=Access.CONTENT)
    response = _framed(_file(wf.preview(me, h), "application/pdf",
                             f"{h.number}-preview.pdf", download=False))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/new/<code>/checklist")
@login_required
def blank_checklist(code: str):
    """The paper checklist (policy M1) printed from the form before it is saved."""
    me = _me()
    kind = _kind_for(code, me)
    if kind.method.value != "M1":
        abort(404)
    return _file(_wf().blank_checklist_pdf(me, kind.code), "application/pdf",
                 f"{kind.code}-checklist.pdf", download=False)


EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


@bp.get("/<number>/attachments/<int:attachment_id>")
@login_required
def attachment(number: str, attachment_id: int):
    me, wf = _me(), _wf()
    h = wf.get(me, number, need=Access.CONTENT)
    att = wf.attachment(me, h, attachment_id)
    data = services().vault.get(att.object_id, actor=me.login, reason="下载附件")
    name = f"{h.number}-{att.code}-{att.id}.{EXTENSIONS.get(att.content_type, 'bin')}"
    return _file(data, att.content_type, name, download=True)


from webapp import handover_lists  # noqa: E402, F401  (the list routes, on this blueprint)
