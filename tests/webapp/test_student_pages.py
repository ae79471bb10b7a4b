"""The student registry pages through the test client: who sees which students, what the ledger
records, the phone lookup that stays out of URLs, the add form and the spreadsheet import."""

from __future__ import annotations

import io
import json
import re

import pytest

from records.students import Student, StudentInput

ZHANG = StudentInput("张子涵", "女", "2015-03-12", "", "杭州市西湖区", "", "张伟", "13812345678")
LI = StudentInput("李明轩", "男", "2014-09-01", "13598765432", "", "", "李强", "")


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def sign_in(client, login, password):
    token = csrf_of(client.get("/login").get_data(as_text=True))
    r = client.post("/login", data={"csrf_token": token, "login": login, "password": password})
    assert r.status_code == 302


@pytest.fixture
def registry(app):
    """Two students in the registry; returns their ids by short name."""
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        students = svc.students(db)
        ids = {"zhang": students.add(ZHANG, actor_id=None, actor="seed").id,
               "li": students.add(LI, actor_id=None, actor="seed").id}
        db.commit()
    return ids


def signed_in(app, add_staff, login, depts):
    client = app.test_client()
    sign_in(client, *add_staff(login, depts=depts))
    return client


def post_form(client, path, data, **kw):
    token = csrf_of(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data}, **kw)


def ledger(app, action):
    return list(app.extensions["handover"].ledger.entries(action=action))


def count_students(app) -> int:
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        return svc.students(db).count()


def test_teacher_without_handovers_sees_no_student(app, add_staff, registry):
    client = signed_in(app, add_staff, "tea", ("TEA",))
    r = client.get("/students/")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="students-empty"' in html and "C3" in html
    assert "张子涵" not in html and "XS-" not in html
    assert client.get(f"/students/{registry['zhang']}").status_code == 404
    assert client.get("/students/999999").status_code == 404
    assert ledger(app, "student.list") == [] and ledger(app, "student.view") == []


def test_enrollment_sees_the_list_and_the_view_is_recorded_with_ids_only(app, add_staff,
                                                                         registry):
    client = signed_in(app, add_staff, "enr", ("ENR",))
    html = client.get("/students/").get_data(as_text=True)
    assert "张子涵" in html and "李明轩" in html
    assert "138****5678" in html and "13812345678" not in html
    entries = ledger(app, "student.list")
    assert len(entries) == 1
    assert entries[0].actor == "enr"
    assert sorted(entries[0].context["ids"]) == sorted(registry.values())
    line = json.dumps(entries[0].as_dict(), ensure_ascii=False)
    for private in ("张子涵", "李明轩", "13812345678", "张伟"):
        assert private not in line


def test_search_by_student_number(app, add_staff, registry):
    client = signed_in(app, add_staff, "aca", ("ACA",))
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        number = db.get(Student, registry["li"]).student_no
    html = client.get(f"/students/?q={number}").get_data(as_text=True)
    assert "李明轩" in html and "张子涵" not in html


def test_phone_lookup_finds_the_student_and_keeps_the_number_out_of_urls(app, add_staff,
                                                                         registry):
    client = signed_in(app, add_staff, "enr", ("ENR",))
    r = post_form(client, "/students/", {"phone": "13812345678"}, follow_redirects=True)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "张子涵" in html and "李明轩" not in html
    assert all("13812345678" not in x.request.url for x in [r, *r.history])
    urls = re.findall(r'(?:href|action|src)="([^"]*)"', html)
    assert urls and not any("1381234" in u or "5678" in u for u in urls)
    assert "13812345678" not in html  # not even echoed back into the form
    entry = ledger(app, "student.list")[-1]
    assert entry.context == {"ids": [registry["zhang"]], "via": "phone"}


def test_detail_page_shows_every_field_and_is_recorded(app, add_staff, registry):
    client = signed_in(app, add_staff, "enr", ("ENR",))
    html = client.get(f"/students/{registry['zhang']}").get_data(as_text=True)
    assert "杭州市西湖区" in html and "13812345678" in html and "张伟" in html
    assert [e.subject for e in ledger(app, "student.view")] == [f"student:{registry['zhang']}"]


def test_add_with_a_bad_phone_shows_the_message_next_to_the_field(app, add_staff):
    client = signed_in(app, add_staff, "enr", ("ENR",))
    r = post_form(client, "/students/new", {"name": "王一诺", "gender": "女",
                                            "birth_date": "2016-01-02",
                                            "guardian_phone": "1381234"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    field = re.search(r'<div class="field has-error[^"]*">(.*?)</div>', html, re.S).group(1)
    assert 'name="guardian_phone"' in field and "手机号码应为 11 位数字" in field
    assert count_students(app) == 0


def test_add_then_duplicate(app, add_staff):
    client = signed_in(app, add_staff, "aca", ("ACA",))
    data = {"name": "王一诺", "gender": "女", "birth_date": "2016-01-02",
            "guardian_phone": "13900001111"}
    r = post_form(client, "/students/new", data)
    assert r.status_code == 302 and "/students/" in r.headers["Location"]
    again = post_form(client, "/students/new", data)
    assert again.status_code == 409
    assert "该学生已登记" in again.get_data(as_text=True)
    assert count_students(app) == 1


@pytest.mark.parametrize("path", ["/students/new", "/students/import"])
def test_only_enrollment_and_academic_affairs_may_register(app, add_staff, path):
    client = signed_in(app, add_staff, "fin", ("FIN",))
    assert client.get(path).status_code == 403
    assert client.post(path, data={}).status_code in (400, 403)  # CSRF or permission
    token = csrf_of(client.get("/students/").get_data(as_text=True))
    assert client.post(path, data={"csrf_token": token, "name": "王一诺"}).status_code == 403
    assert count_students(app) == 0


IMPORT_CSV = (
    "姓名,性别,出生日期,监护人,监护人电话\n"
    "陈思远,男,2015-04-01,陈刚,13700001111\n"   # row 2: good
    "周雨桐,女,2015-05-02,周敏,1370000\n"        # row 3: bad phone
    "陈思远,男,2015-04-01,陈刚,13700001111\n"   # row 4: duplicate of row 2
    ",女,2015-06-03,吴军,13700002222\n"         # row 5: no name
    "赵可欣,女,2016-07-04,赵磊,13700003333\n"   # row 6: good
)


def upload(client, data: bytes, name="名单.csv"):
    return post_form(client, "/students/import",
                     {"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def report_rows(html: str) -> list[tuple[str, str, str]]:
    body = re.search(r'id="import-report">.*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    return re.findall(r"<tr><td[^>]*>(.*?)</td><td[^>]*>(.*?)</td><td[^>]*>(.*?)</td></tr>",
                      body)


def test_import_reports_each_problem_and_imports_nothing_then_good_rows_only(app, add_staff):
    client = signed_in(app, add_staff, "enr", ("ENR",))
    r = upload(client, IMPORT_CSV.encode("utf-8"))
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert report_rows(html) == [
        ("3", "监护人电话", "手机号码应为 11 位数字（以 1 开头）。"),
        ("4", "姓名", "与第 2 行重复（姓名与出生日期相同）。"),
        ("5", "姓名", "姓名不能为空。"),
    ]
    report = re.search(r'id="import-report">(.*?)</table>', html, re.S).group(1)
    assert "周雨桐" not in report  # the report echoes no value; the preview (the importer's
    assert ">1370000<" not in html  # own file, as understood) never shows a refused one
    assert count_students(app) == 0
    pending = re.search(r'name="pending" value="([0-9a-f]+)"', html).group(1)

    # Submitting again without the tick still imports nothing.
    again = post_form(client, "/students/import", {"pending": pending})
    assert 'id="import-refused"' in again.get_data(as_text=True) and count_students(app) == 0

    done = post_form(client, "/students/import", {"pending": pending, "good_rows_only": "1"})
    assert "已导入 2 名学生" in done.get_data(as_text=True)
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        names = sorted(s.name for s in db.query(Student))
    assert names == ["赵可欣", "陈思远"]
    # The kept file was read back from the vault, not from a clear file on disk.
    reads = [e for e in svc.ledger.entries(action="vault.get") if e.subject == pending]
    assert len(reads) == 2


def test_import_pending_file_is_bound_to_the_session(app, add_staff):
    owner = signed_in(app, add_staff, "enr", ("ENR",))
    html = upload(owner, IMPORT_CSV.encode("utf-8")).get_data(as_text=True)
    pending = re.search(r'name="pending" value="([0-9a-f]+)"', html).group(1)
    other = signed_in(app, add_staff, "aca", ("ACA",))
    r = post_form(other, "/students/import", {"pending": pending, "good_rows_only": "1"})
    assert r.status_code == 400 and count_students(app) == 0


def test_import_of_a_clean_xlsx_is_previewed_then_imported(app, add_staff, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["姓名", "出生日期", "监护人电话"])
    book.active.append(["孙浩然", "2015-02-03", "13600001111"])
    path = tmp_path / "list.xlsx"
    book.save(path)
    client = signed_in(app, add_staff, "aca", ("ACA",))
    html = upload(client, path.read_bytes(), "名单.xlsx").get_data(as_text=True)
    assert 'id="import-preview"' in html and count_students(app) == 0  # nothing before "确认"
    pending = re.search(r'name="pending" value="([0-9a-f]+)"', html).group(1)
    done = post_form(client, "/students/import", {"pending": pending, "action": "import"})
    assert "已导入 1 名学生" in done.get_data(as_text=True) and count_students(app) == 1


def test_import_refuses_a_file_that_is_not_a_list(app, add_staff):
    client = signed_in(app, add_staff, "enr", ("ENR",))
    r = upload(client, b"%PDF-1.7 not a list", "scan.pdf")
    assert r.status_code == 400 and "只支持 .csv 和 .xlsx" in r.get_data(as_text=True)


def test_import_template_has_the_chinese_headers(app, add_staff):
    client = signed_in(app, add_staff, "enr", ("ENR",))
    r = client.get("/students/import/template.csv")
    assert r.mimetype == "text/csv"
    text = r.data.decode("utf-8-sig")
    assert text.splitlines()[0].split(",")[:4] == ["姓名", "性别", "出生日期", "手机"]


def test_detail_lists_the_handovers_about_the_student(app, add_staff):
    from tests.webapp.test_verify_pages import PASSWORDS, completed_handover

    number, _ = completed_handover(app)  # about 张子涵, sent by enr, countersigned by aca
    client = app.test_client()
    sign_in(client, "enr", PASSWORDS["enr"])
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        student_id = svc.students(db).find_by_phone("13812345678")[0].id
    html = client.get(f"/students/{student_id}").get_data(as_text=True)
    items = re.search(r'id="student-handovers">(.*?)</ul>', html, re.S).group(1)
    assert f'href="/handovers/{number}"' in items and "已完成" in items
    # Another enrollment officer sees the student (whole registry) but not that handover.
    other = signed_in(app, add_staff, "enr2", ("ENR",))
    html = other.get(f"/students/{student_id}").get_data(as_text=True)
    assert "张子涵" in html and number not in html
