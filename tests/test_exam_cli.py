"""The ``ksk exam`` and ``ksk followup`` command-line contract, in real child processes on a real station."""

from __future__ import annotations

import json

import pytest
from exam_support import DOCTOR, ENT, EYES, INTERNAL, NURSE, OTHER, STAFF_PASSWORD, add_person, add_staff

from conftest import run_ksk


@pytest.fixture
def cli(station, admin_session, tmp_path):
    paths, _ = station
    add_staff(admin_session)
    pid = add_person(admin_session)
    data = {
        "person_id": pid,
        "form": "adult",
        "exam_date": "2026-11-20",
        "values": {
            "height_cm": 165,
            "weight_kg": 60.5,
            "pulse": 78,
            "systolic": 150,
            "diastolic": 95,
            **EYES,
            **ENT,
            **{**INTERNAL, "internal.circulation_class": 4},
            **{k: v for part in OTHER.values() for k, v in part.items()},
        },
        "diagnoses": ["I10"],
        "conclusion": "Tăng huyết áp độ 1",
        "advice": "Giảm muối",
        "followups": [{"kind": "hypertension", "due_date": "2026-12-20", "note": "Đo lại huyết áp"}],
    }
    path = tmp_path / "exam.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    admin_session.close()
    return {"dir": paths.root, "person": pid, "file": path, "data": data, "tmp": tmp_path}


def ksk(c, *args, user=DOCTOR):
    return run_ksk("--user", user, *args, data_dir=c["dir"], password=STAFF_PASSWORD)


def test_import_show_sign_verify_list(cli) -> None:
    out = ksk(cli, "exam", "import", str(cli["file"]))
    assert out.returncode == 0, out.stderr
    exam_id = out.stdout.strip()
    assert len(exam_id) == 36
    doc = json.loads(ksk(cli, "exam", "show", exam_id, "--json").stdout)
    assert doc["id"] == exam_id and doc["status"] == "draft" and doc["values"]["systolic"] == 150
    assert doc["assessment"]["blood_pressure"]["code"] == "tha_do_1" and doc["health_class"] == 4
    listed = json.loads(ksk(cli, "exam", "list", "--status", "draft", "--json").stdout)
    assert [(r["id"], r["status"], r["full_name"]) for r in listed] == [(exam_id, "draft", "Nguyễn Văn An")]
    assert set(listed[0]) == {
        "id",
        "version",
        "person_id",
        "full_name",
        "exam_date",
        "form",
        "status",
        "health_class",
        "signed_by",
    }

    signed = ksk(cli, "exam", "sign", exam_id, "--json")
    assert signed.returncode == 0, signed.stderr
    doc = json.loads(signed.stdout)
    assert doc["status"] == "signed" and doc["signed_by"] == DOCTOR and doc["signature"]
    assert (
        json.loads(
            ksk(cli, "exam", "list", "--person", cli["person"], "--date", "20/11/2026", "--json").stdout
        )[0]["signed_by"]
        == DOCTOR
    )
    assert json.loads(ksk(cli, "exam", "list", "--date", "21/11/2026", "--json").stdout) == []

    from ksk_desktop.exams.signing import verify_qr_text

    qr = verify_qr_text(doc)
    ok = ksk(cli, "exam", "verify", qr, user=NURSE)
    assert ok.returncode == 0 and "hợp lệ" in ok.stdout
    forged = qr[:-4] + ("AAAA" if not qr.endswith("AAAA") else "BBBB")
    bad = ksk(cli, "exam", "verify", forged)
    assert bad.returncode != 0 and bad.stderr.startswith("Lỗi: Không hợp lệ")
    junk = ksk(cli, "exam", "verify", "xin chào")
    assert junk.returncode != 0 and "không phải mã xác thực" in junk.stderr

    again = ksk(cli, "exam", "sign", exam_id)
    assert again.returncode == 16 and "đã ký" in again.stderr
    keys = json.loads(ksk(cli, "exam", "keys", "--json").stdout)
    assert [(k["username"], k["algorithm"], k["key_id"]) for k in keys] == [
        (DOCTOR, "Ed25519", doc["signer_key_id"])
    ]

    due = json.loads(ksk(cli, "followup", "list", "--due-before", "31/12/2026", "--json").stdout)
    assert [f["kind"] for f in due] == ["hypertension"]
    done = ksk(cli, "followup", "done", due[0]["id"], "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["status"] == "done"
    assert json.loads(ksk(cli, "followup", "list", "--json").stdout) == []
    assert len(json.loads(ksk(cli, "followup", "list", "--status", "done", "--json").stdout)) == 1
    assert ksk(cli, "followup", "done", due[0]["id"]).returncode != 0


def test_amend_from_the_command_line(cli) -> None:
    exam_id = ksk(cli, "exam", "import", str(cli["file"])).stdout.strip()
    assert ksk(cli, "exam", "sign", exam_id).returncode == 0
    out = ksk(
        cli,
        "exam",
        "amend",
        exam_id,
        "--reason",
        "Cân lại",
        "--set",
        "weight_kg=62",
        "--set",
        "advice=Giảm muối, tập thể dục",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    v2 = json.loads(out.stdout)
    assert (v2["version"], v2["amends_version"], v2["amendment_reason"]) == (2, 1, "Cân lại")
    assert v2["values"]["weight_kg"] == 62 and v2["advice"] == "Giảm muối, tập thể dục"
    v1 = json.loads(ksk(cli, "exam", "show", exam_id, "--version", "1", "--json").stdout)
    assert v1["values"]["weight_kg"] == 60.5 and v1["status"] == "signed"
    assert ksk(cli, "exam", "amend", exam_id, "--reason", "x").returncode == 2  # nothing to set
    no_reason = ksk(cli, "exam", "amend", exam_id, "--reason", " ", "--set", "weight_kg=63")
    assert no_reason.returncode == 2 and "lý do" in no_reason.stderr
    unknown = ksk(cli, "exam", "amend", exam_id, "--reason", "x", "--set", 'diagnoses=["Z99.99"]')
    assert unknown.returncode == 2 and "Z99.99" in unknown.stderr


def test_errors_exit_non_zero_with_one_line(cli) -> None:
    missing = ksk(cli, "exam", "show", "00000000-0000-0000-0000-000000000000")
    assert missing.returncode == 8 and missing.stderr.count("\n") == 1 and missing.stderr.startswith("Lỗi: ")
    bad = cli["tmp"] / "bad.json"
    bad.write_text(json.dumps({**cli["data"], "values": {"height_cm": "cao"}}), encoding="utf-8")
    assert ksk(cli, "exam", "import", str(bad)).returncode == 2
    unknown = cli["tmp"] / "icd.json"
    unknown.write_text(json.dumps({**cli["data"], "diagnoses": ["X99.9"]}), encoding="utf-8")
    out = ksk(cli, "exam", "import", str(unknown))
    assert out.returncode == 2 and "X99.9" in out.stderr
    assert ksk(cli, "exam", "import", str(cli["tmp"] / "none.json")).returncode == 2
    exam_id = ksk(cli, "exam", "import", str(cli["file"])).stdout.strip()
    nurse = ksk(cli, "exam", "sign", exam_id, user=NURSE)
    assert nurse.returncode == 7 and "ký kết quả khám" in nurse.stderr
    assert ksk(cli, "exam", "show", exam_id, user=NURSE).returncode == 7
    incomplete = cli["tmp"] / "part.json"
    incomplete.write_text(json.dumps({**cli["data"], "values": {"height_cm": 165}}), encoding="utf-8")
    part_id = ksk(cli, "exam", "import", str(incomplete)).stdout.strip()
    blocked = ksk(cli, "exam", "sign", part_id)
    assert blocked.returncode == 17 and "còn thiếu" in blocked.stderr and "Mạch" in blocked.stderr
    eyes = (
        cli["tmp"] / "eyes.json"
    )  # the doctor's class better than the measurements: the same words as the app
    values = {
        **cli["data"]["values"],
        "vision_right_uncorrected": 6,
        "vision_left_uncorrected": 6,
        "eyes.class": 1,
    }
    eyes.write_text(json.dumps({**cli["data"], "values": values}), encoding="utf-8")
    blocked = ksk(cli, "exam", "sign", ksk(cli, "exam", "import", str(eyes)).stdout.strip())
    assert blocked.returncode == 17 and blocked.stderr.count("\n") == 1
    assert "Mắt: bác sĩ xếp loại I nhưng số đo cho loại IV — ghi lý do." in blocked.stderr
    assert "(reason)" not in blocked.stderr and "eyes.class" not in blocked.stderr
    form = run_ksk("exam", "form", "elderly", "--json", data_dir=cli["dir"])
    assert json.loads(form.stdout)["form"] == "elderly"
