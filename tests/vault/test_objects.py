"""The object format on its own: each binding is checked by itself, not only end to end."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from vault import IntegrityError
from vault.objects import KeyRecord, decrypt_object, encrypt_object, seal_key, unseal_key

A, B = "a" * 32, "b" * 32


def test_object_id_is_bound_into_the_ciphertext():
    blob, secret = encrypt_object(A, b"form")
    assert decrypt_object(A, blob, secret) == b"form"
    with pytest.raises(IntegrityError) as info:
        decrypt_object(B, blob, secret)  # right key and tag, another id
    assert info.value.object_id == B


def test_sealed_tag_binds_the_exact_ciphertext():
    """Someone holding the data key re-encrypts other content under the same id: the GCM
    check alone would accept it, the content tag sealed in the key record does not."""
    blob, secret = encrypt_object(A, b"original form")
    nonce = os.urandom(12)
    aad = b"hav-object\x001\x00" + A.encode()
    forged_body = AESGCM(secret.data_key).encrypt(nonce, b"forged  form!", aad)
    forged = blob[:4] + nonce + forged_body
    assert len(forged) == len(blob)
    with pytest.raises(IntegrityError):
        decrypt_object(A, forged, secret)


def test_key_record_binds_id_and_kek_version():
    kek = os.urandom(32)
    _, secret = encrypt_object(A, b"x")
    record = seal_key(A, 1, kek, secret)
    assert unseal_key(A, KeyRecord.parse(A, record.to_bytes()), kek) == secret
    with pytest.raises(IntegrityError):
        unseal_key(B, record, kek)
    relabelled = KeyRecord(2, record.nonce, record.sealed)  # claims another kek version
    with pytest.raises(IntegrityError):
        unseal_key(A, relabelled, kek)
    with pytest.raises(IntegrityError):
        KeyRecord.parse(A, b"{not json")
