"""`handover demo` works on every date (policy T): its dates are counted from the day it runs,
so it neither refuses a trigger date "in the future" nor stops at a year the State Council has
not announced. The clock is moved with time-machine: a future date cannot be had otherwise."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import time_machine


@pytest.mark.slow
@pytest.mark.parametrize("moment", [datetime(2026, 12, 20, 2, 0, tzinfo=UTC),
                                    datetime(2027, 6, 1, 2, 0, tzinfo=UTC)])
def test_the_demo_runs_on_any_date_with_realistic_obligations(runner, moment):
    with time_machine.travel(moment, tick=True):
        first = runner.invoke(args=["demo"])
        assert first.exit_code == 0, first.output
        assert "已生成 19 份示例交接单" in first.output and "整改通知 ZG-" in first.output
        rows = [json.loads(line) for line in runner.invoke(
            args=["list", "--as", "sup", "--json"]).stdout.splitlines()]
        texts = {r["kind"]: r["due_text"] for r in rows}
        assert texts["F2"] == "移交逾期" and texts["F8"] == "按时完成"  # late and on time
        owed = [json.loads(line) for line in runner.invoke(
            args=["owed", "--as", "tea", "--json"]).stdout.splitlines()]
        reports = [o for o in owed if o["kind"] == "F6"]
        assert any(o["overdue"] for o in reports)  # one weekly report is overdue
