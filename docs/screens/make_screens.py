"""Screenshots of every page for every role, from the real app at 1366×768 (the usual station laptop).

Builds a demo station in a temporary folder (synthetic people, the demo accounts, today's exam day), starts the
real app (``ui.app.setup_application`` → ``ui.flow.AppFlow``) on an X server of its own (Xvfb, 1366×768), logs
in through the login dialog as each demo account (password ``demo-2026``), opens every page in turn, waits until
the page has read its data, and saves the screen as ``docs/screens/ROLE-PAGE.png`` (palette PNG, small enough to
commit), plus ``dang-nhap.png`` (the login dialog) and ``README.md`` (the index).

    sudo apt-get install xvfb          # once (Debian/Ubuntu; installer/dev-setup.sh does not need it)
    .venv/bin/python docs/screens/make_screens.py

Rerun it whenever a page changes. ``--offscreen`` uses Qt's offscreen platform instead of Xvfb (no X server
needed; the fonts and styles can differ slightly from a real desktop).
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from ksk_desktop.demo.seed import DEMO_SECRET  # noqa: E402

WIDTH, HEIGHT = 1366, 768
ROLES = (  # demo account, what the README calls it
    ("admin", "Quản trị viên"),
    ("truongtram", "Trưởng trạm"),
    ("bacsi", "Bác sĩ"),
    ("letan", "Lễ tân / Điều dưỡng"),
)
PAGE_FILES = {  # page title → file-name part
    "Hôm nay": "hom-nay",
    "Người dân": "nguoi-dan",
    "Lịch khám": "lich-kham",
    "Khám": "kham",
    "Báo cáo": "bao-cao",
    "Đồng bộ": "dong-bo",
    "Quản trị": "quan-tri",
}
MAX_BYTES = 150_000


def start_xvfb() -> subprocess.Popen:
    """An X server of our own at 1366×768; sets DISPLAY for Qt (``-displayfd``: it picks a free display)."""
    if shutil.which("Xvfb") is None:
        sys.exit("Xvfb không có trên máy này: sudo apt-get install xvfb (hoặc chạy với --offscreen).")
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", f"{WIDTH}x{HEIGHT}x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        display = pipe.readline().strip()
    if not display:
        server.kill()
        sys.exit("Xvfb không khởi động được.")
    os.environ["DISPLAY"] = f":{display}"
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    return server


def wait_until(app, done: Callable[[], bool], timeout: float = 60.0, settle: float = 0.0) -> None:  # noqa: ANN001
    """Run the event loop until *done()* has held for *settle* seconds (or the timeout)."""
    deadline = time.monotonic() + timeout
    held_since: float | None = None
    while time.monotonic() < deadline:
        app.processEvents()
        if done():
            held_since = held_since or time.monotonic()
            if time.monotonic() - held_since >= settle:
                return
        else:
            held_since = None
        time.sleep(0.02)
    print(f"  (hết thời gian chờ {timeout:.0f} s: chụp như đang có)", file=sys.stderr)


def save_png(image, path: Path) -> int:  # noqa: ANN001 - a QImage
    """*image* as a palette PNG (fewer colours until it fits MAX_BYTES); returns its size."""
    from PIL import Image
    from PySide6.QtCore import QBuffer, QIODevice

    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    picture = Image.open(io.BytesIO(bytes(buffer.data()))).convert("RGB")
    for colours in (128, 64, 32):
        out = io.BytesIO()
        picture.quantize(colours, method=Image.Quantize.MEDIANCUT).save(out, "PNG", optimize=True)
        if out.tell() <= MAX_BYTES:
            break
    path.write_bytes(out.getvalue())
    return out.tell()


def make_demo(folder: Path, people: int):  # noqa: ANN201
    from ksk_desktop.demo.seed import create_demo
    from ksk_desktop.station.paths import StationPaths

    paths = StationPaths(folder / "station")
    print(f"Tạo trạm mẫu ({people} người) trong {paths.root} …")
    create_demo(paths, people)
    return paths


def run(out: Path, people: int) -> list[tuple[str, str, str, int]]:
    from PySide6.QtWidgets import QApplication

    from ui import ops
    from ui.app import setup_application
    from ui.flow import AppFlow
    from ui.main_window import PAGE_TITLES

    app = QApplication.instance() or QApplication(sys.argv[:1])
    setup_application(app)
    screen = app.primaryScreen()  # asked again at each use below: xcb may replace its QScreen meanwhile
    print(f"Màn hình {screen.size().width()}×{screen.size().height()}, nền tảng {app.platformName()}")
    shots: list[tuple[str, str, str, int]] = []
    with tempfile.TemporaryDirectory(prefix="ksk-screens-") as tmp:
        paths = make_demo(Path(tmp), people)

        def idle() -> bool:
            return ops.pending_count() == 0

        for n, (username, _role) in enumerate(ROLES):
            flow = AppFlow(paths, username=username)
            flow.start()
            wait_until(app, lambda f=flow: f.login_dialog is not None and f.login_dialog.isVisible())
            dialog = flow.login_dialog
            dialog.password_edit.setText(DEMO_SECRET)  # the demo accounts' public password
            if n == 0:
                wait_until(app, lambda: True, settle=0.3)
                size = save_png(dialog.grab().toImage(), out / "dang-nhap.png")
                shots.append(("", "Đăng nhập", "dang-nhap.png", size))
            dialog.login_button.click()
            wait_until(app, lambda f=flow: f.window is not None and f.window.isVisible())
            window = flow.window
            window.setGeometry(
                app.primaryScreen().availableGeometry()
            )  # "maximised" (Xvfb runs no window manager)
            for title in PAGE_TITLES:
                window.show_page(title)
                wait_until(app, idle, timeout=120, settle=0.6)
                name = f"{username}-{PAGE_FILES[title]}.png"
                size = save_png(app.primaryScreen().grabWindow(0), out / name)
                shots.append((username, title, name, size))
                print(f"  {name:28} {size / 1000:6.1f} KB")
            if username == "letan":  # the waiting room's screen, opened from Hôm nay
                window.show_page("Hôm nay")
                display = window.today_page.open_call_display()
                if display is not None:
                    display.showNormal()
                    display.setGeometry(app.primaryScreen().availableGeometry())
                    wait_until(app, lambda d=display: d.data is not None and idle(), timeout=60, settle=0.6)
                    size = save_png(app.primaryScreen().grabWindow(0), out / "man-hinh-goi-so.png")
                    shots.append(("", "Màn hình gọi số", "man-hinh-goi-so.png", size))
                    print(f"  {'man-hinh-goi-so.png':28} {size / 1000:6.1f} KB")
                    display.close()
            window.close()
            wait_until(app, lambda f=flow: f.window is None and idle(), timeout=60)
        ops.wait_for_workers()
    return shots


def write_index(out: Path, shots: list[tuple[str, str, str, int]]) -> None:
    from ui.main_window import PAGE_TITLES

    by_role = {(u, t): name for u, t, name, _ in shots}
    lines = [
        "# KSK Desktop — every page for every role",
        "",
        "Screenshots of the real app at 1366×768 on the demo station (synthetic data; all demo accounts use the",
        "password `demo-2026`), made by [`make_screens.py`](make_screens.py) under Xvfb. Rerun it whenever a page",
        "changes:",
        "",
        "```bash",
        "sudo apt-get install xvfb   # once",
        ".venv/bin/python docs/screens/make_screens.py",
        "```",
        "",
        "![Đăng nhập](dang-nhap.png)",
        "",
        "The waiting room's screen (“Màn hình gọi số”, opened from Hôm nay; numbers only, no names):",
        "[man-hinh-goi-so.png](man-hinh-goi-so.png)",
        "",
        "| Trang | " + " | ".join(f"{role} (`{u}`)" for u, role in ROLES) + " |",
        "| --- | " + " | ".join("---" for _ in ROLES) + " |",
    ]
    for title in PAGE_TITLES:
        cells = [f"[{title}]({by_role[(u, title)]})" if (u, title) in by_role else "—" for u, _ in ROLES]
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    for u, role in ROLES:
        lines += ["", f"## {role} (`{u}`)", ""]
        for title in PAGE_TITLES:
            if (u, title) in by_role:
                lines += [f"### {title}", "", f"![{role} — {title}]({by_role[(u, title)]})", ""]
    (out / "README.md").write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Chụp mọi trang của mọi vai trò ở 1366×768 (trạm mẫu).")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="thư mục ảnh")
    parser.add_argument("--people", type=int, default=5000, help="số người của trạm mẫu (mặc định 5000)")
    parser.add_argument(
        "--offscreen", action="store_true", help="không dùng Xvfb (nền tảng offscreen của Qt)"
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    server = None
    if args.offscreen:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    else:
        server = start_xvfb()
    try:
        for old in args.out.glob("*.png"):
            old.unlink()
        shots = run(args.out, args.people)
        write_index(args.out, shots)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
    big = [name for _u, _t, name, size in shots if size > MAX_BYTES]
    print(f"{len(shots)} ảnh trong {args.out}" + (f"; lớn hơn {MAX_BYTES // 1000} KB: {big}" if big else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
