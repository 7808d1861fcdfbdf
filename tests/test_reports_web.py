"""The Health Department's ``/reports`` page at a real hub process, in a real headless browser (Chromium from
Debian driven by Selenium): the login the hub administrator creates with ``ksk hub viewer add``, a wrong password,
the city table beside Phụ lục I, the commune × group rates, the lowest coverage first, the station that did not
submit by the 15th, logging out. Then with plain HTTP: a station device's credential opens nothing here, a
viewer's cookie opens nothing of the sync API, and the page sends the headers that keep it read-only.

The hub runs on the real clock, so the month used (October 2026, due 15 November 2026) is one whose deadline
has passed on any day the tests can run."""

from __future__ import annotations

import copy
import json
import shutil
import uuid

import pytest
import requests
from reports_support import HEAD, PASSWORD
from sqlalchemy import text
from test_reports_hub import _device, _item, station_a  # noqa: F401 - the fixture
from testkit.hubproc import HubProcess
from testkit.signing_keys import StationKey, register_key

from conftest import run_ksk
from ksk_desktop.reports import submissions
from ksk_desktop.station.lifecycle import login
from sync.hub.store import HubStore

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
STATIONS = [("TYT-A", "10507"), ("TYT-B", "10525"), ("TYT-C", "10532")]
VIEWER, VIEWER_PASSWORD = "soyte.ksk", "Xem-bao-cao-2026"


def _as_station(payload: dict, code: str, commune: str, examined: int) -> dict:
    """The submitted report relabelled as another station's October, with *examined* people of group a examined
    (in the month and this year) — the hub sees only payloads, so this is what each station would send."""
    p = copy.deepcopy(payload)
    f = p["figures"]
    f["station_code"], f["commune_code"], f["month"] = code, commune, "2026-10"
    a, total = f["groups"][0], f["total"]
    for key in ("examined_month", "examined_ytd"):
        total[key] += examined - a[key]
        a[key] = examined
    a["rate"] = round(100 * examined / a["managed"], 1)
    total["rate"] = round(100 * total["examined_ytd"] / total["managed"], 1)
    p.update(id=str(uuid.uuid4()), station_code=code, commune_code=commune, period="2026-10")
    p["digest"] = submissions.digest(f)
    return p


@pytest.fixture
def hub(station_a, tmp_path):  # noqa: F811 - the fixture imported above
    paths, clock, _ids = station_a
    head = login(paths, HEAD, PASSWORD, clock=clock)
    submissions.submit(head, "monthly", "2026-11", PASSWORD)
    with head.read() as s:
        payload = json.loads(s.scalar(text("SELECT payload FROM outbox WHERE kind = 'report'")))
    head.close()
    managed_a = payload["figures"]["groups"][0]["managed"]
    db = tmp_path / "hub.db"
    store = HubStore(f"sqlite:///{db}")
    tokens = {}
    try:
        for (code, commune), examined in zip(STATIONS[:2], (managed_a, 1), strict=True):
            device = _device(store, code, commune)
            key = StationKey(code)  # that station's head's key, registered and approved
            register_key(store, device, key.registration)
            (res,) = store.push(device, [_item(key.sign(_as_station(payload, code, commune, examined)))])
            assert res["status"] == "accepted", res
        store.add_station(STATIONS[2][0], [STATIONS[2][1]])  # registered, never submits
        code = store.new_enroll_code("TYT-A")
        tokens["device"] = store.enroll(code, "TYT-A", str(uuid.uuid4()), "10507")[1]
    finally:
        store.close()
    added = run_ksk(
        "hub", "viewer", "add", VIEWER, "--full-name", "Phòng Nghiệp vụ Y", "--db", f"sqlite:///{db}",
        data_dir=tmp_path, env={"KSK_NEW_PASSWORD": VIEWER_PASSWORD},
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    with HubProcess(db, log=tmp_path / "hub.log") as proc:
        yield proc, tokens, managed_a


@pytest.fixture
def browser():
    if not (CHROMIUM and DRIVER):
        pytest.skip("Chromium and chromedriver (Debian: chromium chromium-driver) are not installed")
    webdriver = pytest.importorskip("selenium.webdriver")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--lang=vi"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(options=opts, service=webdriver.ChromeService(executable_path=DRIVER))
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


def _wait(driver, condition) -> None:  # noqa: ANN001 - a WebDriver and a predicate on it
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    # The page may be replaced while the condition reads it (a form just submitted): read it again.
    WebDriverWait(
        driver, 15, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)
    ).until(condition)


def _rows(driver, table: str) -> list[list[str]]:
    from selenium.webdriver.common.by import By

    return [
        [c.text for c in tr.find_elements(By.TAG_NAME, "td")]
        for tr in driver.find_elements(By.CSS_SELECTOR, f"#{table} tbody tr")
    ]


def test_department_reads_the_city_report_in_a_browser(hub, browser) -> None:
    from selenium.webdriver.common.by import By

    proc, _tokens, managed_a = hub
    browser.get(proc.url + "/reports?month=2026-10")
    assert browser.current_url.endswith("/reports/login")  # no session: the login form
    browser.find_element(By.ID, "username").send_keys(VIEWER)
    browser.find_element(By.ID, "password").send_keys("sai-mat-khau-roi")
    browser.find_element(By.ID, "login").click()
    assert "không đúng" in browser.find_element(By.CSS_SELECTOR, "[role=alert]").text
    browser.find_element(By.ID, "username").send_keys(VIEWER)
    browser.find_element(By.ID, "password").send_keys(VIEWER_PASSWORD)
    browser.find_element(By.ID, "login").click()
    _wait(browser, lambda d: d.current_url.endswith("/reports"))
    month = browser.find_element(By.ID, "month")
    browser.execute_script("arguments[0].value = '2026-10'", month)
    browser.find_element(By.ID, "show").click()
    _wait(browser, lambda d: "tháng 10/2026" in d.find_element(By.TAG_NAME, "h1").text)
    assert "Phòng Nghiệp vụ Y" in browser.page_source
    assert "2 / 3" in browser.page_source.replace("</b>", "").replace("<b>", "")
    assert "TYT-C" in browser.find_element(By.ID, "late").text  # not submitted by 15/11/2026
    city = _rows(browser, "city")
    assert city[0][0].startswith("a)") and city[0][1] == str(2 * managed_a).replace(",", ".")
    assert city[0][3] == str(managed_a + 1)  # examined this year in group a, both stations
    assert city[1][6] == "1.048.653"  # Phụ lục I: pupils
    assert city[-1][0] == "Tổng cộng" and city[-1][6] == "4.212.201"
    communes = {r[1].split(" ")[0]: r for r in _rows(browser, "communes")}
    assert communes["TYT-C"][2] == "Chưa nộp báo cáo"
    assert communes["TYT-A"][3] == "100,0"  # group a's rate in that commune
    assert communes["TYT-A"][-1] == f"Trần Văn Trưởng ({HEAD}): chữ ký đã xác minh"  # the head's, verified
    lowest = _rows(browser, "lowest")
    assert [r[1] for r in lowest] == ["Phường Hải Dương", "Phường Thành Đông"]  # B examined fewer
    browser.find_element(By.XPATH, "//button[text()='Đăng xuất']").click()
    _wait(browser, lambda d: d.current_url.endswith("/reports/login"))
    browser.get(proc.url + "/reports?month=2026-10")
    assert browser.current_url.endswith("/reports/login")


def test_device_credentials_and_viewer_sessions_stay_apart(hub) -> None:
    proc, tokens, _managed = hub
    with requests.Session() as http:
        answer = http.get(
            proc.url + "/reports?month=2026-10",
            headers={"Authorization": f"Bearer {tokens['device']}"},
            allow_redirects=False,
            timeout=10,
        )
        assert answer.status_code == 303 and answer.headers["location"] == "/reports/login"
        login_page = http.get(proc.url + "/reports/login", timeout=10)
        assert "frame-ancestors 'none'" in login_page.headers["content-security-policy"]
        done = http.post(
            proc.url + "/reports/login",
            data={"username": VIEWER, "password": VIEWER_PASSWORD},
            allow_redirects=False,
            timeout=10,
        )
        assert done.status_code == 303
        cookie = done.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "path=/reports" in cookie
        page = http.get(proc.url + "/reports?month=2026-10", timeout=10)
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        assert (
            http.get(proc.url + "/api/v1/changes", timeout=10).status_code == 401
        )  # the cookie is no credential
        assert http.get(proc.url + "/reports?month=2026-13", timeout=10).status_code == 400
