"""A reference of the Ministry's health-check data hub (QĐ 1551 PL02), for tests and a sandbox on loopback.

Login and token refresh, and ``POST /api/platform/data-sync/push``: the envelope's shape, its signature
against the facility certificate registered for the sender, the XML-DSig signatures in the file, the mandatory
fields it can see, the 6-month rule per personal ID and idempotency on ``msg_id``; each answer (``msg_type``
102) is signed with the receiver's own key. Not the Ministry's code: written from the published description.
"""
