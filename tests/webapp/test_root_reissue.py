"""`handover pki reissue-root` (issue 11): a school whose root was made under the wrong name and
an address where no CRL is published gets a new root. Forms signed before keep verifying
trusted (CLI, the verify page, exports); a new form chains to the new root and validates with
pyhanko-cli's default settings; a backup and restore keep both roots."""

from __future__ import annotations

import subprocess
import threading

import pytest
from cryptography import x509
from werkzeug.serving import make_server

from tests.conftest import _add_staff, make_app
from tests.webapp.backup_env import empty_app, passphrase_file
from tests.webapp.test_pki_publication import _pyhanko_cli, countersigned
from tests.webapp.test_verify_pages import verify_upload

SCHOOL = "启明培训学校"


def _ok(result):
    assert result.exit_code == 0, result.output
    return result.output


def _export(cli, number: str, out) -> bytes:
    _ok(cli.invoke(args=["pdf", "export", number, str(out), "--as", "aca", "--reason", "核验"]))
    return out.read_bytes()


def _trusted(cli, path) -> None:
    out = _ok(cli.invoke(args=["pdf", "verify", str(path)]))
    assert "可信 是" in out and "可信 否" not in out and "全部签名有效" in out, out


@pytest.fixture
def wrong_school(tmp_path, instance_template):
    """An instance made by `init --demo` (the demo name 示例培训学校, certificates pointing at
    http://127.0.0.1:5000, where nothing is served), with one countersigned form."""
    app = make_app(tmp_path / "school", instance_template)
    passwords: dict[str, str] = {}
    for login, name, dept in (("enr", "王晓燕", "ENR"), ("aca", "李建国", "ACA")):
        _add_staff(app, passwords, login, name=name, depts=(dept,))
    number = countersigned(app, passwords, "XY-1")
    old_pdf = _export(app.test_cli_runner(), number, tmp_path / "old.pdf")
    app.extensions["handover"].close()
    return tmp_path / "school", passwords, number, old_pdf


@pytest.fixture
def corrected(wrong_school):
    """The same instance, its config.toml now naming the school and the public address: a
    loopback port this app is served on, so the new CRL address answers."""
    folder, passwords, number, old_pdf = wrong_school
    holder = {}
    server = make_server("127.0.0.1", 0, lambda env, start: holder["app"](env, start),
                         threaded=True)
    base = f"http://127.0.0.1:{server.port}"
    (folder / "config.toml").write_text(
        f'school_name = "{SCHOOL}"\nbase_url = "{base}"\n', encoding="utf-8")
    app = holder["app"] = make_app(folder, PASSWORD_HASH_COST="low")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, passwords, number, old_pdf, base
    server.shutdown()
    thread.join(timeout=5)
    app.extensions["handover"].close()


def _restart(app) -> None:
    """What restarting the service does: the PKI and the signing tools are opened anew."""
    for cached in ("form_desk", "signing_tools", "pki"):
        app.extensions["handover"].__dict__.pop(cached, None)


@pytest.mark.slow
def test_reissue_root_keeps_old_forms_trusted_and_new_ones_chain_to_the_new_root(
        corrected, tmp_path):
    app, passwords, old_number, old_pdf, base = corrected
    svc, cli = app.extensions["handover"], app.test_cli_runner()
    old_root = svc.pki.ca_cert
    assert svc.pki.school_name == "示例培训学校"

    refused = cli.invoke(args=["pki", "reissue-root"], input="n\n")  # asks first
    assert refused.exit_code != 0 and svc.pki.roots == (old_root,)
    out = _ok(cli.invoke(args=["pki", "reissue-root", "--yes"]))
    assert "保留为可信的前任" in out and "已为 2 份员工签名证书" in out, out
    _restart(app)
    pki = svc.pki
    assert pki.roots[0] == old_root and pki.school_name == SCHOOL and len(pki.roots) == 2
    assert _ok(cli.invoke(args=["pki", "recertify"])).startswith("已在当前根证书下重新签发 0 份")

    # every stored form still verifies trusted: the old file, its export, the verify page
    (tmp_path / "kept.pdf").write_bytes(old_pdf)
    _trusted(cli, tmp_path / "kept.pdf")
    assert _export(cli, old_number, tmp_path / "again.pdf") == old_pdf
    page = verify_upload(app.test_client(), old_pdf).get_data(as_text=True)
    assert 'class="verdict verdict-ok"' in page, page

    # the staff sign with their own passwords, under the new root and the configured CRL
    new_number = countersigned(app, passwords, "XY-2")
    new_pdf = _export(cli, new_number, tmp_path / "new.pdf")
    _trusted(cli, tmp_path / "new.pdf")
    with svc.session_factory() as db:
        for login in ("enr", "aca"):
            cert = svc.credentials(db).require(svc.accounts(db).get(login)).certificate
            cert.verify_directly_issued_by(pki.ca_cert)
            points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints)
            assert points.value[0].full_name[0].value == f"{base}/pki/crl.der"

    cli_path = _pyhanko_cli()
    if cli_path is None:
        pytest.skip("pyhanko-cli is not installed (pip install pyhanko-cli)")
    _ok(cli.invoke(args=["pki", "ca-cert", str(tmp_path / "new-root.pem")]))  # the new root
    result = subprocess.run([cli_path, "sign", "validate", "--trust", "new-root.pem",
                             "new.pdf"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == ["Sig_Sender", "Sig_Receiver"]
    assert all(":INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>," in line for line in lines)
    assert new_pdf.startswith(b"%PDF")

    entries = list(svc.ledger.entries(action="pki.reissue_root"))
    assert len(entries) == 1 and entries[0].actor == "cli"
    assert len(list(svc.ledger.entries(action="pki.recertify"))) == 2


@pytest.mark.slow
def test_backup_and_restore_keep_both_roots(corrected, tmp_path):
    app, passwords, old_number, old_pdf, _ = corrected
    cli = app.test_cli_runner()
    _ok(cli.invoke(args=["pki", "reissue-root", "--yes"]))
    _restart(app)
    roots = app.extensions["handover"].pki.roots
    new_number = countersigned(app, passwords, "XY-2")
    backup, keys, phrase = tmp_path / "backup", tmp_path / "keys", passphrase_file(tmp_path)
    _ok(cli.invoke(args=["backup", str(backup)]))
    _ok(cli.invoke(args=["backup", "--verify", str(backup)]))
    assert {"ca.pem", "ca-2.pem", "ca-2.key.sealed"} <= {p.name for p in (backup / "pki")
                                                          .iterdir()}
    _ok(cli.invoke(args=["keys", "export", str(keys), "--passphrase-file", str(phrase)]))

    target = tmp_path / "restored"
    first = empty_app(target)
    _ok(first.test_cli_runner().invoke(args=["keys", "import", str(keys),
                                             "--passphrase-file", str(phrase)]))
    _ok(first.test_cli_runner().invoke(args=["restore", str(backup)]))
    first.extensions["handover"].close()
    restored = empty_app(target, SCHOOL_NAME=SCHOOL)
    try:
        rcli = restored.test_cli_runner()
        assert restored.extensions["handover"].pki.roots == roots
        for number, name in ((old_number, "old"), (new_number, "new")):
            _export(rcli, number, tmp_path / f"{name}.pdf")
            _trusted(rcli, tmp_path / f"{name}.pdf")
        assert (tmp_path / "old.pdf").read_bytes() == old_pdf
        # the restored school signs on, under the new root
        _trusted(rcli, _saved(rcli, countersigned(restored, passwords, "XY-3"), tmp_path))
        assert "一致" in _ok(rcli.invoke(args=["audit", "verify"]))
    finally:
        restored.extensions["handover"].close()


def _saved(cli, number: str, folder):
    out = folder / f"{number}.pdf"
    _export(cli, number, out)
    return out
