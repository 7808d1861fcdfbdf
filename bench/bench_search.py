"""Search over 100,000 people: p50/p95 of 1,000 mixed queries (target p95 ≤ 20 ms), and the ratio to the bare
FTS5 query for the same text on the same database.

Run: .venv/bin/python bench/bench_search.py [--queries 1000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from bench.common import demo_station, machine, pct  # noqa: E402
from ksk_desktop.demo.seed import DEMO_SECRET  # noqa: E402
from ksk_desktop.people.search import load_rows, match_expression, parse_query, search_ids  # noqa: E402
from ksk_desktop.station.lifecycle import login  # noqa: E402
from ksk_desktop.station.paths import StationPaths  # noqa: E402
from ksk_desktop.text import fold  # noqa: E402


def make_queries(session, n: int, rng: random.Random) -> list[tuple[str, str]]:
    people = session.execute(
        text("SELECT full_name, personal_id, phone, birth_year FROM person ORDER BY random() LIMIT :n"),
        {"n": n},
    ).all()
    queries = []
    for i, (name, pid, phone, year) in enumerate(people):
        words = fold(name).split()
        kind = i % 8
        if kind == 0 and pid:
            queries.append(("full personal ID", pid))
        elif kind == 1 and pid:
            queries.append(("ID tail (4–6)", pid[-rng.choice((4, 5, 6)) :]))
        elif kind == 2 and phone:
            queries.append(("phone", phone))
        elif kind == 3:
            queries.append(("full name", " ".join(words)))
        elif kind == 4:
            queries.append(("given + family", f"{words[-1]} {words[0]}"))
        elif kind == 5:
            queries.append(("prefixes", " ".join(w[: rng.randint(1, 3)] for w in words)))
        elif kind == 6:
            queries.append(("name + year", f"{words[-1]} {year}"))
        else:
            queries.append(("one fragment", words[rng.randrange(len(words))][: rng.randint(2, 5)]))
    return queries


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--people", type=int, default=100_000)
    args = ap.parse_args()
    ctx = login(StationPaths(demo_station(args.people)), "admin", DEMO_SECRET)
    rng = random.Random(42)
    ours, bare, by_kind = [], [], {}
    with ctx.read() as s:
        queries = make_queries(s, args.queries, rng)
        for q in queries[:50]:  # warm the page cache the way a working day would
            search_ids(s, q[1], 50, today=ctx.clock.today())
        for kind, q in queries:
            t = time.perf_counter()
            load_rows(s, search_ids(s, q, 50, today=ctx.clock.today()))
            ours.append((time.perf_counter() - t) * 1000)
            by_kind.setdefault(kind, []).append(ours[-1])
            expr = match_expression(parse_query(q, ctx.clock.today()), prefix=True)
            if expr:
                t = time.perf_counter()
                s.execute(
                    text("SELECT rowid FROM person_fts WHERE person_fts MATCH :m LIMIT 50"), {"m": expr}
                ).all()
                bare.append((time.perf_counter() - t) * 1000)
    ctx.close()
    print(f"machine: {machine()}")
    print(f"{len(ours)} queries on {args.people:,} people (search + load 50 rows)")
    for kind, values in sorted(by_kind.items()):
        print(f"  {kind:<17} n={len(values):4}  p50 {pct(values, 50):6.2f} ms  p95 {pct(values, 95):6.2f} ms")
    print(
        f"all: p50 {pct(ours, 50):.2f} ms  p95 {pct(ours, 95):.2f} ms  max {max(ours):.1f} ms"
        f"   target p95 ≤ 20 ms: {'OK' if pct(ours, 95) <= 20 else 'OVER'}"
    )
    print(
        f"bare FTS5 MATCH … LIMIT 50 on the same texts: p50 {pct(bare, 50):.2f} ms  p95 {pct(bare, 95):.2f} ms; "
        f"ratio of p95s {pct(ours, 95) / pct(bare, 95):.1f}"
    )


if __name__ == "__main__":
    main()
