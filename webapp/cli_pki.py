"""`handover pki ca-cert|crl|renew-tsa|reissue-root|recertify`: the school's certificate
authority (signing.pki), for the administrator. Lifetimes and renewal: docs/signatures.md."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext

from records.paperwork import SCHOOL_TZ
from webapp import services
from webapp.cli import domain_errors, require_school_settings
from webapp.db import get_db

__all__ = ["COMMANDS"]

pki_group = AppGroup("pki", help="The school's certificate authority.")


@pki_group.command("ca-cert")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def pki_ca_cert(out):
    """Export the school root certificate (PEM), to install in PDF readers."""
    out.write_bytes(services().pki.ca_cert_pem())
    click.echo(f"学校根证书已导出到 {out}。安装方法见 docs/signatures.md。")


@pki_group.command("crl")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the CRL (DER) to this file.")
@with_appcontext
def pki_crl(out):
    """Issue a fresh CRL now (run daily from cron; it is valid for a week): validators fetch
    it from /pki/crl.der, the address in the certificates."""
    from cryptography import x509

    data = services().pki.issue_crl()
    crl = x509.load_der_x509_crl(data)
    number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    if out:
        out.write_bytes(data)
    click.echo(f"已签发第 {number} 号证书吊销列表，吊销 {len(crl)} 张证书，有效至 "
               f"{crl.next_update_utc.astimezone(SCHOOL_TZ):%Y-%m-%d %H:%M}。")


@pki_group.command("renew-tsa")
@with_appcontext
def pki_renew_tsa():
    """Issue a new timestamping certificate (ten years) under the school root, with the
    current publication addresses; restart the application to timestamp with it."""
    svc = services()
    old = svc.pki.tsa_cert
    new = svc.pki.renew_tsa()
    click.echo(f"新的时间戳证书（序列号 {new.serial_number:x}）有效至 "
               f"{new.not_valid_after_utc:%Y-%m-%d}；原证书有效至 "
               f"{old.not_valid_after_utc:%Y-%m-%d}，仍用于核验它签发的时间戳。"
               "请重启应用以使用新证书。")


@pki_group.command("reissue-root")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
@domain_errors
def pki_reissue_root(yes):
    """Replace a school root made with a wrong school name or publication address: a new root
    and timestamping certificate from config.toml's school_name and base_url, every staff
    certificate re-issued under it (same keys, no password needed). The old root stays a
    trusted predecessor: every stored form keeps verifying. Stop the application first."""
    from records.root_succession import reissue_root

    svc = services()
    require_school_settings(svc, "然后再运行本命令。")
    old_name = svc.pki.school_name
    if not yes:
        click.confirm(f"将为“{svc.settings['SCHOOL_NAME']}”签发新的学校根证书（现为"
                      f"“{old_name}”），新证书的吊销列表地址为 {svc.pki_urls['crl_url']}。"
                      "继续？", abort=True)
    change = reissue_root(get_db(), svc.pki, svc.settings["SCHOOL_NAME"], audit=svc.ledger,
                          actor="cli")
    _commit_recertified()
    click.echo(f"已签发新的学校根证书（SHA-256 {change.new_root[:16]}…）与时间戳证书；原根证书"
               f"（{change.old_root[:16]}…）保留为可信的前任，旧表单照常验证。已为 "
               f"{change.recertified} 份员工签名证书在新根证书下重新签发"
               "（密钥不变，员工无需操作）。")
    click.echo("请重启应用；用 handover pki ca-cert 导出新根证书，装入 PDF 阅读器"
               "（原根证书也请保留）；并重新做一次数据备份（handover backup）。")


@pki_group.command("recertify")
@with_appcontext
@domain_errors
def pki_recertify():
    """Re-issue under the current root every active staff certificate still issued by a
    predecessor (what reissue-root does; run it if that was interrupted). Idempotent."""
    from records.root_succession import recertify_staff

    svc = services()
    change = recertify_staff(get_db(), svc.pki, audit=svc.ledger, actor="cli")
    _commit_recertified()
    click.echo(f"已在当前根证书下重新签发 {change.recertified} 份员工签名证书。")


def _commit_recertified() -> None:
    try:
        get_db().commit()
    except Exception:
        click.echo("员工证书未能保存：新根证书已生效。请排除数据库故障后运行 "
                   "handover pki recertify。", err=True)
        raise


COMMANDS = [pki_group]
