"""The hub's alert that this station's audit chain went backwards reaches the station: kept in its sync state,
shown by ``ksk sync status`` (text and ``--json``), by ``ksk audit verify`` and ``ksk db check``, and in the
window's status bar, until an administrator acknowledges it. A real hub process, real ``ksk`` processes.

The chain goes backwards here the honest way: the station is restored from a backup older than what the hub
has seen. The local chain is whole (a restored chain verifies), so the hub's copy is the only evidence.
"""

from __future__ import annotations

import json

import pytest
from testkit.hubproc import HubProcess
from testkit.stations import enroll

from conftest import ADMIN, ADMIN_PASSWORD, run_ksk
from ksk_desktop.station.lifecycle import login


@pytest.fixture
def hub(tmp_path):
    db = tmp_path / "hub.db"
    proc = HubProcess(db).start()
    proc.db_path = db
    yield proc
    proc.stop()


def ksk(paths, *args: str, ok: bool = True):  # noqa: ANN001, ANN201
    out = run_ksk(*args, "--user", ADMIN, data_dir=paths.root, password=ADMIN_PASSWORD)
    if ok:
        assert out.returncode == 0, out.stderr
    return out


@pytest.fixture
def went_backwards(station, hub, tmp_path):
    """A station whose hub has seen a newer audit head than the station now has."""
    paths, _ = station
    ctx = login(paths, ADMIN, ADMIN_PASSWORD)
    try:
        enroll(ctx, f"sqlite:///{hub.db_path}", hub.url)
    finally:
        ctx.close()
    old = tmp_path / "cu.kskbak"
    ksk(paths, "backup", "create", str(old))
    for i in range(5):
        ksk(paths, "person", "add", "--name", f"Lê Văn Số {i}", "--birth-year", "1970")
    ksk(paths, "sync", "run", "--once")  # the hub sees the newest head
    out = run_ksk(
        "backup", "restore", str(old), "--user", ADMIN, data_dir=paths.root, password=ADMIN_PASSWORD
    )
    assert out.returncode == 0, out.stderr
    before = json.loads(ksk(paths, "sync", "status", "--json").stdout)
    assert before["hub_alert"] is None
    ksk(paths, "sync", "run", "--once")  # the hub answers: the head went backwards
    return paths


def test_the_alert_is_kept_and_shown_by_sync_status(went_backwards):
    paths = went_backwards
    status = json.loads(ksk(paths, "sync", "status", "--json").stdout)
    assert "lùi" in status["hub_alert"] and status["hub_alert_at"].endswith("Z")
    for key in ("enrolled", "hub_url", "pending", "parked", "sent", "last_error", "pull_cursor"):
        assert key in status  # the existing keys stay
    human = ksk(paths, "sync", "status").stdout
    assert "CẢNH BÁO của máy chủ về nhật ký truy cập" in human and "lùi" in human


def test_audit_verify_and_db_check_carry_it_until_acknowledged(went_backwards):
    paths = went_backwards
    out = ksk(paths, "audit", "verify", "--json", ok=False)
    report = json.loads(out.stdout)
    assert out.returncode == 11 and report["ok"] and "lùi" in report["hub_alert"]  # the local chain is whole
    out = ksk(paths, "db", "check", "--json", ok=False)
    checks = {c["name"]: c for c in json.loads(out.stdout)["checks"]}
    assert out.returncode == 12 and not checks["hub_audit_alert"]["ok"]

    refused = ksk(paths, "sync", "acknowledge", "--reason", "x", ok=False)
    assert refused.returncode == 2
    ksk(paths, "sync", "acknowledge", "--reason", "Khôi phục từ bản sao lưu ngày hôm trước")
    assert json.loads(ksk(paths, "sync", "status", "--json").stdout)["hub_alert"] is None
    assert ksk(paths, "audit", "verify").returncode == 0
    assert ksk(paths, "db", "check").returncode == 0


def test_the_status_bar_shows_it(qtbot, went_backwards):
    from ksk_desktop.outbox import sync_state
    from ui.sync.status_indicator import RED, describe

    ctx = login(went_backwards, ADMIN, ADMIN_PASSWORD)
    try:
        text, colour, tooltip = describe(sync_state.status(ctx), ctx.clock.today())
    finally:
        ctx.close()
    assert colour == RED and "nhật ký truy cập bị can thiệp" in text and "lùi" in tooltip
