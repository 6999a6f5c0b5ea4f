"""calbot: contract tests, a reference server and conformance reports for Recall.ai's
Schedule Bot For Calendar Event endpoint (`POST /api/v2/calendar-events/{id}/bot/`)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("calbot")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
