"""Mount first, the listing fills in (issue 12): a first mount (empty cache)
checks its target and the token at once, mounts while the first full pull
runs in the sync thread, lists pages as they are stored (never a partial
file), accepts saves to listed pages, and says how far the pull is in
`.notionfs/status` and `notionfs status`; `status --wait` returns once it is
done.  The first pull is made slow with the emulator's delay_answer rules on
the searches (a first pull takes every row from the search for pages); no
timing is asserted: each check compares what the mount shows with what the
emulator's log says was answered."""
import json
import os
import subprocess

from conftest import BIN, nfs_env, run_nfs, wait_for

ROWS, SOURCES = 600, 2
# the first pull reads every row from the search for pages, 100 an answer (the generated
# workspace's root page is not shared)
QUERIES = -(-ROWS // 100)
PROPS = ("Name:", "Status:", "Points:", "Due:", "Tags:", "Notes:", "_notion: {id: ")


def slow_pull_emulator(emulator, ms=2000):
    emu = emulator(extra=("--generate", str(ROWS), "--generate-sources", str(SOURCES)))
    emu.admin("faults", {"delay_answer": {"count": 100000, "ms": ms, "path_suffix": "/search"}})
    return emu


def is_page_search(r):
    return r["path"] == "/v1/search" and ((r.get("body") or {}).get("filter") or {}).get("value") == "page"


def queries_answered(emu):
    """The answers of the search for pages (the rows of the first pull)."""
    return sum(1 for r in emu.log_requests() if is_page_search(r) and r["status"] == 200)


def listed_rows(m):
    out = []
    for d, dirs, files in os.walk(m.mnt):
        if os.path.relpath(d, m.mnt).split(os.sep)[0] == ".notionfs":
            dirs[:] = []
            continue
        out += [os.path.join(d, f) for f in files if f.endswith(".md")]
    return sorted(out)


def status_json(m):
    return json.loads(run_nfs(["status", "--json"], m.env).stdout)


def assert_whole(path):
    data = open(path, encoding="utf-8").read()
    assert data.startswith("---\n"), (path, data[:200])
    fm, sep, body = data[4:].partition("\n---\n")
    assert sep, (path, data[:400])
    for key in PROPS:
        assert key in fm, (path, key, fm)
    assert body.strip(), (path, data)  # the body, never the front-matter alone
    return data


def test_first_mount_lists_pages_as_they_come(emulator, mount):
    emu = slow_pull_emulator(emulator)
    m = mount(emu, poll=3600, first_pull=False)
    # mounted and listable while the pull is still running
    assert ".notionfs" in os.listdir(m.mnt)
    assert queries_answered(emu) < QUERIES

    def some_rows():
        rows = listed_rows(m)
        return (rows, queries_answered(emu)) if rows else None
    rows, answered = wait_for(some_rows, timeout=120, what="rows listed")
    # the log is read after the listing: the listing came before the last rows
    assert answered < QUERIES, (answered, len(rows))
    assert len(rows) < ROWS
    # a save to a listed page during the pull is accepted and queued
    target = rows[0]
    assert_whole(target)
    with open(target, "a", encoding="utf-8") as f:
        f.write("\nAdded during the first pull.\n")
    assert queries_answered(emu) < QUERIES, "the save was not made during the pull"
    # every listed file is a whole page (its body is fetched on first read)
    for p in rows[1:]:
        assert_whole(p)

    def pushed():
        log = emu.log_requests()
        hits = [r for r in log if r["method"] in ("PATCH", "POST") and "/blocks/" in r["path"]
                and "Added during the first pull." in json.dumps(r["body"])]
        return (hits, log) if hits else None
    hits, log = wait_for(pushed, timeout=180, what="the save to reach the emulator")
    last_query = max(r["seq"] for r in log if is_page_search(r))
    assert hits[0]["seq"] > last_query  # pushed after the pull
    # the whole workspace in the end, every file whole
    wait_for(lambda: len(listed_rows(m)) == ROWS, timeout=120, what="every row listed")
    assert "Added during the first pull." in assert_whole(target)


def test_mount_target_and_token_checked_before_any_pull(emulator, tmp):
    emu = emulator()
    env = nfs_env(emu, os.path.join(tmp, "c"))
    p = run_nfs(["mount", os.path.join(tmp, "missing")], env, check=False)
    assert p.returncode == 1 and "no such directory" in p.stderr, p.stderr
    assert p.stderr.count("\n") == 1, p.stderr
    afile = os.path.join(tmp, "afile")
    open(afile, "w").close()
    p = run_nfs(["mount", afile], env, check=False)
    assert p.returncode == 1 and "not a directory" in p.stderr, p.stderr
    assert emu.log_requests() == []  # not one request reached the emulator
    # a rejected token: one authenticated request, no pull, nothing mounted
    mnt = os.path.join(tmp, "mnt")
    os.makedirs(mnt)
    p = run_nfs(["mount", mnt], dict(env, NOTION_TOKEN="secret_wrong"), check=False)
    assert p.returncode == 1 and "rejected the token" in p.stderr, p.stderr
    assert p.stderr.count("\n") == 1, p.stderr
    assert [(r["method"], r["path"]) for r in emu.log_requests()] == [("GET", "/v1/users/me")]


def test_status_shows_first_pull_progress_and_wait_returns_after_it(emulator, mount):
    emu = slow_pull_emulator(emulator)
    m = mount(emu, poll=3600, first_pull=False)

    def progress():
        st = status_json(m)
        fp = st.get("first pull")
        return (st, queries_answered(emu)) if fp and fp["pages"] > 0 else None
    st, answered = wait_for(progress, timeout=120, what="first pull progress in status --json")
    assert answered < QUERIES  # read after the status: it was taken during the pull
    fp = st["first pull"]
    assert fp["data sources"] == SOURCES and 0 <= fp["data sources done"] < SOURCES, fp
    assert 0 < fp["pages"] < ROWS and st["last full pull"] is None, st

    def text_line():
        lines = [l for l in open(m.path(".notionfs", "status")).read().splitlines()
                 if l.startswith("first pull: ")]
        return (lines[0], queries_answered(emu)) if lines and " pages" in lines[0] else None
    line, answered = wait_for(text_line, timeout=120, what="the first pull line in .notionfs/status")
    assert answered < QUERIES
    assert " of %d data sources, " % SOURCES in line, line

    w = subprocess.Popen([BIN, "status", "--wait"], env=m.env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        out, err = w.communicate(timeout=300)
    finally:
        if w.poll() is None:
            w.kill()
            w.wait()
    assert w.returncode == 0, err
    # it returned after the pull ended
    assert queries_answered(emu) == QUERIES
    st = status_json(m)
    assert st["last full pull"] is not None and st["first pull"] is None, st
    assert "first pull: " not in out
    wait_for(lambda: "first pull: " not in open(m.path(".notionfs", "status")).read() and
             "last full pull: never" not in open(m.path(".notionfs", "status")).read(),
             what="the status file to show the pull done")


def test_opened_body_jumps_the_prefetch_queue(emulator, mount):
    n = 30
    emu = emulator(extra=("--generate", str(n)))
    # every body answer is slow: the prefetch (newest edit first) takes long; set before the
    # mount, so that no body is fetched fast before it (the first pull needs no block)
    emu.admin("faults", {"delay_answer": {"count": 100000, "ms": 700, "path_prefix": "/v1/blocks/"}})
    m = mount(emu, poll=3600)  # waits for the first pull
    # the generated page 0 is the oldest edit: the prefetch's last
    last = [p for p in listed_rows(m) if os.path.basename(p) == "Item 00000.md"]
    assert len(last) == 1, listed_rows(m)
    wait_for(lambda: any(r["path"].startswith("/v1/blocks/") for r in emu.log_requests()),
             what="the prefetch to start")
    assert_whole(last[0])
    fetched = {r["path"].split("/")[3] for r in emu.log_requests()
               if r["path"].startswith("/v1/blocks/")}
    # read before the prefetch got to most of the others
    assert len(fetched) < n - 1, len(fetched)
    wait_for(lambda: "bodies pending: 0" in open(m.path(".notionfs", "status")).read(),
             timeout=300, what="the prefetch to end")


def page_searches(log, status=None):
    """The requests of the search for pages (answered STATUS when given), in arrival order."""
    return [r for r in log if is_page_search(r) and (status is None or r["status"] == status)]


def cursor_of(r):
    return (r.get("body") or {}).get("start_cursor")


def test_a_429_and_a_503_in_the_middle_of_the_search_for_pages_leave_a_complete_cache(emulator, mount):
    """The search for pages asks for its next answer while it stores the one before (docs/sync.md,
    "Side by side"): a 429 and a 503 on answers in the middle of the chain are waited out and
    retried, each answer is taken once, and the cache ends complete."""
    emu = slow_pull_emulator(emulator, ms=500)
    m = mount(emu, poll=3600, first_pull=False)
    wait_for(lambda: queries_answered(emu) >= 2, timeout=120, what="two answers of the search for pages")
    emu.admin("faults", {"fail_next": {"count": 1, "status": 429, "retry_after": 1, "path_suffix": "/search"}})
    emu.admin("faults", {"fail_next": {"count": 1, "status": 503, "path_suffix": "/search"}})
    wait_for(m.first_pull_done, timeout=300, what="the first pull")
    log = emu.log_requests()
    failed = [r for r in page_searches(log) if r["status"] != 200]
    assert sorted(r["status"] for r in failed) == [429, 503], failed
    answered = [cursor_of(r) for r in page_searches(log, 200)]
    assert len(answered) == QUERIES and len(set(answered)) == QUERIES, answered
    assert all(cursor_of(r) in answered for r in failed)  # both were asked for again
    rows = listed_rows(m)
    assert len(rows) == ROWS
    for p in rows:
        assert_whole(p)
    st = status_json(m)
    assert st["first pull"] is None and st["last full pull"] is not None, st


def test_a_search_answer_refused_in_the_middle_fails_the_pull_and_the_next_one_completes(emulator, mount):
    """An answer of the search for pages that fails for good (a 400 is not retried) fails the
    first pull, as it did before the next answer was asked for ahead: nothing after it is stored,
    no half-stored answer stays, and the pull tried again at the next poll ends complete."""
    emu = slow_pull_emulator(emulator, ms=500)
    m = mount(emu, poll=2, first_pull=False)
    wait_for(lambda: queries_answered(emu) >= 2, timeout=120, what="two answers of the search for pages")
    emu.admin("faults", {"fail_next": {"count": 1, "status": 400, "path_suffix": "/search"}})

    def refused():
        log = page_searches(emu.log_requests())
        bad = [i for i, r in enumerate(log) if r["status"] == 400]
        return (log, bad[0]) if bad else None
    log, at = wait_for(refused, timeout=120, what="the refused answer")
    # the pull failed: it starts again from the first answer
    wait_for(lambda: sum(cursor_of(r) is None for r in page_searches(emu.log_requests())) == 2,
             timeout=120, what="the pull to start again")
    # (the rows are queried now: they are no longer all taken from the search)
    wait_for(m.first_pull_done, timeout=120, what="the first pull")
    log = page_searches(emu.log_requests())
    again = [i for i, r in enumerate(log) if cursor_of(r) is None][1]
    # up to the refused answer, each was asked for once: nothing beyond it was
    assert [r["status"] for r in log[:again]] == [200] * at + [400], log[:again]
    assert len({cursor_of(r) for r in log[:again]}) == again
    rows = listed_rows(m)
    assert len(rows) == ROWS
    for p in rows:
        assert_whole(p)
    assert "full pull failed" in open(m.path(".notionfs", "errors")).read()
