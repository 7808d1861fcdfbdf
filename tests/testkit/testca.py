"""A test certificate authority: facility and doctor certificates (RSA 2048), PKCS#12 files, a SoftHSM2 token.

Certificates are valid from 2020 to 2045 unless a test asks otherwise, so no test depends on today's date.
The SoftHSM2 token lives in a temporary folder (its own ``SOFTHSM2_CONF``); the key and the certificate go
in with the independent tools (``softhsm2-util``, OpenSC's ``pkcs11-tool``), never through our code.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOT_BEFORE = datetime(2020, 1, 1, tzinfo=UTC)
NOT_AFTER = datetime(2045, 1, 1, tzinfo=UTC)
SOFTHSM_MODULES = ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so")


@dataclass
class Issued:
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    def p12(self, password: str, name: str = "ksk") -> bytes:
        return pkcs12.serialize_key_and_certificates(
            name.encode(),
            self.key,
            self.certificate,
            None,
            serialization.BestAvailableEncryption(password.encode()),
        )

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def cert_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def cert_der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)


def _name(common: str, org: str = "KSK Test") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, common),
        ]
    )


class TestCA:
    """A root CA that issues end-entity signing certificates."""

    __test__ = False  # not a pytest test class

    def __init__(self, name: str = "KSK Test CA") -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        subject = _name(name)
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOT_BEFORE)
            .not_valid_after(NOT_AFTER)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )

    def cert_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def issue(
        self,
        common_name: str,
        *,
        org: str = "Trạm Y tế Thử nghiệm",
        not_before: datetime = NOT_BEFORE,
        not_after: datetime = NOT_AFTER,
    ) -> Issued:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name, org))
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False
            )
            .sign(self.key, hashes.SHA256())
        )
        return Issued(key, cert)

    def facility(self, name: str = "Trạm Y tế Phường Thử nghiệm") -> Issued:
        return self.issue(name)

    def doctor(self, name: str = "BS Nguyễn Văn Thử") -> Issued:
        return self.issue(name)


def softhsm_module() -> str | None:
    """The SoftHSM2 PKCS#11 module and the tools to fill a token, or None when not installed."""
    if not (shutil.which("softhsm2-util") and shutil.which("pkcs11-tool")):
        return None
    return next((m for m in SOFTHSM_MODULES if Path(m).exists()), None)


@dataclass
class SoftToken:
    module: str
    label: str
    pin: str
    so_pin: str
    key_label: str
    conf: Path


def make_token(
    folder: Path, issued: Issued, *, label: str = "KSK-TOKEN", pin: str = "123456", key_label: str = "ky-so"
) -> SoftToken:
    """Initialise a SoftHSM2 token in *folder* and import *issued*'s key and certificate (same CKA_ID).

    Sets ``SOFTHSM2_CONF`` in this process's environment (SoftHSM reads it when the module initialises);
    the caller restores it (pytest's ``monkeypatch.setenv`` does)."""
    module = softhsm_module()
    if module is None:
        raise RuntimeError("softhsm2 / opensc not installed")
    tokens = folder / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}
    so_pin = "87654321"
    run = [
        ["softhsm2-util", "--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", so_pin],
    ]
    key_file = folder / "key.pem"
    key_file.write_bytes(issued.key_pem())
    cert_file = folder / "cert.der"
    cert_file.write_bytes(issued.cert_der())
    run.append(
        ["softhsm2-util", "--import", str(key_file), "--token", label, "--label", key_label, "--id", "01",
         "--pin", pin]
    )  # fmt: skip
    run.append(
        ["pkcs11-tool", "--module", module, "--token-label", label, "--login", "--pin", pin,
         "--write-object", str(cert_file), "--type", "cert", "--id", "01", "--label", key_label]
    )  # fmt: skip
    for cmd in run:
        subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=60)
    key_file.unlink()
    return SoftToken(module, label, pin, so_pin, key_label, conf)
