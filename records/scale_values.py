"""The form of one synthetic handover (records.scale_demo): the catalogue's sample values
(records.forms.sample_values, valid for every kind) with what makes each form its own: the
student's 学号 and name, the class and its roster, the trigger date the deadline counts from
(records.timeliness.TRIGGER_FIELDS), amounts that agree along a refund chain, and notes from
records.synthetic_text. Every value passes records.validation like a form typed by a person."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from records.catalogue import get_kind
from records.forms import sample_values
from records.scale_plan import Plan, Pupil
from records.synthetic_text import COURSES, notes, phone
from records.synthetic_text import name as person_name

__all__ = ["form_values"]

BASES = ("基础较好", "基础中等", "基础较弱", "零基础")
GOALS = ("期末成绩提高到 90 分以上", "通过考级", "参加信息学竞赛", "巩固基础", "培养兴趣")
PERFORMANCE = ("积极发言，思路清晰", "认真听讲", "注意力有时不集中", "进步明显", "需加强练习")
HOMEWORK = ("按时完成，正确率高", "按时完成", "偶有拖欠", "完成较好", "需督促")
REFUND_REASONS = ("家庭搬迁，无法继续上课", "孩子课业负担重，暂停学习", "身体原因长期请假",
                  "对课程安排不满意", "转学到外地")
FEEDBACK = ("家长希望继续报名下一阶段课程", "家长表示孩子很喜欢这门课", "家长考虑后再答复",
            "家长希望调整到周末班", "家长对进度满意")


def _ref(pupil: Pupil) -> dict[str, str]:
    return {"number": pupil.number, "name": pupil.name}


def _age(pupil: Pupil, on: date) -> int:
    return max(3, on.year - pupil.birth.year)


def form_values(plan: Plan, rng: random.Random, today: date) -> dict[str, Any]:
    """The values of `plan`'s form (its parent's number must be known: chains cite it)."""
    kind = get_kind(plan.kind)
    values = sample_values(kind)
    klass, pupil, day = plan.klass, plan.student, plan.day
    course = klass.course if klass else rng.choice(COURSES)
    if "class_name" in values and klass is not None:
        values["class_name"] = klass.name
    if "student" in values and pupil is not None:
        values["student"] = _ref(pupil)
    text = notes(rng, course, phone(rng), "")
    fill = _FILL.get(plan.kind)
    if fill is not None:
        fill(values, plan, rng, course, day, text, today)
    if plan.parent is not None and "refund_ref" in values:
        values["refund_ref"] = _refund_root(plan).number
    return values


def _refund_root(plan: Plan) -> Plan:
    while plan.parent is not None:
        plan = plan.parent
    return plan


def _f1(v, plan, rng, course, day, text, today):
    v.update(prospect_name=person_name(rng), gender=rng.choice(("男", "女")),
             age=rng.randint(6, 15), guardian_name=person_name(rng), contact=phone(rng),
             course_of_interest=course, intent_date=day.isoformat(),
             expected_start=(day + timedelta(days=rng.randint(7, 40))).isoformat(),
             communication_record=f"家长咨询{course}：{text}")


def _f2(v, plan, rng, course, day, text, today):
    v.update(course=course, registration_date=day.isoformat(),
             fee_paid=str(plan.money["paid"]), class_hours=plan.money["hours"],
             payment_method=rng.choice(("现金", "银行转账", "微信支付", "支付宝", "银行卡刷卡")),
             agreement_number=f"XY-{day.year}-{plan.student.index % 100000:05d}",
             special_needs=rng.choice(("", "", "基础较弱，需要从头讲起", "希望参加考级")))


def _f3(v, plan, rng, course, day, text, today):
    k = plan.klass
    v.update(course=course, teacher=k.teacher.name, schedule=k.schedule, place=k.place,
             start_date=k.starts_on.isoformat(), lesson_minutes=rng.choice((60, 90, 120)),
             total_lessons=rng.choice((12, 16, 24, 32, 48)), materials=f"《{course}》讲义")


def _roster(plan: Plan, rng: random.Random, on: date) -> list[dict]:
    return [{"student_number": p.number, "name": p.name, "gender": p.gender,
             "age": _age(p, on), "basis": rng.choice(BASES), "goal": rng.choice(GOALS)}
            for p in plan.klass.members]


def _f4(v, plan, rng, course, day, text, today):
    v.update(head_teacher=plan.klass.head.name, roster=_roster(plan, rng, day),
             grouping_basis="年龄相近、学习基础相当", analysis=f"本班共 {len(plan.klass.members)} "
             f"名学生。{text}")


def _f5(v, plan, rng, course, day, text, today):
    v.update(teaching_start=plan.klass.starts_on.isoformat(),
             updates=f"{course}教材已按人数准备齐全。")


def _f6(v, plan, rng, course, day, text, today):
    weeks = plan.klass.cycle_weeks or 1
    v.update(report_cycle="每周" if weeks == 1 else "每两周", period_start=day.isoformat(),
             period_end=(day + timedelta(days=7 * weeks - 1)).isoformat(),
             progress=[{"student_number": p.number, "name": p.name,
                        "performance": rng.choice(PERFORMANCE), "homework": rng.choice(HOMEWORK),
                        "quiz_score": rng.randint(55, 100)} for p in plan.klass.members],
             summary=text)


def _f6b(v, plan, rng, course, day, text, today):
    v.update(report_ref=plan.parent.number, overall=f"本期整体学习情况良好。{text}",
             suggestions="加强课堂练习，课后布置分层作业。")
    if plan.pupils:
        v["attention_students"] = [_ref(p) for p in plan.pupils]
    else:
        v.pop("attention_students", None)


def _f7(v, plan, rng, course, day, text, today):
    scores = [rng.randint(55, 100) for _ in range(3)]
    size = len(plan.klass.members)
    v.update(course_end=day.isoformat(),
             scores=[{"subject": s, "score": x, "full_marks": 100}
                     for s, x in zip(("期末测评", "课堂表现", "作业"), scores, strict=True)],
             total_score=sum(scores), ranking=f"{rng.randint(1, size)}/{size}",
             assessment=text, overall_evaluation="学习态度端正，完成了本课程的学习目标。")


def _f8(v, plan, rng, course, day, text, today):
    v.update(term_end=day.isoformat(), completeness="齐全",
             documents=[{"category": c, "title": t, "pages": rng.randint(1, 6), "notes": ""}
                        for c, t in (("入学资料", "入学登记表"), ("学习进度记录", "学习进度报告"),
                                     ("成绩报告单", f"{course}成绩报告单"))])


def _f9(v, plan, rng, course, day, text, today):
    v.update(current_class=plan.klass.name, contact_date=day.isoformat(),
             intent=rng.choice(("续班", "升级", "暂不续报", "待定")),
             target_course=rng.choice(COURSES), parent_feedback=rng.choice(FEEDBACK),
             teacher_advice=text)


def _f10(v, plan, rng, course, day, text, today):
    v.update(application_date=day.isoformat(), reason=rng.choice(REFUND_REASONS),
             amount_paid=str(plan.money["paid"]), lessons_purchased=plan.money["hours"],
             payment_status="已全额缴费")


def _f11(v, plan, rng, course, day, text, today):
    m = plan.money
    v.update(lessons_total=m["hours"], lessons_completed=m["done"],
             lessons_remaining=m["hours"] - m["done"], progress=text)


def _f12(v, plan, rng, course, day, text, today):
    m = plan.money
    unit = m["paid"] // m["hours"]
    refund = m["paid"] - unit * m["done"] - 200
    v.update(received_date=day.isoformat(), amount_paid=str(m["paid"]),
             lessons_completed=m["done"], unit_price=str(unit), non_refundable="200",
             refund_amount=str(refund),
             breakdown=[{"item": "已缴金额", "amount": str(m["paid"]), "notes": ""},
                        {"item": "已完成课时费用", "amount": str(unit * m["done"]), "notes": ""},
                        {"item": "教材费（已交付）", "amount": "200", "notes": "不予退还"}],
             basis="学校退费政策第 3 条（2026 版）")
    m["refund"] = refund


def _f13(v, plan, rng, course, day, text, today):
    paid = min(day + timedelta(days=rng.randint(0, 3)), today)
    v.update(agreed_date=day.isoformat(), paid_date=paid.isoformat(),
             refund_amount=str(plan.money.get("refund", 1000)),
             payment_channel=rng.choice(("原路退回", "银行转账")),
             voucher_number=f"TK{day:%Y%m%d}{rng.randint(100, 999)}",
             payment_status_after="已部分退费")


_FILL = {"F1": _f1, "F2": _f2, "F3": _f3, "F4": _f4, "F5": _f5, "F6": _f6, "F6b": _f6b,
         "F7": _f7, "F8": _f8, "F9": _f9, "F10": _f10, "F11": _f11, "F12": _f12, "F13": _f13}
