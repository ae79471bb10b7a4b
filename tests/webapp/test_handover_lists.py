"""The handover lists through the test client, with the real workflow underneath: rows name
their students only where the viewer reads the content (policy C1, C2), filters and sorts
(codes and dates in the URL, bad ones refused in Chinese with 400), saved filters that are
their owner's only, and the countersignature of several checked handovers with one password,
each signed on its own (one that fails leaves nothing of itself, the others stand)."""

from __future__ import annotations

import re

from sqlalchemy import select

from records.handovers import Status
from records.staff import Staff
from tests.webapp.test_handover_pages import (  # noqa: F401  (fixtures)
    STUDENT_NAME,
    number_of,
    stamp_font_in_template,
    submit_f2,
    world,
)


def numbers(html: str, list_id: str) -> list[str]:
    part = html.split(f'id="{list_id}"', 1)
    return re.findall(r'data-number="(JJ-[^"]+)"', part[1].split("</ul>", 1)[0]) \
        if len(part) > 1 else []


def test_rows_name_students_to_those_who_read_the_content(app, world):  # noqa: F811
    enr, aca, sup = world.as_("enr"), world.as_("aca"), world.as_("sup")
    number = number_of(submit_f2(enr, world.student_id))
    for person in (enr, aca):  # the sender; the receiving department (registry, may sign)
        html = person.get("/handovers/").get_data(as_text=True)
        assert f"学生：{STUDENT_NAME}" in html, person
    assert f"学生：{STUDENT_NAME}" in aca.get("/").get_data(as_text=True)  # home worklist
    html = sup.get("/handovers/").get_data(as_text=True)  # supervision: metadata only
    assert number in html and STUDENT_NAME not in html
    # addressed to a colleague by name: another member of the department sees it as metadata,
    # and so no name, although the registry's work shows them every student elsewhere
    with app.extensions["handover"].session_factory() as db:
        aca_id = db.scalar(select(Staff.id).where(Staff.login == "aca"))
    named = number_of(submit_f2(enr, world.other_id, receiver=str(aca_id)))
    html = world.as_("aca2").get("/handovers/").get_data(as_text=True)
    assert named in html and "李明轩" not in html
    assert "学生：李明轩" in aca.get("/handovers/").get_data(as_text=True)


def test_filters_and_sorting_in_the_url(world):  # noqa: F811
    enr, aca = world.as_("enr"), world.as_("aca")
    first = number_of(submit_f2(enr, world.student_id))
    second = number_of(submit_f2(enr, world.other_id))
    html = aca.get("/handovers/?kind=F2&status=submitted&dept=ENR&sort=number").get_data(
        as_text=True)
    assert numbers(html, "visible") == [first, second]
    html = aca.get("/handovers/?kind=F2&sort=created").get_data(as_text=True)
    assert numbers(html, "visible") == [second, first]
    assert numbers(aca.get("/handovers/?dept=FIN").get_data(as_text=True), "visible") == []
    assert numbers(aca.get("/handovers/?from=2000-01-01&to=2000-01-31").get_data(
        as_text=True), "visible") == []
    assert numbers(aca.get("/handovers/?list=inbox&kind=F4").get_data(as_text=True),
                   "inbox") == []
    for bad, message in (("kind=F99", "交接类型无效"), ("dept=XX", "部门无效"),
                         ("from=2026-13-01", "日期格式应为"), ("sort=name", "排序方式无效"),
                         ("from=2026-05-02&to=2026-05-01", "结束日期不能早于开始日期")):
        r = aca.get(f"/handovers/?{bad}")
        assert r.status_code == 400 and message in r.get_data(as_text=True), bad


def test_saved_filters_are_their_owners(world):  # noqa: F811
    aca, aca2 = world.as_("aca"), world.as_("aca2")
    r = aca.post("/handovers/filters", {"filter_name": "待签收报名", "kind": "F2",
                                        "status": "submitted", "sort": "created"})
    assert r.status_code == 302
    assert r.headers["Location"].endswith("/handovers/?kind=F2&status=submitted&sort=created")
    html = aca.get("/handovers/").get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)" class="saved-filter" data-name="待签收报名"', html)
    assert link and link.group(1).replace("&amp;", "&") == \
        "/handovers/?kind=F2&status=submitted&sort=created"
    assert "待签收报名" not in aca2.get("/handovers/").get_data(as_text=True)
    filter_id = re.search(r'/handovers/filters/(\d+)/delete', html).group(1)
    assert aca2.post(f"/handovers/filters/{filter_id}/delete", {}).status_code == 404
    for bad, message in (({"filter_name": "", "kind": "F2"}, "请填写筛选条件的名称"),
                         ({"filter_name": "空的"}, "请先选择至少一个筛选条件"),
                         ({"filter_name": "x" * 31, "kind": "F2"}, "名称最多 30 个字"),
                         ({"filter_name": "坏的", "kind": "F99"}, "交接类型无效")):
        r = aca.post("/handovers/filters", bad)
        assert r.status_code == 400 and message in r.get_data(as_text=True), bad
    assert aca.client.post("/handovers/filters", data={"filter_name": "无令牌",
                                                       "kind": "F2"}).status_code == 400
    assert aca.post(f"/handovers/filters/{filter_id}/delete", {}).status_code == 302
    assert 'data-name="待签收报名"' not in aca.get("/handovers/").get_data(as_text=True)


def test_bulk_countersign_signs_each_and_reports_each(world):  # noqa: F811
    enr, aca = world.as_("enr"), world.as_("aca")
    made = [number_of(submit_f2(enr, world.student_id)) for _ in range(3)]
    assert enr.post(f"/handovers/{made[2]}/withdraw", {"reason": "重复提交"}).status_code == 302
    inbox = aca.get("/handovers/?list=inbox").get_data(as_text=True)
    assert 'id="bulk-countersign"' in inbox and f'value="{made[0]}" form="bulk-countersign"' \
        in inbox
    # a wrong password signs nothing, and says so of each
    r = aca.post("/handovers/countersign-many", {"number": made[:2], "password": "wrong-1"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and html.count('data-ok="no"') == 2
    assert "登录密码不正确" in html
    assert {world.status(n) for n in made[:2]} == {Status.SUBMITTED}
    # one that cannot be signed (withdrawn meanwhile) fails alone; the others are signed
    r = aca.post("/handovers/countersign-many", {"number": made, "password": aca.password})
    html = r.get_data(as_text=True)
    assert r.status_code == 400, html
    assert re.findall(r'data-number="([^"]+)" data-ok="yes"', html) == made[:2]
    assert re.search(rf'data-number="{made[2]}" data-ok="no">.*未签收：', html)
    assert [world.status(n) for n in made] == [Status.COMPLETED, Status.COMPLETED,
                                               Status.WITHDRAWN]
    # nothing chosen, no password, no CSRF token: refused
    assert aca.post("/handovers/countersign-many", {"password": "x"}).status_code == 400
    assert aca.post("/handovers/countersign-many", {"number": made[0]}).status_code == 400
    assert aca.client.post("/handovers/countersign-many", data={
        "number": made[0], "password": aca.password}).status_code == 400
