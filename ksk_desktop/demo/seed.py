"""A demo station with synthetic people and demo users, for first looks, training and benchmarks.

Every name and number is synthetic. The demo users' password is stated in README.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from itertools import islice

from ksk_desktop.demo.synthetic import generate_people
from ksk_desktop.people import persons
from ksk_desktop.security.roles import Perm
from ksk_desktop.station import users
from ksk_desktop.station.lifecycle import init_station, login
from ksk_desktop.station.paths import StationPaths
from ksk_desktop.station.session import StationSession

DEMO_COMMUNE = "11680"  # Xã Kiến Thụy: a mid-sized rural commune
DEMO_STATION_CODE = "DEMO-11680"
DEMO_SECRET = "demo-2026"  # the one password of every demo account (printed in README.md)
DEMO_USERS = (
    ("admin", "admin", "Quản trị viên (mẫu)"),
    ("truongtram", "head", "BS. Phạm Thị Hạnh"),
    ("bacsi", "doctor", "BS. Nguyễn Văn Minh"),
    ("letan", "reception", "ĐD. Trần Thị Lan"),
)
#: Synthetic QĐ 1551 facility codes of the demo station (a GLN with a valid check digit, not a real facility's).
DEMO_MA_CSKCB, DEMO_GTIN = "31999", "8930000111685"
DEMO_LICENCES = {"bacsi": "000123/HP-CCHN", "truongtram": "000045/HP-CCHN"}  # synthetic
BATCH = 5000


@dataclass(frozen=True)
class DemoResult:
    created_station: bool
    people_added: int
    total_people: int
    seconds: float
    recovery_key: str | None
    users: list[str]

    def to_json(self) -> dict:
        return self.__dict__.copy()


def add_people(
    ctx: StationSession,
    n: int,
    seed: int,
    reference: date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Add *n* synthetic residents of the station's commune, in batches of one transaction each."""
    ctx.require(Perm.DEMO_SEED)
    from ksk_desktop.station.lifecycle import station_info

    commune = station_info(ctx).commune_code
    offset = persons.count_people(ctx)
    people = generate_people(
        n, seed=seed, commune_code=commune, reference_date=reference or ctx.clock.today(), id_offset=offset
    )
    added = 0
    while True:
        chunk = [persons.PersonInput.from_dict(p) for p in islice(people, BATCH)]
        if not chunk:
            break
        added += persons.create_many(ctx, chunk, action="person.demo_batch")
        if progress:
            progress(added, n)
    return added


def create_demo(
    paths: StationPaths, n: int = 5000, seed: int = 2026, progress: Callable[[int, int], None] | None = None
) -> DemoResult:
    """Create a demo station (with its demo users) and fill it with *n* synthetic people."""
    started = time.perf_counter()
    result = init_station(
        paths,
        station_code=DEMO_STATION_CODE,
        commune_code=DEMO_COMMUNE,
        admin_username="admin",
        admin_password=DEMO_SECRET,
        admin_full_name=DEMO_USERS[0][2],
        station_name="Trạm Y tế xã Kiến Thụy (dữ liệu mẫu)",
    )
    ctx = login(paths, "admin", DEMO_SECRET)
    try:
        for username, role, full_name in DEMO_USERS[1:]:
            users.add_user(ctx, username, role, DEMO_SECRET, full_name, DEMO_LICENCES.get(username, ""))
        from ksk_desktop.moh1551 import settings as moh_settings

        moh_settings.update(ctx, ma_cskcb=DEMO_MA_CSKCB, ma_gtin_cskcb=DEMO_GTIN)
        added = add_people(ctx, n, seed, progress=progress)
        from ksk_desktop.scheduling.demo import seed_demo_schedule

        seed_demo_schedule(ctx)  # a campaign with exam days and appointments: a demo shows a real exam day
        from ksk_desktop.exams.demo import seed_demo_exams

        seed_demo_exams(
            paths, "bacsi", DEMO_SECRET
        )  # signed exams of the people examined, drafts in the room
        total = persons.count_people(ctx)
    finally:
        ctx.close()
    return DemoResult(
        True,
        added,
        total,
        round(time.perf_counter() - started, 2),
        result.recovery_key,
        [u[0] for u in DEMO_USERS],
    )


def seed_existing(ctx: StationSession, n: int, seed: int) -> DemoResult:
    started = time.perf_counter()
    added = add_people(ctx, n, seed)
    return DemoResult(
        False, added, persons.count_people(ctx), round(time.perf_counter() - started, 2), None, []
    )
