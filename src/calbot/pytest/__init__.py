"""calbot's pytest adapter, split by concern (the entry point is `calbot.pytest.plugin`)."""
