"""Run the reference hub under uvicorn on a socket we bind ourselves (so ``--port 0`` reports the real port)."""

from __future__ import annotations

import argparse
import json
import socket
import sys
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy.orm import Session

from ksk_desktop.clock import SYSTEM_CLOCK
from sync.hub.store import HubStore

T = TypeVar("T")


def open_store(args: argparse.Namespace) -> HubStore:
    """The hub database of ``--db``, for an administration command to use and close."""
    return HubStore(db_url(args.db))


def in_session(args: argparse.Namespace, fn: Callable[[Session, datetime], T], *, write: bool = False) -> T:
    """``fn(session, now)`` on the hub database of ``--db``, which is closed afterwards."""
    store = open_store(args)
    try:
        with store.session(write=write) as s:
            return fn(s, SYSTEM_CLOCK.utcnow())
    finally:
        store.close()


def db_url(value: str | None) -> str:
    """A SQLAlchemy URL from ``--db``: a URL as is, a plain path as an SQLite file."""
    if not value:
        return "sqlite:///hub.db"
    if "://" in value:
        return value
    return f"sqlite:///{value}"


def database_tls_warning(url: str) -> str | None:
    """A warning when the hub's PostgreSQL is reached over the network without verified TLS (the connection
    carries every station's people): ``sslmode=verify-full`` is what production needs (see the README)."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - the engine will report a bad URL itself
        return None
    if not parsed.drivername.startswith("postgresql"):
        return None
    host = parsed.host or str(parsed.query.get("host") or "")
    if not host or host.startswith("/") or host in ("localhost", "127.0.0.1", "::1"):
        return None  # a Unix socket or this machine
    if parsed.query.get("sslmode") in ("verify-full", "verify-ca"):
        return None
    return (
        "Cảnh báo: kết nối PostgreSQL tới máy khác không kiểm tra chứng chỉ TLS "
        "(thêm ?sslmode=verify-full&sslrootcert=… vào URL; xem README, mục Security model)."
    )


def certificate_fingerprint(pem_path: str) -> str:
    """SHA-256 of a PEM certificate's DER bytes: what a station pins (``ksk sync enroll --pin``)."""
    import hashlib
    import ssl
    from pathlib import Path

    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(Path(pem_path).read_text(encoding="ascii"))).hexdigest()


def serve(
    url: str,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
    access_log: bool = False,
    fhir_url: str | None = None,
    fhir_max_entries: int = 8,
    fhir_retry_s: float = 2.0,
    fhir_personal_id_system: str | None = None,
    enroll_per_minute: int | None = None,
    auth_failures_per_minute: int | None = None,
    moh: dict | None = None,
) -> None:
    """Serve ``/api/v1`` until interrupted; prints one JSON line with the address once listening. With
    *fhir_url*, accepted signed exams are forwarded there (``sync.fhir.forward``) from a background thread."""
    import uvicorn

    from sync.hub import limits
    from sync.hub.app import create_app

    warning = database_tls_warning(url)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    store = HubStore(url)
    forwarder = None
    if fhir_url:
        from sync.fhir.client import FhirClient
        from sync.fhir.codes import CCCD_SYSTEM
        from sync.fhir.forward import ForwardConfig, Forwarder

        forwarder = Forwarder(
            store,
            FhirClient(fhir_url, max_entries=fhir_max_entries),
            config=ForwardConfig(
                retry_base_s=fhir_retry_s, personal_id_system=fhir_personal_id_system or CCCD_SYSTEM
            ),
        )
        forwarder.start()
    moh_forwarder = None
    if moh:
        from sync.moh.forward import start_forwarder

        moh_forwarder = start_forwarder(store, moh)
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    real_port = sock.getsockname()[1]
    app = create_app(
        store,
        enroll_per_minute=limits.ENROLL_PER_MINUTE if enroll_per_minute is None else enroll_per_minute,
        auth_failures_per_minute=(
            limits.AUTH_FAILURES_PER_MINUTE if auth_failures_per_minute is None else auth_failures_per_minute
        ),
    )
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=access_log,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    scheme = "https" if ssl_certfile else "http"
    print(json.dumps({"listening": f"{scheme}://{host}:{real_port}", "port": real_port}), flush=True)
    try:
        server.run(sockets=[sock])
    finally:
        if forwarder is not None:
            forwarder.stop()
            forwarder.client.close()
        if moh_forwarder is not None:
            moh_forwarder.stop()
            moh_forwarder.client.close()
        store.close()
        sys.stdout.flush()
