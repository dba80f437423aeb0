#!/usr/bin/env python3
"""Makes cache.db of this directory with a build of the release before issue 10
(Notion-Version 2022-06-28, cache schema 10).  Run from the worktree root:

    NOTIONFS_BUILD=build-old /usr/bin/python3 tests/data/cache-v10/make_cache.py OUTDIR

It mounts the emulator's sample workspace, leaves a conflict (kept), a rejected
save (kept), a held trash of 6 Tasks rows, then (the emulator answering 503 to
every page and block request) a queued property edit, a queued body edit and a
queued new row, and unmounts; the queue stays in the cache."""
import errno
import os
import shutil
import sqlite3
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "integration"))
from conftest import Emulator, Mount  # noqa: E402
from nfstest import wait_for  # noqa: E402


def status(m):
    return open(m.path(".notionfs", "status")).read()


def fsync_write(path, text):
    with open(path, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def page_id(emu, title):
    for p in emu.state()["pages"]:
        for v in p["properties"].values():
            if v.get("type") == "title" and "".join(t["plain_text"] for t in v["title"]) == title:
                return p["id"]
    raise KeyError(title)


def main(out):
    tmp = tempfile.mkdtemp(prefix="nfs-cache-v10-")
    emu = Emulator(tmp)
    m = None
    try:
        m = Mount(tmp, emu, poll=1)
        wait_for(lambda: "bodies pending: 0" in status(m), what="bodies", timeout=120)
        # 1. a conflict: Priority of "Write API client" changed on both sides
        pid = page_id(emu, "Write API client")
        emu.admin("faults", {"fail_next": {"count": 1000, "status": 503, "path_prefix": "/v1/pages/" + pid}})
        path = m.path("Tasks", "Write API client.md")
        text = open(path).read()
        line = [l for l in text.splitlines() if l.startswith("Priority:")][0]
        fsync_write(path, text.replace(line, "Priority: High" if "High" not in line else "Priority: Low"))
        emu.admin("edit_page", {"page_id": pid, "properties": {"Priority": {"select": {"name": "Medium"}}}})
        emu.admin("faults/clear", {})
        wait_for(lambda: "queued edits: 0" in status(m), what="the conflict push", timeout=120)
        assert os.listdir(m.path(".notionfs", "conflicts")), status(m)
        # 2. a rejected save: a property the schema lacks
        path = m.path("Tasks", "Inode table.md")
        before = open(path).read()
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
        try:
            os.write(fd, before.replace("Priority:", "Bogus: 1\nPriority:", 1).encode())
            try:
                os.fsync(fd)
                raise AssertionError("the bad save was accepted")
            except OSError as e:
                assert e.errno == errno.EINVAL
        finally:
            os.close(fd)
        assert os.listdir(m.path(".notionfs", "rejected"))
        # 3. a held trash: 6 Tasks rows unlinked at once
        d = m.path("Tasks")
        victims = sorted(f for f in os.listdir(d) if f.endswith(".md") and not f.startswith("．")
                         and f not in ("Write API client.md", "Inode table.md", "Markdown renderer.md"))[:6]
        for f in victims:
            os.unlink(os.path.join(d, f))
        wait_for(lambda: "held archives: 6" in status(m), what="the valve", timeout=60)
        # 4. queued edits that cannot land: pages and blocks answer 503
        emu.admin("faults", {"fail_next": {"count": 10 ** 6, "status": 503, "path_prefix": "/v1/pages"}})
        emu.admin("faults", {"fail_next": {"count": 10 ** 6, "status": 503, "path_prefix": "/v1/blocks"}})
        path = m.path("Tasks", "Markdown renderer.md")
        text = open(path).read()
        line = [l for l in text.splitlines() if l.startswith("Estimate:")][0]
        fsync_write(path, text.replace(line, "Estimate: 42"))                 # property edit
        path = m.path("Tasks", "Write API client.md")
        fsync_write(path, open(path).read() + "\nA paragraph queued by the old release.\n")  # body edit
        fsync_write(m.path("Tasks", "Queued new row.md"),
                    "---\nName: Queued new row\nEstimate: 7\n---\nMade by the old release.\n")  # new row
        wait_for(lambda: "queued edits: 3" in status(m), what="three queued edits", timeout=60)
        assert "rejected edits: 1" in status(m), status(m)
        print(status(m))
        m.unmount()
        shutil.copy(os.path.join(m.cache, "cache.db"), os.path.join(out, "cache.db"))
        db = sqlite3.connect(os.path.join(out, "cache.db"))
        print("user_version", db.execute("PRAGMA user_version").fetchone())
        db.close()
    finally:
        if m is not None:
            m.unmount()
        emu.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else HERE)
