"""Tests of the client verification (`calbot.contracts.clients`), sharing `records.Records`."""
