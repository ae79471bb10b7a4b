"""The assessment figures (policy S2) as files: an Excel workbook (sheets 部门 and 个人), CSV for
Excel (UTF-8 with BOM), and the monthly report as an unsigned PDF with its chart.

A cell that starts with = + - @ is prefixed with ' so that a spreadsheet never runs a name as a
formula. Metadata only (policy C1): counts, rates, departments and staff names."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from records.assessment import Assessment, Figures, Period, assess, on_time_series
from records.charts import rate_lines
from records.deadlines import SCHOOL_TZ
from records.forms import form_environment
from records.text_rules import neutralise_formula

__all__ = ["DEPARTMENT_COLUMNS", "FIGURE_COLUMNS", "PERSON_COLUMNS", "cell_text", "csv_text",
           "figure_value", "monthly_report", "monthly_report_html", "monthly_report_pdf",
           "neutralise", "on_time_chart", "xlsx_bytes"]

TEXT, COUNT, RATE, HOURS = "text", "count", "rate", "hours"

FIGURE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("due", "到期应交", COUNT), ("met_on_time", "按时交", COUNT), ("met_late", "逾期交", COUNT),
    ("open_overdue", "逾期未交", COUNT), ("waived", "已免除", COUNT),
    ("obligation_rate", "应交按时率", RATE),
    ("submitted", "移交", COUNT), ("sent_on_time", "移交按时", COUNT),
    ("sent_late", "移交逾期", COUNT), ("sender_on_time_rate", "移交按时率", RATE),
    ("sender_median_delay_hours", "移交逾期中位数（小时）", HOURS),
    ("returned", "被退回", COUNT), ("never_returned", "一次通过", COUNT),
    ("completeness_rate", "一次通过率", RATE),
    ("procedural_required", "纸质/面对面交接", COUNT),
    ("procedural_kept", "清单/记录齐全", COUNT), ("compliance_rate", "手续合规率", RATE),
    ("received", "接收", COUNT), ("countersigned_on_time", "按时签收", COUNT),
    ("countersigned_late", "逾期签收", COUNT), ("waiting_overdue", "逾期未签收", COUNT),
    ("receiver_on_time_rate", "签收按时率", RATE),
    ("receiver_median_delay_hours", "签收逾期中位数（小时）", HOURS),
    ("complaints", "家长投诉", COUNT), ("on_time_rate", "综合按时率", RATE),
)
DEPARTMENT_COLUMNS = (("name", "部门", TEXT), *FIGURE_COLUMNS)
PERSON_COLUMNS = (("name", "姓名", TEXT), ("staff_id", "员工编号", COUNT),
                  ("department_label", "部门", TEXT), *FIGURE_COLUMNS)
# The monthly PDF prints what fits across a landscape A4 page.
REPORT_KEYS = ("due", "met_on_time", "met_late", "open_overdue", "waived", "submitted",
               "sent_late", "returned", "completeness_rate", "compliance_rate", "received",
               "countersigned_late", "waiting_overdue", "complaints", "on_time_rate")
def neutralise(text: str) -> str:
    """A text a spreadsheet would read as a formula, made plain text with a leading '."""
    return neutralise_formula(text)


def figure_value(f: Figures, key: str):
    """The value of column `key` on line `f`."""
    if key == "department_label":
        return f.department.label_zh
    return getattr(f, key)


def _sheet_rows(lines: Sequence[Figures], columns) -> list[list]:
    return [[figure_value(f, key) for key, _, _ in columns] for f in lines]


def xlsx_bytes(assessment: Assessment) -> bytes:
    """Two sheets, 部门 and 个人: a header row, then one line each; rates are percentages."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheets = ((book.active, "部门", assessment.departments, DEPARTMENT_COLUMNS),
              (book.create_sheet(), "个人", assessment.people, PERSON_COLUMNS))
    for sheet, title, lines, columns in sheets:
        sheet.title = title
        sheet.append([label for _, label, _ in columns])
        for row in _sheet_rows(lines, columns):
            sheet.append([neutralise(v) if isinstance(v, str) else v for v in row])
        for index, (_, label, kind) in enumerate(columns, start=1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = max(8, len(label) * 2 + 2)
            fmt = {RATE: "0.0%", HOURS: "0.0"}.get(kind)
            if fmt:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = fmt
        sheet.freeze_panes = "B2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def cell_text(value, kind: str) -> str:
    """A figure as printed: a rate as 50%, hours with one decimal, nothing for none."""
    if value is None:
        return ""
    if kind == RATE:
        return f"{value:.0%}"
    if kind == HOURS:
        return f"{value:.1f}"
    return neutralise(str(value))


def csv_text(assessment: Assessment) -> str:
    """The department lines, a blank line, then the person lines; with a BOM so that Excel on
    the school's Windows PCs reads the Chinese headers as UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out)
    for columns, lines in ((DEPARTMENT_COLUMNS, assessment.departments),
                           (PERSON_COLUMNS, assessment.people)):
        if columns is PERSON_COLUMNS:
            writer.writerow([])
        writer.writerow([label for _, label, _ in columns])
        for f in lines:
            writer.writerow([cell_text(figure_value(f, key), kind) for key, _, kind in columns])
    return "\ufeff" + out.getvalue()


def monthly_report_html(assessment: Assessment, chart_svg: str, *, school_name: str,
                        title: str) -> str:
    """The monthly report's HTML (templates/forms/monthly_report.html), chart inline."""
    from markupsafe import Markup

    columns = {key: (label, kind) for key, label, kind in FIGURE_COLUMNS}
    shown = [(key, *columns[key]) for key in REPORT_KEYS]
    return form_environment().get_template("monthly_report.html").render(
        school_name=school_name, title=title, assessment=assessment, columns=shown,
        cell=cell_text, value=figure_value,
        chart=Markup(chart_svg),  # noqa: S704 (built by records.charts, every text escaped)
        made_at=assessment.now.astimezone(SCHOOL_TZ).strftime("%Y-%m-%d %H:%M"))


def monthly_report_pdf(renderer, assessment: Assessment, chart_svg: str, *, school_name: str,
                       title: str) -> bytes:
    """The monthly report as PDF bytes, unsigned (a working paper for the supervision group,
    not a record of a handover). `renderer` is a signing.Renderer."""
    html = monthly_report_html(assessment, chart_svg, school_name=school_name, title=title)
    return renderer.render(html).pdf


def on_time_chart(session, last: Period, now, *, months: int = 12) -> str:
    """The chart of `Figures.on_time_rate` per department over `months` months ending with
    the month of `last`'s last day (page and monthly report draw the same one)."""
    periods = last.months_back(months)
    series = on_time_series(session, periods, now)
    first, final = periods[0].first_day, periods[-1].first_day
    title = (f"各部门综合按时率（{first.year}年{first.month}月至"
             f"{final.year}年{final.month}月）")
    return rate_lines(title, [f"{p.first_day.month}月" for p in periods],
                      {d.label_zh: rates for d, rates in series.items()})


def monthly_report(session, renderer, year: int, month: int, now, *, school_name: str,
                   complaints: Iterable[tuple[str, int | None]] = ()) -> bytes:
    """The month's figures and the chart of the twelve months up to it, as an unsigned PDF."""
    period = Period.month(year, month)
    figures = assess(session, period, now, complaints)
    return monthly_report_pdf(renderer, figures, on_time_chart(session, period, now),
                              school_name=school_name, title=f"{year}年{month}月交接考核月报")
