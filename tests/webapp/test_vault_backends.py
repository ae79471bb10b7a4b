"""The vault's object store as settings choose it: start-up checks naming the setting,
`handover vault migrate` (local to S3, local to PostgreSQL, verified and idempotent), the
instance then serving from the new store, and an unreachable store answered 503 with
nothing written."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.conftest import make_app, pg_schema_url
from tests.object_stores import S3_CREDENTIALS, _free_port, new_bucket, s3_client
from tests.webapp.web_flow import add_student, signed_in, submit_f2
from webapp.settings import SettingsError

DOCS = {i: f"交接附件 {i} 李浩然 13987654321".encode() * 40 for i in range(3)}


def _s3_config(endpoint: str, bucket: str) -> dict:
    return {"VAULT_S3_ENDPOINT": endpoint, "VAULT_S3_BUCKET": bucket,
            "VAULT_S3_ACCESS_KEY_ID": S3_CREDENTIALS["aws_access_key_id"],
            "VAULT_S3_SECRET_ACCESS_KEY": S3_CREDENTIALS["aws_secret_access_key"]}


def _put(app) -> dict[str, bytes]:
    svc = app.extensions["handover"]
    with app.app_context():
        return {svc.vault.put(data, actor="tester", reason="test"): data
                for data in DOCS.values()}


def _reads_back(app, docs: dict[str, bytes]) -> None:
    svc = app.extensions["handover"]
    with app.app_context():
        assert svc.vault.object_ids() == sorted(docs)
        for object_id, data in docs.items():
            assert svc.vault.get(object_id, actor="t", reason="check") == data
    assert app.test_cli_runner().invoke(args=["vault", "check"]).exit_code == 0


def _migrate(app, target: str):
    result = app.test_cli_runner().invoke(args=["vault", "migrate", "--to", target])
    assert result.exit_code == 0, result.output
    return re.search(r"共 (\d+) 个加密文件：本次复制 (\d+) 个，目标中已有且一致 (\d+) 个",
                     result.output).groups()


def test_migrate_local_to_s3(tmp_path, instance_template, s3_server):
    bucket = new_bucket(s3_server)
    config = _s3_config(s3_server, bucket)
    local = make_app(tmp_path / "inst", instance_template, **config)
    docs = _put(local)
    assert _migrate(local, "s3") == ("3", "3", "0")
    assert _migrate(local, "s3") == ("3", "0", "3")  # again: nothing copied, all verified
    assert local.test_cli_runner().invoke(args=["vault", "rotate"]).exit_code == 0
    assert _migrate(local, "s3") == ("3", "3", "0")  # resealed key records are replaced
    stored = s3_client(s3_server).list_objects_v2(Bucket=bucket)["Contents"]
    assert len(stored) == 6
    svc = local.extensions["handover"]
    assert [e.context["copied"] for e in svc.ledger.entries(action="vault.migrate")] == [3, 0, 3]
    local.extensions["handover"].close()

    switched = make_app(tmp_path / "inst", VAULT_BACKEND="s3", **config)
    _reads_back(switched, docs)
    switched.extensions["handover"].close()


def test_migrate_local_to_postgresql(tmp_path):
    with pg_schema_url() as url:
        local = make_app(tmp_path / "inst", DATABASE_URL=url)
        docs = _put(local)
        assert _migrate(local, "postgresql") == ("3", "3", "0")
        assert _migrate(local, "postgresql") == ("3", "0", "3")
        local.extensions["handover"].close()
        switched = make_app(tmp_path / "inst", DATABASE_URL=url, VAULT_BACKEND="postgresql")
        _reads_back(switched, docs)
        switched.extensions["handover"].close()


def test_migrate_refuses_a_target_it_cannot_use(app, runner):
    result = runner.invoke(args=["vault", "migrate", "--to", "s3"])
    assert result.exit_code != 0 and "VAULT_S3_BUCKET" in result.output
    result = runner.invoke(args=["vault", "migrate", "--to", "postgresql"])
    assert result.exit_code != 0 and "DATABASE_URL" in result.output
    result = runner.invoke(args=["vault", "migrate", "--to", "local"])
    assert result.exit_code != 0 and "VAULT_BACKEND" in result.output


@pytest.mark.parametrize(("config", "named"), [
    ({"VAULT_BACKEND": "minio"}, "VAULT_BACKEND"),
    ({"VAULT_BACKEND": "s3"}, "VAULT_S3_BUCKET"),
    ({"VAULT_BACKEND": "postgresql"}, "DATABASE_URL"),
    ({"VAULT_S3_OBJECT_LOCK": "governance"}, "VAULT_S3_OBJECT_LOCK_DAYS"),
    ({"VAULT_S3_OBJECT_LOCK": "legal-hold", "VAULT_S3_OBJECT_LOCK_DAYS": 5},
     "VAULT_S3_OBJECT_LOCK"),
    ({"VAULT_S3_ACCESS_KEY_ID": "AKIA"}, "VAULT_S3_SECRET_ACCESS_KEY"),
])
def test_start_stops_naming_the_setting(tmp_path, config, named):
    from webapp import create_app

    with pytest.raises(SettingsError) as info:
        create_app({"INSTANCE": tmp_path / "inst", **config})
    assert named in str(info.value)


def test_unreachable_store_is_503_and_nothing_is_written(tmp_path, instance_template, passwords):
    from records.handovers import Handover
    from tests.conftest import _add_staff

    dead = f"http://127.0.0.1:{_free_port()}"
    app = make_app(tmp_path / "inst", instance_template, VAULT_BACKEND="s3",
                   **_s3_config(dead, "vault-gone"))
    svc = app.extensions["handover"]
    login, password = _add_staff(app, passwords, "enr", depts=("ENR",))
    client, token = signed_in(app, login, password)
    r = submit_f2(client, token, password, add_student(app))
    assert r.status_code == 503
    assert "存储服务暂不可用，请稍后再试" in r.get_data(as_text=True)
    with svc.session_factory() as db:
        assert db.scalar(select(func.count(Handover.id))) == 0
    failed = list(svc.ledger.entries(action="vault.put"))
    assert failed and all(e.outcome == "store_unavailable" for e in failed)
    assert svc.ledger.verify().ok
    assert "vault" in client.get("/healthz").get_json()["failing"]
    svc.close()
