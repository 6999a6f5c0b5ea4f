"""The behavioural contracts, the oracle model, the runner and the targets they talk to."""
