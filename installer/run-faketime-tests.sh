#!/usr/bin/env bash
# The date-sensitive tests again, under libfaketime (Debian's faketime), at instants where a machine on UTC and
# Vietnam (UTC+7) disagree about the day or the year, and on a leap day:
#   2026-12-31 18:30 UTC  (already 01/01/2027 in Vietnam)
#   2028-02-29 10:00 UTC  (17:00 on 29/02/2028: after the desk's opening hours)
#   2027-01-01 00:30 UTC  (07:30 on 01/01/2027: the desk opens)
# The fake clock starts at the instant and keeps running (timeouts and waits still work), also in the child
# processes the tests start (FAKETIME_DONT_RESET). Run after installer/run-tests.sh, which made .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v faketime >/dev/null; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo ">> apt-get install faketime"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends faketime >/dev/null
fi

# Scheduling, the desk, exams, people and reports: the tests whose answers depend on "today". Those that start
# real ``ksk`` processes run on the fake system clock; the others freeze their sessions' clock, and show here that
# nothing reads the system's date behind the session's back. About two minutes per instant on two cores.
TESTS=(
  tests/test_clock.py
  tests/test_cli_day_any_date.py
  tests/test_schedule.py
  tests/test_schedule_cli.py
  tests/test_ui_desk.py
  tests/test_ui_desk_cli.py
  tests/test_person_history.py
  tests/test_people.py::test_exam_status_this_year_filter
  tests/test_ui_reports.py
)

export QT_QPA_PLATFORM=offscreen TZ=UTC FAKETIME_DONT_RESET=1
for at in "2026-12-31 18:30:00" "2028-02-29 10:00:00" "2027-01-01 00:30:00"; do
  echo ">> faketime $at UTC: pytest ${TESTS[*]}"
  # The fake clock is in effect, and runs.
  faketime -f "@$at" .venv/bin/python -c '
import sys, time
from datetime import datetime, timedelta
from ksk_desktop.clock import SYSTEM_CLOCK
at = datetime.fromisoformat(sys.argv[1])
first = SYSTEM_CLOCK.utcnow()
assert timedelta(0) <= first - at < timedelta(minutes=1), f"faketime is not in effect: {first} for {at}"
deadline = time.monotonic() + 5
while SYSTEM_CLOCK.utcnow() == first and time.monotonic() < deadline:
    pass
assert SYSTEM_CLOCK.utcnow() > first, "the fake clock stands still"
print(f"   UTC {first:%Y-%m-%d %H:%M}, today in Vietnam {SYSTEM_CLOCK.today():%d/%m/%Y}")
' "$at"
  faketime -f "@$at" .venv/bin/python -m pytest -q -p no:cacheprovider "${TESTS[@]}"
done
