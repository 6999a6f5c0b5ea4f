"""The answers' shapes: the fragment's schemas, and meeting_url on events, bots[] and the Bot."""

from __future__ import annotations

from calbot.contracts.clients.ledger import GET_BOT, GET_EVENT, SCHEDULE, UNSCHEDULE
from calbot.contracts.judges.meeting_urls import bot_meeting_url_problems, meeting_urls_not_strings
from calbot.contracts.results import Finding
from calbot.contracts.traffic.schemas import documented_statuses, problems, validator
from calbot.contracts.traffic.traffic import Traffic, shown
from calbot.spec.meeting_urls import is_documented_form

EVENT_ANSWERS = (SCHEDULE, UNSCHEDULE, GET_EVENT)
# judged by their own rules: 401/404 bodies (errors.bodies), 5xx (robustness.no-5xx)
_ELSEWHERE = (401, 404)
Findings = list[Finding] | None


def schema_responses(traffic: Traffic) -> Findings:
    """Every answer has a documented status and, where the fragment types it, a matching body."""
    judged = [r for r in traffic.answers if r.status < 500 and r.status not in _ELSEWHERE]
    if not judged:
        return None
    findings = []
    for record in judged:
        operation = record.operation or ""
        if record.status not in documented_statuses(operation):
            findings.append(
                traffic.finding(
                    "schema.responses",
                    record,
                    f"status {record.status} is not documented for {operation}",
                    expected=", ".join(map(str, sorted(documented_statuses(operation)))),
                    actual=str(record.status),
                    signature=f"undocumented status {record.status}",
                )
            )
            continue
        if validator(operation, record.status) is None:
            continue
        if record.response is None:
            if record.response_note and record.response_note.startswith("not JSON"):
                findings.append(
                    traffic.finding(
                        "schema.responses",
                        record,
                        f"the answer is {record.response_note}",
                        expected="application/json",
                        actual=record.response_note,
                        signature=f"not JSON {record.status}",
                    )
                )
            continue
        found = problems(operation, record.status, record.response)
        if found:
            findings.append(
                traffic.finding(
                    "schema.responses",
                    record,
                    "the body does not match the fragment: " + shown(found),
                    expected=f"the fragment's {record.status} body for {operation}",
                    actual={"problems": found[:10]},
                    signature=f"{record.status} " + ",".join(sorted(_paths(found))),
                )
            )
    return findings


def event_string(traffic: Traffic) -> Findings:
    """CalendarEvent.meeting_url is a string or null; every bots[].meeting_url a string."""
    events = [
        r for r in traffic.of(*EVENT_ANSWERS) if r.status == 200 and isinstance(r.response, dict)
    ]
    if not events:
        return None
    return [
        traffic.finding(
            "meeting_url.event-string",
            record,
            f"{wrong.field} is not a string",
            expected=wrong.expected,
            actual={wrong.field: wrong.value},
            signature=f"{wrong.field} type {type(wrong.value).__name__}",
        )
        for record in events
        for wrong in meeting_urls_not_strings(record.response)
    ]


def bot_object(traffic: Traffic) -> Findings:
    """The Bot's meeting_url is the per-platform object of the URL it was scheduled with.

    Judged only when the bot was seen scheduled with a link form Recall's published patterns
    cover; for other forms either answer is conformant. Null is allowed (cleared once joined).
    """
    findings: list[Finding] = []
    judged = False
    for record in traffic.of(GET_BOT):
        if record.status != 200 or not isinstance(record.response, dict):
            continue
        covered = [
            url
            for url in traffic.bot_urls.get(record.resource or "", ())
            if is_documented_form(url)
        ]
        if not covered:
            continue
        judged = True
        value = record.response.get("meeting_url")
        if value is None:
            continue
        url = sorted(covered)[0]
        verdicts = [bot_meeting_url_problems(value, each) for each in sorted(covered)]
        wrong = verdicts[0]
        if wrong is None or any(verdict is None for verdict in verdicts):
            continue  # the object of one of the URLs it was scheduled with
        if wrong.shape:
            findings.append(
                traffic.finding(
                    "meeting_url.bot-object",
                    record,
                    "the Bot's meeting_url is not the per-platform object",
                    expected=f"the MeetingUrl object for {url}",
                    actual={"meeting_url": value, "problems": wrong.problems[:3]},
                    signature=f"bot meeting_url shape {type(value).__name__}",
                )
            )
        else:
            platform = value.get("platform") if isinstance(value, dict) else None
            findings.append(
                traffic.finding(
                    "meeting_url.bot-object",
                    record,
                    "the Bot's meeting_url object does not match the URL it was scheduled with",
                    expected=url,
                    actual={"meeting_url": value, "problems": wrong.problems},
                    signature=f"bot meeting_url mismatch {platform}",
                )
            )
    return findings if judged else None


def _paths(found: list[str]) -> set[str]:
    return {problem.split(":", 1)[0] for problem in found}
