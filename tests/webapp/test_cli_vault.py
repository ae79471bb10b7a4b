"""The vault, audit, keys, backup and restore commands, end to end on a real instance."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.webapp.backup_env import empty_app, passphrase_file


def _put_documents(app, n=3):
    svc = app.extensions["handover"]
    with app.app_context():
        return {svc.vault.put(f"文档 {i} 内容".encode() * 50, actor="tester", reason="test"):
                f"文档 {i} 内容".encode() * 50 for i in range(n)}


def test_audit_verify_and_show(app, runner, add_staff):
    add_staff("enr")
    _put_documents(app)
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0 and "访问日志（文件）完整" in ok.output  # SQLite: the file ledger
    shown = runner.invoke(args=["audit", "show", "--action", "vault.put", "--json"])
    lines = [json.loads(line) for line in shown.output.splitlines()]
    assert len(lines) == 3 and all(e["actor"] == "tester" for e in lines)
    # Tamper with the middle of the chain: verify exits 1 and names the entry.
    ledger_file = Path(app.instance_path) / "ledger" / "ledger.jsonl"
    entries = ledger_file.read_text().splitlines()
    entries[1] = entries[1].replace('"tester"', '"intruder"').replace('"system"', '"intruder"')
    ledger_file.write_text("\n".join(entries) + "\n")
    bad = runner.invoke(args=["audit", "verify"])
    assert bad.exit_code == 1 and "第 2 条" in bad.output


def test_vault_check_rotate_retire(app, runner):
    docs = _put_documents(app)
    assert runner.invoke(args=["vault", "check"]).exit_code == 0
    rotated = runner.invoke(args=["vault", "rotate"])
    assert rotated.exit_code == 0 and "kek v2" in rotated.output
    retired = runner.invoke(args=["vault", "retire"])
    assert "kek v1" in retired.output
    with app.app_context():
        vault = app.extensions["handover"].vault
        assert all(vault.get(i, actor="t", reason="check") == d for i, d in docs.items())
    victim = next(Path(app.instance_path, "vault").rglob("*.obj"))
    data = bytearray(victim.read_bytes())
    data[-5] ^= 0x01
    victim.write_bytes(bytes(data))
    bad = runner.invoke(args=["vault", "check"])
    assert bad.exit_code == 1 and victim.stem in bad.output


def test_backup_then_restore_into_a_fresh_instance(app, runner, tmp_path, add_staff,
                                                    app_factory):
    add_staff("enr", name="王晓燕")
    docs = _put_documents(app, 4)
    backup, keys, phrase = tmp_path / "backup", tmp_path / "keys.backup", passphrase_file(tmp_path)
    out = runner.invoke(args=["backup", str(backup)])
    assert out.exit_code == 0 and "4 个加密文件" in out.output, out.output
    assert not (backup / "keys").exists() and (backup / "pki" / "ca.key.sealed").exists()
    exported = runner.invoke(args=["keys", "export", str(keys), "--passphrase-file", str(phrase)])
    assert exported.exit_code == 0, exported.output

    # another school's instance holds other keys: importing over them is refused
    other = app_factory("other").test_cli_runner()
    clash = other.invoke(args=["keys", "import", str(keys), "--passphrase-file", str(phrase)])
    assert clash.exit_code == 1 and "密钥冲突" in clash.output

    fresh = empty_app(tmp_path / "fresh")
    cli = fresh.test_cli_runner()
    no_keys = cli.invoke(args=["restore", str(backup)])
    assert no_keys.exit_code == 1 and "keys import" in no_keys.output
    imported = cli.invoke(args=["keys", "import", str(keys), "--passphrase-file", str(phrase)])
    assert imported.exit_code == 0, imported.output
    # `init` now would make a new school CA: refused, pointing at restore
    init = cli.invoke(args=["init"])
    assert init.exit_code == 1 and "handover restore" in init.output
    assert not (tmp_path / "fresh" / "pki").exists()
    restored = cli.invoke(args=["restore", str(backup)])
    assert restored.exit_code == 0 and "4 个加密文件" in restored.output, restored.output
    check = cli.invoke(args=["vault", "check"])
    assert check.exit_code == 0 and "已校验 4 个加密文件" in check.output, check.output
    verify = cli.invoke(args=["audit", "verify"])
    assert verify.exit_code == 0, verify.output
    with fresh.app_context():
        vault = fresh.extensions["handover"].vault
        assert all(vault.get(i, actor="t", reason="check") == d for i, d in docs.items())
    assert "王晓燕" in cli.invoke(args=["user", "list"]).output
    again = cli.invoke(args=["restore", str(backup)])
    assert again.exit_code == 1 and "空" in again.output
    fresh.extensions["handover"].close()


def test_damaged_backup_restores_nothing(app, runner, tmp_path, app_factory):
    _put_documents(app)
    backup = tmp_path / "backup"
    runner.invoke(args=["backup", str(backup)])
    with open(backup / "database.jsonl", "a", encoding="utf-8") as fh:
        fh.write('{"table": "staff", "row": {}}\n')
    fresh = app_factory("other")
    r = fresh.test_cli_runner().invoke(args=["restore", str(backup)])
    assert r.exit_code == 1 and "database.jsonl" in r.output
    assert not any(Path(fresh.instance_path, "vault").glob("**/*.obj"))


def test_field_key_rotation_reencrypts_and_reindexes(app, runner):
    from sqlalchemy import text

    from records.students import StudentInput

    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        sid = svc.students(db).add(StudentInput("周子轩", "男", "2013-09-09", "", "西湖区", "",
                                                "周强", "13700002222"), actor_id=None,
                                   actor="t").id
        db.commit()

    def raw():
        with svc.engine.connect() as conn:
            return conn.execute(text("SELECT name, guardian_phone_bidx FROM student WHERE id=:i"),
                                {"i": sid}).one()

    before = raw()
    assert before.name.startswith("f1.") and before.guardian_phone_bidx.startswith("b1.")
    out = runner.invoke(args=["keys", "rotate-fields"])
    assert out.exit_code == 0, out.output
    after = raw()
    assert after.name.startswith("f2.") and after.guardian_phone_bidx.startswith("b2.")
    assert 1 in svc.keyring.retired("field") and 1 in svc.keyring.retired("blind")
    with svc.session_factory() as db:
        students = svc.students(db)
        assert [s.id for s in students.find_by_phone("13700002222")] == [sid]
        assert students.get(sid, actor="t", reason="check").name == "周子轩"


def test_audit_verify_finds_what_the_ledger_and_the_database_disagree_on(
        app, runner, sample_handovers):
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0 and "一致" in ok.output, ok.output
    waiting = sample_handovers["waiting"]
    # an entry claiming a countersignature the database never committed
    app.extensions["handover"].ledger.append(actor="aca", action="handover.countersign",
                                             subject=f"handover:{waiting}")
    bad = runner.invoke(args=["audit", "verify"])
    assert bad.exit_code == 1 and f"{waiting} handover.countersign" in bad.output
    assert "数据库中不存在" in bad.output


def test_vault_check_repair_discards_only_old_unreferenced_objects(app, runner,
                                                                   sample_handovers):
    import time_machine

    svc = app.extensions["handover"]
    stray = svc.vault.put(b"%PDF-1.4 never referenced", actor="t", reason="测试")
    kept = set(svc.vault.object_ids()) - {stray}
    young = runner.invoke(args=["vault", "check", "--repair"])
    assert young.exit_code == 0 and "未被任何记录引用 1 个" in young.output
    assert "已删除 0 个" in young.output and svc.vault.exists(stray)
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=2)):
        repaired = runner.invoke(args=["vault", "check", "--repair"])
    assert repaired.exit_code == 0 and "已删除 1 个" in repaired.output, repaired.output
    assert not svc.vault.exists(stray) and set(svc.vault.object_ids()) == kept
    assert [e.action for e in svc.ledger.entries(subject=stray)][-1] == "vault.discard"
