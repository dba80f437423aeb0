"""Runs the converter's libFuzzer target for a bounded time under
ASan/UBSan (fs/md/run-fuzz.sh); skipped when clang's libFuzzer runtime is
not installed.  NOTIONFS_FUZZ_SECONDS sets the budget (default 45)."""
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_converter_fuzz():
    secs = os.environ.get("NOTIONFS_FUZZ_SECONDS", "45")
    p = subprocess.run(["bash", os.path.join(ROOT, "fs", "md", "run-fuzz.sh"), secs],
                       capture_output=True, text=True, timeout=int(secs) + 600)
    if p.returncode == 77:
        pytest.skip("libFuzzer runtime not installed")
    assert p.returncode == 0, (p.stdout + p.stderr)[-4000:]
