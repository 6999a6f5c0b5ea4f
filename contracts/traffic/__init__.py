"""The upstream's passive verdict: the answers recorded in a ledger, checked against the docs."""
