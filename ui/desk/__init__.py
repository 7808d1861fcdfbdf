"""The exam-day desk of the "Hôm nay" page: what the day looks like (``desk_data``), the live board
(``board_model``, ``board_panel``), check-in by scan, code or name (``checkin_panel``, ``checkin_flow``,
``result_panel``), walk-ins (``walk_in``), queue tickets (``ticket``) and the end of the day
(``reconcile_dialog``). Every rule is the core's (``ksk_desktop.scheduling``); these widgets show its answers."""
