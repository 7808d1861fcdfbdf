"""One FHIR R4 transaction Bundle per signed exam version (see the package docstring for the design).

``exam_bundle(person, exam, station)`` is a pure function of the exam document, the person and the station:
the same inputs always give the same Bundle, with the same identifiers and conditional requests.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from ksk_desktop.dates import show_date
from sync.fhir import codes, patient
from sync.fhir import values as exam_values
from sync.fhir.codes import exam_part_identifier, full_url, search, uuid_identifier
from sync.fhir.values import number


class ExamNotForwardable(ValueError):
    """The document cannot become a health record (not signed, malformed); the message is Vietnamese."""


def exam_bundle(
    person: dict,
    exam: dict,
    station: dict,
    previous: dict | None = None,
    *,
    doctor: dict | None = None,
    personal_id_system: str = codes.CCCD_SYSTEM,
) -> dict:
    """The transaction Bundle for one signed exam version. For an amendment, *previous* (the version it amends)
    lets the parts that disappeared (a diagnosis, a referral, a measurement) be marked entered-in-error/revoked.
    *doctor* (``full_name``, ``licence_no``: the signing key's registration at the hub) becomes a Practitioner;
    *personal_id_system* is the identifier system of the personal ID (``--fhir-personal-id-system``)."""
    _check(exam)
    b = _Builder(person, exam, station, doctor)
    b.patient(personal_id_system)
    b.practitioner()
    b.encounter()
    parts = b.parts(exam)
    if previous is not None and b.amended:
        _check(previous)
        kept = {ident["value"] for ident, _ in parts}
        for ident, res in b.parts(previous):
            if ident["value"] not in kept:
                b.add(_retired(res), ident, update=True)
    for ident, res in parts:
        b.add(res, ident, update=b.amended)
    b.composition(parts)
    return {"resourceType": "Bundle", "type": "transaction", "entry": b.entries}


def is_amendment(exam: dict) -> bool:
    return exam.get("amends_version") is not None or int(exam.get("version") or 1) > 1


def _check(exam: dict) -> None:
    if not isinstance(exam, dict) or exam.get("status") != "signed":
        raise ExamNotForwardable("Phiếu khám chưa được ký: không gửi sang hồ sơ sức khỏe.")
    for key in ("id", "person_id", "exam_date", "form"):
        if not isinstance(exam.get(key), str) or not exam[key]:
            raise ExamNotForwardable(f"Phiếu khám thiếu trường {key}.")
    try:
        date.fromisoformat(exam["exam_date"])
    except ValueError:
        raise ExamNotForwardable("Ngày khám không hợp lệ.") from None
    if not isinstance(exam.get("version"), int) or exam["version"] < 1:
        raise ExamNotForwardable("Phiên bản phiếu khám không hợp lệ.")


def _instant(value: object, fallback: str) -> str:
    """An ISO 8601 UTC instant to the second (``…Z``), or *fallback* (a date) when absent."""
    if not value:
        return fallback
    try:
        dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ExamNotForwardable("Thời điểm ký không hợp lệ.") from None
    dt = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _narrative(*paragraphs: str) -> dict:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs if p)
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{body}</div>'}


def _retired(resource: dict) -> dict:
    """A part that an amendment removed, as the server should now hold it."""
    res = dict(resource)
    kind = res["resourceType"]
    if kind == "Observation":
        res["status"] = "entered-in-error"
    elif kind == "Condition":
        res.pop("clinicalStatus", None)  # con-5: no clinical status on an entered-in-error condition
        res["verificationStatus"] = {
            "coding": [{"system": codes.CONDITION_VERIFICATION, "code": "entered-in-error"}]
        }
    elif kind == "ServiceRequest":
        res["status"] = "revoked"
    return res


class _Builder:
    def __init__(self, person: dict, exam: dict, station: dict, doctor: dict | None) -> None:
        self.person, self.exam, self.station = person, exam, station
        self.amended = is_amendment(exam)
        self.entries: list[dict] = []
        self.patient_ref = ""
        self.encounter_ref = ""
        self.signer = (
            (doctor or {}).get("full_name") or exam.get("signer_name") or exam.get("signed_by") or "Bác sĩ"
        )
        self.licence = (doctor or {}).get("licence_no") or None
        self.doctor: dict = {"display": self.signer}  # a reference once the Practitioner is in the bundle
        self.station_name = station.get("name") or station.get("station_code") or "Trạm y tế"

    def add(self, resource: dict, identifier: dict, *, update: bool) -> str:
        """Append an entry: conditional update (PUT type?identifier=…) or conditional create (ifNoneExist)."""
        kind = resource["resourceType"]
        url = full_url(identifier)
        if update:
            request = {"method": "PUT", "url": f"{kind}?{search(identifier)}"}
        else:
            request = {"method": "POST", "url": kind, "ifNoneExist": search(identifier)}
        self.entries.append({"fullUrl": url, "resource": resource, "request": request})
        return url

    # -- who and when -------------------------------------------------------------------------------
    def patient(self, personal_id_system: str) -> None:
        """The Patient, created if absent, matched on the person's stable UUID (``patient.send`` merges it into a
        Patient the server already holds instead)."""
        res = patient.resource(self.person, personal_id_system)
        self.patient_ref = self.add(res, uuid_identifier(self.person["id"]), update=False)

    def practitioner(self) -> None:
        """The signing doctor, by licence number (created if absent, never overwritten: the server may know more)."""
        if not self.licence:
            return
        ident = {"use": "official", "system": codes.CCHN_SYSTEM, "value": self.licence}
        name: dict = {"use": "official", "text": self.signer}
        res = {"resourceType": "Practitioner", "identifier": [ident], "active": True, "name": [name]}
        ref = self.add(res, ident, update=False)
        self.doctor = {"reference": ref, "display": self.signer}

    def encounter(self) -> None:
        e = self.exam
        form = codes.FORM_LABEL.get(e["form"], e["form"])
        res: dict[str, Any] = {
            "resourceType": "Encounter",
            "identifier": [uuid_identifier(e["id"])],
            "status": "finished",
            "class": {"system": codes.ACT_CODE, "code": "AMB", "display": "ambulatory"},
            "type": [{"text": f"Khám sức khỏe định kỳ (mẫu {form})"}],
            "subject": {"reference": self.patient_ref},
            "participant": [{"individual": self.doctor}],
            "period": {"start": e["exam_date"], "end": e["exam_date"]},
            "serviceProvider": {"display": self.station_name},
        }
        self.encounter_ref = self.add(res, res["identifier"][0], update=self.amended)

    # -- what was found -----------------------------------------------------------------------------
    def parts(self, exam: dict) -> list[tuple[dict, dict]]:
        """(identifier, resource) of the Observations, Conditions and ServiceRequests of *exam*, in order."""
        out = [*self._vitals(exam)]
        cls = exam.get("health_class")
        if isinstance(cls, int) and cls in codes.ROMAN:
            label = "Phân loại sức khỏe (QĐ 1613/BYT-QĐ)"
            concept = {
                "coding": [{"system": codes.EXAM_FIELD, "code": "health_class", "display": label}],
                "text": label,
            }
            value = {"valueCodeableConcept": exam_values.class_concept(cls)}
            out.append(
                self._observation(
                    exam, "health-class", concept, "exam", value, exam.get("health_class_reason")
                )
            )
        for part in exam_values.exam_parts(exam):
            out.append(self._observation(exam, part.label, part.code, part.category, part.value, part.note))
        seen = set()
        for dx in exam.get("diagnoses") or []:
            code = str(dx.get("code") or "").strip().rstrip("†*")
            if code and code not in seen:
                seen.add(code)
                out.append(self._condition(exam, code, str(dx.get("name") or code)))
        for ref in exam.get("referrals") or []:
            if ref.get("id"):
                out.append(self._service_request(exam, ref))
        return out

    def _vitals(self, exam: dict) -> list[tuple[dict, dict]]:
        values = exam.get("values") or {}
        out = []
        for field, code, display, unit in (codes.HEIGHT, codes.WEIGHT):
            if (v := number(values.get(field))) is not None:
                out.append(self._quantity(exam, code, display, v, unit))
        if (bmi := _bmi(exam)) is not None:
            _f, code, display, unit = codes.BMI
            out.append(self._quantity(exam, code, display, bmi, unit))
        components = []
        for field, code, display, unit in (codes.SYSTOLIC, codes.DIASTOLIC):
            if (v := number(values.get(field))) is not None:
                components.append(
                    {
                        "code": {"coding": [{"system": codes.LOINC, "code": code, "display": display}]},
                        "valueQuantity": _qty(v, unit),
                    }
                )
        if components:
            code, display = codes.BP_PANEL
            out.append(
                self._observation(exam, code, _loinc(code, display), "vital-signs", {"component": components})
            )
        field, code, display, unit = codes.PULSE
        if (v := number(values.get(field))) is not None:
            out.append(self._quantity(exam, code, display, v, unit))
        return out

    def _quantity(self, exam: dict, code: str, display: str, value: float, unit: str) -> tuple[dict, dict]:
        return self._observation(
            exam, code, _loinc(code, display), "vital-signs", {"valueQuantity": _qty(value, unit)}
        )

    def _observation(
        self, exam: dict, label: str, code: dict, category: str, value: dict, note: object = None
    ) -> tuple[dict, dict]:
        ident = exam_part_identifier(exam["id"], f"observation/{label}")
        res: dict = {
            "resourceType": "Observation",
            "identifier": [ident],
            "status": "amended" if is_amendment(exam) else "final",
            "category": [{"coding": [{"system": codes.OBS_CATEGORY, "code": category}]}],
            "code": code,
            "subject": {"reference": self.patient_ref},
            "encounter": {"reference": self.encounter_ref},
            "effectiveDateTime": exam["exam_date"],
            "performer": [self.doctor],
            **value,
        }
        if note:
            res["note"] = [{"text": str(note)}]
        return ident, res

    def _condition(self, exam: dict, code: str, name: str) -> tuple[dict, dict]:
        ident = exam_part_identifier(exam["id"], f"condition/{code}")
        res = {
            "resourceType": "Condition",
            "identifier": [ident],
            "clinicalStatus": {"coding": [{"system": codes.CONDITION_CLINICAL, "code": "active"}]},
            "verificationStatus": {"coding": [{"system": codes.CONDITION_VERIFICATION, "code": "confirmed"}]},
            "category": [{"coding": [{"system": codes.CONDITION_CATEGORY, "code": "encounter-diagnosis"}]}],
            "code": {"coding": [{"system": codes.ICD10, "code": code, "display": name}], "text": name},
            "subject": {"reference": self.patient_ref},
            "encounter": {"reference": self.encounter_ref},
            "recordedDate": exam["exam_date"],
            "asserter": self.doctor,
        }
        return ident, res

    def _service_request(self, exam: dict, ref: dict) -> tuple[dict, dict]:
        ident = uuid_identifier(ref["id"])
        res: dict = {
            "resourceType": "ServiceRequest",
            "identifier": [ident],
            "status": "active",
            "intent": "order",
            "priority": codes.PRIORITY.get(ref.get("urgency") or "routine", "routine"),
            "code": {"text": "Chuyển tuyến"},
            "subject": {"reference": self.patient_ref},
            "encounter": {"reference": self.encounter_ref},
            "authoredOn": exam["exam_date"],
            "requester": self.doctor,
        }
        if ref.get("destination"):
            res["performer"] = [{"display": str(ref["destination"])}]
        if ref.get("reason"):
            res["reasonCode"] = [{"text": str(ref["reason"])}]
        return ident, res

    # -- the signed summary -------------------------------------------------------------------------
    def composition(self, parts: list[tuple[dict, dict]]) -> None:
        e = self.exam
        refs = {ident["value"]: full_url(ident) for ident, _ in parts}

        def section(title: str, code: tuple[str, str] | None, wanted: Callable[[dict], bool]) -> dict | None:
            entries = [{"reference": refs[ident["value"]]} for ident, res in parts if wanted(res)]
            if not entries:
                return None
            sec: dict = {"title": title, "entry": entries}
            if code:
                sec["code"] = _loinc(*code)
            return sec

        def of_kind(kind: str, vital: bool | None = None) -> Callable[[dict], bool]:
            return lambda res: res["resourceType"] == kind and (vital is None or _is_vital(res) == vital)

        def of_category(category: str, classes: bool = False) -> Callable[[dict], bool]:
            return lambda res: (
                res["resourceType"] == "Observation"
                and res["category"][0]["coding"][0]["code"] == category
                and _is_class(res) == classes
            )

        sections = [
            section("Dấu hiệu sinh tồn", codes.VITALS_SECTION, of_kind("Observation", True)),
            section("Tiền sử và thông tin bổ sung", None, of_category("survey")),
            section("Khám lâm sàng", codes.EXAM_SECTION, of_category("exam")),
            section("Cận lâm sàng", None, of_category("laboratory")),
            section("Phân loại sức khỏe", None, of_category("exam", classes=True)),
            section("Chẩn đoán", codes.PROBLEMS_SECTION, of_kind("Condition")),
            section("Chuyển tuyến", codes.REFERRAL_SECTION, of_kind("ServiceRequest")),
        ]
        cls = e.get("health_class")
        conclusion = [
            f"Phân loại sức khỏe: Loại {codes.ROMAN[cls]}" if cls in codes.ROMAN else "",
            f"Kết luận: {e['conclusion']}" if e.get("conclusion") else "",
            f"Lời khuyên: {e['advice']}" if e.get("advice") else "",
        ]
        if any(conclusion):
            sections.append(
                {
                    "title": "Kết luận và lời khuyên",
                    "code": _loinc(*codes.PLAN_SECTION),
                    "text": _narrative(*conclusion),
                }
            )
        ident = exam_part_identifier(e["id"], f"composition/v{e['version']}")
        signed = _instant(e.get("signed_at"), e["exam_date"])
        res: dict = {
            "resourceType": "Composition",
            "identifier": ident,
            "status": "amended" if self.amended else "final",
            "type": {
                "coding": [
                    {"system": codes.LOINC, "code": codes.SUMMARY_DOC[0], "display": codes.SUMMARY_DOC[1]}
                ],
                "text": "Phiếu kết quả khám sức khỏe",
            },
            "subject": {"reference": self.patient_ref},
            "encounter": {"reference": self.encounter_ref},
            "date": signed,
            "author": [self.doctor],
            "title": f"Kết quả khám sức khỏe định kỳ ngày {_vn_date(e['exam_date'])}",
            "attester": [{"mode": "legal", "time": signed, "party": self.doctor}],
            "custodian": {"display": self.station_name},
            "section": [s for s in sections if s],
        }
        if self.amended:
            before = e.get("amends_version") or e["version"] - 1
            res["relatesTo"] = [
                {
                    "code": "replaces",
                    "targetIdentifier": exam_part_identifier(e["id"], f"composition/v{before}"),
                }
            ]
        # Each signed version is its own document: created once, never updated (the amendment replaces it).
        self.add(res, ident, update=False)


def _is_vital(res: dict) -> bool:
    return res["category"][0]["coding"][0]["code"] == "vital-signs"


def _is_class(res: dict) -> bool:
    """An Observation whose value is a QĐ 1613 class (the overall health class or an organ/specialty class)."""
    coding = (res.get("valueCodeableConcept") or {}).get("coding") or [{}]
    return coding[0].get("system") == codes.HEALTH_CLASS


def _loinc(code: str, display: str) -> dict:
    return {"coding": [{"system": codes.LOINC, "code": code, "display": display}]}


def _qty(value: float, unit: str) -> dict:
    return {"value": value, "unit": unit, "system": codes.UCUM, "code": unit}


def _bmi(exam: dict) -> float | None:
    bmi = (exam.get("assessment") or {}).get("bmi")
    if isinstance(bmi, dict) and number(bmi.get("value")) is not None:
        return bmi["value"]
    values = exam.get("values") or {}
    h, w = number(values.get("height_cm")), number(values.get("weight_kg"))
    if h and w and h > 0:
        return round(w / (h / 100) ** 2, 1)
    return None


def _vn_date(iso: str) -> str:
    return show_date(iso)
