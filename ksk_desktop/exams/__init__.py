"""Exams: form definitions, exam records, validation and classification, Ed25519 sign-off and amendments,
referrals and follow-ups.

Public API for the exam entry screen (every call goes through a logged-in ``StationSession``; every read and write
is audited as ``exam.read`` / ``exam.save`` / ``exam.sign`` / ``exam.amend``, without health values):

- ``forms.load_form(form, version=None).to_json()`` — the form definition (``adult``, ``child``, ``elderly``):
  sections in order, each with its ``role`` (``vitals`` nurse, specialty ``doctor``, ``conclusion`` doctor) and
  fields (``key``, ``label``, ``type``, ``unit``, ``range``, ``required``, ``feeds`` (QĐ 1613 index),
  ``template_code`` (MoH template)). ``forms.available()`` lists the forms and versions.
- ``records.open_draft(ctx, person_id, appointment_id=None, form=None, exam_date=None) -> state`` — the person's
  draft of that day, created if none (form from the campaign of the appointment, else by age).
- ``records.load(ctx, exam_id, version=None) -> state``; ``records.get_exam(ctx, exam_id) -> document``.
- ``records.save_section(ctx, exam_id, section, values, expected_version=n, confirm=[...]) -> state`` — save part
  of a draft as the logged-in user (the section's role is checked). ``expected_version`` is
  ``state["section_versions"].get(section, 0)``; a stale one raises ``errors.VersionConflict`` (other sections
  saved meanwhile do not conflict). ``confirm`` lists fields whose implausible value the user confirms.
  The conclusion section also writes the document's ``diagnoses`` (ICD-10 codes, checked), ``conclusion``,
  ``advice``, ``health_class_reason`` and the doctor's ``conclusion.health_class``.
- ``state`` = ``{"document", "edit_seq", "section_versions", "missing_required": [{"key", "label", "section"}],
  "unconfirmed": [{"field", "message"}], "errors": [...], "can_sign"}``; ``document["assessment"]`` is
  ``clinical.classify(...)`` of the values (BMI, BP grade, class per index, suggested class, flags, warnings) and
  ``document["health_class"]`` the resulting class (worst index, or the doctor's override with a reason).
- ``plan.suggest_for(ctx, exam_id)`` → suggested ``referrals``/``followups``; ``plan.set_plan(ctx, exam_id,
  referrals, followups, expected_version=n)`` — the doctor confirms them (``section_versions["plan"]``);
  ``plan_rules`` holds what a plan may contain (follow-up kinds, urgencies) and the suggestions themselves.
- ``signing.sign(ctx, exam_id, password) -> document`` — doctor only, with their own password, which opens their
  signing key (``keys.unlock``; a first signing makes the key and queues its registration at the hub);
  ``errors.SigningBlocked`` carries ``missing`` and ``unconfirmed``. ``signing.verify(ctx, exam_id)``, ``signing.verify_qr_text(doc)``, ``signing.verify_qr(ctx,
  text)``.
- ``amendments.amend(ctx, exam_id, reason, changes, sign=True, password=...)`` — a new version of a signed exam.
- ``records.list_exams(ctx, person_id=, exam_date=, status=)``, ``records.import_exam(ctx, data)``,
  ``keys.public_keys(ctx)``, ``followups.list_followups(...)``, ``followups.mark_done(ctx, id)``,
  ``referrals.get_referral(ctx, id)``.

The exam document (``document.KEYS``) is the shared contract: signing, ``ksk exam show``, sync payloads, FHIR and
printed slips use it as is.
"""
