"""`handover user set-role`: the administrator names who handles a department's work (policy
C1); bad input exits non-zero with a Chinese message and changes nothing."""

from __future__ import annotations

from records.departments import Department
from records.staff import Role


def _role(app, login: str, dept: Department) -> Role | None:
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        return svc.accounts(db).get(login).role_in(dept)


def test_set_role_names_a_deputy_and_back(app, runner, add_staff):
    add_staff("wang", depts=("TEA", "ACA"))
    r = runner.invoke(args=["user", "set-role", "wang", "tea", "deputy"])
    assert r.exit_code == 0, r.output
    assert "副负责人" in r.output
    assert _role(app, "wang", Department.TEA) is Role.DEPUTY
    assert _role(app, "wang", Department.ACA) is Role.MEMBER
    assert "教学部副负责人" in runner.invoke(args=["user", "list"]).output
    assert runner.invoke(args=["user", "set-role", "wang", "TEA", "member"]).exit_code == 0
    assert _role(app, "wang", Department.TEA) is Role.MEMBER


def test_set_role_refuses_bad_input(app, runner, add_staff):
    add_staff("wang", depts=("TEA",))
    for args, message in ((["wang", "TEA", "boss"], "未知角色"),
                          (["wang", "XYZ", "head"], "未知部门代码"),
                          (["wang", "FIN", "head"], "不属于财务部"),
                          (["nobody", "TEA", "head"], "未找到用户")):
        r = runner.invoke(args=["user", "set-role", *args])
        assert r.exit_code != 0 and message in r.output, (args, r.output)
        assert "Traceback" not in r.output
    assert _role(app, "wang", Department.TEA) is Role.MEMBER
