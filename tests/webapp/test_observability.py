"""Logs, health and metrics for the operator (issue 11): /healthz checks each part and says
which one fails, /metrics only with its token, one JSON access line per request."""

from __future__ import annotations

import json
import logging

from tests.conftest import make_app


def test_healthz_checks_each_part_and_names_a_read_only_ledger(app, monkeypatch):
    client = app.test_client()
    ok = client.get("/healthz")
    assert ok.status_code == 200 and ok.json["status"] == "ok"
    assert set(ok.json["checks"]) == {"database", "vault", "ledger", "keys"}
    ledger = app.extensions["handover"].ledger
    # /proc takes no new file, not even from root: a real read-only place
    monkeypatch.setattr(ledger, "folder", __import__("pathlib").Path("/proc/self"))
    failing = client.get("/healthz")
    assert failing.status_code == 503 and failing.json["failing"] == ["ledger"]


def test_metrics_are_off_without_a_token_and_need_it(tmp_path, instance_template):
    off = make_app(tmp_path / "off", instance_template)
    assert off.test_client().get("/metrics").status_code == 404
    off.extensions["handover"].close()
    on = make_app(tmp_path / "on", instance_template, METRICS_TOKEN="s3cret-token")
    client = on.test_client()
    client.get("/login")
    assert client.get("/metrics").status_code == 404
    r = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    assert r.status_code == 200
    assert 'handover_requests_total{route="/login",status="200"} 1' in r.get_data(as_text=True)
    assert 'handover_request_seconds_bucket{route="/login",le="+Inf"} 1' in r.get_data(
        as_text=True)
    on.extensions["handover"].close()


def test_one_json_access_line_per_request_without_query_strings(app, capsys):
    from webapp.observability import configure_logging

    configure_logging("INFO", force=True)  # as under gunicorn (pytest has its own handlers)
    logging.getLogger("handover.access").setLevel(logging.INFO)
    ours = logging.getLogger("handover")
    try:
        app.test_client().get("/verify/JJ-2026-000001?sha256=" + "ab" * 32,
                              headers={"X-Request-ID": "req-42"})
    finally:
        for handler in [h for h in ours.handlers if getattr(h, "handover_handler", False)]:
            ours.removeHandler(handler)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()
             if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "handover.access"]
    assert access and access[-1]["request_id"] == "req-42"
    assert access[-1]["route"] == "/verify/<number>" and access[-1]["status"] == 404
    assert "abab" not in json.dumps(access)  # no query strings in logs
