"""Plain bad input on the student pages (issue 12: each of these was a 500): letters in a phone
number on the add form and the lookup, an empty lookup, a CSV field over the csv module's
limit and a hostile .xlsx on the import page. Each is a 400 with a Chinese message, and
nothing is stored."""

from __future__ import annotations

import io

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.records import xlsx_attacks
from tests.webapp.test_student_pages import (
    count_students,
    csrf_of,
    post_form,
    signed_in,
    upload,
)


def upload_in_memory(client, data: bytes, name: str):
    """As `upload`, with the body made in memory: the test client spools a body over 500 KB to
    a temporary file that it never closes (a ResourceWarning, i.e. an error here)."""
    token = csrf_of(client.get("/students/import").get_data(as_text=True))
    file = FileStorage(io.BytesIO(data), filename=name)
    boundary, body = encode_multipart({"csrf_token": token, "file": file})
    return client.post("/students/import", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


@pytest.fixture
def enr(app, add_staff):
    return signed_in(app, add_staff, "enr", ("ENR",))


@pytest.mark.parametrize("phone", ["138abcd1234", "", "   ", "+", "电话"])
def test_phone_lookup_with_no_number_is_a_400(enr, phone):
    r = post_form(enr, "/students/", {"phone": phone})
    assert r.status_code == 400 and "请输入完整的 11 位手机号码" in r.get_data(as_text=True)


def test_letters_in_a_new_students_phone_are_a_400(app, enr):
    r = post_form(enr, "/students/new", {"name": "孙浩然", "guardian_name": "孙父",
                                         "guardian_phone": "138abcd1234", "phone": "x"})
    assert r.status_code == 400
    assert "手机号码应为 11 位数字" in r.get_data(as_text=True)
    assert count_students(app) == 0


@pytest.mark.parametrize(("data", "name", "message"), [
    (("姓名,监护人电话\r\n\"" + "长" * 140_000 + "\",13600001111\r\n").encode(), "名单.csv",
     "无法读取"),
    (xlsx_attacks.blank_rows(400_000), "名单.xlsx", "空行"),
    (xlsx_attacks.external_entity(), "名单.xlsx", "DTD"),
    (xlsx_attacks.entity_expansion(), "名单.xlsx", "DTD"),
    (xlsx_attacks.zip_bomb(2048), "名单.xlsx", "解压后超过"),
])
def test_hostile_import_files_are_a_400(app, enr, data, name, message):
    r = upload_in_memory(enr, data, name)
    assert r.status_code == 400 and message in r.get_data(as_text=True)
    assert count_students(app) == 0


def test_a_formula_cell_holding_text_imports_its_value(app, enr):
    r = upload(enr, xlsx_attacks.formula_holding_text(), "名单.xlsx")
    assert r.status_code == 200 and "监护人电话" in r.get_data(as_text=True)
    assert count_students(app) == 0  # row 3 has problems: nothing imported without the tick
