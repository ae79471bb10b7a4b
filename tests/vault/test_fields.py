"""Field encryption, blind indexes and the EncryptedText column type (policy C2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, select, text
from sqlalchemy.exc import IntegrityError as SAIntegrityError
from sqlalchemy.exc import StatementError

from vault import (
    EncryptedText,
    FieldCipher,
    FieldCipherMissing,
    FieldDecryptError,
    PrivateCategory,
    attach_field_cipher,
    normalize_id_number,
    normalize_phone,
)


@pytest.fixture
def cipher(keyring) -> FieldCipher:
    return FieldCipher(keyring)


def test_round_trip_is_randomised(cipher: FieldCipher):
    a = cipher.encrypt("张三", context="student.name")
    b = cipher.encrypt("张三", context="student.name")
    assert a != b and a.startswith("f1.") and "张三" not in a
    assert cipher.decrypt(a, context="student.name") == "张三"
    assert cipher.decrypt(cipher.encrypt("", context="c"), context="c") == ""


def test_wrong_context_fails(cipher: FieldCipher):
    token = cipher.encrypt("北京市海淀区", context="student.address")
    with pytest.raises(FieldDecryptError) as info:
        cipher.decrypt(token, context="student.name")
    assert info.value.context == "student.name" and info.value.version == 1


def _flip_one_char(token: str) -> str:
    """Change one base64 character of the body to a different one (never the same: no flake)."""
    i = 5
    return token[:i] + ("B" if token[i] == "A" else "A") + token[i + 1 :]


@pytest.mark.parametrize("mangle", [lambda t: t[:-2], _flip_one_char, "f1.", "x"])
def test_altered_token_fails(cipher: FieldCipher, mangle):
    token = cipher.encrypt("13800138000", context="student.phone")
    bad = mangle if isinstance(mangle, str) else mangle(token)
    assert bad != token
    with pytest.raises(FieldDecryptError):
        cipher.decrypt(bad, context="student.phone")


def test_rotation_keeps_old_tokens_readable(cipher: FieldCipher, keyring):
    old = cipher.encrypt("李四", context="student.name")
    assert not cipher.needs_rewrap(old)
    assert keyring.add_version("field") == 2
    new = cipher.encrypt("李四", context="student.name")
    assert new.startswith("f2.")
    assert cipher.decrypt(old, context="student.name") == "李四"
    assert cipher.needs_rewrap(old) and not cipher.needs_rewrap(new)
    rewrapped = cipher.rewrap(old, "student.name")
    assert rewrapped.startswith("f2.")
    assert cipher.decrypt(rewrapped, context="student.name") == "李四"
    keyring.retire("field", 1)
    with pytest.raises(FieldDecryptError) as info:
        cipher.decrypt(old, context="student.name")
    assert info.value.version == 1


def test_blind_index_is_keyed_kind_separated_and_versioned(cipher: FieldCipher, keyring):
    phone = normalize_phone("+86 138-0013-8000")
    index = cipher.blind_index(phone, kind="phone")
    assert index.startswith("b1.") and phone not in index
    assert index == cipher.blind_index(normalize_phone("13800138000"), kind="phone")
    assert index != cipher.blind_index(phone, kind="guardian_phone")
    other = FieldCipher(type(keyring).open(keyring.root.parent / "other", create=True))
    assert index != other.blind_index(phone, kind="phone")
    keyring.add_version("blind")
    both = cipher.blind_indexes(phone, kind="phone")
    assert both[0].startswith("b2.") and both[1] == index


def test_normalizers():
    assert normalize_phone("0086 138 0013 8000") == "13800138000"
    assert normalize_phone("１３８００１３８０００") == "13800138000"  # full-width digits
    assert normalize_phone("(010) 6275-1234") == "01062751234"
    assert normalize_phone("+1 650 555 0100") == "+16505550100"
    with pytest.raises(ValueError):
        normalize_phone("电话 138")
    assert normalize_id_number(" 11010519491231002x ") == "11010519491231002X"


def test_private_categories_have_chinese_labels():
    assert [c.value for c in PrivateCategory] == [
        "name",
        "gender",
        "age",
        "address",
        "contact",
        "grades",
        "health",
        "finances",
        "identity",
    ]
    assert PrivateCategory.FINANCES.label == "家庭经济状况"
    assert all(c.label and not c.label.isascii() for c in PrivateCategory)


def _students(metadata: MetaData) -> Table:
    return Table(
        "students",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", EncryptedText("student.name")),
        Column("phone", EncryptedText("student.phone"), nullable=True),
        Column("phone_index", String(80), index=True),
    )


def test_encrypted_text_stores_no_plaintext(cipher: FieldCipher, tmp_path: Path):
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    attach_field_cipher(engine, cipher)
    students = _students(MetaData())
    students.metadata.create_all(engine)
    phone = normalize_phone("13912345678")
    with engine.begin() as conn:
        conn.execute(
            students.insert(),
            [
                {
                    "name": "王小明",
                    "phone": phone,
                    "phone_index": cipher.blind_index(phone, kind="phone"),
                },
                {"name": "赵六", "phone": None, "phone_index": None},
            ],
        )
    with engine.connect() as conn:
        raw = conn.execute(text("SELECT name, phone FROM students ORDER BY id")).all()
        found = conn.execute(
            select(students.c.name).where(
                students.c.phone_index == cipher.blind_index(phone, kind="phone")
            )
        ).scalar_one()
    assert found == "王小明"
    assert raw[0][0].startswith("f1.") and "王小明" not in raw[0][0]
    assert raw[0][1].startswith("f1.") and phone not in raw[0][1]
    assert raw[1][1] is None
    engine.dispose()


def test_encrypted_text_without_cipher_is_refused(tmp_path: Path):
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    students = _students(MetaData())
    students.metadata.create_all(engine)
    with pytest.raises(StatementError) as info, engine.begin() as conn:
        conn.execute(students.insert(), [{"name": "王小明"}])
    assert isinstance(info.value.orig, FieldCipherMissing)
    assert info.value.orig.context == "student.name"
    engine.dispose()


def test_errors_on_an_attached_engine_show_no_values(cipher: FieldCipher, tmp_path: Path):
    """SQLAlchemy prints bound values in errors unless hide_parameters is on (policy C2)."""
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    attach_field_cipher(engine, cipher)
    students = _students(MetaData())
    students.metadata.create_all(engine)
    row = {"id": 1, "name": "王小明", "phone": "13912345678", "phone_index": "13912345678"}
    with engine.begin() as conn:
        conn.execute(students.insert(), [row])
    with pytest.raises(SAIntegrityError) as info, engine.begin() as conn:
        conn.execute(students.insert(), [row])  # duplicate primary key
    assert "13912345678" not in str(info.value) and "王小明" not in str(info.value)
    engine.dispose()
