"""A sync run on the Đồng bộ page shows how far it is: the total, a bar and the time left, "Chờ gửi" counting down
(in the page and the status bar) as the hub answers batch after batch, and the last success with its date
(issue 13: 108,787 items ran for 140 s with none of this). Against the real hub in a child process."""

from __future__ import annotations

import re
from itertools import count

import pytest
from test_ui_sync import hub, make_page, run_and_wait  # noqa: F401 - the hub fixture
from testkit.stations import add_people, enroll, register_station

from conftest import COMMUNE
from sync.client.worker import WorkerConfig
from sync.hub.store import HubStore
from ui.sync.run_progress import time_left_text

SMALL_BATCHES = WorkerConfig(batch_size=20, backoff_base_s=0.01, max_failures=3, timeout_s=(2.0, 5.0))


def test_a_run_shows_total_bar_time_left_and_pending_counting_down(qtbot, admin_session, hub):  # noqa: F811
    ctx = admin_session
    add_people(ctx, 100)
    store = HubStore(hub.db_url)
    register_station(store, "TYT-TEST", COMMUNE)
    store.close()
    enroll(ctx, hub.db_url, hub.url)
    page = make_page(qtbot, ctx, SMALL_BATCHES)
    qtbot.waitUntil(lambda: page.controller.last_status.enrolled, timeout=10_000)
    assert page.last_label.text() == "Chưa có" and not page.run_progress.isVisible()
    ticks = count(step=3)
    page.run_progress.now = lambda: float(next(ticks))  # 3 s between looks: a known pace
    seen: list[tuple[str, int, int, str, str, str]] = []

    def look(progress: dict) -> None:  # after the page has shown it (connected first)
        bar = page.run_progress.bar
        seen.append(
            (
                progress["phase"],
                bar.maximum(),
                bar.value(),
                page.run_progress.left_label.text(),
                page.summary_label.text().split(" · ")[0],
                page.indicator.text(),
            )
        )

    page.controller.progress.connect(look)
    report = run_and_wait(qtbot, page)
    assert report["complete"] and report["accepted"] == 100 and report["total"] == 100
    pushes = [s for s in seen if s[0] == "push"]
    assert len(pushes) == 5 and seen[0][0] == "start"
    assert all(maximum == 100 for _phase, maximum, *_rest in pushes)
    assert [value for _p, _m, value, *_rest in pushes] == [20, 40, 60, 80, 100]
    assert [summary for *_rest, summary, _i in pushes] == [f"Chờ gửi: {n}" for n in (80, 60, 40, 20, 0)]
    assert pushes[0][5] == "Đồng bộ: đang gửi… (80 chờ gửi)"  # the status bar counts down too
    assert all(left.startswith("Còn") for *_x, left, _s, _i in pushes[:-1])
    assert not page.run_progress.isVisible()  # gone when the run ends
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", page.last_label.text()), page.last_label.text()


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(20, "Còn dưới 1 phút"), (150, "Còn khoảng 2 phút"), (3 * 3600 + 5 * 60, "Còn khoảng 3 giờ 05 phút")],
)
def test_time_left_in_words(seconds, text):
    assert time_left_text(seconds) == text
