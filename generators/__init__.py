"""Hypothesis strategies: meeting URLs, deduplication keys, bot configs, events, requests."""
