"""The converter's round trip over every page body of the sample workspace:
sync it from the emulator with notionfs (so the block trees are exactly what
the cache stores), then check render/parse/render and an empty diff."""
import json
import os
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "integration"))
from conftest import BUILD, emulator, nfs_env, run_nfs, tmp  # noqa: E402,F401


def test_sample_workspace_bodies_round_trip(emulator, tmp):
    emu = emulator()
    cache = os.path.join(tmp, "cache")
    run_nfs(["sync"], nfs_env(emu, cache))
    db = sqlite3.connect(os.path.join(cache, "cache.db"))
    bodies = [json.loads(row[0]) for row in db.execute("SELECT json FROM bodies ORDER BY page_id")]
    db.close()
    assert len(bodies) >= 50
    path = os.path.join(tmp, "bodies.json")
    with open(path, "w") as f:
        json.dump(bodies, f)
    p = subprocess.run([os.path.join(BUILD, "fs", "md", "test_mdconv_roundtrip_file"), path],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, (p.stdout + p.stderr)[-6000:]
