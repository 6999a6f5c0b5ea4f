"""A run's defaults, where the user sets nothing: the one home of these numbers.

The engine's settings types take them as their defaults; the run facade (`calbot.conformance`)
hands them on to the CLI's options and the pytest plugin's. Standard library only, so a front
end reads them without loading the engine.
"""

from __future__ import annotations

import random

MAX_EXAMPLES = 25  # generated examples per operation and mode, and state-machine runs
MAX_WAIT = 60.0  # seconds: the longest wait for a Retry-After or a clean window
TIMEOUT = 10.0  # seconds: per request
SEEDS = 2**31  # a seed is chosen in range(SEEDS) when none is given


def new_seed() -> int:
    """A seed for a run that was given none (the run prints it, so it can be repeated)."""
    return random.randrange(SEEDS)
