"""Runs each libFuzzer target (tests/run-fuzz.sh) deterministically under
ASan/UBSan: first every committed corpus file once, then a FIXED seed for a
FIXED number of runs, never a time bound, so a run's outcome does not
depend on the machine's speed or on chance.  The run counts are sized for
all four targets together (builds included) to take under a minute on two
cores.  Skipped when clang's libFuzzer runtime is not installed.

For open-ended fuzzing with random seeds use tests/run-fuzz.sh -t SECONDS
(or fs/md/run-fuzz.sh for the converter); put any crash input it finds into
the target's corpus directory once the bug is fixed."""
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = 20261201
# target -> libFuzzer runs (about 281 / 2,500 / 20,000 / 10,000 inputs per second)
RUNS = {"mdconv": 5000, "fm": 10000, "model": 40000, "names": 40000}


@pytest.mark.parametrize("target", sorted(RUNS))
def test_fuzz_target(target):
    p = subprocess.run(["bash", os.path.join(ROOT, "tests", "run-fuzz.sh"),
                        "-s", str(SEED), "-r", str(RUNS[target]), target],
                       capture_output=True, text=True, timeout=900)
    if p.returncode == 77:
        pytest.skip("libFuzzer runtime not installed")
    assert p.returncode == 0, (p.stdout + p.stderr)[-4000:]
    assert "1 passed, 0 failed" in p.stdout, p.stdout[-2000:]
