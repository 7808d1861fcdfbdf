"""The reference Ministry endpoint (``ksk moh-ref serve``) as a real child process on loopback, and a QĐ 1551
scene for tests and the bench: a test CA, the facility's and a doctor's certificates, signed files queued at a
station."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import requests
from cryptography.hazmat.primitives import serialization

from ksk_desktop.moh1551 import certs, envelope, xmldsig
from sync.moh_ref.store import RefStore
from testkit.hubproc import HubProcess
from testkit.waiting import wait_until

SENDER_ID = "8930000123456"
ACCOUNT, ACCOUNT_PASSWORD = "tyt-lienthong", "Lien-thong-2026"


class MohRefProcess(HubProcess):
    """``ksk moh-ref serve`` in a child process; ``url`` once it answers. Use ``with`` or ``stop()`` (as a hub)."""

    def __init__(self, data: Path, *, token_seconds: int = 3600, port: int = 0) -> None:
        super().__init__(data, port)
        self.data, self.token_seconds = data, token_seconds

    def start(self, timeout: float = 30.0) -> MohRefProcess:
        cmd = [
            sys.executable, "-m", "ksk_desktop.cli.main", "moh-ref", "serve", "--data", str(self.data),
            "--port", str(self.port), "--token-seconds", str(self.token_seconds),
        ]  # fmt: skip
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line:
            self.stop()
            raise RuntimeError("moh-ref did not start")
        info = json.loads(line)
        self.port, self.url = info["port"], info["listening"]
        wait_until(self._answers, timeout=timeout, interval=0.05, what="the reference endpoint to answer")
        return self

    def _answers(self) -> bool:
        try:
            return requests.get(f"{self.url}/api/ref/stats", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def stats(self) -> dict:
        return requests.get(f"{self.url}/api/ref/stats", timeout=10).json()


def set_up_ministry(data: Path, facility_pem: bytes, sender_id: str = SENDER_ID) -> None:
    """The Ministry's side: the facility's agent account and its registered certificate."""
    store = RefStore(data)
    store.add_account(ACCOUNT, ACCOUNT_PASSWORD)
    store.register_cert(sender_id, facility_pem.decode())
    store.db.close()


def hub_moh_args(moh_url: str, retry_s: float = 0.1, workers: int = 2) -> tuple[list[str], dict]:
    """``ksk hub serve`` options and environment to forward to *moh_url* (the password in the environment)."""
    args = ["--moh-url", moh_url, "--moh-account", ACCOUNT, "--moh-retry-s", str(retry_s)]
    return [*args, "--moh-workers", str(workers)], {"KSK_MOH_PASSWORD": ACCOUNT_PASSWORD}


def pem(cert) -> bytes:  # noqa: ANN001 - an x509.Certificate
    return cert.public_bytes(serialization.Encoding.PEM)


def signed_envelope(
    file_xml: bytes, doctor: certs.CertSigner, facility: certs.CertSigner, hoso_id: str, now: datetime
) -> dict:
    xml = xmldsig.sign(file_xml, doctor, into="CKS_NGUOI_KET_LUAN", reference_id=hoso_id)
    xml = xmldsig.sign(xml, facility, into="CKS_BENH_VIEN")
    return envelope.build(xml, sender_id=SENDER_ID, signer=facility, now=now)


def env_without(key: str) -> dict:
    out = dict(os.environ)
    out.pop(key, None)
    return out
