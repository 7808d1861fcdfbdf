"""The reference Ministry endpoint on its own, through our client: login, refresh and a new login after the
token is refused, idempotency on msg_id, the receiver's signature, the envelope checks and the 6-month rule."""

from __future__ import annotations

import base64
import copy
import json
from datetime import UTC, datetime

import pytest
import requests
from cryptography import x509
from moh1551_support import khamsuckhoe
from testkit.mohref import (
    ACCOUNT,
    ACCOUNT_PASSWORD,
    MohRefProcess,
    pem,
    set_up_ministry,
    signed_envelope,
)
from testkit.testca import TestCA
from testkit.waiting import wait_until

from ksk_desktop.moh1551 import certs
from sync.moh.client import MohClient, MohUnavailable, receiver_signature_ok


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    ca = TestCA()
    doctor = certs.open_pkcs12(ca.doctor().p12("d"), "d")
    facility = certs.open_pkcs12(ca.facility().p12("f"), "f")
    data = tmp_path_factory.mktemp("moh")
    set_up_ministry(data, pem(facility.certificate))
    with MohRefProcess(data, token_seconds=1) as moh:
        receiver = x509.load_pem_x509_certificate(
            requests.get(f"{moh.url}/api/receiver-cert", timeout=10).content
        )
        yield moh, doctor, facility, receiver


def body(env: dict) -> bytes:
    return json.dumps(env).encode()


def env_for(
    doctor, facility, n: int, *, day: str = "202611260800", cccd: str | None = None, **fields
) -> dict:
    ma_lk = f"LKREF{n:06d}"
    xml = khamsuckhoe(ma_lk=ma_lk, hoso_id=f"H{n}", so_cccd=cccd or f"0319{n:08d}", ngay_vao=day, **fields)
    return signed_envelope(xml, doctor, facility, f"H{n}", datetime(2026, 11, 26, 3, tzinfo=UTC))


def test_login_refresh_and_a_new_login_keep_pushing(scene):
    moh, doctor, facility, receiver = scene
    client = MohClient(moh.url, ACCOUNT, ACCOUNT_PASSWORD)
    first = client.push(body(env_for(doctor, facility, 1)))
    assert first.http_status == 200 and first.body["res_code"] == "CM_SUCCESS"
    token = client.token()
    # The token lives one second: the client refreshes it (or logs in again) and the push still goes.
    wait_until(lambda: client.token(), lambda t: t != token, timeout=10, interval=0.2, what="a new token")
    assert client.push(body(env_for(doctor, facility, 2))).body["res_code"] == "CM_SUCCESS"
    client.close()
    with pytest.raises(MohUnavailable, match="từ chối đăng nhập"):
        MohClient(moh.url, ACCOUNT, "sai-mat-khau").push(body(env_for(doctor, facility, 3)))


def test_the_same_msg_id_gets_the_same_signed_answer_once(scene):
    moh, doctor, facility, receiver = scene
    client = MohClient(moh.url, ACCOUNT, ACCOUNT_PASSWORD)
    env = env_for(doctor, facility, 10)
    before = moh.stats()
    a = client.push(body(env))
    b = client.push(body(env))
    assert a.body == b.body and a.body["header"]["ref_msg_id"] == env["header"]["msg_id"]
    assert a.body["header"]["msg_type"] == "102" and a.body["data"]["data_state"] == "ACCEPTED"
    assert receiver_signature_ok(a.body, receiver) is True
    forged = copy.deepcopy(a.body)
    forged["res_code"] = "PS_SIGNATURE_INVALID"
    assert receiver_signature_ok(forged, receiver) is False
    after = moh.stats()
    assert after["messages"] == before["messages"] + 1
    assert after["accepted_records"] == before["accepted_records"] + 1


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        (lambda e: e["header"].update(receiver_id="X"), "PS_SIGNATURE_INVALID", "Chữ ký gói tin"),
        (lambda e: e["header"].update(txn_type="other"), "CM_INVALID_REQUEST", "txn_type"),
        (lambda e: e.update(data=base64.b64encode(b"<KHAMSUCKHOE/>").decode()), "PS_SIGNATURE_INVALID", ""),
    ],
)
def test_envelope_refusals(scene, change, code, words):
    moh, doctor, facility, _ = scene
    env = env_for(doctor, facility, 20 + len(words))
    change(env)
    answer = MohClient(moh.url, ACCOUNT, ACCOUNT_PASSWORD).push(body(env))
    assert answer.http_status == 400 and answer.body["res_code"] == code
    assert words in answer.body["message_notify"]


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"so_cccd": "12345"}, "SO_CCCD"),
        ({"ngay_sinh": "1990-01-15"}, "NGAY_SINH"),
        ({"phan_loai_sk": "6"}, "PHAN_LOAI_SK"),
    ],
)
def test_mandatory_fields_are_named(scene, fields, named):
    moh, doctor, facility, _ = scene
    cccd = fields.pop("so_cccd", None)
    env = env_for(doctor, facility, 40 + len(named), cccd=cccd, **fields)
    answer = MohClient(moh.url, ACCOUNT, ACCOUNT_PASSWORD).push(body(env))
    assert answer.body["res_code"] == "CM_INVALID_REQUEST" and named in answer.body["message_notify"]


def test_six_month_rule_per_personal_id(scene):
    moh, doctor, facility, _ = scene
    client = MohClient(moh.url, ACCOUNT, ACCOUNT_PASSWORD)
    cccd = "031177000123"

    def push(n: int, day: str) -> str:
        return client.push(body(env_for(doctor, facility, n, day=day, cccd=cccd))).body["res_code"]

    assert push(60, "202601100800") == "CM_SUCCESS"
    assert push(61, "202607090800") == "PS_CCCD_DUPLICATE_IN_6_MONTHS"  # one day short of six months
    assert push(62, "202607110800") == "CM_SUCCESS"
