"""Signing certificates: PKCS#12 files and a PKCS#11 token (SoftHSM2), with clear errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from testkit.testca import TestCA, make_token, softhsm_module

from ksk_desktop.errors import KskError
from ksk_desktop.moh1551 import certs
from ksk_desktop.moh1551.errors import (
    CertificateExpired,
    NoSigningKey,
    TokenAbsent,
    WrongCertificatePassword,
)

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def ca() -> TestCA:
    return TestCA()


@pytest.fixture(scope="module")
def facility(ca):
    return ca.facility()


def test_pkcs12_signs_rsa_sha256_that_the_certificate_verifies(facility, tmp_path):
    path = tmp_path / "f.p12"
    path.write_bytes(facility.p12("mat-khau"))
    signer = certs.open_pkcs12(path, "mat-khau", at=NOW)
    sig = signer.sign(b"du lieu")
    assert signer.certificate == facility.certificate
    assert certs.verify_rsa_sha256(facility.certificate, sig, b"du lieu")
    assert not certs.verify_rsa_sha256(facility.certificate, sig, b"du lieu khac")
    signer.close()
    with pytest.raises(NoSigningKey):
        signer.sign(b"x")


def test_pkcs12_wrong_password_and_not_a_p12_are_clear_errors(facility):
    with pytest.raises(WrongCertificatePassword, match="sai mật khẩu"):
        certs.open_pkcs12(facility.p12("dung"), "sai")
    with pytest.raises(WrongCertificatePassword):
        certs.open_pkcs12(b"not a pkcs12 file", "x")
    assert issubclass(WrongCertificatePassword, KskError)


def test_expired_and_not_yet_valid_certificates_are_refused(ca):
    old = ca.issue(
        "Cũ", not_before=datetime(2020, 1, 1, tzinfo=UTC), not_after=datetime(2025, 1, 1, tzinfo=UTC)
    )
    with pytest.raises(CertificateExpired, match="hết hạn ngày 01/01/2025"):
        certs.open_pkcs12(old.p12("p"), "p", at=NOW)
    future = ca.issue("Mới", not_before=datetime(2027, 1, 1, tzinfo=UTC))
    with pytest.raises(CertificateExpired, match="chưa đến ngày hiệu lực"):
        certs.check_validity(future.certificate, NOW)
    certs.open_pkcs12(old.p12("p"), "p")  # without a time, opening still works (to show it, to renew it)


@pytest.fixture
def token(tmp_path, facility, monkeypatch):
    if softhsm_module() is None:
        pytest.skip(
            "softhsm2 and opensc (pkcs11-tool) are not installed: installer/dev-setup.sh installs them"
        )
    tok = make_token(tmp_path, facility)
    monkeypatch.setenv("SOFTHSM2_CONF", str(tok.conf))
    return tok


def test_pkcs11_token_signs_the_same_as_the_key_it_holds(token, facility):
    signer = certs.open_pkcs11(token.module, token.label, token.pin, at=NOW)
    try:
        assert signer.certificate == facility.certificate
        sig = signer.sign(b"ho so kham")
        # PKCS#1 v1.5 is deterministic: the token's signature equals the software key's.
        assert sig == certs.open_pkcs12(facility.p12("p"), "p").sign(b"ho so kham")
        assert certs.verify_rsa_sha256(facility.certificate, sig, b"ho so kham")
    finally:
        signer.close()
    labelled = certs.open_pkcs11(token.module, token.label, token.pin, key_label=token.key_label)
    labelled.close()


def test_pkcs11_errors_are_clear(token, tmp_path):
    with pytest.raises(WrongCertificatePassword, match="PIN"):
        certs.open_pkcs11(token.module, token.label, "000000")
    with pytest.raises(TokenAbsent, match="cắm USB token"):
        certs.open_pkcs11(token.module, "KHONG-CO", token.pin)
    with pytest.raises(TokenAbsent, match="thư viện PKCS#11"):
        certs.open_pkcs11(str(tmp_path / "missing.so"), token.label, token.pin)
    with pytest.raises(NoSigningKey):
        certs.open_pkcs11(token.module, token.label, token.pin, key_label="khoa-khac")
    # After the failures the token still opens (no session or module reference was leaked).
    certs.open_pkcs11(token.module, token.label, token.pin).close()
