"""Real servers on loopback for the notification tests: an SMTP server (aiosmtpd, optionally
with STARTTLS and AUTH, its certificate made here) and a group robot's webhook receiver
(http.server in a thread) that answers like WeCom/DingTalk."""

from __future__ import annotations

import datetime as dt
import json
import socket
import ssl
import threading
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """What the SMTP server received: (recipients, parsed message)."""

    def __init__(self):
        self.mails, self.lock = [], threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        with self.lock:
            self.mails.append((list(envelope.rcpt_tos),
                               message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"

    def texts(self) -> list[str]:
        with self.lock:
            return [f"{m['Subject']}\n{m.get_content()}" for _, m in self.mails]


def self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "smtp.pem", folder / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class SmtpServer:
    def __init__(self, folder: Path | None = None, *, user: str = "", password: str = ""):
        """With `folder`: STARTTLS required (certificate for "localhost" made there), and
        AUTH with `user`/`password`."""
        self.inbox, self.port = Inbox(), free_port()
        kwargs, self.client_context = {}, None
        if folder is not None:
            cert, key = self_signed(folder)
            server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            server_context.load_cert_chain(cert, key)
            self.client_context = ssl.create_default_context(cafile=str(cert))
            kwargs = {"tls_context": server_context, "require_starttls": True,
                      "auth_required": True, "authenticator": self._check(user, password)}
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port,
                                     server_hostname="localhost", **kwargs)

    @staticmethod
    def _check(user: str, password: str):
        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login == user.encode() \
                and auth_data.password == password.encode()
            return AuthResult(success=ok)

        return authenticator

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


class Robot:
    """A group robot's webhook: records each JSON body (and query) and answers `answer`."""

    def __init__(self):
        self.posts, self.answer, self.status = [], {"errcode": 0, "errmsg": "ok"}, 200
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                robot.posts.append((self.path, json.loads(body)))
                data = json.dumps(robot.answer).encode()
                self.send_response(robot.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/webhook/send?key=k"

    def texts(self) -> list[str]:
        return [body["text"]["content"] for _, body in self.posts]

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
