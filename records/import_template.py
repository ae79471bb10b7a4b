"""The student import template as an .xlsx workbook whose cells check what is typed (Excel
data validation): 性别 from a list, 出生日期 a real date, phones 11 characters, the ID number
18, and 班级 one of the school's classes. Phone, ID number and 学号 columns are text cells,
so that Excel never turns an ID number into 3.10105E+17."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

from records.student_import import COLUMNS, EXTRA_COLUMNS
from records.text_rules import neutralise_formula

__all__ = ["HEADERS", "XLSX_TYPE", "template_xlsx"]

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = ("学号", *COLUMNS, "班级")
"""Template column order: the school's number first, the class last."""
ROWS = 2000
"""Rows the validations cover (a school's intake; a larger file is split anyway)."""
TEXT_COLUMNS = ("学号", "手机", "身份证号", "监护人电话")
assert set(HEADERS) <= set(COLUMNS) | set(EXTRA_COLUMNS)


def template_xlsx(class_names: Sequence[str] = ()) -> bytes:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = "学生名单"
    sheet.append(list(HEADERS))
    letter = {h: get_column_letter(i) for i, h in enumerate(HEADERS, start=1)}
    for header, col in letter.items():
        sheet[f"{col}1"].font = Font(bold=True)
        sheet.column_dimensions[col].width = max(10, len(header) * 3)
        if header in TEXT_COLUMNS:
            for row in range(2, ROWS + 2):
                sheet[f"{col}{row}"].number_format = "@"
    sheet.freeze_panes = "A2"

    def rule(header: str, validation: DataValidation, prompt: str, error: str) -> None:
        validation.prompt, validation.promptTitle = prompt, header
        validation.error, validation.errorTitle = error, header
        validation.showInputMessage = validation.showErrorMessage = True
        validation.add(f"{letter[header]}2:{letter[header]}{ROWS + 1}")
        sheet.add_data_validation(validation)

    rule("性别", DataValidation(type="list", formula1='"男,女"', allow_blank=True),
         "男 或 女", "性别只能填写“男”或“女”。")
    rule("出生日期", DataValidation(type="date", operator="between", allow_blank=True,
                                formula1="DATE(1940,1,1)",
                                formula2=f"DATE({date.today().year},12,31)"),
         "日期，如 2015-03-12", "请填写 1940 年以后的日期（年-月-日）。")
    for header in ("手机", "监护人电话"):
        rule(header, DataValidation(type="textLength", operator="equal", formula1="11",
                                    allow_blank=True),
             "11 位手机号码", "手机号码应为 11 位数字。")
    rule("身份证号", DataValidation(type="textLength", operator="equal", formula1="18",
                                allow_blank=True),
         "18 位身份证号（文本格式）", "身份证号应为 18 位。")
    rule("姓名", DataValidation(type="textLength", operator="between", formula1="1",
                              formula2="32"), "必填，不超过 32 个字", "姓名必填，不超过 32 个字。")
    if class_names:  # the list lives on a hidden sheet: a formula list is limited to 255 chars
        lists = book.create_sheet("班级列表")
        for name in class_names:
            lists.append([neutralise_formula(name)])  # a name is never run as a formula
        lists.sheet_state = "hidden"
        rule("班级", DataValidation(type="list", allow_blank=True, formula1=(
            f"{quote_sheetname(lists.title)}!$A$1:$A${len(class_names)}")),
             "从列表选择班级", "请选择已建立的班级。")
    sheet["A1"].comment = Comment("学号可不填（系统自动编号）；填写时须符合本校学号格式。", "系统")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
