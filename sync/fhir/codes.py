"""Code systems, identifier systems and the deterministic identifiers of the resources built from an exam.

Every business identifier is derived from ids the station generated offline (person, exam, referral), so the
same exam always yields the same identifiers, and a conditional request on them finds what an earlier attempt
created. Identifiers that are not a national number are written the standard way for a UUID:
``system = urn:ietf:rfc:3986``, ``value = urn:uuid:<uuid>``; sub-resources of an exam (one Observation per
LOINC code, one Condition per ICD-10 code, one Composition per signed version) get a UUIDv5 of the exam id
and a fixed label, e.g. ``uuid5(EXAM_NS, "<exam id>/observation/8302-2")``.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote

# Identifier systems. CCCD: the VN Core community IG's NamingSystem vn-cccd-ns (shared/domain/vietnam.md §3.3), the
# default of ``ksk hub serve --fhir-personal-id-system``. CCHN: the same IG's NamingSystem vn-cchn-ns (số chứng
# chỉ hành nghề), for the signing doctor's Practitioner.
CCCD_SYSTEM = "http://fhir.hl7.org.vn/core/sid/cccd"
CCHN_SYSTEM = "http://fhir.hl7.org.vn/core/sid/cchn"
URI_SYSTEM = "urn:ietf:rfc:3986"

# The project's own code systems (no public one fits, or its URL could not be found): every form field of the
# exam (code = the field's key in the exam document, e.g. ``internal.circulation_class``, ``history.diabetes``,
# ``vision_right_uncorrected``; display = the form's Vietnamese label), each form section as a panel
# (``section/<id>``), and the QĐ 1613 health class I–V (used for the overall class and for every organ/specialty
# class). Documented in README (FHIR).
KSK_SYSTEM = "urn:ksk-desktop:fhir:CodeSystem"
EXAM_FIELD = f"{KSK_SYSTEM}:exam-field"
HEALTH_CLASS = f"{KSK_SYSTEM}:health-class"
HEALTH_CLASS_LABEL = {
    1: "Loại I - Rất khỏe",
    2: "Loại II - Khỏe",
    3: "Loại III - Trung bình",
    4: "Loại IV - Yếu",
    5: "Loại V - Rất yếu",
}

# Code systems.
LOINC = "http://loinc.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
UCUM = "http://unitsofmeasure.org"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"

EXAM_NS = uuid.UUID("3d0c5f4e-8b2a-4e61-9a57-1f6c2b8e4d90")  # identifiers of an exam's sub-resources
FULLURL_NS = uuid.UUID("a4f1c2d3-5e6b-4a7c-8d9e-0f1a2b3c4d5e")  # bundle-internal fullUrls (never identifiers)


def urn(value: str | uuid.UUID) -> str:
    return f"urn:uuid:{value}"


def uuid_identifier(value: str | uuid.UUID) -> dict:
    return {"system": URI_SYSTEM, "value": urn(value)}


def exam_part_identifier(exam_id: str, label: str) -> dict:
    """The identifier of one part of an exam (``observation/8302-2``, ``condition/I10``, ``composition/v2``)."""
    return uuid_identifier(uuid.uuid5(EXAM_NS, f"{exam_id}/{label}"))


def full_url(identifier: dict) -> str:
    """A bundle-internal ``urn:uuid`` for the resource carrying *identifier*: derived, so it can never be mistaken
    for (and rewritten inside) an identifier value by a server resolving references."""
    return urn(uuid.uuid5(FULLURL_NS, f"{identifier['system']}|{identifier['value']}"))


def search(identifier: dict) -> str:
    """``identifier=system|value`` for a conditional request, percent-encoded."""
    return "identifier=" + quote(f"{identifier['system']}|{identifier['value']}", safe="")


# Vital signs: (document field(s), LOINC code, display, UCUM unit).
HEIGHT = ("height_cm", "8302-2", "Body height", "cm")
WEIGHT = ("weight_kg", "29463-7", "Body weight", "kg")
BMI = ("bmi", "39156-5", "Body mass index (BMI) [Ratio]", "kg/m2")
PULSE = ("pulse", "8867-4", "Heart rate", "/min")
BP_PANEL = ("85354-9", "Blood pressure panel with all children optional")
SYSTOLIC = ("systolic", "8480-6", "Systolic blood pressure", "mm[Hg]")
DIASTOLIC = ("diastolic", "8462-4", "Diastolic blood pressure", "mm[Hg]")
TEMPERATURE = ("physique.temperature_c", "8310-5", "Body temperature", "Cel")
WAIST = ("physique.waist_cm", "8280-0", "Waist Circumference at umbilicus by Tape measure", "cm")
HBA1C = ("hba1c_percent", "4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%")
GLUCOSE_FASTING = (
    "glucose_fasting_mmol_l",
    "14771-0",
    "Fasting glucose [Moles/volume] in Serum or Plasma",
    "mmol/L",
)
#: LOINC codes of form fields beyond the vital signs above: field key -> (code, display).
FIELD_LOINC = {f[0]: (f[1], f[2]) for f in (TEMPERATURE, WAIST, HBA1C, GLUCOSE_FASTING)}
#: The form's units written as UCUM codes (a unit missing here is sent as text only).
UCUM_OF = {
    "cm": "cm",
    "kg": "kg",
    "lần/phút": "/min",
    "mmHg": "mm[Hg]",
    "°C": "Cel",
    "m": "m",
    "%": "%",
    "mmol/L": "mmol/L",
    "răng": "{tooth}",
}
VITALS_SECTION = ("8716-3", "Vital signs")
PROBLEMS_SECTION = ("11450-4", "Problem list - Reported")
REFERRAL_SECTION = ("57133-1", "Referral note")
PLAN_SECTION = ("18776-5", "Plan of care note")
SUMMARY_DOC = ("34133-9", "Summary of episode note")

SEX = {"M": "male", "F": "female"}
# Our referral urgency to FHIR request-priority.
PRIORITY = {"routine": "routine", "soon": "urgent", "urgent": "asap"}
FORM_LABEL = {"adult": "người lớn", "child": "trẻ em, học sinh", "elderly": "người cao tuổi"}
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V"}
EXAM_SECTION = ("29545-1", "Physical findings Narrative")
