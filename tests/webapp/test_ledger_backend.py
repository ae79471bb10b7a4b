"""LEDGER_BACKEND and `handover audit migrate` (issue 15): a wrong setting stops the start; on
PostgreSQL the file ledger moves into the database, verifies there, and the move is refused
over another chain and said done when repeated."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.conftest import make_app
from tests.vault.ledger_backends import pg_url  # noqa: F401  (fixture)
from webapp.settings import SettingsError


@pytest.mark.parametrize("config", [{"LEDGER_BACKEND": "s3"}, {"LEDGER_BACKEND": "db"}])
def test_a_wrong_ledger_backend_stops_the_start(tmp_path, config):
    """Unknown, or db on SQLite (the default database)."""
    from webapp import create_app

    with pytest.raises(SettingsError, match="LEDGER_BACKEND"):
        create_app({"INSTANCE": tmp_path / "instance", **config})


@pytest.fixture
def file_then_db(tmp_path, instance_template, pg_url):  # noqa: F811
    """An instance on PostgreSQL that kept its file ledger (LEDGER_BACKEND = file) and wrote
    to it; then the same instance with the default, the database."""
    made = []

    def open_app(**config):
        made.append(make_app(tmp_path / "instance", instance_template, DATABASE_URL=pg_url,
                             **config))
        return made[-1]

    old = open_app(LEDGER_BACKEND="file").extensions["handover"]
    for i in range(5):
        old.ledger.append(actor="cli", action="vault.get", subject=f"obj-{i}")
    yield open_app()
    for app in made:
        app.extensions["handover"].close()


def test_migrate_moves_the_file_ledger_and_verify_reads_the_database(file_then_db):
    app = file_then_db
    svc, cli = app.extensions["handover"], app.test_cli_runner()
    refused = cli.invoke(args=["audit", "verify"])  # a second chain is never started
    assert refused.exit_code != 0 and "handover audit migrate" in refused.output

    moved = cli.invoke(args=["audit", "migrate"])
    assert moved.exit_code == 0, moved.output
    assert "已将 5 条访问日志迁移到数据库" in moved.output
    verified = cli.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "访问日志（数据库）完整：共 6 条" in verified.output  # the 5 and the move itself
    assert [e.action for e in svc.db_ledger.entries()][-1] == "audit.migrate"
    again = cli.invoke(args=["audit", "migrate"])
    assert again.exit_code == 0 and "已迁移过" in again.output

    with svc.engine.begin() as conn:  # an edit in the database is named by verify
        conn.execute(text("UPDATE ledger_entry SET line = replace(line, 'obj-2', 'obj-7') "
                          "WHERE seq = 3"))
    tampered = cli.invoke(args=["audit", "verify"])
    assert tampered.exit_code == 1 and "第 3 条" in tampered.output


def test_migrate_refuses_a_database_ledger_with_another_chain(file_then_db):
    app = file_then_db
    svc, cli = app.extensions["handover"], app.test_cli_runner()
    svc.db_ledger.append(actor="cli", action="other.server")
    refused = cli.invoke(args=["audit", "migrate"])
    assert refused.exit_code == 1 and "拒绝迁移" in refused.output
    assert [e.action for e in svc.db_ledger.entries()] == ["other.server"]
