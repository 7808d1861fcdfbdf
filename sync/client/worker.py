"""The sync worker: drains the outbox to the hub in batches, then pulls changes; retries with backoff.

- Batches of 200 by default, halved after each failure (down to one item, so a batch the hub cannot take
  at all narrows down to the one item responsible, which is parked) and grown back after successes.
- Exponential backoff with jitter, capped at 10 minutes; after a failure the hub's health is probed before
  items are marked in flight again.
- Resumes after a restart: items found ``in_flight`` go back to ``pending`` with the same ids.
- Marks items sent only after a complete, well-formed per-item answer (``transport.check_push_answer``).
- A rejected item is parked with the hub's reason and the batch goes on; nothing is retried silently forever.
- ``cancel()`` is honoured between requests and during every wait; a request in progress is bounded by the
  transport's timeouts. ``start()`` runs it in a daemon thread (the GUI's way: it never blocks the window);
  ``on_progress`` is called from that thread, so a GUI must hand it to its own thread (a Qt signal).

Times (last success, next attempt) use an injectable clock and are only shown or used to wait: ordering
and de-duplication never depend on the station's clock, which may be days wrong.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import partial

from ksk_desktop.errors import DatabaseBusy, Remedy
from ksk_desktop.outbox import sync_state
from ksk_desktop.station.session import StationSession
from sync.client import apply, device_keys, station_apply
from sync.client.transport import BatchRefused, HubRefused, HubTransport, SyncError, TlsRefused

log = logging.getLogger("ksk.sync")

BACKOFF_CAP_S = 600.0


@dataclass
class WorkerConfig:
    batch_size: int = 200
    backoff_base_s: float = 2.0
    backoff_cap_s: float = BACKOFF_CAP_S
    max_failures: int | None = 6  # per run; None: keep trying until cancelled (the GUI's background mode)
    idle_interval_s: float = 60.0  # between cycles in continuous mode
    pull: bool = True
    pull_limit: int = 500
    timeout_s: tuple[float, float] = (5.0, 60.0)  # connect, read: bounds how long a cancel can wait


@dataclass
class RunReport:
    total: int = 0  # waiting to be sent when the run began (a progress bar's end)
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    requeued: int = 0
    elsewhere: int = 0  # people the hub holds for another station ("known elsewhere")
    batches: int = 0
    failures: int = 0
    resumed: int = 0
    pulled: int = 0
    pull: dict = field(default_factory=dict)
    received: int = 0  # items of the station's other devices, through the station feed
    receive: dict = field(default_factory=dict)
    receive_remaining: int = 0  # still to fetch (progress while catching up)
    warnings: list[str] = field(default_factory=list)
    complete: bool = False
    cancelled: bool = False
    refused: bool = False  # the hub refused the device or its certificate failed: a person must act
    error: str | None = None

    def to_json(self) -> dict:
        return asdict(self)


def backoff_delay(failures: int, base: float, cap: float, rng: random.Random) -> float:
    """Exponential in the number of consecutive failures, capped, with "equal jitter" (half fixed, half random)."""
    delay = min(cap, base * (2 ** max(0, failures - 1)))
    return delay / 2 + rng.uniform(0, delay / 2)


class GaveUp(Exception):
    pass


class SyncWorker:
    """Drives one station's sync. ``transport`` defaults to the hub link kept in the station database."""

    def __init__(
        self,
        ctx: StationSession,
        *,
        transport: HubTransport | None = None,
        config: WorkerConfig | None = None,
        clock: Callable[[], datetime] | None = None,
        rng: random.Random | None = None,
        on_progress: Callable[[dict], None] | None = None,
    ) -> None:
        self.ctx = ctx
        self.config = config or WorkerConfig()
        self.clock = clock or ctx.clock.utcnow  # naive UTC; the session's clock unless a test skews it
        self.rng = rng or random.Random()
        self.on_progress = on_progress
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self._own_transport = transport is None
        if transport is None:
            link = sync_state.hub_link(ctx)
            if link is None:
                raise SyncError(
                    "Trạm chưa đăng ký với máy chủ đồng bộ: đăng ký trạm trước.", remedy=Remedy.ENROL_SYNC
                )
            transport = HubTransport(
                link.hub_url,
                link.credential,
                pin_sha256=link.pin_sha256,
                ca_file=link.ca_file,
                timeout=self.config.timeout_s,
            )
            self.device_id = link.device_id
        else:
            link = sync_state.hub_link(ctx)
            self.device_id = link.device_id if link else "unenrolled"
        self.transport = transport
        self._batch = self.config.batch_size
        self._failures = 0

    # -- control ----------------------------------------------------------------------------------
    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def start(self, *, once: bool = False) -> threading.Thread:
        """Run in a background thread (``once``: one drain and pull; else until cancelled)."""
        target = self.run_once if once else self.run_forever
        self._thread = threading.Thread(target=self._guarded, args=(target,), name="ksk-sync", daemon=True)
        self._thread.start()
        return self._thread

    def join(self, timeout: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    def close(self) -> None:
        if self._own_transport:
            self.transport.close()

    def _guarded(self, target: Callable[[], object]) -> None:
        try:
            target()
        except Exception:  # the thread must not die silently: the error is in the state for the status bar
            log.exception("sync worker stopped")

    def _wait(self, seconds: float) -> bool:
        """Sleep unless cancelled; True if cancelled."""
        return self._cancel.wait(max(0.0, seconds))

    def _progress(self, report: RunReport, phase: str) -> None:
        if self.on_progress:
            try:
                self.on_progress({"phase": phase, **report.to_json()})
            except Exception:  # a display callback must not stop delivery
                log.exception("progress callback failed")

    # -- one run ----------------------------------------------------------------------------------
    def run_once(self) -> RunReport:
        """Push every pending item (retrying transient failures), then pull. Never raises for network trouble:
        the report says how far it got and the error is kept in the sync state."""
        report = RunReport()
        report.resumed = sync_state.reset_in_flight(self.ctx)
        if report.resumed:
            log.info("resumed: %d items whose outcome was unknown are pending again", report.resumed)
        report.total = sync_state.pending_count(self.ctx)
        self._progress(report, "start")
        sync_state.record_attempt(self.ctx, self.clock)
        try:
            self._drain(report)
            if self.config.pull and not self.cancelled:
                self._pull(report)
                self._moh_status()
            if self.config.pull and not self.cancelled:
                self._register_key(report)
                self._receive(report)
            report.complete = not self.cancelled
        except GaveUp:
            pass
        except (HubRefused, TlsRefused) as exc:
            report.error, report.refused = exc.message, True
            sync_state.record_failure(self.ctx, exc.message, 0, self.clock)
        report.cancelled = self.cancelled
        self._progress(report, "done")
        return report

    def run_forever(self) -> None:
        """Cycles of drain and pull until cancelled; waits out backoff and idles between cycles."""
        while not self.cancelled:
            wait = sync_state.next_attempt_due(self.ctx, self.config.backoff_cap_s, self.clock)
            if wait and self._wait(wait):
                break
            try:
                report = self.run_once()
            except DatabaseBusy:  # another program holds the station's write lock: try again shortly
                log.info("station database busy; sync retries in %.1f s", self.config.backoff_base_s)
                if self._wait(self.config.backoff_base_s):
                    break
                continue
            if report.refused:
                # Refused (not enrolled, revoked, certificate): retrying will not help until a person acts.
                if self._wait(self.config.backoff_cap_s):
                    break
                continue
            if self._wait(self.config.idle_interval_s if report.complete else 0.0):
                break

    # -- push -------------------------------------------------------------------------------------
    def _fail(self, report: RunReport, exc: SyncError) -> None:
        """Count a transient failure, remember it, wait with backoff (or give up for this run)."""
        self._failures += 1
        report.failures += 1
        report.error = exc.message
        self._batch = max(1, self._batch // 2)
        delay = backoff_delay(self._failures, self.config.backoff_base_s, self.config.backoff_cap_s, self.rng)
        sync_state.record_failure(self.ctx, exc.message, delay, self.clock)
        log.info(
            "sync attempt failed (%s); retry in %.1f s with batches of %d",
            type(exc).__name__,
            delay,
            self._batch,
        )
        self._progress(report, "waiting")
        if self.config.max_failures is not None and self._failures >= self.config.max_failures:
            raise GaveUp
        if self._wait(delay):
            raise GaveUp

    def _succeeded(self, report: RunReport) -> None:
        if self._failures:
            self._failures = 0
        report.error = None
        self._batch = min(self.config.batch_size, self._batch * 2)
        sync_state.record_success(self.ctx, self.clock)

    def _probe(self, report: RunReport) -> None:
        """After a failure, ask the hub if it is there before marking anything in flight again."""
        while self._failures and not self.cancelled:
            try:
                self.transport.health()
                return
            except (HubRefused, TlsRefused):
                raise
            except SyncError as exc:
                self._fail(report, exc)

    def _drain(self, report: RunReport) -> None:
        pushed = False
        while not self.cancelled:
            self._probe(report)
            if self.cancelled:
                return
            batch = sync_state.take_batch(self.ctx, self._batch)
            if not batch and pushed:
                return
            pushed = True  # with nothing pending, the audit-chain head still goes up once per run
            wire = [i.wire() for i in batch]
            wire.append(sync_state.audit_head_item(self.ctx, self.device_id))
            try:
                results = self.transport.push(wire)
            except BatchRefused as exc:
                if len(batch) == 1:  # narrowed down to the item the hub cannot take: park it, go on
                    sync_state.park(self.ctx, batch[0], f"format: {exc.message}")
                    report.rejected += 1
                    continue
                sync_state.release(self.ctx, batch)  # deterministic: narrow down at once, no backoff
                self._batch = max(1, len(batch) // 2)
                continue
            except (HubRefused, TlsRefused):
                sync_state.release(self.ctx, batch)
                raise
            except SyncError as exc:
                sync_state.release(self.ctx, batch)
                self._fail(report, exc)
                continue
            except BaseException:
                sync_state.release(self.ctx, batch)
                raise
            done = sync_state.apply_results(self.ctx, batch, results, self.clock)
            report.batches += 1
            report.accepted += done.accepted
            report.duplicate += done.duplicate
            report.rejected += done.rejected
            report.requeued += done.requeued
            report.elsewhere += done.elsewhere
            report.warnings += [r["warning"] for r in results if r.get("warning")]
            self._succeeded(report)
            self._progress(report, "push")

    def _moh_status(self) -> None:
        """Fetch what became of the station's envelopes at the Ministry; a failure waits for the next run."""
        from ksk_desktop.moh1551 import status

        fetch = getattr(self.transport, "moh_status", None)  # transports made for tests may not have it
        if fetch is None:
            return
        try:
            status.record(self.ctx, fetch())
        except SyncError as exc:  # an older hub, or the network: the last known status stays
            log.info("Ministry status not fetched (%s)", type(exc).__name__)

    # -- pull -------------------------------------------------------------------------------------
    def _pages(
        self, report: RunReport, cursor: Callable[[], int], fetch: Callable[[int], dict]
    ) -> Iterator[dict]:
        """Pages from the stored cursor on, until the hub says there are no more; transient failures are
        waited out (the cursor is read again: it moves only with what was applied)."""
        while not self.cancelled:
            try:
                page = fetch(cursor())
            except (HubRefused, TlsRefused):
                raise
            except SyncError as exc:
                self._fail(report, exc)
                self._probe(report)
                continue
            yield page
            self._succeeded(report)
            if not page["more"]:
                return

    def _pull(self, report: RunReport) -> None:
        pulled = apply.PullReport()
        cursor = partial(sync_state.pull_cursor, self.ctx)
        fetch = partial(self.transport.changes, limit=self.config.pull_limit)
        for page in self._pages(report, cursor, fetch):
            apply.apply_page(self.ctx, page, pulled, self.clock)
            report.pulled += len(page["changes"])
        report.pull = asdict(pulled)
        self._progress(report, "pull")

    def _register_key(self, report: RunReport) -> None:
        """Once: this device's public key to the hub, the station's transfer key back (transfer files). A failure
        here never stops the run: the next run asks again."""
        try:
            device_keys.ensure_registered(self.ctx, self.transport)
        except SyncError as exc:
            log.info("device key not registered this run (%s)", type(exc).__name__)
            report.warnings.append(f"Chưa đăng ký được khóa của thiết bị: {exc.message}")

    def _receive(self, report: RunReport) -> None:
        """The station feed: what the station's other devices delivered, a page at a time (resumable), with
        progress (what remains) after each page."""
        received = station_apply.ReceiveReport()
        cursor = partial(station_apply.item_cursor, self.ctx)
        fetch = partial(self.transport.station_items, limit=self.config.pull_limit)
        for page in self._pages(report, cursor, fetch):
            station_apply.apply_feed_page(self.ctx, page, received)
            report.received += len(page["items"])
            report.receive_remaining = page["remaining"]
            report.receive = received.to_json()
            self._progress(report, "receive")
