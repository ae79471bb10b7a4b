"""Keys and PKI from a folder every app server mounts (KEYRING_PATH, PKI_PATH outside the
instance): a started server signs in, signs and stores a handover and shows it without one
write attempt in either folder; `handover keys`, `vault rotate` and `pki crl` (the daily
cron job), the operator's commands, are their writers.

Not yet covered: issuing and revoking staff certificates (adding, resetting or disabling an
account) writes issued.json, revoked.json and the CRL into the PKI folder, and a server
re-issues a CRL that the daily `pki crl` left past half its life; moving that state into the
database is the open part of issue 15, deliverable 3 (docs/operations.md)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tests.conftest import _add_staff
from tests.webapp.web_flow import add_student, signed_in, submit_f2
from tests.write_watch import watch_writes


def _read_only(folder: Path, on: bool) -> None:
    """Modes 0500/0400 (root ignores them: the write watch is the proof)."""
    for path in [folder, *folder.rglob("*")]:
        if path.is_dir():
            os.chmod(path, 0o500 if on else 0o700)
        else:
            os.chmod(path, 0o400 if on else 0o600)


def test_server_works_from_read_only_secrets(tmp_path, instance_template, passwords):
    from webapp import create_app

    instance, secrets = tmp_path / "inst", tmp_path / "secrets"
    shutil.copytree(instance_template, instance)
    secrets.mkdir(mode=0o700)
    for part in ("keys", "pki"):
        shutil.move(instance / part, secrets / part)
    config = {"INSTANCE": instance, "TESTING": True, "PASSWORD_HASH_COST": "low",
              "KEYRING_PATH": str(secrets / "keys"), "PKI_PATH": str(secrets / "pki")}
    setup = create_app(config)  # the operator's set-up: a certificate for the sender
    login, password = _add_staff(setup, passwords, "enr", depts=("ENR",))
    student = add_student(setup)
    assert setup.test_cli_runner().invoke(args=["pki", "crl"]).exit_code == 0  # the cron job
    setup.extensions["handover"].close()

    _read_only(secrets, True)
    try:
        with watch_writes(secrets / "keys") as key_writes, \
                watch_writes(secrets / "pki") as pki_writes:
            app = create_app(config)
            client, token = signed_in(app, login, password)
            r = submit_f2(client, token, password, student)
            assert r.status_code == 302, r.status_code
            assert client.get(r.headers["Location"]).status_code == 200
            assert client.get("/healthz").get_json()["status"] == "ok"
            svc = app.extensions["handover"]
            assert svc.vault.check().ok and svc.ledger.verify().ok
            svc.close()
        assert key_writes == [], key_writes
        assert pki_writes == [], pki_writes
        assert not (instance / "keys").exists() and not (instance / "pki").exists()
    finally:
        _read_only(secrets, False)

    # the operator's command writes there (a new key version), and a server then uses it
    operator = create_app(config)
    assert operator.test_cli_runner().invoke(args=["vault", "rotate"]).exit_code == 0
    assert (secrets / "keys" / "kek" / "2.key").exists()
    operator.extensions["handover"].close()
