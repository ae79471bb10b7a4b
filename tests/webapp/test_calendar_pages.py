"""The holiday supplement in use: `handover calendar check`, the warning of `handover remind`,
the administrator's notice on the home page (60 days ahead of a provisional year), a broken
file refused at start, and lists that count days left in a year without official holiday data
(policy T).

The clock is moved to 2098 so that "a year without data" does not depend on which
chinese-calendar or holidays release is installed."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import update

from records.handovers import Handover
from tests.conftest import make_app
from webapp.settings import SettingsError

FAR = datetime(2098, 11, 15, 2, 0, tzinfo=UTC)  # within 60 days of 2099
MID_YEAR = datetime(2098, 6, 1, 2, 0, tzinfo=UTC)  # 2099 still more than 60 days away
BOTH_YEARS = '[2098]\nholidays = ["2098-10-01..2098-10-07"]\n[2099]\nholidays = ["2099-01-01"]\n'


@pytest.fixture
def far_future(monkeypatch):
    for module in ("webapp.cli_handovers", "webapp.home"):
        monkeypatch.setattr(f"{module}.utcnow", lambda: FAR)


@pytest.fixture
def supplemented(tmp_path: Path, instance_template: Path):
    """An app whose holiday supplement declares 2098 and 2099."""
    path = tmp_path / "calendar.toml"
    path.write_text(BOTH_YEARS, encoding="utf-8")
    app = make_app(tmp_path / "supplemented", instance_template, CALENDAR_FILE=str(path))
    yield app
    app.extensions["handover"].close()


def test_calendar_check_says_what_is_provisional_and_how_to_fix_it(runner, far_future):
    r = runner.invoke(args=["calendar", "check"])
    assert r.exit_code == 1
    assert "尚无 2098、2099 年的国务院节假日安排" in r.output and "临时期限" in r.output
    assert "calendar.toml" in r.output and "无法提交" not in r.output
    reminded = runner.invoke(args=["remind"])
    assert reminded.exit_code == 0 and "尚无 2098、2099 年" in reminded.output


def test_next_year_is_named_from_60_days_before_it(runner, monkeypatch):
    monkeypatch.setattr("webapp.cli_handovers.utcnow", lambda: MID_YEAR)
    r = runner.invoke(args=["calendar", "check"])
    assert r.exit_code == 1 and "尚无 2098 年" in r.output and "2099" not in r.output


def test_calendar_check_passes_with_the_supplement(supplemented, far_future):
    runner = supplemented.test_cli_runner()
    r = runner.invoke(args=["calendar", "check"])
    assert r.exit_code == 0, r.output
    assert "2098、2099 年" in r.output and "齐全" in r.output
    assert "尚无" not in runner.invoke(args=["remind"]).output


def test_a_broken_supplement_stops_the_start(tmp_path: Path, instance_template: Path):
    path = tmp_path / "calendar.toml"
    path.write_text('[2098]\nworkdays = ["2098-02-30"]\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="'2098-02-30' 不是日期"):
        make_app(tmp_path / "broken", instance_template, CALENDAR_FILE=str(path))


def test_only_the_administrator_sees_the_missing_year_notice(app, add_staff, login_client,
                                                             far_future):
    admin = login_client(*add_staff("admin", depts=(), admin=True))
    clerk = login_client(*add_staff("clerk", depts=("ENR",)))
    notice = admin.get("/").get_data(as_text=True)
    assert 'id="calendar-missing"' in notice and "2098、2099" in notice and "临时期限" in notice
    assert 'id="calendar-missing"' not in clerk.get("/").get_data(as_text=True)


def test_lists_count_days_left_into_a_year_without_data(
        app, sample_handovers, passwords, login_client, runner):
    number = sample_handovers["waiting"]
    svc = app.extensions["handover"]
    with svc.session_factory() as db:  # due far beyond any year the package knows
        db.execute(update(Handover).where(Handover.number == number)
                   .values(receive_due_at=datetime(2099, 1, 5, 10, tzinfo=UTC)))
        db.commit()
    aca = login_client("aca", passwords["aca"])
    days_left = re.compile(r"剩 \d{4,5} 个工作日")  # counted, provisionally, into 2099
    for page in ("/", "/handovers/", f"/handovers/{number}"):
        r = aca.get(page)
        html = r.get_data(as_text=True)
        assert r.status_code == 200 and days_left.search(html) and "临时期限" in html, page
    listed = runner.invoke(args=["list", "--as", "aca"])
    assert listed.exit_code == 0 and days_left.search(listed.output)
    assert "临时期限" in listed.output
