"""Timestamps: the school's in-process TSA, and the HTTP client against a local RFC 3161 server.

A real external TSA needs the network, which the test run does not have: the HTTP client is
tested here against a loopback server that answers with the school TSA (real tokens, real
HTTP), never against an outside service.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from asn1crypto import tsp

from signing.errors import TimestampError
from signing.sign import countersign
from signing.timestamps import HTTPTimeStamper, make_timestamper


@pytest.fixture
def tsa_server(tsa):
    """A loopback RFC 3161 server backed by the school TSA; yields (url, requests seen)."""
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen.append(self.headers.get_content_type())
            reply = tsa.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            kind = "application/timestamp-reply" if self.path == "/tsa" else "text/html"
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def _imprint(token) -> bytes:
    tst_info = token["content"]["encap_content_info"]["content"].parsed
    return tst_info["message_imprint"]["hashed_message"].native


def test_school_tsa_token_covers_the_digest(tsa, pki):
    digest = hashlib.sha256(b"handover").digest()
    token = asyncio.run(tsa.async_timestamp(digest, "sha256"))
    assert _imprint(token) == digest
    signer_certs = token["content"]["certificates"]
    serials = {c.chosen.serial_number for c in signer_certs}
    assert pki.tsa_cert.serial_number in serials


def test_http_timestamper_gets_a_token_from_a_tsa(tsa_server):
    url, seen = tsa_server
    digest = hashlib.sha256(b"handover").digest()
    token = asyncio.run(HTTPTimeStamper(url + "/tsa").async_timestamp(digest, "sha256"))
    assert _imprint(token) == digest
    assert seen == ["application/timestamp-query"]


def test_countersign_through_an_http_tsa_validates(tsa_server, sender_signed, receiver,
                                                   receiver_stamp, pki, verify):
    url, _ = tsa_server
    signed = countersign(sender_signed, receiver, "lisi-密码", stamp=receiver_stamp, pki=pki,
                         tsa=make_timestamper(url=url + "/tsa", timeout=5))
    assert verify(signed).ok


def test_http_timestamper_errors(tsa_server):
    url, _ = tsa_server
    digest = hashlib.sha256(b"x").digest()
    with pytest.raises(TimestampError) as caught:
        asyncio.run(HTTPTimeStamper(url + "/html").async_timestamp(digest, "sha256"))
    assert caught.value.source.endswith("/html")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    with pytest.raises(TimestampError):
        asyncio.run(HTTPTimeStamper(f"http://127.0.0.1:{closed_port}/", timeout=2)
                    .async_timestamp(digest, "sha256"))
    with pytest.raises(TimestampError):
        HTTPTimeStamper("file:///etc/passwd")
    with pytest.raises(ValueError):
        make_timestamper()
