"""Tests of the ledger format (`calbot.contracts.clients.ledger`), one module per idea."""
