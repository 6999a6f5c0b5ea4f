"""Client verification: the request ledger's format and the client rules applied to it."""
