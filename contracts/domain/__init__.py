"""The API's behaviour, with no I/O: the model the reference server runs and the oracle checks
against, request validation, timestamps, the operations and the rate limiter."""
