"""Runs every C unit test registered with meson  as one pytest
test each, so one summary covers the whole suite."""
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("NOTIONFS_BUILD", os.path.join(ROOT, "build"))


def unit_tests():
    p = subprocess.run(["meson", "test", "-C", BUILD, "--list"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        # a collection that cannot list the tests must fail, not pass empty
        return ["<meson test --list failed: %s>" % (p.stderr.strip() or p.returncode)]
    return [line.split("/")[-1].strip() for line in p.stdout.splitlines() if line.strip()]


def test_there_are_unit_tests():
    names = unit_tests()
    assert len(names) >= 10 and not names[0].startswith("<"), names


@pytest.mark.parametrize("name", unit_tests())
def test_c_unit(name):
    p = subprocess.run(["meson", "test", "-C", BUILD, "--print-errorlogs", name],
                       capture_output=True, text=True, timeout=600)
    if "SKIP" in p.stdout and p.returncode == 0 and "Ok:                 0" in p.stdout:
        pytest.skip("skipped by the test itself (exit 77)")
    assert p.returncode == 0, p.stdout + p.stderr
