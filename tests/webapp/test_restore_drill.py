"""Restore drill (issue 11): the school back on a new machine from one backup and one key
export, step by step as docs/operations.md tells the administrator; and the refusals on the
way (wrong passphrase, another school's keys, a tampered backup)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from records.departments import Department
from records.workflow import Upload
from tests.canary import assert_absent
from tests.webapp.backup_env import empty_app, passphrase_file
from vault import Keyring

SCAN = b"%PDF-1.4\n% scan\n%%EOF\n"
PRIVATE = ["李浩然", "13987654321", "李娜"]  # the sample student's values (tests/conftest.py)


def _ok(result):
    assert result.exit_code == 0, result.output
    return result.output


def _export_pdfs(cli, numbers, folder: Path) -> dict[str, bytes]:
    folder.mkdir()
    pdfs = {}
    for number in numbers:
        out = folder / f"{number}.pdf"
        _ok(cli.invoke(args=["pdf", "export", number, str(out), "--as", "enr",
                             "--reason", "恢复演练"]))
        pdfs[number] = out.read_bytes()
    return pdfs


def _verified_trusted(cli, path: Path) -> None:
    out = _ok(cli.invoke(args=["pdf", "verify", str(path)]))
    assert "可信 是" in out and "可信 否" not in out and "全部签名有效" in out, out


def _objects(svc) -> dict[str, bytes]:
    return {i: svc.vault.get(i, actor="drill", reason="恢复演练") for i in svc.vault.object_ids()}


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_restore_drill_from_sqlite_to_an_empty_postgresql_instance(
        app, runner, sample_handovers, passwords, db_url, tmp_path):
    source = Path(app.instance_path)
    (source / "config.toml").write_text("archive_loan_days = 10\n", encoding="utf-8")
    (source / "calendar.toml").write_text(
        '[2027]\nholidays = ["2027-01-01"]\nworkdays = []\n', encoding="utf-8")
    backup, keys, phrase = tmp_path / "backup", tmp_path / "keys.backup", passphrase_file(tmp_path)
    written = _ok(runner.invoke(args=["backup", str(backup)]))
    backed_up = int(re.search(r"(\d+) 个加密文件", written).group(1))
    _ok(runner.invoke(args=["keys", "export", str(keys), "--passphrase-file", str(phrase)]))
    _ok(runner.invoke(args=["backup", "--verify", str(backup)]))
    numbers = sorted(sample_handovers.values())
    originals = _export_pdfs(runner, numbers, tmp_path / "before")
    with app.app_context():
        stored = _objects(app.extensions["handover"])
    assert backed_up == len(stored) > 0
    assert_absent(backup, PRIVATE)  # private fields travel as ciphertext only
    assert_absent(tmp_path / "keys.backup", [e.key.hex() for e in
                                               app.extensions["handover"].keyring.entries()])

    # The new machine: an empty instance on PostgreSQL; import the keys, restore.
    target = tmp_path / "restored"
    first = empty_app(target, DATABASE_URL=db_url)
    cli = first.test_cli_runner()
    _ok(cli.invoke(args=["keys", "import", str(keys), "--passphrase-file", str(phrase)]))
    restored = _ok(cli.invoke(args=["restore", str(backup)]))
    assert f"{backed_up} 个加密文件" in restored
    first.extensions["handover"].close()

    # Each further command is a new process: a new app, reading the restored settings.
    app2 = empty_app(target, DATABASE_URL=db_url)
    svc, cli = app2.extensions["handover"], app2.test_cli_runner()
    try:
        assert svc.settings["ARCHIVE_LOAN_DAYS"] == 10
        assert svc.calendar_path.read_bytes() == (source / "calendar.toml").read_bytes()
        _ok(cli.invoke(args=["reindex"]))
        checked = _ok(cli.invoke(args=["vault", "check"]))
        assert f"已校验 {backed_up} 个加密文件，损坏 0 个" in checked
        assert "一致" in _ok(cli.invoke(args=["audit", "verify"]))

        # every stored PDF exports byte for byte and verifies against the same school root
        again = _export_pdfs(cli, numbers, tmp_path / "after")
        assert again == originals
        for number in numbers:
            _verified_trusted(cli, tmp_path / "after" / f"{number}.pdf")
        with app2.app_context():
            assert _objects(svc) == stored
        found = json.loads(_ok(cli.invoke(args=["search", "浩然", "--as", "aca", "--json"])))
        assert {i["key"] for i in found["items"]} >= set(numbers)

        # the restored school goes on working: the staff sign with their own passwords
        with svc.session_factory() as db:
            wf = svc.workflow(db)
            enr, aca = svc.accounts(db).get("enr"), svc.accounts(db).get("aca")
            student = svc.students(db).find_by_phone("13987654321")[0]
            h = wf.create(enr, "F2", {
                "student": student.id, "course": "少儿编程", "registration_date": "2026-03-02",
                "fee_paid": "3200", "payment_method": "现金", "class_hours": 24,
                "agreement_number": "XY-2"}, uploads=[
                    Upload("enrollment_agreement", "a.pdf", SCAN),
                    Upload("paper_scan", "scan.pdf", SCAN)])
            wf.submit(enr, h, passwords["enr"])
            wf.countersign(aca, wf.get(aca, h.number), passwords["aca"])
            db.commit()
            new = h.number
        assert new not in numbers
        _export_pdfs(cli, [new], tmp_path / "new")
        _verified_trusted(cli, tmp_path / "new" / f"{new}.pdf")
        assert "一致" in _ok(cli.invoke(args=["audit", "verify"]))
        now = len(svc.vault.object_ids())
        assert now > backed_up  # its forms and scans
        assert f"已校验 {now} 个加密文件，损坏 0 个" in _ok(cli.invoke(args=["vault", "check"]))
    finally:
        svc.close()


def test_wrong_passphrase_imports_nothing(app, runner, tmp_path):
    keys = tmp_path / "keys.backup"
    asked = runner.invoke(args=["keys", "export", str(keys)],
                          input="rain on the west lake\nrain on the west lake\n")
    assert asked.exit_code == 0 and keys.exists(), asked.output
    mistyped = runner.invoke(args=["keys", "export", str(tmp_path / "k2")],
                             input="rain on the west lake\nrain on the west lak\n")
    assert mistyped.exit_code != 0 and not (tmp_path / "k2").exists()

    fresh = empty_app(tmp_path / "fresh")
    cli = fresh.test_cli_runner()
    wrong = cli.invoke(args=["keys", "import", str(keys)], input="rain on the east lake\n")
    assert wrong.exit_code == 1 and "口令错误" in wrong.output
    wrong = cli.invoke(args=["keys", "import", str(keys), "--passphrase-file",
                             str(passphrase_file(tmp_path, "rain on the east lake"))])
    assert wrong.exit_code == 1 and "口令错误" in wrong.output
    assert not (tmp_path / "fresh" / "keys").exists()
    right = cli.invoke(args=["keys", "import", str(keys)], input="rain on the west lake\n")
    assert right.exit_code == 0, right.output
    assert (Keyring.open(tmp_path / "fresh" / "keys").fingerprints()
            == app.extensions["handover"].keyring.fingerprints())


def test_a_backup_with_another_schools_keys_is_refused_before_writing(
        app, runner, tmp_path, app_factory):
    app.extensions["handover"].vault.put(b"%PDF-1.4 form", actor="t", reason="test")
    backup, phrase = tmp_path / "backup", passphrase_file(tmp_path)
    _ok(runner.invoke(args=["backup", str(backup)]))
    other_keys = tmp_path / "other-keys.backup"
    _ok(app_factory("other").test_cli_runner().invoke(
        args=["keys", "export", str(other_keys), "--passphrase-file", str(phrase)]))

    target = tmp_path / "target"
    cli = empty_app(target).test_cli_runner()
    _ok(cli.invoke(args=["keys", "import", str(other_keys), "--passphrase-file", str(phrase)]))
    refused = cli.invoke(args=["restore", str(backup)])
    assert refused.exit_code == 1 and "备份与密钥不匹配" in refused.output
    assert "kek v1" in refused.output and "未写入任何内容" in refused.output
    assert [p.name for p in target.iterdir()] == ["keys"]  # not even a database file


def test_backup_verify_names_the_first_problem(app, runner, tmp_path, add_staff):
    add_staff("enr")
    app.extensions["handover"].vault.put(b"%PDF-1.4 form", actor="t", reason="test")
    backup = tmp_path / "backup"
    _ok(runner.invoke(args=["backup", str(backup)]))
    assert "清单签名有效" in _ok(runner.invoke(args=["backup", "--verify", str(backup)]))

    victim = next((backup / "vault").rglob("*.obj"))
    original = victim.read_bytes()
    victim.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    bad = runner.invoke(args=["backup", "--verify", str(backup)])
    assert bad.exit_code == 1 and victim.relative_to(backup).as_posix() in bad.output
    victim.write_bytes(original)

    (backup / "vault" / "planted.key").write_bytes(b"x")
    bad = runner.invoke(args=["backup", "--verify", str(backup)])
    assert bad.exit_code == 1 and "清单之外的文件：vault/planted.key" in bad.output
    (backup / "vault" / "planted.key").unlink()

    pristine = (backup / "MANIFEST.json").read_text()
    manifest = json.loads(pristine)
    manifest["objects"] += 1
    (backup / "MANIFEST.json").write_text(json.dumps(manifest))
    bad = runner.invoke(args=["backup", "--verify", str(backup)])
    assert bad.exit_code == 1 and "加密文件数量不符" in bad.output

    # a row planted and the manifest re-hashed to match: only the signature tells
    rows = backup / "database.jsonl"
    rows.write_text(rows.read_text().replace('"is_admin": false', '"is_admin": true'))
    manifest = json.loads(pristine)
    manifest["files"]["database.jsonl"] = hashlib.sha256(rows.read_bytes()).hexdigest()
    (backup / "MANIFEST.json").write_text(json.dumps(manifest))
    bad = runner.invoke(args=["backup", "--verify", str(backup)])
    assert bad.exit_code == 1 and "清单签名无效" in bad.output
    missing = runner.invoke(args=["backup", "--verify", str(tmp_path / "nowhere")])
    assert missing.exit_code == 1


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_postgresql_instance_restores_into_sqlite(app_factory, db_url, tmp_path):
    school = app_factory("school", DATABASE_URL=db_url)
    svc, runner = school.extensions["handover"], school.test_cli_runner()
    with svc.session_factory() as db:
        svc.accounts(db).add("enr", "王晓燕", "Passw0rd-drill", [Department.ENR])
        db.commit()
    with school.app_context():
        docs = {svc.vault.put(f"%PDF-1.4 form {i}".encode(), actor="t", reason="test"): i
                for i in range(3)}
    backup, keys, phrase = tmp_path / "backup", tmp_path / "keys.backup", passphrase_file(tmp_path)
    assert "3 个加密文件" in _ok(runner.invoke(args=["backup", str(backup)]))
    _ok(runner.invoke(args=["keys", "export", str(keys), "--passphrase-file", str(phrase)]))

    fresh = empty_app(tmp_path / "fresh")
    cli = fresh.test_cli_runner()
    _ok(cli.invoke(args=["keys", "import", str(keys), "--passphrase-file", str(phrase)]))
    _ok(cli.invoke(args=["restore", str(backup)]))
    assert "已校验 3 个加密文件，损坏 0 个" in _ok(cli.invoke(args=["vault", "check"]))
    _ok(cli.invoke(args=["audit", "verify"]))
    assert "王晓燕" in _ok(cli.invoke(args=["user", "list"]))
    with fresh.app_context():
        assert set(fresh.extensions["handover"].vault.object_ids()) == set(docs)
    fresh.extensions["handover"].close()
