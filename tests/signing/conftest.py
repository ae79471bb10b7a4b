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
