"""``/reports``: the Health Department's read-only web page at the hub, server-rendered in Vietnamese.

Behind a login the hub administrator creates (``sync.hub.viewers``): a form posts the name and password, the
answer sets an HttpOnly, SameSite=Strict session cookie scoped to ``/reports``. The page shows the city's monthly
report (``sync.hub.city_report``): the city by target group beside the plan's Phụ lục I figures, the priority
sub-groups, each commune × group with rates and who signed the report (verified under the head's approved key, or
"chưa ký" for a report received before reports were signed), the lowest coverage first, and the stations that
had not submitted by the 15th. Nothing on it can change anything; no personal data is on it (aggregates only).
"""

# No ``from __future__ import annotations`` here: FastAPI reads these annotations at run time.
from datetime import date, timedelta
from html import escape
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ksk_desktop.errors import AuthenticationFailed, InvalidInput
from ksk_desktop.reports.layout import number
from sync.hub import city_report, viewers
from sync.hub.limits import RateLimiter
from sync.hub.store import HubStore

COOKIE = "ksk_report_session"
LOGIN_PER_MINUTE = 10
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}
_STYLE = """
body{font-family:"Noto Sans",Arial,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #999;padding:.25em .5em}
th{background:#eef}td.n{text-align:right}tr.total td{font-weight:bold}.low{background:#fdd}
.flag{color:#a00;font-weight:bold}header{display:flex;justify-content:space-between;align-items:baseline}
"""
GROUP_LABELS = {
    "a": "a) Người cao tuổi, khuyết tật, hộ nghèo, cận nghèo, có công, bệnh mạn tính, vùng khó khăn, xã đảo",
    "b": "b) Trẻ em mầm non, học sinh phổ thông",
    "c": "c) Người lao động",
    "d": "d) Đối tượng do Bộ Quốc phòng, Bộ Công an quản lý",
    "đ": "đ) Đối tượng khác",
}
PRIORITY_LABELS = {
    "elderly": "Người cao tuổi",
    "disabled": "Người khuyết tật",
    "poor_near_poor": "Hộ nghèo, cận nghèo",
    "merit": "Người có công",
    "chronic": "Bệnh mạn tính",
    "remote_island": "Vùng khó khăn, xã đảo, đặc khu",
}


def _n(value: object) -> str:
    return escape(number(value))


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = (
        f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body>{body}</body></html>"
    )
    return HTMLResponse(html, status_code=status, headers=_HEADERS)


def _login_form(message: str = "", status: int = 200) -> HTMLResponse:
    note = f'<p class="flag" role="alert">{escape(message)}</p>' if message else ""
    return _page(
        "Đăng nhập — Báo cáo khám sức khỏe",
        "<h1>Báo cáo khám sức khỏe định kỳ — Sở Y tế Hải Phòng</h1>"
        f'{note}<form method="post" action="/reports/login">'
        '<p><label>Tên đăng nhập <input name="username" id="username" autocomplete="username" required></label></p>'
        '<p><label>Mật khẩu <input name="password" id="password" type="password" autocomplete="current-password" '
        "required></label></p>"
        '<p><button type="submit" id="login">Đăng nhập</button></p></form>',
        status,
    )


def _previous_month(today: date) -> str:
    last = today.replace(day=1) - timedelta(days=1)
    return f"{last.year:04d}-{last.month:02d}"


def _signer_cell(st: dict) -> str:
    """Who signed a station's report and whether the signature verified under the head's approved key."""
    who = escape(f"{st['signer_name']} ({st['signed_by']})")
    if st["signature_verified"]:
        return f'<td class="signed">{who}: chữ ký đã xác minh</td>'
    if st["signer_key_id"] is None:
        return f'<td class="flag">{who}: chưa ký (báo cáo nộp trước khi có chữ ký số)</td>'
    return f'<td class="flag">{who}: chữ ký KHÔNG xác minh được</td>'


def render(report: dict, viewer: str) -> str:
    """The page body for one city report."""
    y, m = report["month"].split("-")
    deadline = date.fromisoformat(report["deadline"]).strftime("%d/%m/%Y")
    parts = [
        f"<header><h1>Kết quả khám sức khỏe định kỳ tháng {m}/{y}</h1>"
        f'<form method="post" action="/reports/logout"><span>{escape(viewer)}</span> '
        '<button type="submit">Đăng xuất</button></form></header>',
        f'<form method="get" action="/reports"><label>Tháng <input type="month" name="month" id="month" '
        f'value="{escape(report["month"])}"></label> <button type="submit" id="show">Xem</button></form>',
        f"<p>Số trạm đã nộp báo cáo: <b>{report['stations_submitted']}</b> / {report['stations_registered']} trạm "
        f"đã đăng ký. Hạn nộp: trước ngày {deadline}.</p>",
    ]
    late = report["not_submitted_by_deadline"]
    if late:
        parts.append(
            f'<p class="flag" id="late">Chưa nộp đúng hạn ({len(late)} trạm): '
            + ", ".join(escape(c) for c in late)
            + "</p>"
        )
    rows = "".join(
        f"<tr><td>{escape(GROUP_LABELS[g['group']])}</td><td class=n>{_n(g['managed'])}</td>"
        f"<td class=n>{_n(g['examined_month'])}</td><td class=n>{_n(g['examined_ytd'])}</td>"
        f"<td class=n>{_n(g['rate'])}</td><td class=n>{_n(g['next_year_need'])}</td>"
        f"<td class=n>{_n(g['plan_target'])}</td><td>"
        + "; ".join(f"{escape(label)}: {_n(n)}" for label, n in g["plan_parts"])
        + "</td></tr>"
        for g in report["groups"]
    )
    t = report["total"]
    parts.append(
        '<h2>Toàn thành phố theo nhóm đối tượng</h2><table id="city"><thead><tr><th>Nhóm</th><th>Quản lý</th>'
        "<th>Khám trong tháng</th><th>Lũy kế năm</th><th>Tỷ lệ (%)</th><th>Nhu cầu năm sau</th>"
        "<th>Phụ lục I</th><th>Chi tiết Phụ lục I</th></tr></thead><tbody>"
        + rows
        + f'<tr class="total"><td>Tổng cộng</td><td class=n>{_n(t["managed"])}</td>'
        f"<td class=n>{_n(t['examined_month'])}</td><td class=n>{_n(t['examined_ytd'])}</td>"
        f"<td class=n>{_n(t['rate'])}</td><td class=n>{_n(t['next_year_need'])}</td>"
        f"<td class=n>{_n(t['plan_population'])}</td><td>Tổng dân số (Phụ lục I)</td></tr></tbody></table>"
    )
    prow = "".join(
        f"<tr><td>{escape(PRIORITY_LABELS[p['key']])}</td><td class=n>{_n(p['managed'])}</td>"
        f"<td class=n>{_n(p['examined_ytd'])}</td><td class=n>{_n(p['rate'])}</td><td class=n>{_n(p['plan_target'])}</td></tr>"
        for p in report["priority"]
    )
    parts.append(
        '<h2>Nhóm ưu tiên (thuộc nhóm a)</h2><table id="priority"><thead><tr><th>Nhóm ưu tiên</th><th>Quản lý</th>'
        f"<th>Lũy kế năm</th><th>Tỷ lệ (%)</th><th>Phụ lục I</th></tr></thead><tbody>{prow}</tbody></table>"
    )
    head = "".join(f"<th>Nhóm {g} (%)</th>" for g in "abcdđ")
    crow = []
    for st in report["stations"]:
        name = escape(st.get("commune_name") or st.get("name") or st["station_code"])
        if not st["submitted"]:
            crow.append(
                f'<tr><td>{name}</td><td>{escape(st["station_code"])}</td><td colspan="8" class="flag">'
                "Chưa nộp báo cáo</td></tr>"
            )
            continue
        cells = "".join(f"<td class=n>{_n(g['rate'])}</td>" for g in st["groups"])
        note = " (nộp muộn)" if st["flagged"] else ""
        crow.append(
            f"<tr><td>{name}</td><td>{escape(st['station_code'])}{note}</td><td class=n>{_n(st['total']['managed'])}</td>"
            f"{cells}<td class=n>{_n(st['total']['rate'])}</td>{_signer_cell(st)}</tr>"
        )
    parts.append(
        '<h2>Theo xã, phường, đặc khu</h2><table id="communes"><thead><tr><th>Xã / phường / đặc khu</th><th>Trạm</th>'
        f"<th>Quản lý</th>{head}<th>Chung (%)</th><th>Người ký</th></tr></thead><tbody>{''.join(crow)}</tbody></table>"
    )
    rank = "".join(
        f'<tr class="{"low" if i <= 10 else ""}"><td class=n>{i}</td>'
        f"<td>{escape(r['commune_name'] or r['station_code'])}</td><td class=n>{_n(r['rate'])}</td>"
        f"<td class=n>{_n(r['examined_ytd'])}</td><td class=n>{_n(r['managed'])}</td></tr>"
        for i, r in enumerate(report["lowest"], start=1)
    )
    parts.append(
        '<h2>Xếp hạng tỷ lệ khám thấp nhất</h2><table id="lowest"><thead><tr><th>Hạng</th><th>Xã / phường</th>'
        f"<th>Tỷ lệ (%)</th><th>Đã khám</th><th>Quản lý</th></tr></thead><tbody>{rank}</tbody></table>"
        f"<p><small>{escape(report['plan_source'])} Tỷ lệ = số đã khám lũy kế năm ÷ số đối tượng quản lý, theo báo "
        "cáo đã nộp mới nhất của mỗi trạm.</small></p>"
    )
    return "".join(parts)


def install(app: FastAPI, store: HubStore) -> None:
    """Add the ``/reports`` pages to the hub's app."""
    logins = RateLimiter(LOGIN_PER_MINUTE)

    def viewer_of(request: Request) -> str | None:
        with store.session() as s:
            return viewers.who(s, request.cookies.get(COOKIE), store.clock())

    @app.get("/reports/login", include_in_schema=False)
    def login_form() -> Response:
        return _login_form()

    @app.post("/reports/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        address = str(request.client.host if request.client else "unknown")
        if not logins.take(address):
            return _login_form("Đăng nhập sai quá nhiều lần: thử lại sau ít phút.", 429)
        form = parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=10)
        username = (form.get("username") or [""])[0]
        password = (form.get("password") or [""])[0]
        try:
            with store.session(write=True) as s:
                token, _name = viewers.login(s, username, password, store.clock())
        except AuthenticationFailed as exc:
            return _login_form(str(exc), 401)
        answer = RedirectResponse("/reports", status_code=303, headers=_HEADERS)
        answer.set_cookie(
            COOKIE,
            token,
            max_age=viewers.SESSION_HOURS * 3600,
            path="/reports",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return answer

    @app.post("/reports/logout", include_in_schema=False)
    def logout(request: Request) -> Response:
        with store.session(write=True) as s:
            viewers.logout(s, request.cookies.get(COOKIE))
        answer = RedirectResponse("/reports/login", status_code=303, headers=_HEADERS)
        answer.delete_cookie(COOKIE, path="/reports")
        return answer

    @app.get("/reports", include_in_schema=False)
    def page(request: Request, month: str | None = None) -> Response:
        viewer = viewer_of(request)
        if viewer is None:
            return RedirectResponse("/reports/login", status_code=303, headers=_HEADERS)
        now = store.clock()
        try:
            with store.session() as s:
                report = city_report.monthly(
                    s, month or _previous_month((now + timedelta(hours=7)).date()), now
                )
        except InvalidInput as exc:
            return _page(
                "Báo cáo",
                f'<p class="flag">{escape(str(exc))}</p><p><a href="/reports">Quay lại</a></p>',
                400,
            )
        y, m = report["month"].split("-")
        return _page(f"Báo cáo khám sức khỏe tháng {m}/{y}", render(report, viewer))
