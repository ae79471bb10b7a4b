"""The supervision page (policy S1, S2): overdue work across the school and the figures per
department, for the supervision group and the administrator only, metadata only (policy C1)."""

from __future__ import annotations

import csv
import io

import pytest


@pytest.fixture
def signed_in(app, sample_handovers, passwords, login_client):
    return lambda login: login_client(login, passwords[login])


def test_the_supervision_group_sees_overdue_work_and_figures_but_no_content(
        signed_in, sample_handovers):
    sup = signed_in("sup")
    page = sup.get("/supervision/").get_data(as_text=True)
    assert sample_handovers["waiting"] in page and "hrow-overdue" in page
    assert sample_handovers["done"] not in page  # completed: only in the figures
    def cells(dept):
        row = page[page.index(f'data-department="{dept}"'):].split("</tr>")[0]
        return [c.split("</td>")[0].strip() for c in row.split('class="count-cell">')[1:]]

    # ENR sent 2: the completed one late (registered 2026-03-02, same-day rule T1b, sent
    # later), one overdue at ACA, no return, no withdrawal
    assert cells("ENR") == ["2", "0", "1", "1", "0", "0", "0", "0%"]
    # ACA sent nothing but has the overdue one to countersign: marked for a notice
    assert cells("ACA")[:5] == ["0", "0", "0", "0", '<strong class="bad">1</strong>']
    assert "李浩然" not in page and "少儿编程" not in page  # policy C1: no content
    home = sup.get("/").get_data(as_text=True)
    assert 'id="school-overdue"' in home and "<strong>1</strong>" in home
    assert 'href="/supervision/"' in home


def test_others_get_no_page_no_link_and_no_notice(signed_in):
    enr = signed_in("enr")
    assert enr.get("/supervision/").status_code == 403
    assert enr.get("/supervision/figures.csv").status_code == 403
    home = enr.get("/").get_data(as_text=True)
    assert 'href="/supervision/"' not in home and 'id="school-overdue"' not in home


def test_figures_since_a_date_and_a_wrong_date(signed_in):
    sup = signed_in("sup")
    later = sup.get("/supervision/?since=2099-01-01").get_data(as_text=True)
    assert 'id="figures-empty"' in later
    wrong = sup.get("/supervision/?since=next-week")
    assert wrong.status_code == 400
    text = wrong.get_data(as_text=True)
    assert 'id="err-since"' in text and "YYYY-MM-DD" in text and 'data-department="ENR"' in text
    assert sup.get("/supervision/figures.csv?since=next-week").status_code == 400


def test_figures_download_as_csv_for_excel(signed_in):
    r = signed_in("sup").get("/supervision/figures.csv?since=2026-01-01")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "handover-figures-2026-01-01.csv" in r.headers["Content-Disposition"]
    text = r.get_data(as_text=True)
    assert text.startswith("\ufeff")  # Excel reads the Chinese headers as UTF-8
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["部门", "移交", "按时完成"] and "本部门逾期未签收" in rows[0]
    assert rows[1] == ["招生部", "2", "0", "1", "1", "0", "0", "0", "0%"]
    assert rows[2] == ["教务部", "0", "0", "0", "0", "1", "0", "0", ""]
