"""The test run's day does not end before the run does: the clock creeps instead of crossing midnight in Vietnam,
in the pytest process and in every child Python (``tests/testkit/childsite``)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

from testkit.childsite import DAY_ENDS_ENV, day_end

from ksk_desktop.clock import SYSTEM_CLOCK


def test_the_day_ends_at_midnight_in_vietnam():
    assert day_end(datetime(2026, 12, 5, 16, 59, 30, tzinfo=UTC)) == datetime(2026, 12, 5, 17, 0, tzinfo=UTC)
    assert day_end(datetime(2026, 12, 5, 17, 0, 0, tzinfo=UTC)) == datetime(2026, 12, 6, 17, 0, tzinfo=UTC)
    assert day_end(datetime(2028, 2, 28, 18, 0, tzinfo=UTC)) == datetime(
        2028, 2, 29, 17, 0, tzinfo=UTC
    )  # 29/02 in Vietnam


def test_this_run_holds_its_day():
    ends = datetime.fromisoformat(__import__("os").environ[DAY_ENDS_ENV])
    now = SYSTEM_CLOCK.now()
    assert now < ends and ends - now <= timedelta(days=1)


CHILD = """
import sys, time
from datetime import datetime
from ksk_desktop.clock import SYSTEM_CLOCK
first = SYSTEM_CLOCK.now()
deadline = time.monotonic() + 5
while SYSTEM_CLOCK.now() == first and time.monotonic() < deadline:
    pass
print(first.isoformat(), SYSTEM_CLOCK.now().isoformat())
"""


def test_a_child_whose_day_has_ended_creeps_just_before_its_end(tmp_path):
    ends = SYSTEM_CLOCK.now().replace(microsecond=0) - timedelta(minutes=5)  # "midnight" five minutes ago
    env = dict(__import__("os").environ, **{DAY_ENDS_ENV: ends.isoformat()})
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    first, second = (datetime.fromisoformat(t) for t in out.stdout.split())
    assert ends - timedelta(minutes=1) <= first < second < ends  # still the old day, and time moves on
    assert second - first < timedelta(seconds=1)  # creeping, not running
