"""Rate limits of the current API during a full pull (issue 10, "Rate limits and errors").

A storm of 429s (with a `rate_limit_reason`) and of 529 `service_overload`s, with and without
`Retry-After`, hits a full `notionfs sync`; the pull ends with the same cache as an undisturbed
one, and the emulator's request log (its own monotonic clock, `t` / `t_answered`) shows that no
request arrived while a `Retry-After` pause was running.
"""
import os
import re
import sqlite3

import pytest

from conftest import nfs_env, read_tree, run_nfs

# Clock granularity between the answer's instant and the next arrival, both on the emulator's
# monotonic clock (the client waits from when it received the answer, which is later).
EPS = 0.001
# With several requests in flight (the request pool, sync/pool.h), one that another connection
# sent before the 429 reached the client may be logged just after the emulator answered it (the
# emulator reads requests one at a time).  Arrivals later than this into a pause are failures;
# at the rate of this test a client that did not pause would send dozens.  With one connection
# (NOTIONFS_POOL=1) nothing is in transit.
IN_TRANSIT = {"1": 0, "4": 0.05}


def cache_contents(cache_dir):
    """(page ids, {page id: body json}) of a cache."""
    db = sqlite3.connect(os.path.join(cache_dir, "cache.db"))
    try:
        pages = {r[0] for r in db.execute("SELECT id FROM pages")}
        bodies = dict(db.execute("SELECT page_id, json FROM bodies"))
    finally:
        db.close()
    return pages, bodies


def requests_during_pauses(log, in_transit=0):
    """[(pause entry, request that arrived during its Retry-After)] of a request log."""
    pauses = [e for e in log if e["status"] in (429, 529) and e.get("retry_after")]
    return [(p, f) for p in pauses for f in log
            if p["t_answered"] + in_transit < f["t"] < p["t_answered"] + p["retry_after"] - EPS]


def test_requests_during_pauses_finds_one():
    """The check below can fail: a request 0.5 s into a 1 s pause is found."""
    log = [{"seq": 1, "t": 10.0, "t_answered": 10.01, "status": 429, "retry_after": 1},
           {"seq": 2, "t": 10.5, "t_answered": 10.51, "status": 200},
           {"seq": 3, "t": 11.02, "t_answered": 11.03, "status": 200}]
    assert [f["seq"] for _, f in requests_during_pauses(log)] == [2]
    log[1]["t"] = 11.011
    assert requests_during_pauses(log) == []


@pytest.mark.parametrize("pool", ["1", "4"])
def test_429_and_529_storms_during_full_pull_end_complete(emulator, tmp, pool):
    """With one connection and with the request pool: the pauses hold every connection."""
    clean = emulator()
    ref_cache, cache = os.path.join(tmp, "c1"), os.path.join(tmp, "c2")
    run_nfs(["sync"], nfs_env(clean, ref_cache))
    ref_pages, ref_bodies = cache_contents(ref_cache)
    assert len(ref_pages) > 50 and len(ref_bodies) == len(ref_pages)

    faulty = emulator()
    # the first requests of the pull (search, users): three 429s naming their limit
    faulty.admin("faults", {"storm_429": {"count": 3, "retry_after": 1,
                                          "rate_limit_reason": "workspace_rate_limit"}})
    # then, in the middle of the bodies: 529s with Retry-After, a 429 of 2 s, 529s without
    # Retry-After (the client backs off)
    blocks = "/v1/blocks/"
    faulty.admin("faults", {"fail_next": {"count": 3, "status": 529, "retry_after": 1,
                                          "path_prefix": blocks}})
    faulty.admin("faults", {"fail_next": {"count": 1, "status": 429, "retry_after": 2,
                                          "rate_limit_reason": "connection_burst",
                                          "path_prefix": blocks}})
    faulty.admin("faults", {"fail_next": {"count": 2, "status": 529, "path_prefix": blocks}})
    p = run_nfs(["sync"], nfs_env(faulty, cache, NOTIONFS_POOL=pool), check=False)
    assert p.returncode == 0, p.stderr

    log = faulty.log_requests()
    assert all(e["t_answered"] is not None for e in log)
    limited = [(e["status"], e.get("retry_after")) for e in log if e["status"] in (429, 529)]
    assert sorted(limited, key=str) == sorted([(429, 1)] * 3 + [(529, 1)] * 3 + [(429, 2)] +
                                              [(529, None)] * 2, key=str), limited
    assert requests_during_pauses(log, IN_TRANSIT[pool]) == []
    # every request answered 429/529 was sent again and the rest went once
    from collections import Counter
    a = Counter((e["method"], e["path"]) for e in log if e["status"] not in (429, 529))
    b = Counter((e["method"], e["path"]) for e in clean.log_requests())
    assert a == b, (a - b, b - a)

    # a complete cache: the same pages and bodies as the undisturbed pull
    pages, bodies = cache_contents(cache)
    assert pages == ref_pages
    assert bodies.keys() == ref_bodies.keys()
    out, ref = os.path.join(tmp, "out"), os.path.join(tmp, "ref")
    run_nfs(["export", out], nfs_env(faulty, cache))
    run_nfs(["export", ref], nfs_env(clean, ref_cache))
    assert read_tree(out) == read_tree(ref)

    # one warning per pause, naming the request and the limit; never the token
    warn = [l for l in p.stderr.splitlines() if " warning: " in l and "every request paused" in l]
    assert "secret_test_token" not in p.stderr
    if pool != "1":
        # requests in flight together that hit the same pause add no line
        assert 1 <= len(warn) <= len(limited), p.stderr
        return
    assert len(warn) == len(limited), p.stderr
    assert sum(bool(re.search(r": (GET|POST) /v1/\S+: HTTP 429 rate_limited "
                              r"\(rate_limit_reason workspace_rate_limit\)", l)) for l in warn) == 3, warn
    assert sum(bool(re.search(r"GET /v1/blocks/\S+: HTTP 429 rate_limited "
                              r"\(rate_limit_reason connection_burst\)", l)) for l in warn) == 1, warn
    assert sum("HTTP 529 service_overload" in l and "no Retry-After" in l for l in warn) == 2, warn
    assert "secret_test_token" not in p.stderr
