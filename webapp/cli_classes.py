"""`handover class list|add|enrol|report-cycle`: the class registry from the command line.
Class names and courses are not private; the list never shows a student (policy C2)."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from records.class_registry import Classes
from webapp import services
from webapp.cli import acting, domain_errors, echo_rows
from webapp.db import get_db

__all__ = ["COMMANDS", "class_group"]

class_group = AppGroup("class", help="Classes (班级) and their students.")


def _classes() -> Classes:
    return services().classes(get_db())


def _date(value: str | None, label: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.ClickException(f"{label}应为 YYYY-MM-DD 格式的有效日期：{value}") from None


def _staff_id(login: str | None) -> int | None:
    return services().accounts(get_db()).get(login).id if login else None


@class_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the classes as JSON.")
@domain_errors
def class_list(as_json: bool):
    """List every class with its teachers, dates and number of students."""
    rows = [{
        "name": c.name, "course": c.course,
        "teacher": c.teacher.login if c.teacher else None,
        "head_teacher": c.head_teacher.login if c.head_teacher else None,
        "starts_on": c.starts_on.isoformat() if c.starts_on else None,
        "ends_on": c.ends_on.isoformat() if c.ends_on else None,
        "active": c.active, "students": len(c.student_ids),
    } for c in _classes().every()]
    echo_rows(rows, as_json=as_json, empty_zh="还没有班级。",
              line=lambda r: f"{r['name']}\t{r['course']}\t任课：{r['teacher'] or '—'}\t"
                             f"班主任：{r['head_teacher'] or '—'}\t{r['starts_on'] or '—'} 至 "
                             f"{r['ends_on'] or '—'}\t{r['students']} 人")


@class_group.command("add")
@click.argument("name")
@click.option("--course", required=True, help="Course taught in the class.")
@click.option("--teacher", help="Login of the class teacher (TEA).")
@click.option("--head", help="Login of the head teacher (TEA).")
@click.option("--starts", help="First day, YYYY-MM-DD.")
@click.option("--ends", help="Last day, YYYY-MM-DD.")
@click.option("--as", "login", required=True, help="Login of the academic-affairs staff member.")
@domain_errors
def class_add(name, course, teacher, head, starts, ends, login):
    """Create a class (academic affairs only: policy R-ACA)."""
    starts_on, ends_on = _date(starts, "开课日期"), _date(ends, "结课日期")
    actor = acting(login)
    school_class = _classes().create(actor, name, course, _staff_id(teacher), _staff_id(head),
                                     starts_on, ends_on)
    get_db().commit()
    click.echo(f"已建立班级“{school_class.name}”（编号 {school_class.id}）。")


@class_group.command("enrol")
@click.argument("name")
@click.argument("student_nos", nargs=-1, required=True)
@click.option("--as", "login", required=True, help="Login of the academic-affairs staff member.")
@domain_errors
def class_enrol(name, student_nos, login):
    """Add students, by 学号, to the class NAME (policy F4)."""
    actor = acting(login)
    classes = _classes()
    school_class = classes.by_name(name)
    added = classes.enrol(actor, school_class.id, classes.student_ids_by_number(student_nos))
    get_db().commit()
    click.echo(f"已加入 {len(added)} 名学生；班级“{school_class.name}”现有 "
               f"{len(school_class.student_ids)} 人。")


@class_group.command("report-cycle")
@click.argument("name")
@click.option("--weekday", type=click.IntRange(1, 7), help="ISO weekday of the report "
              "(5 = Friday); omit to stop the class's periodic reports.")
@click.option("--hour", type=click.IntRange(0, 23), default=16, show_default=True)
@click.option("--weeks", type=click.Choice(["1", "2"]), default="1", show_default=True,
              help="Every week or every second week.")
@click.option("--first-week", help="A day of the first reporting week, YYYY-MM-DD.")
@click.option("--as", "login", required=True, help="Login of the academic-affairs staff member.")
@domain_errors
def class_report_cycle(name, weekday, hour, weeks, first_week, login):
    """Set the fixed progress-report time of the class NAME (policy T3a)."""
    actor = acting(login)
    classes = _classes()
    school_class = classes.set_report_cycle(
        actor, classes.by_name(name).id, weekday=weekday, hour=hour, weeks=int(weeks),
        first_week=_date(first_week, "第一个报告周期的日期"))
    get_db().commit()
    click.echo(f"班级“{school_class.name}”：" + (
        f"每{'两' if weeks == '2' else ''}周第 {weekday} 天 {hour}:00 前报告，"
        f"自 {school_class.report_first_week} 所在周起。" if weekday else "不再定期报告。"))


COMMANDS = [class_group]
