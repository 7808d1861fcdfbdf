"""Qt item models over the core's lists (lazy: they fetch what the view shows, a page at a time)."""
