"""The client rules about what is scheduled (`calbot.contracts.clients.schedules`): each rule
caught, passed, skipped."""

from __future__ import annotations

from calbot.contracts.clients.ledger import UNSCHEDULE
from calbot.contracts.clients.schedules import flatten_errors
from calbot.contracts.results import Status

from .records import MEETING, A, B, Records

# --- requests conform --------------------------------------------------------------------------


def test_invalid_bodies_fail_and_valid_ones_pass() -> None:
    records = Records()
    records.add(0)
    assert records.status("client.request-conforms") is Status.PASSED
    errors = {"bot_config": {"metadata": {"team": ["Not a valid string."]}}}
    records.add(1, 400, validation="invalid", errors=errors)
    check = records.checks()["client.request-conforms"]
    assert check.status is Status.FAILED
    (finding,) = check.findings
    assert "bot_config.metadata.team: Not a valid string." in finding.message
    assert finding.message.startswith(f"#2 +1.000s POST /api/v2/calendar-events/{A}/bot/ → 400")


def test_requests_to_other_operations_are_not_validated() -> None:
    records = Records()
    records.add(0, operation=UNSCHEDULE)
    assert records.status("client.request-conforms") is Status.SKIPPED


def test_flatten_errors() -> None:
    errors = {"non_field_errors": ["x"], "bot_config": {"metadata": {"a": ["y", "z"]}}}
    assert flatten_errors(errors) == [
        "non_field_errors: x",
        "bot_config.metadata.a: y",
        "bot_config.metadata.a: z",
    ]


# --- deduplication -------------------------------------------------------------------------------


def test_re_scheduling_under_another_key_is_a_warning() -> None:
    records = Records()
    records.add(0, key="2030-01-02T10:00:00Z-https://meet.google.com/a-b-c")
    records.add(1, key="2030-01-02T10:00:00Z-https://meet.google.com/a-b-c")
    assert records.status("client.dedup-stable-key") is Status.PASSED
    records.add(2, key="f3b1c0de")
    check = records.checks()["client.dedup-stable-key"]
    assert check.status is Status.WARNING
    assert 're-scheduled under deduplication_key "f3b1c0de"' in check.findings[0].message


def test_a_new_key_after_unscheduling_or_after_the_event_moved_is_fine() -> None:
    records = Records()
    records.add(0, key="old")
    records.add(1, operation=UNSCHEDULE)
    records.add(2, key="new")
    moved = {**MEETING, "start_time": "2030-01-02T11:00:00Z"}
    records.add(3, key="newer", event=moved)
    assert records.status("client.dedup-stable-key") is Status.PASSED


def test_keys_of_throttled_retries_count_too() -> None:
    records = Records()
    records.add(0, 429, retry_after="1", key="random-1", event=None)
    records.add(1, key="random-2")
    assert records.status("client.dedup-stable-key") is Status.WARNING


def test_one_meeting_under_several_keys_is_a_warning() -> None:
    records = Records()
    records.add(0, key="k1")
    records.add(1, key="k1", resource=B)
    assert records.status("client.dedup-same-meeting") is Status.PASSED
    records.add(2, key="k2", resource=B)
    check = records.checks()["client.dedup-same-meeting"]
    assert check.status is Status.WARNING
    assert "2 events with the same start time and meeting URL" in check.findings[0].message


def test_different_meetings_do_not_exercise_the_dedup_rule() -> None:
    records = Records()
    records.add(0, key="k1")
    records.add(1, key="k2", resource=B, event={**MEETING, "meeting_url": "https://x.zoom.us/j/1"})
    assert records.status("client.dedup-same-meeting") is Status.SKIPPED


# --- override ------------------------------------------------------------------------------------


def test_a_partial_config_on_override_is_a_warning() -> None:
    records = Records()
    full = ("bot_name", "metadata", "metadata.team", "recording_config", "recording_config.x")
    records.add(0, config_keys=full)
    records.add(1, config_keys=(*full, "chat"))
    assert records.status("client.override-full-config") is Status.PASSED
    records.add(2, config_keys=("bot_name", "metadata"))
    check = records.checks()["client.override-full-config"]
    assert check.status is Status.WARNING
    assert "dropped bot_config keys the previous one (#2) had: chat, metadata.team, " in (
        check.findings[0].message
    )
    assert check.findings[0].message.endswith("recording_config")  # not recording_config.x


def test_a_refused_or_unscheduled_config_is_not_the_previous_one() -> None:
    records = Records()
    records.add(0, config_keys=("bot_name", "chat"))
    records.add(1, operation=UNSCHEDULE)
    records.add(2, config_keys=("bot_name",))
    records.add(3, 429, retry_after="0", config_keys=())
    records.add(4, config_keys=("bot_name",))
    assert records.status("client.override-full-config") is Status.PASSED
