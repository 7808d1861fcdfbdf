"""The station's QĐ 1551 certificates: the facility's (signs the file and the envelope) and each doctor's.

The facility's certificate is a PKCS#12 file or a token; its password or PIN is kept in the encrypted
database so the station signs offline at the doctor's sign-off, without the head. A doctor's PKCS#12 is
kept without its password: only the doctor, typing it at sign-off, can sign in their name. Nothing here logs
or returns a secret.
"""

from __future__ import annotations

import base64
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ksk_desktop.db.models import AppUser, MohCertificate
from ksk_desktop.errors import NotFound, PermissionDenied
from ksk_desktop.ids import new_id
from ksk_desktop.moh1551 import certs
from ksk_desktop.moh1551.certs import CertSigner
from ksk_desktop.moh1551.errors import NoSigningKey
from ksk_desktop.security.roles import Perm, Role
from ksk_desktop.station.session import StationSession

FACILITY = "@facility"


def _active(s: Session, owner: str) -> MohCertificate | None:
    return s.scalars(
        select(MohCertificate).where(MohCertificate.owner == owner, MohCertificate.active.is_(True))
    ).first()


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _store(ctx: StationSession, owner: str, signer: CertSigner, **fields: str | None) -> dict:
    cert = signer.certificate
    signer.close()
    with ctx.write() as s:
        s.execute(
            update(MohCertificate)
            .where(MohCertificate.owner == owner, MohCertificate.active.is_(True))
            .values(active=False)
        )
        row = MohCertificate(
            id=new_id(),
            owner=owner,
            certificate=_pem(cert),
            imported_at=ctx.clock.utcnow(),
            imported_by=ctx.user.username,
            active=True,
            **fields,
        )
        s.add(row)
        info = certs.describe(cert)
        ctx.audit(s, "moh_cert_import", "moh_certificate", row.id, {"owner": owner, "sha256": info["sha256"]})
    return {"owner": owner, "holder": fields["holder"], **info}


def import_facility_p12(ctx: StationSession, data: bytes, password: str) -> dict:
    """Keep the facility's PKCS#12 and its password (checked by opening it now)."""
    ctx.require(Perm.SETTINGS_MANAGE)
    signer = certs.open_pkcs12(data, password, at=ctx.clock.now())
    return _store(
        ctx, FACILITY, signer, holder="pkcs12", p12=base64.b64encode(data).decode("ascii"), secret=password
    )


def import_facility_pkcs11(
    ctx: StationSession, module: str, token_label: str, pin: str, key_label: str | None = None
) -> dict:
    """Use the facility's token (checked by logging in now); keep the module, labels and PIN."""
    ctx.require(Perm.SETTINGS_MANAGE)
    signer = certs.open_pkcs11(module, token_label, pin, key_label, at=ctx.clock.now())
    return _store(
        ctx,
        FACILITY,
        signer,
        holder="pkcs11",
        module=module,
        token_label=token_label,
        key_label=key_label,
        secret=pin,
    )


def import_doctor_p12(ctx: StationSession, username: str, data: bytes, password: str) -> dict:
    """Keep a doctor's PKCS#12 (without its password); the doctor or a user manager imports it."""
    if ctx.user.username != username:
        ctx.require(Perm.USER_MANAGE)
    with ctx.read() as s:
        user = s.scalars(select(AppUser).where(AppUser.username == username)).first()
        if user is None:
            raise NotFound("Không có người dùng này.")
        if user.role != Role.DOCTOR.value:
            raise PermissionDenied("Chỉ bác sĩ mới có chứng thư số ký kết luận khám.")
    signer = certs.open_pkcs12(data, password, at=ctx.clock.now())
    return _store(ctx, username, signer, holder="pkcs12", p12=base64.b64encode(data).decode("ascii"))


def show(s: Session) -> dict:
    """The facility's certificate and each doctor's (no secrets): ``ksk station cert show``."""
    rows = s.scalars(select(MohCertificate).where(MohCertificate.active.is_(True))).all()
    out: dict = {"facility": None, "doctors": []}
    for row in sorted(rows, key=lambda r: r.owner):
        info = {
            "holder": row.holder,
            "imported_at": row.imported_at.isoformat(),
            "imported_by": row.imported_by,
            **certs.describe(x509.load_pem_x509_certificate(row.certificate.encode())),
        }
        if row.holder == "pkcs11":
            info["token_label"] = row.token_label
        if row.owner == FACILITY:
            out["facility"] = info
        else:
            out["doctors"].append({"username": row.owner, **info})
    return out


def facility_certificate(s: Session) -> x509.Certificate | None:
    row = _active(s, FACILITY)
    return x509.load_pem_x509_certificate(row.certificate.encode()) if row else None


def _open(row: MohCertificate, secret: str, at: datetime) -> CertSigner:
    if row.holder == "pkcs11":
        assert row.module is not None and row.token_label is not None
        return certs.open_pkcs11(row.module, row.token_label, secret, row.key_label, at=at)
    assert row.p12 is not None
    return certs.open_pkcs12(base64.b64decode(row.p12), secret, at=at)


def open_facility_signer(s: Session, at: datetime) -> CertSigner:
    """The facility's signer, opened with the kept password/PIN; refused if not valid at *at* (aware)."""
    row = _active(s, FACILITY)
    if row is None or row.secret is None:
        raise NoSigningKey("Trạm chưa nhập chứng thư số của cơ sở (để ký hồ sơ gửi Bộ Y tế).")
    return _open(row, row.secret, at)


def open_doctor_signer(s: Session, username: str, password: str, at: datetime) -> CertSigner:
    """The doctor's signer, opened with the password (or PIN) the doctor typed at sign-off."""
    row = _active(s, username)
    if row is None:
        raise NoSigningKey("Bác sĩ chưa có chứng thư số trên máy trạm; hãy nhập chứng thư số của bác sĩ.")
    return _open(row, password, at)
