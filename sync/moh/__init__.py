"""The hub's link to the Ministry's health-check data hub (QĐ 1551 PL02): client and forwarder."""
