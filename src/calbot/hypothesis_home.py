"""Where Hypothesis keeps its files during calbot's checks (`calbot run`, the pytest plugin):
never the user's working directory.

Hypothesis writes a `.hypothesis/` folder (caches of constants and Unicode data) into the
current directory, whatever the examples database says. calbot points it at a temporary folder,
removed after the run, unless the user names one (`--hypothesis-database DIR`). A fresh folder
also keeps runs with the same seed alike: a warm cache changes what gets generated.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def hypothesis_home(directory: Path | None) -> Iterator[Path]:
    """Hypothesis' home is `directory` (created) or a temporary folder, while the block runs."""
    from hypothesis.configuration import set_hypothesis_home_dir, storage_directory

    previous = storage_directory(intent_to_write=False).home_directory
    with tempfile.TemporaryDirectory(prefix="calbot-hypothesis-") as scratch:
        home = directory if directory is not None else Path(scratch)
        home.mkdir(parents=True, exist_ok=True)
        set_hypothesis_home_dir(home)
        try:
            yield home
        finally:
            set_hypothesis_home_dir(previous)  # the caller's (a pytest session's) home again
