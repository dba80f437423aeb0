"""docs/queue.md, "What is guaranteed" (integrity) on a real mount against the emulator: the
numbered cases of issue 7, each of which lost or duplicated an edit before.
Every save must land in Notion exactly once, in order.  Waits poll
conditions; no timing is asserted (timeouts only bound hangs)."""
import os
import subprocess

from conftest import wait_for
from test_read_path import page_title
from test_write_path import status, settled


def blocks(emu, pid):
    """Top-level blocks of a page in the emulator, trashed ones left out."""
    page = next(p for p in emu.state()["pages"] if p["id"] == pid)
    return [b for b in page.get("children", []) if not b.get("archived") and not b.get("in_trash")]


def texts(emu, pid):
    out = []
    for b in blocks(emu, pid):
        body = b.get(b.get("type"), {})
        out.append("".join(t.get("plain_text", t.get("text", {}).get("content", ""))
                           for t in body.get("rich_text", [])))
    return out


def task_id(emu, title):
    return next(p["id"] for p in emu.state()["pages"] if page_title(p) == title)


def append_line(path, line, fsync=True):
    """Appends a paragraph (after a blank line, so it is a block of its own)."""
    with open(path, "a") as f:
        f.write("\n" + line + "\n")
        f.flush()
        if fsync:
            os.fsync(f.fileno())


def in_flight(emu, method, suffix):
    """A request the emulator has received but not answered yet."""
    return any(r["method"] == method and r["path"].endswith(suffix) and r["status"] is None
               for r in emu.log_requests())


def children_patches(emu, pid):
    return [r for r in emu.log_requests()
            if r["method"] == "PATCH" and r["path"].endswith("/children")
            and r["status"] not in (None, 0) and r["status"] < 300 and pid.replace("-", "") in
            r["path"].replace("-", "")]


def conflict_count(m):
    return len([f for f in os.listdir(m.path(".notionfs", "conflicts"))])


def ready(emulator, mount, poll=3600, **kw):
    """A mount that does not poll (its pushes alone reach the emulator)."""
    emu = emulator()
    m = mount(emu, poll=poll, **kw)
    wait_for(lambda: "bodies pending: 0" in status(m), what="bodies fetched", timeout=120)
    return emu, m


def kill_daemon(m):
    os.kill(m.proc.pid, 9)
    m.proc.wait(timeout=30)
    subprocess.run(["fusermount3", "-uz", m.mnt], capture_output=True)
    m.proc.returncode = 0  # killed on purpose


# ---- case 1: a save made while the page's previous save is being pushed ----

def test_second_save_during_slow_push_lands_each_line_once(emulator, mount):
    emu, m = ready(emulator, mount)
    pid = task_id(emu, "Write API client")
    before = texts(emu, pid)
    path = m.path("Tasks", "Write API client.md")
    emu.admin("faults", {"slow_ms": 3000})
    append_line(path, "line a of case one")
    wait_for(lambda: in_flight(emu, "PATCH", "/children"), what="the first append in flight", timeout=90)
    append_line(path, "line b of case one")
    emu.admin("faults/clear", {})
    wait_for(lambda: settled(m), what="the queue to empty", timeout=120)
    got = texts(emu, pid)
    assert got == before + ["line a of case one", "line b of case one"], got
    assert conflict_count(m) == 0


def test_backlog_of_saves_lands_in_order_without_copies(emulator, mount):
    emu, m = ready(emulator, mount)
    pid = task_id(emu, "Inode table")
    before = texts(emu, pid)
    path = m.path("Tasks", "Inode table.md")
    emu.admin("faults", {"fail_next": {"count": 100000, "status": 503}})
    lines = ["backlog line %d" % i for i in range(8)]
    for line in lines:
        append_line(path, line)
    emu.admin("faults/clear", {})
    wait_for(lambda: settled(m), what="the queue to empty", timeout=180)
    got = texts(emu, pid)
    assert got == before + lines, got
    assert conflict_count(m) == 0
    assert open(path).read().count("backlog line") == len(lines)


# ---- case 4: two saves of one paragraph while the API is down --------------

def test_two_saves_of_one_paragraph_offline_the_second_wins(emulator, mount):
    emu, m = ready(emulator, mount)
    pid = task_id(emu, "Write API client")
    first = texts(emu, pid)[0]
    assert first
    path = m.path("Tasks", "Write API client.md")
    emu.admin("faults", {"fail_next": {"count": 100000, "status": 503}})
    for new in ("first rewrite of the paragraph", "second rewrite of the paragraph"):
        text = open(path).read()
        cur = first if new.startswith("first") else "first rewrite of the paragraph"
        assert cur in text
        with open(path, "w") as f:
            f.write(text.replace(cur, new, 1))
            f.flush()
            os.fsync(f.fileno())
    emu.admin("clock", {"offset_seconds": 180})  # the API comes back in a later minute
    emu.admin("faults/clear", {})
    wait_for(lambda: settled(m), what="the queue to empty", timeout=120)
    got = texts(emu, pid)
    assert got[0] == "second rewrite of the paragraph", got
    assert "first rewrite of the paragraph" not in got
    assert conflict_count(m) == 0


# ---- case 7: killed during the re-fetch that follows an append -------------

def test_kill_during_refetch_after_append_keeps_the_line(emulator, mount):
    emu, m = ready(emulator, mount)
    pid = task_id(emu, "Markdown renderer")
    path = m.path("Tasks", "Markdown renderer.md")
    # a first save: the cached version of the page is now of this minute,
    # so the restarted daemon's pull cannot tell the older body from the
    # newer one by the page's minute-truncated last_edited_time
    append_line(path, "warm-up line of case seven")
    wait_for(lambda: settled(m), what="the first save", timeout=120)
    emu.clear_log()
    # every answer slow: the append lands, then the daemon is killed while
    # it re-reads the page and its blocks
    emu.admin("faults", {"slow_ms": 2000})
    append_line(path, "acknowledged line of case seven")
    wait_for(lambda: len(children_patches(emu, pid)) == 1, what="the append to land", timeout=60)
    kill_daemon(m)
    emu.admin("faults/clear", {})
    assert texts(emu, pid).count("acknowledged line of case seven") == 1
    m2 = mount(emu, poll=3600)
    wait_for(lambda: settled(m2), what="the queue to empty after the restart", timeout=120)
    path = m2.path("Tasks", "Markdown renderer.md")
    assert "acknowledged line of case seven" in open(path).read()
    # the next save of the page must not delete the line
    append_line(path, "a later line of case seven")
    wait_for(lambda: settled(m2), what="the second save", timeout=120)
    got = texts(emu, pid)
    assert got.count("acknowledged line of case seven") == 1, got
    assert got.count("a later line of case seven") == 1, got
    assert not [r for r in emu.log_requests() if r["method"] == "DELETE"]


# ---- case 8: a new page of more than 100 blocks ----------------------------

def big_page(n):
    return "---\nName: Big page of case eight\n---\n" + "".join(
        "Paragraph number %d of the big page.\n\n" % i for i in range(n))


def big_page_blocks(emu):
    pages = [p for p in emu.state()["pages"]
             if page_title(p) == "Big page of case eight" and not p.get("archived")]
    assert len(pages) == 1, [p["id"] for p in pages]
    return texts(emu, pages[0]["id"])


def test_new_page_over_100_blocks_survives_a_503_in_the_follow_up_appends(emulator, mount):
    emu, m = ready(emulator, mount)
    emu.clear_log()
    # more 503s in a row than the client's attempts at one request
    emu.admin("faults", {"fail_next": {"count": 6, "status": 503, "method": "PATCH",
                                       "path_suffix": "/children"}})
    with open(m.path("Tasks", "Big page of case eight.md"), "w") as f:
        f.write(big_page(250))
        f.flush()
        os.fsync(f.fileno())
    wait_for(lambda: settled(m), what="the queue to empty", timeout=180)
    got = big_page_blocks(emu)
    assert got == ["Paragraph number %d of the big page." % i for i in range(250)], len(got)


def test_new_page_over_100_blocks_survives_a_crash_in_the_follow_up_appends(emulator, mount):
    emu, m = ready(emulator, mount, extra_env={"NOTIONFS_SETTLE_MS": "4000"})
    emu.clear_log()
    emu.admin("faults", {"slow_ms": 1500})
    with open(m.path("Tasks", "Big page of case eight.md"), "w") as f:
        f.write(big_page(250))
        f.flush()
        os.fsync(f.fileno())
    wait_for(lambda: in_flight(emu, "PATCH", "/children"), what="a follow-up append", timeout=60)
    kill_daemon(m)
    emu.admin("faults/clear", {})
    m2 = mount(emu, poll=3600, extra_env={"NOTIONFS_SETTLE_MS": "4000"})
    wait_for(lambda: settled(m2), what="the queue to empty after the restart", timeout=180)
    got = big_page_blocks(emu)
    assert got == ["Paragraph number %d of the big page." % i for i in range(250)], len(got)


# ---- case 9: the safety valve has no cap -----------------------------------

def test_valve_holds_every_one_of_1100_deletes(emulator, mount, tmp):
    emu = emulator(extra=("--generate", "1150"))
    # each rm rebuilds the view; the check of every rebuild against a whole build (the tests'
    # NOTIONFS_VIEW_CHECK) would make the 1,100 rm cost ~40 s; the valve is what is tested here
    m = mount(emu, poll=1, extra_env={"NOTIONFS_VIEW_CHECK": "0"})
    d = m.path("Bench")
    wait_for(lambda: os.path.isdir(d) and len(os.listdir(d)) >= 1150, what="the listing", timeout=300)
    victims = sorted(f for f in os.listdir(d) if f.endswith(".md"))[:1100]
    for f in victims:
        os.unlink(os.path.join(d, f))
    try:
        wait_for(lambda: "held archives: 1100\n" in status(m), what="the valve", timeout=300)
    except AssertionError:
        print("status when the wait ended:\n" + status(m)[:3000])
        raise
    wait_for(lambda: "queued edits: 0" in status(m), what="nothing left to push", timeout=120)
    archived = [p for p in emu.state()["pages"] if p.get("archived") or p.get("in_trash")]
    assert archived == []


# ---- case 2: an answer lost after Notion applied the request ---------------

FAST = {"NOTIONFS_SETTLE_MS": "4000", "NOTIONFS_TIMEOUT_MS": "1500"}


def test_lost_answer_to_an_append_lands_the_paragraph_once(emulator, mount):
    emu, m = ready(emulator, mount, extra_env=FAST)
    pid = task_id(emu, "Write API client")
    before = texts(emu, pid)
    emu.admin("faults", {"lose_answer": {"count": 1, "method": "PATCH", "path_suffix": "/children"}})
    append_line(m.path("Tasks", "Write API client.md"), "paragraph whose answer was lost")
    wait_for(lambda: settled(m), what="the queue to empty", timeout=120)
    assert texts(emu, pid) == before + ["paragraph whose answer was lost"]


def test_lost_answer_to_an_append_at_the_start_lands_the_line_once(emulator, mount):
    # the resumed push looks for the line among the page's first children (position start)
    emu, m = ready(emulator, mount, extra_env=FAST)
    pid = task_id(emu, "Write API client")
    before, ids = texts(emu, pid), [b["id"] for b in blocks(emu, pid)]
    path = m.path("Tasks", "Write API client.md")
    head, body = open(path).read().split("\n---\n", 1)
    emu.admin("faults", {"lose_answer": {"count": 1, "method": "PATCH", "path_suffix": "/children"}})
    with open(path, "w") as f:
        f.write(head + "\n---\n" + "first line whose answer was lost\n\n" + body.lstrip("\n"))
        f.flush()
        os.fsync(f.fileno())
    wait_for(lambda: settled(m), what="the queue to empty", timeout=120)
    assert texts(emu, pid) == ["first line whose answer was lost"] + before
    assert [b["id"] for b in blocks(emu, pid)][1:] == ids
    sent = children_patches(emu, pid)
    assert len(sent) == 1 and sent[0].get("lost"), sent  # found, not sent again


def test_slow_answer_past_the_timeout_lands_the_paragraph_once(emulator, mount):
    emu, m = ready(emulator, mount, extra_env=FAST)
    pid = task_id(emu, "Inode table")
    before = texts(emu, pid)
    emu.admin("faults", {"delay_answer": {"count": 1, "ms": 3000, "apply": "after",
                                          "method": "PATCH", "path_suffix": "/children"}})
    append_line(m.path("Tasks", "Inode table.md"), "paragraph answered too late")
    wait_for(lambda: settled(m), what="the queue to empty", timeout=120)
    wait_for(lambda: emu.admin("idle")["in_flight"] == 0, what="the emulator idle")
    assert texts(emu, pid) == before + ["paragraph answered too late"]


def test_lost_answer_to_a_page_create_makes_one_page(emulator, mount):
    emu, m = ready(emulator, mount, extra_env=FAST)
    emu.admin("faults", {"lose_answer": {"count": 1, "method": "POST", "path_prefix": "/v1/pages"}})
    with open(m.path("Tasks", "Created once.md"), "w") as f:
        f.write("---\nName: Created once\n---\nBody of the page created once.\n")
        f.flush()
        os.fsync(f.fileno())
    wait_for(lambda: settled(m), what="the queue to empty", timeout=120)
    made = [p for p in emu.state()["pages"] if page_title(p) == "Created once"]
    assert len(made) == 1, made
    assert texts(emu, made[0]["id"]) == ["Body of the page created once."]
