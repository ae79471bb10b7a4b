"""PAdES B-LTA: a countersigned form carries its validation data under a document timestamp,
pyHanko validates it with default settings and offline, and a refresh under a renewed TSA
keeps the signatures provable after the first TSA certificate has expired."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta

import pypdf
import pytest
from asn1crypto import crl as asn1_crl
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESPassed
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.policy_decl import (
    LocalKnowledge,
    PdfSignatureValidationSpec,
    SignatureValidationSpec,
)
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import (
    REQUIRE_REVINFO,
    CertRevTrustPolicy,
    FreshnessReqType,
)
from pyhanko_certvalidator.registry import SimpleTrustManager
from pyhanko_certvalidator.revinfo.archival import CRLContainer

from signing import certs
from signing.ltv import add_archive_timestamp, archive_timestamp_due, document_timestamps
from signing.pki import SchoolPKI
from signing.sign import RECEIVER_FIELD, SENDER_FIELD, countersign, sign_sender
from signing.timestamps import SchoolTimeStamper, to_asn1_cert
from signing.verify import verify_pdf

SEAL_KEY = bytes(32)


def _signatures(pdf: bytes):
    return PdfFileReader(io.BytesIO(pdf)).embedded_regular_signatures


def test_countersigned_form_ends_with_validation_data_under_a_document_timestamp(
        countersigned, pki):
    reader = pypdf.PdfReader(io.BytesIO(countersigned))
    dss = reader.trailer["/Root"]["/DSS"]
    assert len(dss["/Certs"]) >= 4 and len(dss["/CRLs"]) >= 1  # staff x2, TSA, root; CRL
    stamps = document_timestamps(countersigned)
    assert [s.field for s in stamps] == ["Archive_TS_001"]
    assert stamps[0].tsa_serial == pki.tsa_cert.serial_number
    assert stamps[0].tsa_expires == pki.tsa_cert.not_valid_after_utc
    # The timestamp is the last thing in the file and covers all of it, DSS included.
    embedded = PdfFileReader(io.BytesIO(countersigned)).embedded_timestamp_signatures[0]
    start, length = (int(v) for v in list(embedded.sig_object["/ByteRange"])[2:])
    assert start + length == len(countersigned)


def test_default_pyhanko_validation_says_valid(countersigned, pki):
    """What a reader gets from pyHanko with nothing but the school root."""
    root = to_asn1_cert(pki.ca_cert)
    for embedded in _signatures(countersigned):
        status = validate_pdf_signature(embedded, ValidationContext(trust_roots=[root]))
        assert status.bottom_line, status.pretty_print_details()


def test_embedded_validation_data_suffices_offline_with_hard_fail(countersigned, pki):
    """Revocation checking that fails without revocation data, no fetching: the CRL in the
    file's DSS is what makes both signatures (and their timestamps) valid."""
    root = to_asn1_cert(pki.ca_cert)
    kwargs = {"trust_roots": [root], "allow_fetching": False, "revocation_mode": "hard-fail"}
    reader = PdfFileReader(io.BytesIO(countersigned))
    from_file = DocumentSecurityStore.read_dss(reader).as_validation_context(kwargs)
    for embedded in reader.embedded_regular_signatures:
        assert validate_pdf_signature(embedded, from_file).bottom_line
        # Without the file's CRL (an empty list: pyHanko refuses None) nothing proves that
        # the certificates were not revoked.
        bare = validate_pdf_signature(embedded, ValidationContext(crls=[], **kwargs))
        assert not bare.bottom_line


def _crl_dated(pki: SchoolPKI, when: datetime) -> CRLContainer:
    """A CRL of the school root as it would be issued at ``when`` (nothing revoked)."""
    builder = (x509.CertificateRevocationListBuilder().issuer_name(pki.ca_cert.subject)
               .last_update(when - timedelta(days=1)).next_update(when + timedelta(days=6))
               .add_extension(x509.CRLNumber(1000), False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                   pki.ca_cert.public_key()), False))
    der = builder.sign(pki.ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
    return CRLContainer(asn1_crl.CertificateList.load(der))


def pades_lta(pdf: bytes, pki: SchoolPKI, when: datetime | None = None) -> dict:
    """pyHanko's AdES long-term validation (ETSI EN 319 102-1 5.6.3, what
    `pyhanko sign adesverify` runs), revocation information required, no fetching; at
    ``when`` (default now), with the school CRL as it would be then."""
    policy = CertValidationPolicySpec(
        trust_manager=SimpleTrustManager.build([to_asn1_cert(pki.ca_cert)]),
        revinfo_policy=CertRevTrustPolicy(
            REQUIRE_REVINFO, freshness=None,
            freshness_req_type=FreshnessReqType.MAX_DIFF_REVOCATION_VALIDATION))
    known = LocalKnowledge(known_crls=[_crl_dated(pki, when)] if when else [])
    spec = PdfSignatureValidationSpec(
        SignatureValidationSpec(cert_validation_policy=policy, local_knowledge=known),
        diff_policy=DEFAULT_DIFF_POLICY)
    timing = ValidationTimingInfo(when, when, point_in_time_validation=True) if when else None
    return {sig.field_name: asyncio.run(ades_lta_validation(sig, spec, timing_info=timing))
            for sig in _signatures(pdf)}


def test_pades_lta_validation_passes(countersigned, pki):
    results = pades_lta(countersigned, pki)
    assert set(results) == {SENDER_FIELD, RECEIVER_FIELD}
    stamp = document_timestamps(countersigned)[0]
    for result in results.values():
        assert result.ades_subindic == AdESPassed.OK, result.failure_msg
        assert result.oldest_evidence_record_timestamp == stamp.time


@pytest.fixture
def short_lived_tsa_form(tmp_path, monkeypatch, prepared, sender_stamp, receiver_stamp):
    """A countersigned form whose archive timestamp's TSA certificate lasts one year."""
    monkeypatch.setattr(certs, "TSA_YEARS", 1)
    pki = SchoolPKI.create(tmp_path / "pki", SEAL_KEY, "未来星培训学校")
    monkeypatch.undo()
    tsa = SchoolTimeStamper.for_pki(pki)
    sent = sign_sender(prepared, pki.issue_staff("张三", "招生部", "pw-1"), "pw-1",
                       stamp=sender_stamp, pki=pki, tsa=tsa)
    done = countersign(sent, pki.issue_staff("李四", "教务部", "pw-2"), "pw-2",
                       stamp=receiver_stamp, pki=pki, tsa=tsa)
    return pki, done


def test_refresh_adds_a_timestamp_and_keeps_the_signatures_provable(short_lived_tsa_form):
    pki, done = short_lived_tsa_form
    first = document_timestamps(done)[0]
    assert archive_timestamp_due(done, first.tsa_expires + timedelta(days=1))
    assert not archive_timestamp_due(done, first.tsa_expires - timedelta(days=1))

    pki.renew_tsa()
    refreshed = add_archive_timestamp(done, pki=pki, tsa=SchoolTimeStamper.for_pki(pki))
    assert refreshed.startswith(done)  # an incremental revision: nothing signed changes
    stamps = document_timestamps(refreshed)
    assert [s.field for s in stamps] == ["Archive_TS_001", "Archive_TS_002"]
    assert stamps[1].tsa_serial == pki.tsa_cert.serial_number
    assert stamps[1].tsa_expires > first.tsa_expires + timedelta(days=365 * 8)
    assert not archive_timestamp_due(refreshed, first.tsa_expires + timedelta(days=1))

    report = verify_pdf(refreshed, trust_roots=[pki.ca_cert], crls=[pki.crl()])
    assert report.ok, report.to_dict()
    assert [t.ok for t in report.timestamps] == [True, True]
    assert {s.modification_level for s in report.signatures} == {"FORM_FILLING",
                                                                 "LTA_UPDATES"}

    # Five years on: both staff certificates (3 y) and the first TSA certificate (1 y) have
    # expired. Only the refreshed file still proves its signatures.
    later = datetime.now(UTC) + timedelta(days=5 * 365)
    for result in pades_lta(refreshed, pki, later).values():
        assert result.ades_subindic == AdESPassed.OK, result.failure_msg
    for result in pades_lta(done, pki, later).values():
        assert result.ades_subindic != AdESPassed.OK
