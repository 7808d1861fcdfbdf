"""Transport security against a real HTTPS hub on loopback (research/reliability.md §7.8): certificates are
verified, a pinned certificate is the only one trusted, and a refused connection leaves the outbox untouched."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from ipaddress import IPv4Address

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from testkit.hubproc import HubProcess
from testkit.stations import add_people, enroll, hub_rows, outbox_rows

from conftest import ADMIN, ADMIN_PASSWORD, COMMUNE, run_ksk
from ksk_desktop.clock import SYSTEM_CLOCK
from ksk_desktop.outbox import sync_state
from sync.client.transport import HubTransport, TlsRefused
from sync.client.worker import SyncWorker, WorkerConfig


def make_cert(
    tmp_path,
    name: str,
    *,
    ip: bool = True,
    dns: str = "localhost",
    days: int = 30,
    start: datetime | None = None,
):
    key = ec.generate_private_key(ec.SECP256R1())
    start = start or SYSTEM_CLOCK.now() - timedelta(hours=1)
    sans = [x509.DNSName(dns)] + ([x509.IPAddress(IPv4Address("127.0.0.1"))] if ip else [])
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    fingerprint = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    return cert_path, key_path, fingerprint


def https_hub(tmp_path, db_name: str, cert, port: int = 0) -> HubProcess:
    cert_path, key_path, _ = cert
    hub = HubProcess(
        tmp_path / db_name,
        port=port,
        extra=["--ssl-certfile", str(cert_path), "--ssl-keyfile", str(key_path)],
    ).start()
    hub.db_url = f"sqlite:///{tmp_path / db_name}"
    return hub


@pytest.fixture
def good_cert(tmp_path):
    return make_cert(tmp_path, "hub")


@pytest.fixture
def hub(tmp_path, good_cert):
    proc = https_hub(tmp_path, "hub.db", good_cert)
    yield proc
    proc.stop()


def test_certificate_checks(tmp_path, hub, good_cert):
    cert_path, _, fingerprint = good_cert
    assert hub.url.startswith("https://127.0.0.1:")
    with pytest.raises(TlsRefused):  # self-signed: not trusted by default
        HubTransport(hub.url).health()
    assert HubTransport(hub.url, ca_file=str(cert_path)).health()["status"] == "ok"
    assert HubTransport(hub.url, pin_sha256=fingerprint).health()["status"] == "ok"
    assert HubTransport(
        hub.url, pin_sha256=":".join(fingerprint[i : i + 2] for i in range(0, 64, 2)).upper()
    ).health()
    with pytest.raises(TlsRefused):
        HubTransport(hub.url, pin_sha256="0" * 64).health()
    other = make_cert(tmp_path, "other")
    with pytest.raises(TlsRefused):  # trusted CA file, but the pin is for another certificate: both must hold
        HubTransport(hub.url, pin_sha256=other[2], ca_file=str(cert_path)).health()
    out = run_ksk("hub", "fingerprint", "--cert", str(cert_path), "--json", data_dir=tmp_path)
    assert json.loads(out.stdout)["sha256"] == fingerprint


@pytest.mark.parametrize("kind", ["wrong_host", "expired"])
def test_wrong_host_or_expired_certificate_is_refused(tmp_path, kind):
    if kind == "wrong_host":
        cert = make_cert(tmp_path, kind, ip=False, dns="hub.other.example")
    else:
        cert = make_cert(tmp_path, kind, start=SYSTEM_CLOCK.now() - timedelta(days=60), days=30)
    hub = https_hub(tmp_path, f"{kind}.db", cert)
    try:
        with pytest.raises(TlsRefused):
            HubTransport(hub.url, ca_file=str(cert[0])).health()
    finally:
        hub.stop()


def test_a_hub_with_another_certificate_gets_nothing(admin_session, tmp_path, hub, good_cert):
    """A man in the middle (another certificate at the hub's address) is refused and the outbox is untouched."""
    ctx = admin_session
    add_people(ctx, 20)
    enroll(ctx, hub.db_url, hub.url, pin=good_cert[2])
    port = hub.port
    hub.stop()
    impostor = https_hub(tmp_path, "impostor.db", make_cert(tmp_path, "impostor"), port=port)
    try:
        report = SyncWorker(ctx, config=WorkerConfig(backoff_base_s=0.01, max_failures=2)).run_once()
    finally:
        impostor.stop()
    assert report.refused and not report.complete and report.accepted == 0
    assert [r[4] for r in outbox_rows(ctx)] == ["pending"] * 20
    assert "chứng chỉ" in sync_state.status(ctx).last_error
    assert hub_rows(impostor.db_url, with_heads=True) == []
    # The real hub back at its address: everything goes through.
    real = https_hub(tmp_path, "hub.db", good_cert, port=port)
    try:
        report = SyncWorker(ctx, config=WorkerConfig(backoff_base_s=0.01, max_failures=2)).run_once()
        assert report.complete and report.accepted == 20
    finally:
        real.stop()


def test_enrol_with_a_pinned_certificate_over_https_from_the_command_line(station, tmp_path, hub, good_cert):
    paths, _ = station
    db = ["--db", str(tmp_path / "hub.db")]
    added = run_ksk(
        "hub", "station", "add", *db, "--station", "TYT-TEST", "--commune", COMMUNE, data_dir=tmp_path
    )
    assert added.returncode == 0, added.stderr
    code = json.loads(
        run_ksk(
            "hub",
            "enroll-code",
            "--db",
            str(tmp_path / "hub.db"),
            "--station",
            "TYT-TEST",
            "--json",
            data_dir=tmp_path,
        ).stdout
    )["code"]
    common = ["--user", ADMIN, "--json"]
    out = run_ksk(
        "sync",
        "enroll",
        "--hub",
        hub.url,
        "--code",
        code,
        *common,
        data_dir=paths.root,
        password=ADMIN_PASSWORD,
    )
    assert out.returncode != 0 and "chứng chỉ" in out.stderr  # unpinned self-signed: refused, code not spent
    out = run_ksk(
        "sync",
        "enroll",
        "--hub",
        hub.url,
        "--code",
        code,
        "--pin",
        good_cert[2],
        *common,
        data_dir=paths.root,
        password=ADMIN_PASSWORD,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["pinned"] is True
    out = run_ksk("sync", "run", "--once", *common, data_dir=paths.root, password=ADMIN_PASSWORD)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["status"]["last_success_at"]
