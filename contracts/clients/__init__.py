"""Client verification: the request ledger (`ledger/`: its format, files, writer and the one
record builder), the one view of a ledger its judges read (`view`), and the client rules
(`retries`, `schedules`) with their options and verdict (`options`, `verify`)."""
