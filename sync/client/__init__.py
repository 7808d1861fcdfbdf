"""The station's side of sync: ``transport`` (HTTP to the hub), ``worker`` (drain, backoff, pull), ``apply``
(pulled changes into the station) and ``cli`` (``ksk sync …``)."""
