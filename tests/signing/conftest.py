"""Shared fixtures for the signing tests: a renderer and a small Chinese two-signature form."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from signing.render import Renderer

FORM_HTML = """<!doctype html>
<html lang="zh-Hans"><head><meta charset="utf-8"><title>交接单</title>
<style>
  body { font-size: 11pt; }
  .sig { width: 70mm; height: 28mm; border: 1px solid #333; display: inline-block; }
</style></head>
<body>
  <h1>学生信息交接单</h1>
  <p>移交部门：招生部　接收部门：教务部</p>
  <table><tr><th>课程</th><td>少儿英语（春季班）</td></tr>
         <tr><th>交接内容</th><td>报名信息、缴费方式、入学协议</td></tr></table>
  <div id="sigbox-sender" class="sig">移交人签名</div>
  <div id="sigbox-receiver" class="sig">接收人签名</div>
</body></html>
"""


@pytest.fixture
def static_root(tmp_path: Path) -> Path:
    root = tmp_path / "static"
    root.mkdir()
    return root


@pytest.fixture
def render_logger() -> logging.Logger:
    return logging.getLogger("tests.signing.render")


@pytest.fixture
def renderer(static_root: Path, render_logger: logging.Logger) -> Renderer:
    return Renderer(static_root, logger=render_logger)


@pytest.fixture
def form_html() -> str:
    return FORM_HTML


# -- PKI and signed documents, built once per session (key generation and font extraction
#    are the slow parts; every test that changes state makes its own).

SEAL_KEY = bytes(range(32))
SENDER = ("张三", "招生部", "zhangsan-密码")
RECEIVER = ("李四", "教务部", "lisi-密码")


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    from signing.pki import SchoolPKI

    return SchoolPKI.create(tmp_path_factory.mktemp("pki"), SEAL_KEY, "未来星培训学校")


@pytest.fixture(scope="session")
def tsa(pki):
    from signing.timestamps import SchoolTimeStamper

    return SchoolTimeStamper.for_pki(pki)


@pytest.fixture(scope="session")
def stamp_font(tmp_path_factory):
    from signing.fonts import StampFont

    return StampFont(tmp_path_factory.mktemp("fonts"))


@pytest.fixture(scope="session")
def sender(pki):
    name, dept, password = SENDER
    return pki.issue_staff(name, dept, password, email="zhangsan@example.cn")


@pytest.fixture(scope="session")
def receiver(pki):
    name, dept, password = RECEIVER
    return pki.issue_staff(name, dept, password)


@pytest.fixture(scope="session")
def sender_stamp(stamp_font):
    from signing.sign import StampText

    return StampText("移交人", SENDER[0], SENDER[1], stamp_font)


@pytest.fixture(scope="session")
def receiver_stamp(stamp_font):
    from signing.sign import StampText

    return StampText("接收人", RECEIVER[0], RECEIVER[1], stamp_font)


@pytest.fixture(scope="session")
def rendered(tmp_path_factory):
    root = tmp_path_factory.mktemp("static-session")
    return Renderer(root, logger=logging.getLogger("tests.signing.session")).render(FORM_HTML)


@pytest.fixture(scope="session")
def prepared(rendered):
    from signing.sign import prepare

    return prepare(rendered.pdf, rendered.boxes)


@pytest.fixture(scope="session")
def sender_signed(prepared, sender, sender_stamp, pki, tsa):
    from signing.sign import sign_sender

    return sign_sender(prepared, sender, SENDER[2], stamp=sender_stamp, pki=pki, tsa=tsa)


@pytest.fixture(scope="session")
def countersigned(sender_signed, receiver, receiver_stamp, pki, tsa):
    from signing.sign import countersign

    return countersign(sender_signed, receiver, RECEIVER[2], stamp=receiver_stamp,
                       pki=pki, tsa=tsa)


@pytest.fixture(scope="session")
def verify(pki):
    """verify_pdf with the school root and the school's current CRL."""
    from signing.verify import verify_pdf

    def _verify(pdf: bytes):
        return verify_pdf(pdf, trust_roots=[pki.ca_cert_pem()], crls=[pki.crl()])

    return _verify
