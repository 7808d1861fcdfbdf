"""The hub's forwarder to the Ministry: drains ``hub_moh_push`` (``sync.hub.mohqueue``) oldest first.

A row is decided only by a JSON answer with a ``res_code``: ``CM_SUCCESS`` (or ``PS_SYNC_SUCCESS``) →
accepted; ``PS_CCCD_DUPLICATE_IN_6_MONTHS`` → duplicate, final; ``CM_INVALID_REQUEST`` → parked with the
Ministry's message (the station shows what to fix); ``PS_SIGNATURE_INVALID`` → the station's pushes stop and
the administrator is alerted (a certificate or configuration error: retrying blindly cannot help). Anything
else (network, timeouts, 5xx, garbled answers, ``ERROR_99``) retries with back-off and jitter. The same
envelope (same ``msg_id``, same bytes) is sent every time, so the Ministry's idempotency makes a retry after
a lost answer, or after the hub was killed mid-forward, count once. Every exchange is kept.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography import x509
from sqlalchemy.orm import Session

from ksk_desktop.clock import SYSTEM_CLOCK
from sync.client.worker import backoff_delay
from sync.hub import mohqueue
from sync.hub.forward_loop import ForwardLoop
from sync.hub.store import HubStore
from sync.moh.client import Answer, MohClient, MohUnavailable, receiver_signature_ok

log = logging.getLogger("ksk.moh")

#: The Ministry's answer codes that decide a row, and the state each leaves it in (the report counts by state).
OUTCOMES = {
    "CM_SUCCESS": "accepted",
    "PS_SYNC_SUCCESS": "accepted",
    "PS_CCCD_DUPLICATE_IN_6_MONTHS": "duplicate",
    "CM_INVALID_REQUEST": "parked",
    "PS_SIGNATURE_INVALID": "stopped",
}


@dataclass
class MohConfig:
    retry_base_s: float = 2.0
    retry_cap_s: float = 600.0
    batch: int = 50
    poll_s: float = 5.0
    workers: int = 1


@dataclass
class MohReport:
    accepted: int = 0
    duplicate: int = 0
    parked: int = 0
    stopped: int = 0
    retried: int = 0
    waiting: int = 0
    errors: list[str] = field(default_factory=list)


class MohForwarder(ForwardLoop):
    thread_name = "ksk-moh-forward"

    def __init__(
        self,
        store: HubStore,
        client: MohClient,
        *,
        receiver_cert: x509.Certificate | None = None,
        config: MohConfig | None = None,
        clock: Callable[[], datetime] = SYSTEM_CLOCK.utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self.store, self.client, self.receiver_cert = store, client, receiver_cert
        self.config = config or MohConfig()
        super().__init__(store, store.moh_wake, self.config.poll_s)
        self.clock = clock
        self.rng = rng or random.Random()

    def next_due(self, s: Session) -> datetime | None:
        return mohqueue.next_due(s)

    def now(self) -> datetime:
        return self.clock()

    def run_once(self) -> MohReport:
        """One pass over the rows due now, a batch at a time: read a batch and hand its pushes to the workers
        (``workers`` in flight), and while they run write the previous batch's outcomes in one transaction. A
        crash between a push and that write leaves the row pending: it goes again with the same msg_id and the
        Ministry answers as the first time."""
        report = MohReport()
        after = 0
        stopped: set[str] = set()  # stations refused during this pass: their later rows wait, unsent
        previous: tuple[list[mohqueue.PushWork], list] | None = None
        with ThreadPoolExecutor(max(1, self.config.workers), thread_name_prefix="ksk-moh-push") as pool:
            while not self._stop.is_set():
                with self.store.session() as s:
                    ids = mohqueue.due(s, self.clock(), self.config.batch, after)
                    works = mohqueue.load_many(s, ids)
                if not ids:
                    break
                after = ids[-1]
                waiting = [
                    w for w in works if not w.consented
                ]  # Luật 91/2025: nothing leaves without consent
                futures = [pool.submit(self._send, w, stopped) for w in works if w.consented]
                if previous is not None:
                    self._write(*previous, report)
                previous = (waiting, [f.result() for f in futures])
            if previous is not None:
                self._write(*previous, report)
        for code in sorted(stopped):
            # The alert: the hub's log and `ksk hub moh-status` (stopped_stations); no personal data in either.
            log.error("Ministry refused station %s's signature: pushes stopped until resumed", code)
        return report

    def _send(
        self, work: mohqueue.PushWork, stopped: set[str]
    ) -> tuple[mohqueue.PushWork, Answer | MohUnavailable | None]:
        if self._stop.is_set() or work.station_code in stopped:
            return work, None
        try:
            answer = self.client.push(work.body)
        except MohUnavailable as exc:
            return work, exc
        if answer.body["res_code"] == "PS_SIGNATURE_INVALID":
            stopped.add(work.station_code)
        return work, answer

    def _write(self, waiting: list[mohqueue.PushWork], outcomes: list, report: MohReport) -> None:
        now = self.clock()
        exchanges: list[dict] = []
        answered: dict[tuple[str, str, str | None], list[int]] = {}  # (state, code, message) -> row ids
        stops: dict[str, str] = {}
        retries: list[tuple[int, int, str]] = []
        for work, outcome in outcomes:
            if outcome is None:
                continue
            if isinstance(outcome, MohUnavailable):
                exchanges.append(mohqueue.exchange_row(work.id, now, work.body, error=outcome.message))
                retries.append((work.id, work.attempts, outcome.message))
                continue
            code = outcome.body["res_code"]
            message = str(outcome.body.get("message_notify") or outcome.body.get("message") or "")[:2000]
            exchanges.append(
                mohqueue.exchange_row(
                    work.id,
                    now,
                    work.body,
                    http_status=outcome.http_status,
                    answer=outcome.body,
                    signature_ok=receiver_signature_ok(outcome.body, self.receiver_cert),
                )  # fmt: skip
            )
            state = OUTCOMES.get(code)
            if state is None:  # ERROR_99, a session the client could not renew…: the same envelope later
                retries.append((work.id, work.attempts, f"Bộ Y tế trả lời {code}; sẽ thử lại."))
                continue
            answered.setdefault((state, code, message or None), []).append(work.id)
            setattr(report, state, getattr(report, state) + 1)
            if state == "stopped":
                stops[work.station_code] = f"{mohqueue.STOPPED} {message}".strip()
        with self.store.session(write=True) as s:
            for work in waiting:
                mohqueue.mark_waiting(s, work.id)
                report.waiting += 1
            mohqueue.record_exchanges(s, exchanges)
            for (state, code, text), ids in answered.items():
                mohqueue.mark_many(s, ids, state, now, res_code=code, message=text)
            for station_code, reason in stops.items():
                mohqueue.stop_station(s, station_code, reason, now)
            for push_id, attempts, reason in retries:
                delay = backoff_delay(
                    min(attempts + 1, 30), self.config.retry_base_s, self.config.retry_cap_s, self.rng
                )
                mohqueue.mark_retry(s, push_id, reason, now + timedelta(seconds=delay))
                report.retried += 1
                report.errors.append(reason)


def start_forwarder(store: HubStore, settings: dict) -> MohForwarder:
    """The forwarder ``ksk hub serve --moh-url`` runs (``sync.hub.moh_cli.moh_settings``), started."""
    client = MohClient(settings["url"], settings["account"], settings["password"])
    cert = (
        x509.load_pem_x509_certificate(settings["receiver_cert"]) if settings.get("receiver_cert") else None
    )
    forwarder = MohForwarder(
        store,
        client,
        receiver_cert=cert,
        config=MohConfig(retry_base_s=settings["retry_s"], workers=settings["workers"]),
    )
    forwarder.start()
    return forwarder
