"""What an error message may say about a person.

An error is one line that can end up in a log, a screenshot, a support e-mail or a script's output file, so it
never carries personal data whole. The rule, applied everywhere a message mentions what was typed, scanned or
read from a file:

- an identifier (personal ID, old ID card number, phone, insurance card number) shows only its last four
  characters, ``…5678`` (:func:`tail`): enough for the person at the keyboard to see which one is meant;
- a name or a date of birth is not repeated at all; where the desk must show who is concerned, the error
  carries it in a separate field (``who``) that the window shows and the command line does not print.
"""

from __future__ import annotations

KEEP = 4


def tail(value: object) -> str:
    """``"031085999901"`` → ``"…9901"``; a value too short to hide anything → ``"…"``."""
    text = "".join(str(value or "").split())
    return "…" + text[-KEEP:] if len(text) > KEEP else "…"
