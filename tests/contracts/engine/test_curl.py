import shlex
import subprocess

from calbot.contracts.engine.curl import MAX_BODY, curl_command
from calbot.contracts.masking import MASK, mask


def test_mask_replaces_every_secret() -> None:
    assert mask("Token sk_1 and sk_1 again", ["sk_1"]) == f"Token {MASK} and {MASK} again"
    assert mask("nothing", ["", "x-not-there"]) == "nothing"


def test_curl_is_shell_safe_and_masks_the_key() -> None:
    command = curl_command(
        "POST",
        "http://127.0.0.1:8080/api/v2/calendar-events/abc/bot/",
        {"Authorization": "Token sk_live", "Content-Type": "application/json", "Host": "x"},
        b'{"deduplication_key": "it\'s $(rm -rf) `x`", "bot_config": {}}',
        secrets=["sk_live"],
    )
    assert "sk_live" not in command
    words = shlex.split(command)
    assert words[:5] == [
        "curl",
        "-sS",
        "-X",
        "POST",
        "http://127.0.0.1:8080/api/v2/calendar-events/abc/bot/",
    ]
    assert f"Authorization: Token {MASK}" in words
    assert "Host: x" not in words
    assert words[-1] == '{"deduplication_key": "it\'s $(rm -rf) `x`", "bot_config": {}}'


def test_binary_bodies_round_trip_through_printf() -> None:
    body = b'{"k": "\xff\x00"}'
    command = curl_command("POST", "http://h/x", {}, body)
    printf = command.split(" | ")[0]
    out = subprocess.run(["bash", "-c", printf], capture_output=True, check=True).stdout
    assert out == body


def test_huge_bodies_are_not_inlined() -> None:
    command = curl_command("POST", "http://h/x", {}, b"x" * (MAX_BODY + 1))
    assert len(command) < 500
    assert "--data-binary @body.bin" in command
