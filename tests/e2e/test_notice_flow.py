"""A rectification notice (policy S1) in real browsers: the supervision group issues one to a
department from the supervision page, a member of that department sees it on their home page
and answers, and the group closes it. Screenshots for the user guide."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.e2e.test_handover_flow import signed_in

pytestmark = pytest.mark.e2e


def test_issue_answer_and_close_in_two_browsers(browser, live_server, sample_handovers,
                                                passwords, screenshot):
    sup_context, sup = signed_in(browser, live_server, "sup", passwords["sup"])
    sup.click("nav.mainnav >> text=监督")
    sup.click("#nav-notices")
    sup.select_option("#to_dept", "ACA")
    sup.fill("#handovers", sample_handovers["waiting"])
    sup.fill("#findings", "报名信息交接单逾期未签收。请说明原因，并写明今后如何保证当日签收。")
    sup.fill("#reply_by", (date.today() + timedelta(days=5)).isoformat())
    sup.evaluate("window.scrollTo(0, 0)")
    screenshot(sup, "notice-issue")
    sup.click("#issue-submit")
    sup.wait_for_selector("#notice-state")
    assert sup.inner_text("#notice-state") == "待答复"
    notice_url = sup.url
    number = notice_url.rsplit("/", 1)[1]

    aca_context, aca = signed_in(browser, live_server, "aca", passwords["aca"])
    assert number in aca.inner_text("#notices-waiting")
    aca.click(f"#notices-waiting >> text={number}")
    aca.wait_for_selector("#answer-card")
    aca.fill("#answer", "已于当日补签；今后每天下班前由专人核对待签收交接单。")
    screenshot(aca, "notice-answer")
    aca.click("#answer-submit")
    aca.wait_for_selector("#notice-state >> text=已答复")
    assert aca.locator("#answer-card").count() == 0
    aca_context.close()

    sup.goto(notice_url)
    assert "今后每天下班前" in sup.inner_text("#notice-events")
    sup.fill("#close-note", "整改到位。")
    sup.click("#close-submit")
    sup.wait_for_selector("#notice-state >> text=已关闭")
    assert sup.locator("#notice-events li").count() == 3
    sup_context.close()
