"""The supervision page (policy S1, S2): overdue work across the school, and the assessment
figures of a period per department and per person, with the chart and the exports (.xlsx, CSV,
the monthly PDF), for the supervision group and the administrator only, metadata only
(policy C1). The figures themselves are counted in tests/records/test_assessment.py."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET

import pytest
from openpyxl import load_workbook

MARCH = "start=2026-03-01&end=2026-03-31"  # the month of the sample's waiting handover


@pytest.fixture
def signed_in(app, sample_handovers, passwords, login_client):
    return lambda login: login_client(login, passwords[login])


def cell(page: str, row: str, key: str) -> str:
    line = page[page.index(row):].split("</tr>")[0]
    return re.search(rf'data-key="{key}" class="count-cell">(.*?)</td>', line).group(1)


def test_the_supervision_group_sees_overdue_work_figures_and_chart_but_no_content(
        signed_in, sample_handovers):
    sup = signed_in("sup")
    r = sup.get(f"/supervision/?{MARCH}")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert sample_handovers["waiting"] in page and "hrow-overdue" in page
    assert "2026-03-01 至 2026-03-31" in page
    assert cell(page, 'data-department="ENR"', "submitted") == "1"
    assert cell(page, 'data-staff=', "submitted") == "1" and "王晓燕" in page
    svg = page[page.index("<svg"):page.index("</svg>") + 6]
    ET.fromstring(svg)  # the chart, drawn on the server, well-formed
    # the chart is drawn on the server: the page runs no script but the site's own (layout.js)
    scripts = re.findall(r"<script[^>]*>", page.lower())
    assert "各部门综合按时率（2025年4月至2026年3月）" in svg and scripts == [
        '<script src="/static/layout.js" defer>']
    assert 'href="/supervision/figures.xlsx?start=2026-03-01&amp;end=2026-03-31"' in page
    assert 'href="/supervision/monthly.pdf?month=2026-03"' in page
    assert "李浩然" not in page and "少儿编程" not in page  # policy C1: no content
    home = sup.get("/").get_data(as_text=True)
    assert 'id="school-overdue"' in home and 'href="/supervision/"' in home


def test_this_month_by_default(signed_in):
    page = signed_in("sup").get("/supervision/").get_data(as_text=True)
    assert 'id="figures-table"' in page  # the completed sample was submitted just now
    assert 'id="start"' in page and 'id="end"' in page


def test_others_get_no_page_no_exports_no_link(signed_in):
    tea = signed_in("tea")
    for url in ("/supervision/", "/supervision/figures.csv", "/supervision/figures.xlsx",
                "/supervision/monthly.pdf"):
        assert tea.get(url).status_code == 403, url
    home = tea.get("/").get_data(as_text=True)
    assert 'href="/supervision/"' not in home and 'id="school-overdue"' not in home


def test_a_period_in_the_future_and_wrong_dates(signed_in):
    sup = signed_in("sup")
    later = sup.get("/supervision/?start=2099-01-01&end=2099-01-31").get_data(as_text=True)
    assert 'id="figures-empty"' in later and 'id="people-empty"' in later
    wrong = sup.get("/supervision/?start=next-week")
    assert wrong.status_code == 400
    text = wrong.get_data(as_text=True)
    assert 'id="err-period"' in text and "YYYY-MM-DD" in text
    backwards = sup.get("/supervision/?start=2026-03-31&end=2026-03-01")
    assert backwards.status_code == 400 and "不能早于" in backwards.get_data(as_text=True)
    assert sup.get("/supervision/figures.csv?start=next-week").status_code == 400
    assert sup.get("/supervision/monthly.pdf?month=2026-13").status_code == 400


def test_figures_download_as_csv_and_xlsx(signed_in):
    sup = signed_in("sup")
    r = sup.get(f"/supervision/figures.csv?{MARCH}")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "handover-figures-2026-03-01-2026-03-31.csv" in r.headers["Content-Disposition"]
    text = r.get_data(as_text=True)
    assert text.startswith("\ufeff")  # Excel reads the Chinese headers as UTF-8
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["部门", "到期应交", "按时交"] and "逾期未签收" in rows[0]
    assert rows[1][0] == "招生部" and rows[1][rows[0].index("移交")] == "1"
    x = sup.get(f"/supervision/figures.xlsx?{MARCH}")
    assert x.status_code == 200 and x.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(x.data))
    assert book.sheetnames == ["部门", "个人"]
    assert book["个人"]["A2"].value == "王晓燕"


def test_monthly_report_pdf(signed_in):
    r = signed_in("sup").get("/supervision/monthly.pdf?month=2026-03")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.data.startswith(b"%PDF")
    assert "handover-report-2026-03.pdf" in r.headers["Content-Disposition"]
