"""The converter's round trip over every page body of the sample workspace:
sync it from the emulator with notionfs (so the block trees are exactly what
the cache stores), then check render/parse/render and an empty diff.  The
bodies as Notion-Version 2025-09-03 and 2026-03-11 show them (heading_4, tab,
transcription / meeting_notes, unsupported with its block_type) are read from
the emulator directly, children attached as the cache stores them, and go
through the same checks."""
import json
import os
import sqlite3
import subprocess
import sys
import urllib.request

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "integration"))
from conftest import BUILD, TOKEN, emulator, nfs_env, run_nfs, tmp  # noqa: E402,F401


def round_trip(tmp, bodies, name):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        json.dump(bodies, f)
    p = subprocess.run([os.path.join(BUILD, "fs", "md", "test_mdconv_roundtrip_file"), path],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, (p.stdout + p.stderr)[-6000:]


def api(emu, version, method, path, body=None):
    req = urllib.request.Request(emu.url + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": f"Bearer {TOKEN}", "Notion-Version": version,
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def all_results(emu, version, method, path, body=None):
    out, cursor = [], None
    while True:
        if method == "GET":
            q = f"{'&' if '?' in path else '?'}page_size=100" + (f"&start_cursor={cursor}" if cursor else "")
            page = api(emu, version, "GET", path + q)
        else:
            page = api(emu, version, method, path, dict(body or {}, page_size=100,
                                                          **({"start_cursor": cursor} if cursor else {})))
        out += page["results"]
        if not page.get("has_more"):
            return out
        cursor = page["next_cursor"]


def body_tree(emu, version, block_id, depth=0):
    kids = all_results(emu, version, "GET", f"/v1/blocks/{block_id}/children")
    for b in kids:
        if b.get("has_children") and b["type"] not in ("child_page", "child_database") and depth < 8:
            b["children"] = body_tree(emu, version, b["id"], depth + 1)
    return kids


def types_in(blocks):
    for b in blocks:
        yield b["type"]
        if b["type"] == "unsupported":
            yield "unsupported:" + b["unsupported"].get("block_type", "")
        yield from types_in(b.get("children", []))


@pytest.mark.parametrize("version,notes", [("2025-09-03", "transcription"), ("2026-03-11", "meeting_notes")])
def test_new_version_bodies_round_trip(emulator, tmp, version, notes):
    emu = emulator()
    pages = [r for r in all_results(emu, version, "POST", "/v1/search", {})
             if r["object"] == "page"]
    for ds in all_results(emu, version, "POST", "/v1/search",
                          {"filter": {"property": "object", "value": "data_source"}}):
        pages += all_results(emu, version, "POST", f"/v1/data_sources/{ds['id']}/query", {})
    ids = sorted({p["id"] for p in pages})
    assert len(ids) >= 50
    bodies = [body_tree(emu, version, i) for i in ids]
    seen = {t for b in bodies for t in types_in(b)}
    assert {"heading_4", "tab", notes, "unsupported:ai_block"} <= seen, sorted(seen)
    round_trip(tmp, bodies, f"bodies-{version}.json")


def test_sample_workspace_bodies_round_trip(emulator, tmp):
    emu = emulator()
    cache = os.path.join(tmp, "cache")
    run_nfs(["sync"], nfs_env(emu, cache))
    db = sqlite3.connect(os.path.join(cache, "cache.db"))
    bodies = [json.loads(row[0]) for row in db.execute("SELECT json FROM bodies ORDER BY page_id")]
    db.close()
    assert len(bodies) >= 50
    round_trip(tmp, bodies, "bodies.json")
