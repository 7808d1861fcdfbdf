"""Campaigns and scheduling: sites, exam days and slots, the planner, appointments, the exam-day desk, coverage.

Modules: ``campaigns`` (a year's campaign and its target groups), ``sites`` (the station and mobile sites),
``days`` (exam days and their slots), ``planner`` (spread a population over days and slots), ``appointments``
(one appointment's life: move, notify, lock, cancel), ``checkin`` (scan or barcode → queue number; walk-ins),
``board`` (the day's live board; exam start/end), ``reconcile`` (no-shows and make-up days), ``day_schedule``
(a day's slots with their people), ``coverage`` (who has not been examined this year), ``sync_payload`` (what
an appointment's outbox item carries), ``status`` (states and steps), ``errors``,
``demo`` (demo data).

Times: slot start and end are the local wall-clock time (Asia/Ho_Chi_Minh, UTC+7) on the exam date, stored as
``HH:MM`` text; every DateTime column is naive UTC (``ctx.clock.utcnow()``); exam dates are plain dates;
"today" is ``ctx.clock.today()``, the date in Vietnam (``ksk_desktop.clock``).
"""
