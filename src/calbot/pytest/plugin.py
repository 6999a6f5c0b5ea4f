"""calbot's pytest plugin: server conformance as test items, and a reference server for clients.

Installed with calbot (entry point `pytest11: calbot`); `-p no:calbot` turns it off. Without
`--calbot-url` it collects nothing and changes nothing, and this module imports only pytest and
the standard library, so ordinary pytest runs do not pay for it.

**Server conformance.** Point calbot at your implementation from your own pytest run::

    export CALBOT_API_KEY=...                   # or --calbot-api-key KEY
    pytest --calbot-url http://127.0.0.1:8000 \\
           --calbot-state-url /_calbot/states \\
           --calbot-rate-limit 600/60s \\
           --calbot-report-dir calbot-report \\
           --junitxml junit.xml -n auto

Each check becomes one item, `calbot::test_calbot[<contract>::<check>]`, for example
`calbot::test_calbot[dedup::same-key-same-bot]`, added after your own tests; the rate-limit
contract is one item, `calbot::test_calbot[rate_limit]`, kept last, because its checks share
one burst past the budget. So `-k dedup`, `-m calbot`, `-m "not calbot"`, `-x`, `--junitxml`
and `-n` work as usual:

- passed → passed; failed (a MUST rule broken) → failed, listing every finding (rule, expected
  vs actual, a `curl` to reproduce it, how often); warning (a SHOULD rule) → passed plus a
  `CalbotWarning` (`--calbot-strict` or `-W error::UserWarning` fails it); skipped →
  skipped with the reason; error (the check could not run) → an error at set-up, with the
  reason. The checks talk to the target in the item's set-up.
- A target that cannot be reached at all is one error, on the first calbot item; the other
  calbot items are skipped.
- Under pytest-xdist (any `--dist` mode) each worker paces itself to its share of the budget,
  and no calbot check runs while the rate-limit burst does: the burst waits until the other
  workers have run the calbot checks they had, and counts the requests they sent inside the
  budget's window as `calbot run` counts its own (it waits for them to leave the window when
  `--calbot-max-wait` allows); checks due after it wait for it.
- While a check runs long, the status line `calbot run` shows (the check, its requests, the
  wait in progress) is written through pytest's terminal reporter: live on a terminal, every
  5 s otherwise; under xdist the workers pass theirs to the controller through small files.
- `--calbot-report-dir DIR` writes calbot's HTML, Markdown, JUnit and JSON reports of the whole
  session (every worker's checks in one result). The API key is masked everywhere.

The other options: `--calbot-contracts a,b` (contracts or check ids to collect),
`--calbot-max-examples N`, `--calbot-seed S`, `--calbot-no-rate-limit`, `--calbot-max-wait S`,
`--calbot-timeout S`, `--calbot-event KIND=ID` (existing events, repeatable),
`--calbot-require-state`, `--calbot-strict`, `--calbot-min-coverage PERCENT` (the session
fails when the checks exercise less of the documented behaviours); see `pytest --help`.

**Client testing.** The `calbot_server` fixture runs calbot's reference server for your client
(see `calbot.client_fixture`); mark a test `calbot_relaxed` to see client-rule violations
without failing it.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import Any

import pytest

PLUGIN_NAME = "calbot-conformance"


def pytest_addoption(parser: pytest.Parser) -> None:
    """calbot's command-line options (they do nothing without --calbot-url)."""
    from calbot.conformance import MAX_EXAMPLES, MAX_WAIT, TIMEOUT  # no engine module
    from calbot.conformance.status import HEARTBEAT

    group = parser.getgroup("calbot", "calbot server conformance (active with --calbot-url)")
    group.addoption(
        "--calbot-url",
        metavar="URL",
        help="Base URL of the implementation to test; adds calbot's contracts as test items.",
    )
    group.addoption(
        "--calbot-api-key",
        metavar="KEY",
        help="API key, sent as `Token <key>` (default: $CALBOT_API_KEY). Masked in all output.",
    )
    group.addoption(
        "--calbot-second-api-key",
        metavar="KEY",
        help="Another workspace's API key, for the workspace checks (default: "
        "$CALBOT_SECOND_API_KEY; without it they are skipped). Masked in all output.",
    )
    group.addoption(
        "--calbot-state-url",
        metavar="URL",
        help="Provider-state URL that creates calendar events (absolute, or a path on the target).",
    )
    group.addoption(
        "--calbot-event",
        dest="calbot_events",
        action="append",
        default=[],
        metavar="KIND=ID",
        help="An existing event to use instead of state setup (upcoming, ended, ...). Repeatable.",
    )
    group.addoption(
        "--calbot-report-dir",
        metavar="DIR",
        help="Write calbot's HTML, Markdown, JUnit and JSON reports of the session into DIR.",
    )
    group.addoption(
        "--calbot-rate-limit",
        metavar="N/PERIOD",
        help="The budget the target is configured with, e.g. 600/60s (default: the fragment's).",
    )
    group.addoption(
        "--calbot-no-rate-limit",
        action="store_true",
        default=False,
        help="Skip the rate-limit contract (no burst past the budget).",
    )
    group.addoption(
        "--calbot-max-wait",
        type=float,
        default=MAX_WAIT,
        metavar="S",
        help=f"Longest wait for a Retry-After, in seconds (default: {MAX_WAIT:g}).",
    )
    group.addoption(
        "--calbot-timeout",
        type=float,
        default=TIMEOUT,
        metavar="S",
        help=f"Per-request timeout, in seconds (default: {TIMEOUT:g}).",
    )
    group.addoption(
        "--calbot-contracts",
        metavar="A,B",
        help="Comma-separated contracts or check ids to collect (default: all).",
    )
    group.addoption(
        "--calbot-max-examples",
        type=int,
        default=MAX_EXAMPLES,
        metavar="N",
        help="Generated examples per operation and mode, and state-machine runs "
        f"(default: {MAX_EXAMPLES}).",
    )
    group.addoption(
        "--calbot-seed",
        type=int,
        metavar="S",
        help="Seed for generated data (default: random, shown in the header).",
    )
    group.addoption(
        "--calbot-strict",
        action="store_true",
        default=False,
        help="SHOULD-level findings fail their item instead of warning.",
    )
    group.addoption(
        "--calbot-min-coverage",
        metavar="PERCENT",
        help="The session fails when calbot's checks exercise less than PERCENT of the "
        "documented behaviours (0-100, e.g. 90 or 90%).",
    )
    group.addoption(
        "--calbot-require-state",
        action="store_true",
        default=False,
        help="A check that cannot get the events it needs is an error, not a skip.",
    )
    group.addoption(  # as `calbot run --heartbeat`: for tests, not in --help
        "--calbot-heartbeat",
        type=float,
        default=HEARTBEAT,
        metavar="S",
        help=argparse.SUPPRESS,
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers; with --calbot-url, load the conformance plugin."""
    config.addinivalue_line(
        "markers", "calbot_relaxed: do not fail the test on client-rule violations (calbot_server)"
    )
    config.addinivalue_line("markers", "calbot: a calbot conformance check (from --calbot-url)")
    if config.getoption("calbot_url") and not config.pluginmanager.has_plugin(PLUGIN_NAME):
        from calbot.pytest.hooks import ConformancePlugin

        config.pluginmanager.register(ConformancePlugin(config), PLUGIN_NAME)


@pytest.fixture
def calbot_server(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A running calbot reference server for client tests (see calbot.client_fixture)."""
    from calbot.client_fixture import calbot_server_fixture

    yield from calbot_server_fixture(request)
