"""The hub's forwarder: drains the durable FHIR queue (``hub_fhir_forward``) to the health-record endpoint.

One row at a time, oldest first. A row is marked ``sent`` only after the server answered every entry of the
exam's bundle; until then it stays ``pending`` (a crash or SIGKILL of the hub mid-forward simply means it is
sent again, and the conditional requests make the second time change nothing). Transient failures (network,
5xx, 429) retry with exponential backoff and jitter; a refusal of the content (an OperationOutcome, or a
document that cannot become a record) parks the row with its reason, shown by ``ksk hub stats`` and put back
by ``ksk hub fhir-retry``. One row's trouble never holds up the others.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ksk_desktop.clock import SYSTEM_CLOCK
from sync.client.worker import backoff_delay
from sync.fhir import codes, patient
from sync.fhir.bundle import ExamNotForwardable, exam_bundle
from sync.fhir.client import FhirClient, FhirRejected, FhirUnavailable
from sync.hub import fhirqueue
from sync.hub.forward_loop import ForwardLoop
from sync.hub.store import HubStore

log = logging.getLogger("ksk.fhir")

WAITING_FOR_PERSON = "Máy chủ chưa nhận hồ sơ người được khám; sẽ thử lại."
WAITING_FOR_CONSENT = (
    "Người được khám chưa đồng ý gửi kết quả lên hồ sơ sức khỏe điện tử; phiếu sẽ được gửi khi có sự đồng ý."
)


@dataclass
class ForwardConfig:
    retry_base_s: float = 2.0
    retry_cap_s: float = 600.0
    batch: int = 20
    poll_s: float = 5.0  # the longest idle wait; a push wakes the forwarder at once
    personal_id_system: str = codes.CCCD_SYSTEM  # ksk hub serve --fhir-personal-id-system


@dataclass
class ForwardReport:
    sent: int = 0
    parked: int = 0
    retried: int = 0
    waiting: int = 0  # held until the person consents to sharing with the health record
    errors: list[str] = field(default_factory=list)


class Forwarder(ForwardLoop):
    """Forwards queued exams from *store* through *client*; ``start()`` runs it in a daemon thread."""

    thread_name = "ksk-fhir-forward"

    def __init__(
        self,
        store: HubStore,
        client: FhirClient,
        *,
        config: ForwardConfig | None = None,
        clock: Callable[[], datetime] = SYSTEM_CLOCK.utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self.store, self.client = store, client
        self.config = config or ForwardConfig()
        super().__init__(store, store.forward_wake, self.config.poll_s)
        self.clock = clock
        self.rng = rng or random.Random()

    def next_due(self, s: Session) -> datetime | None:
        return fhirqueue.next_due(s)

    def now(self) -> datetime:
        return self.clock()

    def run_once(self) -> ForwardReport:
        """One pass over the rows that are due now (each at most once: a retry waits for the next pass)."""
        report = ForwardReport()
        after = 0
        while not self._stop.is_set():
            with self.store.session() as s:
                ids = fhirqueue.due(s, self.clock(), self.config.batch, after)
            if not ids:
                break
            after = ids[-1]
            for forward_id in ids:
                if self._stop.is_set():
                    break
                self.forward(forward_id, report)
        return report

    def forward(self, forward_id: int, report: ForwardReport) -> None:
        """Forward one queued exam version now (whatever its due time), recording the outcome in *report*."""
        with self.store.session() as s:
            work = fhirqueue.load(s, forward_id)
        if work is None:
            return
        if work.superseded:  # a newer version is already at the server: sending this one would roll it back
            with self.store.session(write=True) as s:
                fhirqueue.mark_sent(s, forward_id, self.clock(), "đã có phiên bản mới hơn trên máy chủ FHIR")
            report.sent += 1
            return
        if work.person is None:
            self._retry(work.id, work.attempts, WAITING_FOR_PERSON, report)
            return
        if not work.consented:  # Luật 91/2025: no health data to the record without the person's consent
            with self.store.session(write=True) as s:
                fhirqueue.mark_waiting(s, forward_id, WAITING_FOR_CONSENT)
            report.waiting += 1
            return
        try:
            system = self.config.personal_id_system
            bundle = exam_bundle(
                work.person,
                work.exam,
                work.station,
                previous=work.previous,
                doctor=work.doctor,
                personal_id_system=system,
            )
            patient.send(self.client, bundle, work.person, system)
        except (ExamNotForwardable, FhirRejected) as exc:
            reason = exc.message if isinstance(exc, FhirRejected) else str(exc)
            with self.store.session(write=True) as s:
                fhirqueue.mark_parked(s, forward_id, reason)
            # The reason stays in the queue (ksk hub stats), not in the log: the FHIR server may quote the
            # patient in it.
            log.warning("FHIR forward parked: exam=%s v%s", work.exam.get("id"), work.exam.get("version"))
            report.parked += 1
            report.errors.append(reason)
            return
        except FhirUnavailable as exc:
            self._retry(work.id, work.attempts, exc.message, report)
            return
        with self.store.session(write=True) as s:
            fhirqueue.mark_sent(s, forward_id, self.clock())
        report.sent += 1

    def _retry(self, forward_id: int, attempts: int, reason: str, report: ForwardReport) -> None:
        delay = backoff_delay(
            min(attempts + 1, 30), self.config.retry_base_s, self.config.retry_cap_s, self.rng
        )
        with self.store.session(write=True) as s:
            fhirqueue.mark_retry(s, forward_id, reason, self.clock() + timedelta(seconds=delay))
        log.info("FHIR forward %s: %s; retry in %.1f s", forward_id, reason, delay)
        report.retried += 1
        report.errors.append(reason)
