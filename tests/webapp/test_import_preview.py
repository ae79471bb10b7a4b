"""The import preview (issue 16): an upload imports nothing until it is confirmed; the page
shows the first rows as understood and the mapping of each column, which the user may change
(the change takes effect); the file waits encrypted in the vault, for its uploader only, and an
abandoned or expired preview leaves nothing behind, in clear or encrypted. The .xlsx template
checks what is typed (data validation)."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import select, update

from records.clock import utcnow
from records.import_uploads import ImportUpload
from records.students import Student
from tests.webapp.test_student_pages import count_students, post_form, signed_in, upload

FILE = ("学生,电话号码,生日\n"  # headers the import does not know: mapped on the preview
        "欧阳明月,13700004444,2015年3月12日\n").encode()


def pending_of(html: str) -> str:
    return re.search(r'name="pending" value="([0-9a-f]+)"', html).group(1)


def uploads(app) -> list[str]:
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        return list(db.scalars(select(ImportUpload.object_id)))


def clear_copies(app, text: str) -> list[str]:
    """Files of the instance that hold `text` in clear (UTF-8 or GB18030)."""
    folder = app.extensions["handover"].instance
    needles = (text.encode("utf-8"), text.encode("gb18030"))
    return [str(p) for p in folder.rglob("*") if p.is_file()
            and any(n in p.read_bytes() for n in needles)]


def test_a_mapping_changed_on_the_preview_takes_effect(app, add_staff):
    client = signed_in(app, add_staff, "enr", ("ENR",))
    html = upload(client, FILE).get_data(as_text=True)
    assert 'id="import-preview"' in html and 'id="column-mapping"' in html
    assert "无法识别的列名" in html and count_students(app) == 0
    pending = pending_of(html)
    chosen = {"pending": pending, "mapped": "1", "map_0": "name", "map_1": "guardian_phone",
              "map_2": "birth_date"}
    again = post_form(client, "/students/import", {**chosen, "action": "preview"})
    page = again.get_data(as_text=True)
    assert "无法识别的列名" not in page and count_students(app) == 0  # still only a preview
    assert re.search(r'<td data-label="出生日期">2015-03-12</td>', page)  # as understood
    done = post_form(client, "/students/import", {**chosen, "action": "import"})
    assert "已导入 1 名学生" in done.get_data(as_text=True)
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        student = db.scalars(select(Student)).one()
        assert (student.name, student.birth_date) == ("欧阳明月", "2015-03-12")
    assert uploads(app) == []  # imported: the kept file is gone


def test_an_abandoned_preview_stores_nothing(app, add_staff):
    client = signed_in(app, add_staff, "enr", ("ENR",))
    pending = pending_of(upload(client, FILE).get_data(as_text=True))
    vault = app.extensions["handover"].vault
    assert vault.exists(pending) and uploads(app) == [pending]
    assert clear_copies(app, "欧阳明月") == []  # kept encrypted, never in clear
    r = post_form(client, "/students/import/abandon", {"pending": pending})
    assert r.status_code == 302
    assert not vault.exists(pending) and uploads(app) == [] and count_students(app) == 0
    assert clear_copies(app, "欧阳明月") == []
    late = post_form(client, "/students/import", {"pending": pending, "action": "import"})
    assert late.status_code == 400 and count_students(app) == 0


def test_a_preview_nobody_comes_back_to_expires(app, add_staff):
    client = signed_in(app, add_staff, "enr", ("ENR",))
    pending = pending_of(upload(client, FILE).get_data(as_text=True))
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        db.execute(update(ImportUpload).values(expires_at=utcnow() - timedelta(minutes=1)))
        db.commit()
    other = signed_in(app, add_staff, "aca", ("ACA",))
    assert other.get("/students/import").status_code == 200  # any import request sweeps
    assert not svc.vault.exists(pending) and uploads(app) == []


def test_the_xlsx_template_validates_what_is_typed(app, add_staff):
    client = signed_in(app, add_staff, "enr", ("ENR",))
    r = client.get("/students/import/template.xlsx")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(r.data)).active
    headers = [c.value for c in sheet[1]]
    assert headers[:3] == ["学号", "姓名", "性别"] and headers[-1] == "班级"
    rules = {str(v.sqref).split(":")[0]: v for v in sheet.data_validations.dataValidation}
    column = {h: chr(ord("A") + i) for i, h in enumerate(headers)}
    assert rules[f"{column['性别']}2"].formula1 == '"男,女"'
    assert rules[f"{column['出生日期']}2"].type == "date"
    assert rules[f"{column['身份证号']}2"].type == "textLength"
    assert sheet[f"{column['身份证号']}2"].number_format == "@"  # never 3.10105E+17
