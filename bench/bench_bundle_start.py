"""Start of the bundled GUI to the login window: p50/p95 over a few runs, with the bundle's size.

Starts ``ksk-desktop`` from a built bundle (``installer/build.py``) in a clean environment (``env -i``-like:
no venv, fresh HOME), Qt offscreen, with ``KSK_SMOKE_EXIT_AFTER_LOGIN_SHOWN=1``: the time is from the
process's spawn to its line saying the login dialog is shown (then it closes itself). Before each run the
page cache is dropped when the machine allows it (root, /proc/sys/vm/drop_caches), so the runs are cold
starts; otherwise they are warm-cache starts, and the output says which. Target: p50 ≤ 3 s.

Run: .venv/bin/python bench/bench_bundle_start.py --bundle DIST/ksk-desktop [--runs 7]
     (without --bundle it builds one into bench/out/bundle first: ~2 minutes)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import BENCH_DIR, machine, pct  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SMOKE_LINE = "SMOKE_LOGIN_SHOWN"
TARGET_S = 3.0


def bundle_size(folder: Path) -> int:
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def drop_caches() -> bool:
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8", **extra}


def start_once(app: Path, data: Path, home: Path, timeout: float = 60.0) -> float:
    env = clean_env(home, QT_QPA_PLATFORM="offscreen", KSK_SMOKE_EXIT_AFTER_LOGIN_SHOWN="1")
    started = time.monotonic()
    proc = subprocess.Popen(
        [str(app / "ksk-desktop"), "--data-dir", str(data)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    shown = None
    for line in proc.stdout:
        if line.startswith(SMOKE_LINE):
            shown = time.monotonic() - started
            break
    proc.wait(timeout=timeout)
    if shown is None:
        raise SystemExit(f"the login dialog was not shown (exit code {proc.returncode})")
    return shown


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bundle", type=Path, default=None, help="a built bundle folder (…/ksk-desktop)")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    app = args.bundle
    if app is None:
        out = BENCH_DIR / "bundle"
        subprocess.run(
            [sys.executable, str(ROOT / "installer" / "build.py"), "--out", str(out), "--no-archive"],
            check=True,
        )
        app = out / "ksk-desktop"
    app = app.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        home, data = Path(tmp) / "home", Path(tmp) / "data"
        home.mkdir()
        subprocess.run(
            [str(app / "ksk"), "--data-dir", str(data), "demo", "--people", "50"],
            env=clean_env(home),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        times, cold = [], True
        for _ in range(args.runs):
            cold = drop_caches() and cold
            times.append(start_once(app, data, home))
    p50, p95 = pct(times, 50), pct(times, 95)
    print(machine())
    print(f"bundle: {app} {bundle_size(app) / 1e6:.1f} MB unpacked")
    kind = "cold (page cache dropped before each run)" if cold else "warm page cache (could not drop it)"
    print(f"start to login window, {args.runs} runs, {kind}:")
    print("  runs: " + ", ".join(f"{t:.2f}" for t in times) + " s")
    print(
        f"  p50 {p50:.2f} s, p95 {p95:.2f} s (target p50 ≤ {TARGET_S:.0f} s: {'met' if p50 <= TARGET_S else 'NOT met'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
