"""`handover student import FILE --as USER`: bulk registration from a CSV or .xlsx list, with a
per-row report (行 / 列 / 问题) that never shows a private value (policy C2)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from records.student_import import ImportResult, read_table
from records.visibility import sees_whole_registry
from webapp.cli import acting, domain_errors
from webapp.db import get_db
from webapp.students import REGISTRY_ONLY, import_for, plan_for

__all__ = ["COMMANDS", "student_group"]

student_group = AppGroup("student", help="The student registry.")


def _report(result: ImportResult) -> None:
    if result.problems:
        click.echo("行\t列\t问题")
        for p in result.problems:
            click.echo(f"{p.row}\t{p.column or '-'}\t{p.message_zh}")
    if result.imported:
        click.echo(f"已导入 {len(result.imported)} 名学生"
                   f"（学号 {result.imported[0][1]} 至 {result.imported[-1][1]}）。")
        if result.problems:
            rows = sorted({p.row for p in result.problems})
            click.echo("有问题的行未导入：" + "、".join(map(str, rows)))
    elif result.problems:
        click.echo(f"文件中有 {len(result.problems)} 个问题，未导入任何学生。"
                   "改正后重新导入，或使用 --good-rows-only 只导入无误的行（表头有误时不可）。")
    else:
        click.echo("文件中没有学生数据。")


@student_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "login", required=True, help="Login of the staff member importing.")
@click.option("--good-rows-only", is_flag=True,
              help="Import the rows without problems even when other rows have some.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@domain_errors
def student_import(file: Path, login: str, good_rows_only: bool, as_json: bool):
    """Import students from a .csv (UTF-8 or GBK) or .xlsx file. The header is the first row
    with the Chinese column names 姓名, 性别, 出生日期, 手机, 家庭住址, 身份证号, 监护人,
    监护人电话, 健康状况, and optionally 学号 (kept), 班级 (joined) and 课程 (checked)."""
    db = get_db()
    staff = acting(login)
    if not sees_whole_registry(staff):  # policy R-ENR, R-ACA, C1: as on the import page
        raise click.ClickException(REGISTRY_ONLY)
    plan = plan_for(staff, read_table(file))
    result = import_for(staff, plan, only_good_rows=good_rows_only)
    db.commit()
    if as_json:
        click.echo(json.dumps({
            "imported": [{"row": r, "student_no": no} for r, no in result.imported],
            "problems": [{"row": p.row, "column": p.column, "message": p.message_zh}
                         for p in result.problems],
            "refused": result.refused,
        }, ensure_ascii=False, indent=2))
    else:
        _report(result)
    if result.refused or not result.imported:
        click.get_current_context().exit(1)


COMMANDS = [student_group]
