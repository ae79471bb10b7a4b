"""The fetcher reads data: URLs and the static folder only; nothing else is fetched or embedded."""

from __future__ import annotations

import io
import socket

import pypdf
import pytest
import segno

from signing.errors import FetchRefused


@pytest.fixture
def listener():
    """A local TCP listener: proves whether anything tried to connect to loopback."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(5)
    sock.setblocking(False)
    yield sock
    sock.close()


def _connections(sock: socket.socket) -> int:
    count = 0
    while True:
        try:
            conn, _ = sock.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


def _embedded_files(pdf: bytes) -> dict:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return dict(reader.attachments)


def test_local_files_loopback_and_attachments_are_refused(renderer, listener, caplog):
    port = listener.getsockname()[1]
    html = f"""<html><head><link rel="attachment" href="file:///etc/passwd"></head><body>
      <p>资源测试</p>
      <img src="file:///etc/passwd">
      <a rel="attachment" href="file:///etc/passwd">附件</a>
      <img src="http://127.0.0.1:{port}/x.png">
      <link rel="stylesheet" href="http://127.0.0.1:{port}/x.css">
    </body></html>"""
    with caplog.at_level("WARNING"):
        out = renderer.render(html)
    assert _connections(listener) == 0
    assert _embedded_files(out.pdf) == {}
    assert b"root:" not in out.pdf and b"EmbeddedFile" not in out.pdf
    assert f"http://127.0.0.1:{port}/x.png" in out.refused
    assert "file:///etc/passwd" in out.refused
    assert any("refused to fetch" in r.getMessage() for r in caplog.records)


def test_static_files_load_and_dot_dot_escapes_are_refused(renderer, static_root, tmp_path):
    segno.make("inside").save(static_root / "logo.png", kind="png", scale=4)
    segno.make("outside").save(tmp_path / "secret.png", kind="png", scale=4)
    html = '<p>图片</p><img src="logo.png"><img src="../secret.png">'
    out = renderer.render(html)
    assert out.refused == ((tmp_path / "secret.png").as_uri(),)
    images = pypdf.PdfReader(io.BytesIO(out.pdf)).pages[0].images
    assert len(images) == 1


def test_fetcher_rejects_symlink_out_of_static(renderer, static_root, tmp_path):
    (tmp_path / "outside.css").write_text("p { color: red }")
    (static_root / "link.css").symlink_to(tmp_path / "outside.css")
    from signing.render import StaticOnlyFetcher

    fetcher = StaticOnlyFetcher(static_root, renderer.logger)
    with pytest.raises(FetchRefused) as caught:
        fetcher.fetch((static_root / "link.css").as_uri())
    assert caught.value.url.endswith("link.css")
    data = fetcher.fetch("data:text/plain,ok").read()
    assert data == b"ok"
