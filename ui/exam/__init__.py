"""The exam entry screen ("Khám" page) in parts: field editors made from the form definition, the form view
with its sections, autosave, the live assessment, the ICD-10 picker, the referral/follow-up plan, sign-off,
amendments, printing and the follow-up list. Every rule is the core's (``ksk_desktop.exams``)."""
