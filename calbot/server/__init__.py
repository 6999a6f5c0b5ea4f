"""The reference server: the API's behaviour as an ASGI app."""
