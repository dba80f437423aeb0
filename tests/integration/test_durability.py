"""Durability of what is written to page files (docs/operations.md "What a save survives",
docs/queue.md "What is guaranteed"): bytes whose write() returned survive a
kill -9 of the daemon, fsync() reaches the disk, and a save that cannot be
queued because the cache's disk is full is kept (as a draft) and queued
later -- by the same mount once there is room, or by the next start."""
import contextlib
import json
import math
import os
import shutil
import sqlite3
import subprocess

import pytest

from conftest import BIN, is_mounted, run_nfs, wait_for
from test_undo import trashed
from test_write_path import fsync_write, settled, status, task, writes

PAGE = "Write API client"


def edit(path, style, marker):
    """Adds a paragraph holding marker to the page file, the way an editor
    or a shell would, with write() + close() only (no fsync)."""
    if style == "nano_style":  # in place: truncate, then write the whole text
        text = open(path).read()
        with open(path, "r+") as f:
            f.truncate(0)
            f.write(text + "\n" + marker + "\n")
    elif style == "echo_append":  # echo >> FILE: an O_APPEND write
        subprocess.run(["sh", "-c", 'echo >> "$2"; echo "$1" >> "$2"', "sh", marker, path], check=True)
    elif style == "python_w":  # open(..., 'w'): O_TRUNC, then write
        text = open(path).read()
        with open(path, "w") as f:
            f.write(text + "\n" + marker + "\n")
    else:
        raise ValueError(style)


def kill9(m):
    """kill -9 of the daemon (its pid: the foreground process the fixture
    started), and the lazy unmount the dead mount needs."""
    os.kill(m.proc.pid, 9)
    m.proc.wait(timeout=30)
    subprocess.run(["fusermount3", "-uz", m.mnt], capture_output=True)
    m.proc.returncode = 0  # killed on purpose


def blocks_with(node, marker):
    """Blocks (not archived) under node whose own content holds marker."""
    n = 0
    for b in node.get("children") or []:
        own = {k: v for k, v in b.items() if k != "children"}
        n += marker in json.dumps(own) and not b.get("archived") and not b.get("in_trash")
        n += blocks_with(b, marker)
    return n


def landed_once(emu, marker):
    """The marker is in one block of the emulator's workspace, sent by one
    request."""
    assert sum(blocks_with(p, marker) for p in emu.state()["pages"]) == 1
    sent = [r for r in writes(emu) if marker in json.dumps(r.get("body"))]
    assert len(sent) == 1, sent


def in_workspace(emu, marker):
    return marker in json.dumps(emu.state())


def drafts(cache):
    """The drafts of a cache that hold a save not queued yet: a page's queued draft kept for its
    next save says `spare` on its first line (docs/queue.md, "Drafts")."""
    d = os.path.join(cache, "drafts")
    if not os.path.isdir(d):
        return []
    out = []
    for f in sorted(os.listdir(d)):
        if not f.endswith(".md"):
            continue
        try:
            with open(os.path.join(d, f), "rb") as fh:
                head = fh.readline()
        except FileNotFoundError:
            continue  # removed meanwhile
        if not (head.startswith(b"notionfs-draft ") and head.split()[2:3] == [b"spare"]):
            out.append(f)
    return out


@pytest.mark.parametrize("restart", ["mount", "sync"])
@pytest.mark.parametrize("style", ["nano_style", "echo_append", "python_w"])
def test_kill9_right_after_close_loses_nothing(emulator, mount, style, restart):
    emu = emulator()
    m = mount(emu, poll=3600)
    wait_for(lambda: "bodies pending: 0" in status(m), what="bodies fetched", timeout=120)
    emu.clear_log()
    marker = "Durable line %s 5150" % style
    edit(m.path("Tasks", PAGE + ".md"), style, marker)
    kill9(m)  # within the settle time: the save was not queued yet
    if restart == "mount":
        m2 = mount(emu, poll=3600)
        wait_for(lambda: in_workspace(emu, marker), what="the recovered save to land", timeout=60)
        wait_for(lambda: settled(m2), what="the queue to empty", timeout=60)
        assert marker in open(m2.path("Tasks", PAGE + ".md")).read()
    else:
        p = run_nfs(["sync"], m.env, timeout=120)
        assert "pushed: 1 edits" in p.stdout, p.stdout + p.stderr
    landed_once(emu, marker)
    assert drafts(m.cache) == []


def strace_syncs(path):
    """(start, duration) of every completed fsync/fdatasync/sync_file_range
    in an `strace -f -ttt -T` log."""
    out = []
    if not os.path.exists(path):
        return out
    for line in open(path):
        parts = line.split()
        # "PID 1700000000.123456 fdatasync(7) = 0 <0.000123>"
        if len(parts) < 4 or not parts[-1].startswith("<") or "= 0" not in line:
            continue
        if not any(parts[2].startswith(c + "(") for c in ("fsync", "fdatasync", "sync_file_range")):
            continue
        out.append((float(parts[1]), float(parts[-1].strip("<>"))))
    return out


@pytest.mark.skipif(not shutil.which("strace"), reason="strace is not installed (contrib/install-deps.sh)")
def test_fsync_reaches_the_disk(emulator, mount, tmp):
    import time
    emu = emulator()
    trace = os.path.join(tmp, "strace.log")
    # LeakSanitizer cannot run under ptrace (a sanitizer build).
    asan = ":".join(o for o in (os.environ.get("ASAN_OPTIONS"), "detect_leaks=0") if o)
    m = mount(emu, poll=3600, extra_env={"ASAN_OPTIONS": asan},
              prefix=["strace", "-f", "-ttt", "-T", "-e", "trace=fsync,fdatasync,sync_file_range",
                      "-o", trace])
    wait_for(lambda: "bodies pending: 0" in status(m), what="bodies fetched", timeout=120)
    path = m.path("Tasks", PAGE + ".md")
    text = open(path).read()
    line = [l for l in text.splitlines() if l.startswith("Estimate:")][0]
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    try:
        os.write(fd, text.replace(line, "Estimate: 31").encode())
        before = time.time()
        os.fsync(fd)
        after = time.time()
    finally:
        os.close(fd)
    assert "queued edits: 1" in status(m) or "queued edits: 0" in status(m)
    # strace writes its log as calls complete; the timestamps order them
    # against fsync()'s return (same clock), they do not measure anything.
    wait_for(lambda: [s for s in strace_syncs(trace) if s[0] >= before], timeout=30,
             what="an fsync or fdatasync in the daemon's trace")
    done_before_answer = [s for s in strace_syncs(trace) if before <= s[0] and s[0] + s[1] <= after]
    assert done_before_answer, open(trace).read()[-3000:]
    wait_for(lambda: task(emu)["properties"]["Estimate"]["number"] == 31, what="the push", timeout=60)


@contextlib.contextmanager
def cache_write_lock(cache):
    """The cache's database write lock, held by another process: nothing can be queued."""
    db = sqlite3.connect(os.path.join(cache, "cache.db"), timeout=30, isolation_level=None)
    try:
        db.execute("BEGIN IMMEDIATE")
        yield
    finally:
        db.close()


def test_fsync_answered_from_the_draft_survives_kill9(emulator, mount):
    """fsync() of a body-only edit is answered once the edit's draft is on disk, before the
    save is queued (docs/queue.md, "What is guaranteed"): with the cache's database held by
    another process the save cannot be queued, yet fsync() returns 0; a kill -9 then, and the
    next start pushes the edit exactly once.  (Before: fsync() waited for the queue's commit,
    and failed once the database stayed busy.)"""
    emu = emulator()
    m = mount(emu, poll=3600)
    wait_for(lambda: "bodies pending: 0" in status(m), what="bodies fetched", timeout=120)
    emu.clear_log()
    marker = "Fsynced from the draft 7171"
    path = m.path("Tasks", PAGE + ".md")
    text = open(path).read()
    with cache_write_lock(m.cache):
        fsync_write(path, text + "\n" + marker + "\n")
        kept = drafts(m.cache)
        assert len(kept) == 1, kept
        assert marker in open(os.path.join(m.cache, "drafts", kept[0])).read()
        kill9(m)
    assert writes(emu) == []
    m2 = mount(emu, poll=3600)
    wait_for(lambda: in_workspace(emu, marker), what="the fsync'd save to land", timeout=60)
    wait_for(lambda: settled(m2), what="the queue to empty", timeout=60)
    assert marker in open(m2.path("Tasks", PAGE + ".md")).read()
    landed_once(emu, marker)
    assert drafts(m.cache) == []


def spares(cache):
    d = os.path.join(cache, "drafts")
    return sorted(f for f in os.listdir(d) if f.endswith(".md") and f not in drafts(cache))


@pytest.mark.parametrize("second", ["fsync", "close"])
def test_a_reused_draft_is_never_taken_for_queued(emulator, mount, second):
    """A page's queued draft stays as its spare and the page's next save reuses it (one
    fdatasync per fsync, docs/queue.md "Drafts").  Saved once (landed), then saved again into the
    same draft file and killed -9 before that save is queued: the second save lands at the next
    start, once, and the first is not sent again."""
    emu = emulator()
    m = mount(emu, poll=3600)
    wait_for(lambda: "bodies pending: 0" in status(m), what="bodies fetched", timeout=120)
    path = m.path("Tasks", PAGE + ".md")
    first, again = "First save 6161", "Second save 6262"
    fsync_write(path, open(path).read() + "\n" + first + "\n")
    wait_for(lambda: in_workspace(emu, first), what="the first save to land", timeout=60)
    wait_for(lambda: settled(m), what="the queue to empty", timeout=60)
    kept = spares(m.cache)
    assert len(kept) == 1 and drafts(m.cache) == [], os.listdir(os.path.join(m.cache, "drafts"))
    emu.clear_log()
    with cache_write_lock(m.cache):
        text = open(path).read() + "\n" + again + "\n"
        if second == "fsync":
            fsync_write(path, text)
        else:
            with open(path, "w") as f:  # write + close: queued at the debounce, which cannot run
                f.write(text)
        assert drafts(m.cache) == kept  # the same file, a save to recover now
        kill9(m)
    assert writes(emu) == []
    m2 = mount(emu, poll=3600)
    wait_for(lambda: in_workspace(emu, again), what="the second save to land", timeout=60)
    wait_for(lambda: settled(m2), what="the queue to empty", timeout=60)
    landed_once(emu, again)
    assert sum(blocks_with(p, first) for p in emu.state()["pages"]) == 1
    assert [r for r in writes(emu) if first in json.dumps(r.get("body"))] == []  # not sent again
    assert drafts(m.cache) == []


@pytest.mark.daemon_errors(r"the save cannot be queued: Device or resource busy")
def test_rm_after_fsync_keeps_the_edit(emulator, mount):
    """rm of a page file whose fsync() was answered from its draft while the save cannot be
    queued (the cache's database held by another process): the rm fails and the edit stays,
    to be queued once the database is free; a later rm trashes the page with the edit in it
    (a restore from Notion's trash brings it back).  (Before the fix the rm dropped the
    file's bytes and its draft: the acknowledged edit was lost.)"""
    emu = emulator()
    m = mount(emu, poll=3600, extra_env={"NOTIONFS_BUSY_MS": "1000"})  # each try waits 1 s, not 10
    wait_for(lambda: "bodies pending: 0" in status(m), what="bodies fetched", timeout=120)
    path = m.path("Tasks", PAGE + ".md")
    pid = task(emu)["id"]
    marker = "Fsynced then removed 8282"
    text = open(path).read()
    with cache_write_lock(m.cache):
        fsync_write(path, text + "\n" + marker + "\n")
        wait_for(lambda: "cannot be queued yet" in open(m.path(".notionfs", "errors")).read(),
                 what="the save reported as not queued", timeout=60)
        with pytest.raises(OSError):
            os.unlink(path)
        assert len(drafts(m.cache)) == 1
    wait_for(lambda: in_workspace(emu, marker), what="the edit to land", timeout=60)
    wait_for(lambda: settled(m), what="the queue to empty", timeout=60)
    os.unlink(path)
    wait_for(lambda: settled(m) and trashed(emu, pid), what="the trash", timeout=60)
    page = next(p for p in emu.state()["pages"] if p["id"] == pid)
    assert marker in json.dumps(page.get("children"))
    landed_once(emu, marker)


# ---- a full disk -----------------------------------------------------------

@pytest.fixture
def small_cache(tmp):
    """The cache directory on its own small tmpfs, so that it can be filled."""
    cache = os.path.join(tmp, "cache")
    os.makedirs(cache)
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m,mode=0700", "tmpfs", cache],
                       capture_output=True, text=True)
    if p.returncode != 0:
        pytest.skip("cannot mount a tmpfs for the cache (needs root): " + p.stderr.strip())
    yield cache
    subprocess.run(["umount", "-l", cache], capture_output=True)


def fill_disk(cache, keep_pages):
    """Empties the cache's write-ahead log (so that any SQLite write needs
    new blocks) and fills the disk but keep_pages pages.  Returns the filler."""
    db = sqlite3.connect(os.path.join(cache, "cache.db"), timeout=30)
    busy, _, _ = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    db.close()
    assert busy == 0
    assert os.path.getsize(os.path.join(cache, "cache.db-wal")) == 0
    st = os.statvfs(cache)
    page = st.f_frsize
    filler = os.path.join(cache, "filler")
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        os.posix_fallocate(fd, 0, (st.f_bavail - keep_pages) * page)
    finally:
        os.close(fd)
    assert os.statvfs(cache).f_bavail == keep_pages
    return filler


def draft_reported(m, marker_path):
    p = run_nfs(["status", "--json"], m.env, check=False)
    if p.returncode != 0:
        return False
    st = json.loads(p.stdout)
    return [d for d in st.get("drafts", []) if d["path"] == marker_path and
            "No space left on device" in (d.get("reason") or "")]


@pytest.mark.parametrize("then", ["retry", "unmount"])
@pytest.mark.daemon_errors(r"the save cannot be queued: No space left on device")
def test_full_disk_keeps_the_save(emulator, small_cache, mount, then):
    emu = emulator()
    m = mount(emu, poll=3600)
    assert m.cache == small_cache
    wait_for(lambda: "bodies pending: 0" in status(m), what="bodies fetched", timeout=120)
    emu.clear_log()
    path = m.path("Tasks", PAGE + ".md")
    marker = "Saved on a full disk 6061"
    new_text = open(path).read() + "\n" + marker + "\n"
    page = os.statvfs(small_cache).f_frsize
    # Room for the draft (its bytes, its identity file and one page of
    # slack), not for the SQLite transaction that queues the save.
    filler = fill_disk(small_cache, math.ceil(len(new_text.encode()) / page) + 2)
    with open(path, "w") as f:  # close-only save
        f.write(new_text)
    wait_for(lambda: draft_reported(m, "Tasks/" + PAGE + ".md"), timeout=60,
             what="`notionfs status` to report the save that cannot be queued")
    errors = open(m.path(".notionfs", "errors")).read()
    assert "Tasks/" + PAGE + ".md" in errors and "No space left on device" in errors, errors
    assert marker in open(path).read()  # the mount still shows what was written
    assert not in_workspace(emu, marker)
    if then == "retry":
        os.unlink(filler)
        wait_for(lambda: in_workspace(emu, marker), what="the retried save to land", timeout=60)
        wait_for(lambda: settled(m), what="the queue to empty", timeout=60)
    else:
        m.unmount()
        log = open(m.stderr_path).read()
        assert "drafts" in log and "Tasks/" + PAGE + ".md" in log, log[-3000:]
        assert len(drafts(small_cache)) == 1
        os.unlink(filler)
        m2 = mount(emu, poll=3600)
        wait_for(lambda: in_workspace(emu, marker), what="the kept save to land", timeout=60)
        wait_for(lambda: settled(m2), what="the queue to empty", timeout=60)
    landed_once(emu, marker)
    assert drafts(small_cache) == []


def test_second_mount_on_the_same_cache_is_refused(emulator, mount, tmp):
    """One process owns the drafts of a cache (docs/operations.md, "One client per cache")."""
    emu = emulator()
    m = mount(emu, poll=3600)
    other = os.path.join(tmp, "mnt2")
    os.makedirs(other)
    try:
        p = subprocess.run([BIN, "mount", "-f", other], env=m.env, capture_output=True, text=True,
                           timeout=60)
    finally:
        if is_mounted(other):
            subprocess.run(["fusermount3", "-u", other], capture_output=True)
    assert p.returncode == 1 and "is in use by the mount on" in p.stderr, p.stderr
    assert "Tasks" in os.listdir(m.mnt)
