"""The health-record endpoint: signed exams as HL7 FHIR R4 transaction Bundles, forwarded by the city hub.

Where it happens. Stations never talk FHIR: they push exams and amendments to the hub as ordinary sync
items (``kind`` exam | amendment, the signed exam document as payload). The hub checks the document, stores
it once per item id and, in the same transaction, queues it once per (exam id, version) in its own table
(``hub_fhir_forward``). With ``ksk hub serve --fhir-url URL`` a background forwarder drains that queue:
``sent`` only after the FHIR server answered every entry, retries with backoff on network trouble or 5xx,
``parked`` with the server's OperationOutcome text when the content is refused (``ksk hub stats``,
``ksk hub fhir-retry``).

Consent (Luật 91/2025/QH15). An exam goes to the health record only while its person has an active
``ehr_share`` consent, which stations sync as ``consent`` items (``hub_consent`` keeps the newest version of
each). Without one the exam waits (state ``waiting``, counted by ``ksk hub stats``); the consent's arrival puts
that person's waiting exams back in the queue. A withdrawal stops what has not been sent yet.

The Bundle (``bundle.exam_bundle``), one per signed exam version, carries every value of the exam:

- Patient (``patient``): identifiers (the personal ID under the configured system, ``--fhir-personal-id-system``,
  default the VN Core CCCD system ``http://fhir.hl7.org.vn/core/sid/cccd``; and the hub's person UUID), name
  (family name first), gender, birth date (or year), home address as text. No phone, insurance number, flags
  or guardian. Created if absent (``ifNoneExist`` on the person UUID); a Patient the server already holds
  (found by the person UUID, else by the personal ID) is merged and written back with ``If-Match`` before the
  transaction (``patient.send``), keeping whatever the server knows: one Patient per person whatever order the
  personal ID arrives in.
- Practitioner: the signing doctor as registered with the key at the hub, identified by the licence number
  (``http://fhir.hl7.org.vn/core/sid/cchn``); created if absent, never overwritten. Performer, participant,
  asserter, author and attester of the rest (a doctor without a licence number is named only).
- Encounter (identifier = exam id): ambulatory, finished, the exam date, the form, the station by name.
- Observations: LOINC vital signs (height 8302-2, weight 29463-7, BMI 39156-5 from the document's assessment
  or computed, blood-pressure panel 85354-9 with 8480-6/8462-4 components, pulse 8867-4); the QĐ 1613 health
  class coded in the project's health-class system (``codes.HEALTH_CLASS``, I–V); and every other value of
  ``values`` (``values.exam_parts``, driven by the form definition): measurements one Observation each,
  organ/specialty classes coded like the health class, the rest of each section as a panel with one
  component per value. Identifier = UUIDv5(exam id + "observation/" + label).
- Condition per ICD-10 diagnosis (``http://hl7.org/fhir/sid/icd-10``, the Vietnamese name as display),
  identifier = UUIDv5(exam id + "condition/" + code); ServiceRequest per referral (identifier = referral
  id; urgency routine/soon/urgent → priority routine/urgent/asap; the destination as performer display).
- Composition, LOINC 34133-9, one per signed version (identifier = UUIDv5(exam id + "composition/vN")):
  sections vital signs, history, clinical exam, paraclinical, classes, diagnoses, referrals, conclusion and
  advice; attester = the signing doctor at the signing time; status final, or amended with ``relatesTo
  replaces`` the version it amends.

Exactly once at the server comes from conditional requests on those deterministic identifiers, never from
the hub remembering what it sent: version 1 uses conditional create (``ifNoneExist``), so a replay — a retry,
a hub killed mid-forward, the same exam pushed twice — finds what the first attempt made and creates nothing
(the Patient merge writes nothing when nothing changed). An amendment (version > 1) uses conditional update
(``PUT Type?identifier=…``) for the Encounter, Observations, Conditions and ServiceRequests, so their values
change in place; parts the amendment dropped are re-sent as entered-in-error (ServiceRequest: revoked); its own
Composition is new and replaces the old one, so each signed version stays readable as it was signed. A late
copy of an older version is never sent over a newer one.

Transaction size: servers cap transactions that carry conditional requests (Medplum: 8 entries). The client
(``client.FhirClient``) sends a bigger Bundle as consecutive transactions of at most ``--fhir-max-entries``
entries; every entry refers only to entries before it, and references to entries of an earlier part are
rewritten to the ids the server answered. A failure part-way leaves earlier parts stored, which is harmless
because the whole Bundle is sent again and every entry is conditional.

Not here: the VN Core health-checkup document profile (``vn-core-health-checkup-document-bundle``) and the
QĐ 1551 push envelope, whose texts were not available; the signature travels with the document to the
hub but is not turned into a FHIR Provenance/Signature yet.
"""
