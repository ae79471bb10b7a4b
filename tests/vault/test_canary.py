"""Library-level canary (policy C2): a student-like record in SQLite with EncryptedText, a
PDF-like blob in the vault and its ledger entries leave no private value in any file; the
vault's store is each backend in turn, and what a PostgreSQL table or an S3 bucket holds
(every object version) is copied, as stored, into the scanned folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, event, text

from tests.canary import assert_absent
from vault import EncryptedText, FieldCipher, Vault, attach_field_cipher, normalize_phone

NAME = "欧阳晓雯"
PHONE = "13987654321"
ADDRESS = "上海市浦东新区锦绣路1234弄56号"


def _dump_store(store, folder: Path) -> None:
    """What a table or bucket holds, as files the canary scan reads (a local store's
    files are under tmp_path already)."""
    if store.backend == "local":
        return
    folder.mkdir()
    stored = store.raw()
    assert len(stored) == 2  # the object and its key record: the scan sees them
    for i, data in enumerate(stored.values()):
        (folder / f"{i}.bin").write_bytes(data)


def test_canary_values_absent_everywhere(tmp_path: Path, vault: Vault, keyring, store):
    cipher = FieldCipher(keyring)
    engine = create_engine(f"sqlite:///{tmp_path / 'instance' / 'archive.sqlite3'}")
    (tmp_path / "instance").mkdir()

    @event.listens_for(engine, "connect")
    def _wal(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA journal_mode=WAL")

    attach_field_cipher(engine, cipher)
    students = Table(
        "students",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("name", EncryptedText("student.name")),
        Column("phone", EncryptedText("student.phone")),
        Column("phone_index", String(80)),
        Column("address", EncryptedText("student.address")),
        Column("form_object", String(32)),
    )
    students.metadata.create_all(engine)

    pdf = b"%PDF-1.7\n" + b"(" + "\ufeff".encode("utf-16-be") + NAME.encode("utf-16-be") + b")"
    pdf += f"\n{NAME} {PHONE} {ADDRESS}\n".encode() + b"%%EOF\n"
    object_id = vault.put(pdf, actor="staff-3", reason="F1 潜在学生信息", context={"student": 1})
    with engine.begin() as conn:
        conn.execute(
            students.insert(),
            [
                {
                    "id": 1,
                    "name": NAME,
                    "phone": PHONE,
                    "address": ADDRESS,
                    "form_object": object_id,
                    "phone_index": cipher.blind_index(normalize_phone(PHONE), kind="phone"),
                }
            ],
        )
    assert vault.get(object_id, actor="staff-4", reason="接收方查看") == pdf
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM students")).scalar_one() == 1
        assert conn.execute(students.select()).one().name == NAME
        assert_absent(tmp_path, [NAME, PHONE, ADDRESS])  # WAL file still present here
    engine.dispose()
    assert vault.ledger.verify().ok
    _dump_store(store, tmp_path / "store-dump")
    assert_absent(tmp_path, [NAME, PHONE, ADDRESS])


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16-le", "utf-16-be", "gb18030"])
def test_canary_helper_finds_each_encoding(tmp_path: Path, encoding: str):
    (tmp_path / "deep" / ".hidden").mkdir(parents=True)
    (tmp_path / "deep" / ".hidden" / "x.bin").write_bytes(b"\x00\x01" + NAME.encode(encoding))
    assert_absent(tmp_path, [PHONE])
    with pytest.raises(AssertionError) as info:
        assert_absent(tmp_path, [PHONE, NAME])
    assert "value #1" in str(info.value) and NAME not in str(info.value)
