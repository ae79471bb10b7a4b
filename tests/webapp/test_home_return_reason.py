"""A returned handover's item on its sender's home page says why it came back (issue 14), to
the sender only: the reason may name a student (policy C1, C2)."""

from __future__ import annotations

import re
from html import unescape

REASON = "李浩然的缴费凭证不清晰，请重新上传"


def test_the_home_page_item_of_a_returned_handover_shows_the_reason(app, sample_handovers,
                                                                    passwords, login_client):
    number = sample_handovers["waiting"]
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        wf, aca = svc.workflow(db), svc.accounts(db).get("aca")
        wf.return_(aca, wf.get(aca, number), REASON)
        db.commit()
    home = login_client("enr", passwords["enr"]).get("/").get_data(as_text=True)
    item = re.search(rf'<li class="hrow[^"]*" data-number="{number}">(.*?)</li>', home, re.S)
    assert item, "the returned handover is not on its sender's home page"
    reason = re.search(rf'id="reason-{number}">([^<]*)<', item.group(1))
    assert reason and unescape(reason.group(1)) == f"退回原因：{REASON}"
    # nobody else's home page shows it: not the receiver's, not a colleague's elsewhere
    for other in ("aca", "tea", "sup"):
        assert REASON not in login_client(other, passwords[other]).get("/").get_data(
            as_text=True), other
