"""Signing certificates: a facility's or a doctor's RSA key with its X.509 certificate.

Vietnamese facilities sign with certificates from licensed CAs, held in a PKCS#12 file or on a USB token
(PKCS#11). Both give a :class:`CertSigner`: the certificate, and ``sign(data)`` = RSA PKCS#1 v1.5 over SHA-256
of *data* (what XML-DSig's rsa-sha256 and the envelope's SHA256withRSA need). The token's key never leaves it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from ksk_desktop.moh1551.errors import (
    CertificateExpired,
    NoSigningKey,
    WrongCertificatePassword,
)


class CertSigner(Protocol):
    """An RSA signing key with its certificate; ``close()`` releases a token session."""

    @property
    def certificate(self) -> x509.Certificate: ...

    def sign(self, data: bytes) -> bytes: ...

    def close(self) -> None: ...


class SoftwareCertSigner:
    """A key held in memory (opened from a PKCS#12 file)."""

    def __init__(self, key: rsa.RSAPrivateKey, certificate: x509.Certificate) -> None:
        self._key: rsa.RSAPrivateKey | None = key
        self._certificate = certificate

    @property
    def certificate(self) -> x509.Certificate:
        return self._certificate

    def sign(self, data: bytes) -> bytes:
        if self._key is None:
            raise NoSigningKey("Khóa ký đã được đóng; hãy mở lại chứng thư số.")
        return self._key.sign(data, padding.PKCS1v15(), hashes.SHA256())

    def close(self) -> None:
        self._key = None


def verify_rsa_sha256(certificate: x509.Certificate, signature: bytes, data: bytes) -> bool:
    """True when *signature* is the certificate key's RSA PKCS#1 v1.5 SHA-256 signature of *data*."""
    from cryptography.exceptions import InvalidSignature

    public = certificate.public_key()
    if not isinstance(public, rsa.RSAPublicKey):
        return False
    try:
        public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def check_validity(certificate: x509.Certificate, at: datetime) -> None:
    """Raise :class:`CertificateExpired` unless *certificate* is valid at *at* (an aware datetime)."""
    when = at.astimezone(UTC)
    if when < certificate.not_valid_before_utc:
        raise CertificateExpired(
            f"Chứng thư số chưa đến ngày hiệu lực (hiệu lực từ {certificate.not_valid_before_utc:%d/%m/%Y})."
        )
    if when > certificate.not_valid_after_utc:
        raise CertificateExpired(
            f"Chứng thư số đã hết hạn ngày {certificate.not_valid_after_utc:%d/%m/%Y}; "
            "hãy gia hạn chứng thư số với nhà cung cấp."
        )


def describe(certificate: x509.Certificate) -> dict:
    """What a person needs to recognise a certificate (no key material)."""
    return {
        "subject": certificate.subject.rfc4514_string(),
        "issuer": certificate.issuer.rfc4514_string(),
        "serial": format(certificate.serial_number, "x"),
        "not_before": certificate.not_valid_before_utc.isoformat(),
        "not_after": certificate.not_valid_after_utc.isoformat(),
        "sha256": certificate.fingerprint(hashes.SHA256()).hex(),
    }


def open_pkcs12(
    path_or_bytes: str | Path | bytes, password: str, *, at: datetime | None = None
) -> CertSigner:
    """Open a PKCS#12 file (path or content); with *at*, also refuse a certificate not valid then."""
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else Path(path_or_bytes).read_bytes()
    try:
        key, cert, _chain = pkcs12.load_key_and_certificates(data, password.encode("utf-8"))
    except ValueError as exc:
        # cryptography says "Invalid password or PKCS12 data" for both; a file that is not PKCS#12 at all
        # fails the same way, so the message names both causes.
        raise WrongCertificatePassword(
            "Không mở được tệp chứng thư số: sai mật khẩu hoặc tệp không phải PKCS#12 (.p12/.pfx)."
        ) from exc
    if key is None or cert is None:
        raise NoSigningKey("Tệp chứng thư số không có khóa bí mật kèm chứng thư.")
    if not isinstance(key, rsa.RSAPrivateKey):
        raise NoSigningKey("Khóa trong tệp chứng thư số không phải khóa RSA.")
    public = cert.public_key()
    if (
        not isinstance(public, rsa.RSAPublicKey)
        or public.public_numbers() != key.public_key().public_numbers()
    ):
        raise NoSigningKey("Khóa bí mật trong tệp không khớp với chứng thư số.")
    if at is not None:
        check_validity(cert, at)
    return SoftwareCertSigner(key, cert)


def open_pkcs11(
    module: str, token_label: str, pin: str, key_label: str | None = None, *, at: datetime | None = None
) -> CertSigner:
    """Log in to the token labelled *token_label* through the PKCS#11 *module* (a .so/.dll path)."""
    from ksk_desktop.moh1551 import pkcs11

    signer = pkcs11.TokenSigner.open(module, token_label, pin, key_label)
    if at is not None:
        try:
            check_validity(signer.certificate, at)
        except CertificateExpired:
            signer.close()
            raise
    return signer
