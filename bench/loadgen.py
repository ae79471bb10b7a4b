"""A small load generator for bench/web.py: client threads, each with its own keep-alive HTTP
connection to 127.0.0.1 and its own signed-in session (cookies), repeating one step until a
time limit or a count limit is reached, whichever comes first. Loopback only: the host is fixed.

Standard library only (http.client): the benchmark needs nothing the project does not have.
"""

from __future__ import annotations

import http.client
import re
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

HOST = "127.0.0.1"
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
REQUEST_TIMEOUT = 120.0


class Failed(Exception):
    """An answer that was not the one expected (status, or a page without a form)."""


class Client:
    """One browser: a keep-alive connection and a cookie jar."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
        self.cookies: dict[str, str] = {}
        self.token = ""

    def request(self, method: str, path: str, form: dict | None = None,
                expect: tuple[int, ...] = (200,)) -> tuple[int, dict[str, str], bytes]:
        headers = {"Connection": "keep-alive"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):  # a server that closed the kept-alive connection: reconnect once
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                if attempt == 2:
                    raise
            except BaseException:  # a timeout: the next step starts on a fresh connection
                self.conn.close()
                raise
        for raw in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = raw.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
        if response.status not in expect:
            raise Failed(f"{method} {path}: {response.status}")
        return response.status, dict(response.getheaders()), data

    def get(self, path: str, expect: tuple[int, ...] = (200,)) -> bytes:
        return self.request("GET", path, expect=expect)[2]

    def post(self, path: str, form: dict, expect: tuple[int, ...] = (302,)) -> dict[str, str]:
        return self.request("POST", path, {"csrf_token": self.token, **form}, expect)[1]

    def sign_in(self, login: str, password: str) -> Client:
        page = self.get("/login").decode()
        self.token = TOKEN.search(page).group(1)
        self.post("/login", {"login": login, "password": password})
        page = self.get("/account/password").decode()  # the session's own token for forms
        found = TOKEN.search(page)
        if found is None:
            raise Failed(f"no form token after signing in as {login}")
        self.token = found.group(1)
        return self

    def close(self) -> None:
        self.conn.close()


@dataclass
class Result:
    clients: int
    done: int
    errors: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    first_error: str = ""

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    @property
    def median(self) -> float:
        return statistics.median(self.latencies) if self.latencies else float("nan")


def measure(sessions: list, step: Callable[[object, int], None], *, seconds: float,
            max_per_client: int) -> Result:
    """Run `step(session, i)` in one thread per session until `seconds` have passed or each
    has done `max_per_client`; a step under way at the deadline finishes and counts. Rate =
    completed steps / wall time from the start to the last completion."""
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    start = time.perf_counter()
    deadline = start + seconds
    ends: list[float] = []

    def run(session) -> None:
        mine, failed = [], []
        for i in range(max_per_client):
            if time.perf_counter() >= deadline:
                break
            began = time.perf_counter()
            try:
                step(session, i)
            except (Failed, OSError, http.client.HTTPException) as exc:
                failed.append(str(exc) or type(exc).__name__)
                continue
            mine.append(time.perf_counter() - began)
        with lock:
            latencies.extend(mine)
            errors.extend(failed)
            ends.append(time.perf_counter())

    threads = [threading.Thread(target=run, args=(s,), daemon=True) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + REQUEST_TIMEOUT * 2 + 30)
    finished = max(ends) if ends else time.perf_counter()
    return Result(len(sessions), len(latencies), len(errors), finished - start, latencies,
                  errors[0] if errors else "")
