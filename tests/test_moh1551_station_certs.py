"""The station's QĐ 1551 certificates: the facility's kept with its password/PIN (signs offline), a doctor's
kept without (only the doctor's password opens it); the CLI never takes a secret on its command line."""

from __future__ import annotations

import json

import pytest
from testkit.testca import TestCA, make_token, softhsm_module

from conftest import ADMIN, ADMIN_PASSWORD, run_ksk
from ksk_desktop.db.models import MohCertificate
from ksk_desktop.errors import PermissionDenied
from ksk_desktop.moh1551 import certs, station_certs
from ksk_desktop.moh1551.errors import NoSigningKey, WrongCertificatePassword
from ksk_desktop.station import users
from ksk_desktop.station.lifecycle import login

DOCTOR, DOCTOR_PASSWORD = "bsthu", "Bac-si-thu-2026"


@pytest.fixture(scope="module")
def ca() -> TestCA:
    return TestCA()


@pytest.fixture(scope="module")
def issued(ca):
    return {"facility": ca.facility(), "doctor": ca.doctor()}


def test_facility_p12_opens_offline_with_the_kept_password(admin_session, issued):
    with admin_session.read() as s, pytest.raises(NoSigningKey, match="chưa nhập chứng thư số"):
        station_certs.open_facility_signer(s, admin_session.clock.now())
    with pytest.raises(WrongCertificatePassword):
        station_certs.import_facility_p12(admin_session, issued["facility"].p12("tyt-pass"), "sai")
    info = station_certs.import_facility_p12(admin_session, issued["facility"].p12("tyt-pass"), "tyt-pass")
    assert info["holder"] == "pkcs12" and "Phường Thử nghiệm" in info["subject"]
    with admin_session.read() as s:
        signer = station_certs.open_facility_signer(s, admin_session.clock.now())
        shown = station_certs.show(s)
    assert signer.certificate == issued["facility"].certificate
    assert certs.verify_rsa_sha256(signer.certificate, signer.sign(b"x"), b"x")
    assert shown["facility"]["sha256"] == info["sha256"] and shown["doctors"] == []
    assert "tyt-pass" not in json.dumps(shown)


def test_a_doctors_certificate_opens_only_with_the_doctors_password(admin_session, issued):
    users.add_user(admin_session, DOCTOR, "doctor", DOCTOR_PASSWORD, "BS. Thử")
    users.add_user(admin_session, "letan", "reception", "Le-tan-2026-x", "ĐD. Lễ Tân")
    with pytest.raises(PermissionDenied):
        station_certs.import_doctor_p12(admin_session, "letan", issued["doctor"].p12("bs-p12"), "bs-p12")
    station_certs.import_doctor_p12(admin_session, DOCTOR, issued["doctor"].p12("bs-p12"), "bs-p12")
    with admin_session.read() as s:
        row = s.query(MohCertificate).filter_by(owner=DOCTOR, active=True).one()
        assert row.secret is None  # the doctor's password is never kept
        with pytest.raises(WrongCertificatePassword):
            station_certs.open_doctor_signer(s, DOCTOR, "doan-bua", admin_session.clock.now())
        signer = station_certs.open_doctor_signer(s, DOCTOR, "bs-p12", admin_session.clock.now())
        assert signer.certificate == issued["doctor"].certificate
        with pytest.raises(NoSigningKey):
            station_certs.open_doctor_signer(s, "letan", "x", admin_session.clock.now())
    # A doctor may import their own certificate; not another's.
    ctx = login(admin_session.paths, DOCTOR, DOCTOR_PASSWORD)
    try:
        station_certs.import_doctor_p12(ctx, DOCTOR, issued["doctor"].p12("moi"), "moi")
        users.add_user(admin_session, "bskhac", "doctor", "Bac-si-khac-2026", "BS. Khác")
        with pytest.raises(PermissionDenied):
            station_certs.import_doctor_p12(ctx, "bskhac", issued["doctor"].p12("moi"), "moi")
    finally:
        ctx.close()


def test_facility_token_opens_offline_with_the_kept_pin(admin_session, issued, tmp_path, monkeypatch):
    if softhsm_module() is None:
        pytest.skip(
            "softhsm2 and opensc (pkcs11-tool) are not installed: installer/dev-setup.sh installs them"
        )
    tok = make_token(tmp_path / "hsm", issued["facility"])
    monkeypatch.setenv("SOFTHSM2_CONF", str(tok.conf))
    with pytest.raises(WrongCertificatePassword):
        station_certs.import_facility_pkcs11(admin_session, tok.module, tok.label, "111111")
    info = station_certs.import_facility_pkcs11(admin_session, tok.module, tok.label, tok.pin)
    assert info["holder"] == "pkcs11"
    with admin_session.read() as s:
        signer = station_certs.open_facility_signer(s, admin_session.clock.now())
    try:
        assert certs.verify_rsa_sha256(issued["facility"].certificate, signer.sign(b"y"), b"y")
    finally:
        signer.close()


def test_cli_imports_and_shows_without_a_secret_on_the_command_line(station, issued, tmp_path):
    paths, _ = station
    p12 = tmp_path / "coso.p12"
    p12.write_bytes(issued["facility"].p12("p12-secret"))
    base = ["--data-dir", str(paths.root), "--user", ADMIN]
    out = run_ksk(
        "station", "cert", "import", "--facility", str(p12), "--password-stdin", "--cert-password-stdin",
        *base, data_dir=paths.root, stdin=f"{ADMIN_PASSWORD}\nsai-mat-khau\n",
    )  # fmt: skip
    assert out.returncode != 0 and "sai mật khẩu" in out.stderr and len(out.stderr.strip().splitlines()) == 1
    out = run_ksk(
        "station", "cert", "import", "--facility", str(p12), *base,
        data_dir=paths.root, password=ADMIN_PASSWORD, env={"KSK_CERT_PASSWORD": "p12-secret"},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    out = run_ksk("station", "cert", "show", "--json", *base, data_dir=paths.root, password=ADMIN_PASSWORD)
    assert out.returncode == 0, out.stderr
    shown = json.loads(out.stdout)
    assert shown["facility"]["holder"] == "pkcs12" and "p12-secret" not in out.stdout
    info = run_ksk("station", "--json", *base, data_dir=paths.root, password=ADMIN_PASSWORD)
    assert json.loads(info.stdout)["code"] == "TYT-TEST"  # `ksk station` alone still shows the station
    log_text = "".join(f.read_text(errors="replace") for f in paths.root.rglob("*.log"))
    assert "p12-secret" not in log_text
