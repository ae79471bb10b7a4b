"""Where each ledger entry came from (issue 12 deliverable 6): the writer attaches the origin
its provider names (channel, client address or OS user), inside the hash chain; entries written
before origins existed still verify, and entries can be filtered by origin."""

from __future__ import annotations

import json

from tests.vault.ledger_backends import Backend


def test_origin_is_attached_hashed_and_filterable(backend: Backend, keyring):
    old = backend.open(keyring)  # entries from before origins existed
    old.append(actor="a", action="vault.get", subject="o-1")
    current = {"channel": "web", "address": "203.0.113.7"}
    ledger = backend.open(keyring, origin=lambda: current)
    ledger.append(actor="a", action="vault.get", subject="o-2")
    current = {"channel": "cli", "os_user": "wang"}
    ledger.append(actor="a", action="vault.get", subject="o-3")
    current = None  # e.g. a maintenance step outside any request or command
    ledger.append(actor="system", action="vault.check")

    lines = [json.loads(x) for x in backend.lines()]
    assert "origin" not in lines[0] and "origin" not in lines[3]
    assert lines[1]["origin"] == {"channel": "web", "address": "203.0.113.7"}
    assert ledger.verify().ok
    assert [e.subject for e in ledger.entries(origin={"channel": "web"})] == ["o-2"]
    assert [e.subject for e in ledger.entries(origin={"os_user": "wang"})] == ["o-3"]
    assert [e.origin for e in ledger.entries()][::3] == [None, None]

    backend.rewrite([x.replace(b"203.0.113.7", b"198.51.100.1") for x in backend.lines()])
    result = ledger.verify()
    assert not result.ok and result.first_bad == 2
