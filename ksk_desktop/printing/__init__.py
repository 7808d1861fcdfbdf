"""PDF printing (reportlab, bundled Noto Sans): the day schedule, hamlet call lists, queue tickets, result slips
and referral slips. The renderers take plain dicts and never touch the database; :mod:`.jobs` loads, checks
permissions, audits and writes for the CLI and the app. Each renderer writes atomically and returns the number
of pages."""

from __future__ import annotations

from ksk_desktop.printing.call_list_pdf import call_list_pdf
from ksk_desktop.printing.referral_pdf import referral_slip_pdf
from ksk_desktop.printing.result_slip_pdf import result_slips_pdf
from ksk_desktop.printing.schedule_pdf import day_schedule_pdf
from ksk_desktop.printing.ticket_pdf import queue_ticket_pdf

__all__ = ["call_list_pdf", "day_schedule_pdf", "queue_ticket_pdf", "referral_slip_pdf", "result_slips_pdf"]
