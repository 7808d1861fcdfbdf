"""The reference endpoint's HTTP API (FastAPI): ``/api/auth/login``, ``/api/auth/refresh`` and
``/api/platform/data-sync/push`` (``service-type: 100``), with the Ministry's answer codes.

Every answer to a push is ``msg_type`` 102 with ``ref_msg_id``, ``res_code``, ``data.data_state``,
``message_check_ca``, ``message_notify`` and ``signature``: RSA PKCS#1 v1.5 SHA-256 by the receiver's key over
the canonical JSON (sorted keys, compact, UTF-8) of the answer without ``signature``; the receiver's
certificate is at ``/api/receiver-cert``. The same ``msg_id`` again gets the stored answer, byte for byte.
"""

# No ``from __future__ import annotations`` here: FastAPI reads these annotations at run time.
import hashlib
import json
import secrets
from datetime import date

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from ksk_desktop.clock import SYSTEM_CLOCK
from ksk_desktop.errors import KskError
from ksk_desktop.moh1551 import envelope as env_mod
from sync.moh_ref.checks import Record, Refused, check_file
from sync.moh_ref.store import RefStore

RECEIVER_ID = "TDLBYT"
_STATUS = {"CM_SUCCESS": 200, "CM_INVALID_REQUEST": 400, "PS_SIGNATURE_INVALID": 400}
_STATUS["PS_CCCD_DUPLICATE_IN_6_MONTHS"] = 400


def _six_months_before(day: date) -> date:
    month = day.month - 6
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def create_app(store: RefStore, *, token_seconds: int = 3600) -> FastAPI:
    app = FastAPI(title="QĐ 1551 reference endpoint", docs_url=None, redoc_url=None, openapi_url=None)

    async def _json(request: Request) -> object:
        try:
            return json.loads(await request.body())
        except ValueError:
            return None

    @app.post("/api/auth/login")
    async def login(request: Request) -> JSONResponse:
        body = await _json(request)
        if not isinstance(body, dict) or not isinstance(body.get("username"), str):
            return JSONResponse({"res_code": "CM_INVALID_REQUEST", "message": "Thiếu tài khoản."}, 400)
        tokens = store.login(body["username"], str(body.get("password", "")), token_seconds)
        if tokens is None:
            return JSONResponse(
                {"res_code": "CM_AUTH_PERMISSION", "message": "Sai tài khoản hoặc mật khẩu."}, 401
            )
        return JSONResponse({"res_code": "CM_SUCCESS", **tokens})

    @app.post("/api/auth/refresh")
    async def refresh(request: Request) -> JSONResponse:
        body = await _json(request)
        tokens = (
            store.refresh(str(body.get("refresh_token", "")), token_seconds)
            if isinstance(body, dict)
            else None
        )
        if tokens is None:
            return JSONResponse(
                {"res_code": "CM_AUTH_PERMISSION", "message": "Phiên đăng nhập hết hạn."}, 401
            )
        return JSONResponse({"res_code": "CM_SUCCESS", **tokens})

    @app.get("/api/receiver-cert")
    def receiver_cert() -> PlainTextResponse:
        from cryptography.hazmat.primitives import serialization

        return PlainTextResponse(store.certificate.public_bytes(serialization.Encoding.PEM).decode())

    @app.get("/api/ref/stats")
    def stats() -> JSONResponse:
        return JSONResponse(store.counts())

    @app.post("/api/platform/data-sync/push")
    async def push(request: Request) -> JSONResponse:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or store.token_user(auth[7:]) is None:
            return JSONResponse(
                {"res_code": "CM_AUTH_PERMISSION", "message": "Token không hợp lệ hoặc hết hạn."}, 401
            )
        if request.headers.get("service-type") != "100":
            return JSONResponse(
                {"res_code": "CM_INVALID_REQUEST", "message": "service-type phải là 100."}, 400
            )
        raw = await request.body()
        body = await _json(request)
        msg_id = body.get("header", {}).get("msg_id") if isinstance(body, dict) else None
        msg_id = msg_id if isinstance(msg_id, str) and len(msg_id) <= 64 else None
        with store.lock:
            known = store.answer_of(msg_id) if msg_id is not None else None
        if known is not None:
            return JSONResponse(known[1], known[0])
        checked = _check(store, body)  # the signatures and fields, outside the lock (CPU work)
        with store.lock:  # the 6-month rule and the record: one push at a time
            known = store.answer_of(msg_id) if msg_id is not None else None
            if known is not None:
                return JSONResponse(known[1], known[0])
            status, answer, accepted = _decide(store, body, checked)
            if msg_id is not None:
                sender = body["header"].get("sender_id", "") if isinstance(body, dict) else ""
                store.record(msg_id, str(sender), hashlib.sha256(raw).hexdigest(), status, answer, accepted)
        return JSONResponse(answer, status)

    return app


def _answer(store: RefStore, header: dict, res_code: str, notify: str, check_ca: str) -> dict:
    now = SYSTEM_CLOCK.now()
    answer = {
        "header": {
            "version": env_mod.VERSION,
            "sender_id": RECEIVER_ID,
            "receiver_id": str(header.get("sender_id", "")),
            "txn_type": env_mod.TXN_TYPE,
            "msg_id": f"{RECEIVER_ID}{now:%y%m%d}{secrets.token_hex(16)}",
            "msg_type": env_mod.MSG_TYPE_ANSWER,
            "ref_msg_id": str(header.get("msg_id", "")),
            "send_datetime": int(now.timestamp() * 1000),
        },
        "res_code": res_code,
        "data": {"data_state": "ACCEPTED" if res_code == "CM_SUCCESS" else "REJECTED"},
        "message_check_ca": check_ca,
        "message_notify": notify,
    }
    answer["signature"] = store.sign(answer)
    return answer


def _refusal(
    store: RefStore, header: dict, code: str, notify: str, check_ca: str = ""
) -> tuple[int, dict, list]:
    return _STATUS.get(code, 400), _answer(store, header, code, notify, check_ca), []


def _check(store: RefStore, body: object) -> list[Record] | tuple[str, str, str]:
    """The file's records, or the refusal (code, message_notify, message_check_ca)."""
    field = env_mod.check_shape(body)
    if field is not None:
        return "CM_INVALID_REQUEST", f"Gói tin sai cấu trúc: trường {field}.", ""
    assert isinstance(body, dict)
    cert = store.cert_of(body["header"]["sender_id"])
    if cert is None:
        return "PS_SIGNATURE_INVALID", "Cơ sở chưa đăng ký chứng thư số.", "Không tìm thấy chứng thư số."
    try:
        env_mod.verify(body, cert)
    except KskError:
        return "PS_SIGNATURE_INVALID", "Chữ ký gói tin không hợp lệ.", "Chữ ký không khớp chứng thư số."
    if body["header"]["data_type"] != "xml/base64":
        return "CM_INVALID_REQUEST", "Chỉ nhận data_type xml/base64 cho khám sức khỏe.", ""
    try:
        return check_file(env_mod.file_of(body), cert)
    except Refused as exc:
        ca = "Chữ ký số không hợp lệ." if exc.code == "PS_SIGNATURE_INVALID" else "Chữ ký số hợp lệ."
        return exc.code, exc.message, ca
    except KskError as exc:
        return "CM_INVALID_REQUEST", exc.message, ""


def _decide(
    store: RefStore, body: object, checked: list[Record] | tuple[str, str, str]
) -> tuple[int, dict, list]:
    header = body.get("header") if isinstance(body, dict) and isinstance(body.get("header"), dict) else {}
    assert isinstance(header, dict)
    if isinstance(checked, tuple):
        return _refusal(store, header, *checked)
    today = SYSTEM_CLOCK.today()
    accepted = []
    for rec in checked:
        day = rec.exam_day or today
        last = store.last_accepted(rec.so_cccd)
        if last is not None and date.fromisoformat(last) > _six_months_before(day):
            return _refusal(
                store,
                header,
                "PS_CCCD_DUPLICATE_IN_6_MONTHS",
                f"Số định danh đã có kết quả khám trong vòng 6 tháng (MA_LK {rec.ma_lk}).",
                "Chữ ký số hợp lệ.",
            )
        accepted.append((rec.so_cccd, day.isoformat(), rec.ma_lk, header["msg_id"]))
    return 200, _answer(store, header, "CM_SUCCESS", "Tiếp nhận thành công.", "Chữ ký số hợp lệ."), accepted
