"""Field constraints the fragment documents, as constants (a test holds them to the fragment)."""

MAX_KEY_LENGTH = 2000
"""`deduplication_key`: at most this many characters (docs.recall.ai, the endpoint's reference)."""
