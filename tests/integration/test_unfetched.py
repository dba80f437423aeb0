"""Issue 8, cases 2 and 9: pages whose body is not fetched yet, and no lock
held across the network.

A generated workspace (one database "Bench", pages "Item 00000" ...); the
background prefetch fetches the newest edited bodies first, so one item
(last_fetched) comes last.  A fault on its GET .../children keeps it
unfetched while every other body arrives: that is a fresh mount of a large
workspace before one page's body came.
"""
import json
import os
import subprocess
import threading
import urllib.request

from conftest import TOKEN, wait_for

N_PAGES = 8


def api_get(emu, path):
    req = urllib.request.Request(emu.url + path, headers={
        "Authorization": "Bearer " + TOKEN, "Notion-Version": "2022-06-28"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def block_texts(emu, page_id):
    out = []
    for b in api_get(emu, "/v1/blocks/%s/children?page_size=100" % page_id)["results"]:
        rt = b.get(b["type"], {}).get("rich_text", [])
        out.append("".join(t.get("plain_text", "") for t in rt))
    return out


def last_fetched(emu, k=1):
    """(number, id) of the item the background prefetch fetches last: the
    oldest edited, then the greatest id (cache_pages_needing_body's order);
    with k > 1, the list of the k last."""
    items = []
    for p in emu.state()["pages"]:
        if p.get("parent", {}).get("type") == "database_id":
            title = "".join(t.get("plain_text", "") for t in p["properties"]["Name"]["title"])
            items.append((p["last_edited_time"], [-ord(c) for c in p["id"]], int(title[5:]), p["id"]))
    items.sort()
    if k > 1:
        return [(x[2], x[3]) for x in items[:k]]
    return items[0][2], items[0][3]


def read(path):
    with open(path) as f:
        return f.read()


def children_rule(page_id):
    return {"method": "GET", "path_prefix": "/v1/blocks/" + page_id}


def unfetched_mount(emulator, mount, k=1):
    """A mount where every body but one is fetched, the fault that keeps it
    unfetched still active.  Returns (emu, m, id, path, i, others): i the
    item's number, others three other item numbers."""
    emu = emulator(workspace=None, extra=("--generate", str(N_PAGES)))
    last = last_fetched(emu, k) if k > 1 else [last_fetched(emu)]
    i, pid = last[0]
    for _, x in last:
        emu.admin("faults", {"fail_next": dict(children_rule(x), count=100000, status=503)})
    m = mount(emu, poll=3600)
    status = m.path(".notionfs", "status")
    wait_for(lambda: "bodies pending: %d\n" % k in read(status), timeout=120,
             what="every body but %d fetched" % k)
    wait_for(lambda: "body fetch failed" in read(m.path(".notionfs", "errors")), timeout=120,
             what="the background fetch of the last body to give up")
    others = [j for j in range(N_PAGES) if j != i][:3]
    if k > 1:
        others = [j for j, _ in last[1:]]
    return emu, m, pid, m.path("Bench", "Item %05d.md" % i), i, others


def in_flight(emu, page_id):
    """The log entries of GET .../children of page_id not answered yet."""
    return [e for e in emu.log_requests()
            if e["path"].startswith("/v1/blocks/" + page_id) and e["status"] is None]


# ---- case 2: unfetched bodies ----------------------------------------------------------------

def test_append_to_unfetched_page_lands_at_the_end(emulator, mount):
    emu, m, pid, path, i, others = unfetched_mount(emulator, mount)
    emu.admin("faults/clear", {})
    before = block_texts(emu, pid)
    assert before and before[0] == "Item %d block 0" % i
    subprocess.run(["sh", "-c", 'echo "appended line" >> "$1"', "sh", path], check=True)
    data = read(path)
    assert data.endswith("appended line\n"), data
    assert ("Item %d block 0" % i) in data and ("Item %d block 2" % i) in data, data
    assert os.stat(path).st_size == len(data.encode())

    def landed_at_end():
        # the body ends with a to-do item: the appended line may continue it
        after = block_texts(emu, pid)
        return (after[:len(before) - 1] == before[:-1] and after[len(before) - 1].startswith(before[-1])
                and "appended line" in " ".join(after[len(before) - 1:]))
    wait_for(landed_at_end, timeout=60, what="the append pushed at the end of the body")


def test_overwrite_of_unfetched_page_replaces_its_body(emulator, mount):
    emu, m, pid, path, i, others = unfetched_mount(emulator, mount)
    emu.admin("faults/clear", {})
    with open(path, "w") as f:  # O_TRUNC: nothing of the page is kept
        f.write("---\nName: Item %05d\n---\nNew text\n" % i)
    wait_for(lambda: block_texts(emu, pid) == ["New text"], timeout=60,
             what="the new body pushed")
    assert "New text" in read(path)


def test_stat_of_unfetched_page_agrees_with_read(emulator, mount):
    emu, m, pid, path, i, others = unfetched_mount(emulator, mount)
    emu.admin("faults/clear", {})
    # ls -l first (READDIRPLUS), then stat, wc -c and tail
    listing = subprocess.run(["ls", "-l", m.path("Bench")], capture_output=True, text=True,
                             check=True).stdout
    size = os.stat(path).st_size
    with open(path, "rb") as f:
        data = f.read()
    assert size == len(data)
    assert ("Item %d block 2" % i).encode() in data
    line = [l for l in listing.splitlines() if l.endswith("Item %05d.md" % i)][0]
    assert int(line.split()[4]) == len(data), line
    wc = subprocess.run(["wc", "-c", path], capture_output=True, text=True, check=True).stdout
    assert int(wc.split()[0]) == len(data)
    tail = subprocess.run(["tail", "-n", "1", path], capture_output=True, check=True).stdout
    assert data.endswith(tail)


def test_cat_of_unfetched_page_with_the_api_down_fails(emulator, mount):
    emu, m, pid, path, i, others = unfetched_mount(emulator, mount)
    p = subprocess.run(["cat", path], capture_output=True, text=True, timeout=120)
    assert p.returncode != 0, "cat printed %r" % p.stdout
    assert "Input/output error" in p.stderr, p.stderr
    assert "---" not in p.stdout  # never the front-matter alone
    w = subprocess.run(["sh", "-c", 'echo x >> "$1"', "sh", path], capture_output=True, timeout=120)
    assert w.returncode != 0
    # the API back: the page reads whole (once the failure noted is past)
    emu.admin("faults/clear", {})

    def readable():
        try:
            return read(path)
        except OSError:
            return None
    data = wait_for(readable, what="the page readable again")
    assert ("Item %d block 0" % i) in data and "\nx\n" not in data


# ---- case 9: no lock held across the network --------------------------------------------------

# How long the one slow body fetch takes: the other files' operations (a few ms each, a few
# seconds on a loaded machine) must all be answered within it; each test then waits it out.
DELAY_MS = 12000


def test_body_fetch_blocks_no_other_file(emulator, mount):
    emu, m, pid, path, i, others = unfetched_mount(emulator, mount)
    emu.admin("faults/clear", {})
    emu.admin("faults", {"delay_answer": dict(children_rule(pid), count=1, ms=DELAY_MS)})
    writer = threading.Thread(target=subprocess.run,
                              args=(["sh", "-c", 'echo more >> "$1"', "sh", path],))
    writer.start()
    try:
        wait_for(lambda: in_flight(emu, pid), timeout=60, what="the delayed body fetch")
        # files this mount never looked up or read (nothing of Bench was listed)
        st = os.stat(m.path("Bench", "Item %05d.md" % others[0]))
        assert st.st_size > 0
        data = read(m.path("Bench", "Item %05d.md" % others[1]))
        assert ("Item %d block 0" % others[1]) in data
        names = os.listdir(m.path("Bench"))
        assert ("Item %05d.md" % others[2]) in names
        # ... all answered while the body fetch is still waiting for its answer
        assert in_flight(emu, pid), "the other files waited for the body fetch"
        assert emu.admin("idle")["in_flight"] >= 1
    finally:
        writer.join()
    wait_for(lambda: read(path).endswith("more\n"), what="the append")


def test_save_waiting_for_a_body_blocks_no_other_file(emulator, mount):
    """An atomic save (write a temporary file, rename it over the page) onto a
    page whose body is not fetched: the save needs the body as its base and
    fetches it; meanwhile the rest of the mount answers."""
    emu, m, pid, path, i, others = unfetched_mount(emulator, mount)
    emu.admin("faults/clear", {})
    emu.admin("faults", {"delay_answer": dict(children_rule(pid), count=1, ms=DELAY_MS)})
    tmpname = path + ".tmp"
    result = {}

    def save():
        fm = "---\nName: Item %05d\n---\nReplaced body\n" % i
        try:
            with open(tmpname, "w") as f:
                f.write(fm)
            os.rename(tmpname, path)
            result["ok"] = True
        except OSError as e:
            result["err"] = e

    saver = threading.Thread(target=save)
    saver.start()
    try:
        wait_for(lambda: in_flight(emu, pid), timeout=60, what="the delayed body fetch")
        st = os.stat(m.path("Bench", "Item %05d.md" % others[0]))
        assert st.st_size > 0
        assert ("Item %d block 0" % others[1]) in read(m.path("Bench", "Item %05d.md" % others[1]))
        assert ("Item %05d.md" % others[2]) in os.listdir(m.path("Bench"))
        assert in_flight(emu, pid), "the other files waited for the save"
    finally:
        saver.join()
    assert result.get("ok"), result
    wait_for(lambda: block_texts(emu, pid) == ["Replaced body"], timeout=60,
             what="the save pushed")


def test_slow_body_fetch_delays_no_other_first_read(emulator, mount):
    """Two pages not fetched: the body of one answers slowly; the first read
    of the other does not wait for it (nor for the background prefetch)."""
    emu, m, pid, path, i, others = unfetched_mount(emulator, mount, k=2)
    emu.admin("faults/clear", {})
    emu.admin("faults", {"delay_answer": dict(children_rule(pid), count=1, ms=DELAY_MS)})
    reader = threading.Thread(target=subprocess.run, args=(["cat", path],),
                              kwargs={"capture_output": True})
    reader.start()
    try:
        wait_for(lambda: in_flight(emu, pid), timeout=60, what="the delayed body fetch")
        other = m.path("Bench", "Item %05d.md" % others[0])
        data = read(other)
        assert ("Item %d block 0" % others[0]) in data
        assert os.stat(other).st_size == len(data.encode())
        assert in_flight(emu, pid), "the other page's first read waited for the slow one"
    finally:
        reader.join()
