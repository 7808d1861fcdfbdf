"""Dialogs and views of the "Lịch khám" page: campaigns, sites, exam days, the planner and a day's appointments.

They hold no scheduling rules: every check and every write is a call into ``ksk_desktop.scheduling``.
"""
