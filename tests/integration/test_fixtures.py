"""The fixtures' own rules, without a mount: which daemon stderr lines fail
the test that started the daemon (conftest.unexpected_errors)."""
from conftest import unexpected_errors

LINES = [
    "2026-12-02T03:00:00Z notionfs info: pulled 3 pages\n",
    "2026-12-02T03:00:01Z notionfs warning: slow answer\n",
    "2026-12-02T03:00:02Z notionfs error: push of Tasks/A.md rejected: validation_error\n",
]


def test_an_error_line_fails_unless_expected():
    assert unexpected_errors(LINES) == [LINES[2]]
    assert unexpected_errors(LINES, [r"push of .* rejected"]) == []
    assert unexpected_errors(LINES, [r"something else"]) == [LINES[2]]


def test_sanitizer_reports_and_assertions_always_fail():
    bad = ["==123==ERROR: AddressSanitizer: heap-use-after-free on address 0x1\n",
           "../fs/view.c:10:5: runtime error: signed integer overflow\n",
           "notionfs: ../fs/mount.c:99: mount_x: Assertion `m' failed.\n"]
    assert unexpected_errors(bad, [r".*"]) == bad


def test_info_and_warnings_never_fail():
    assert unexpected_errors(LINES[:2]) == []
