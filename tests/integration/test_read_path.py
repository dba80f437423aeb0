"""The read path end to end: a real FUSE mount of the emulator's sample
workspace (docs/format.md and docs/sync.md, read direction)."""
import os
import re
import signal
import stat
import subprocess
import time

import pytest

from conftest import BIN, TOKEN, is_mounted, nfs_env, read_tree, run_nfs, stop_process, wait_for


def plain(title):
    if isinstance(title, str):
        return title
    return "".join(t.get("plain_text") or t.get("text", {}).get("content", "") for t in title or [])


def page_title(page):
    for v in page["properties"].values():
        if v.get("type") == "title" or "title" in v and isinstance(v.get("title"), list):
            return plain(v.get("title"))
    return ""


def expected_stem(title):
    """docs/format.md, "The tree of a mount", written again independently of fs/names.c."""
    out = []
    for i, ch in enumerate(title):
        if ch == "/":
            out.append("\uff0f")
        elif ch == "." and i == 0:
            out.append("\uff0e")
        elif ord(ch) < 0x20 or ord(ch) == 0x7f or 0x80 <= ord(ch) < 0xa0:
            out.append("\ufffd")
        else:
            out.append(ch)
    return "".join(out) or "Untitled"


def expected_tree(state):
    """{database dir path: sorted list of page file names} for the live
    rows of a workspace dump (collision rule included): a database with one
    data source is one directory, one with several holds one directory per
    data source (DESIGN.md §2)."""
    pages = {p["id"]: p for p in state["pages"]}

    def at_root(d):
        # a database inside a shared page is in that page's folder (test_tree.py checks those)
        pid = (d.get("parent") or {}).get("page_id")
        return pid is None or pid not in pages or pages[pid].get("shared") is False
    dbs = {d["id"]: d for d in state["databases"] if not d.get("archived") and at_root(d)}
    db_names = {}
    for d in sorted(dbs.values(), key=lambda d: (d.get("created_time", ""), d["id"])):
        n = expected_stem(plain(d["title"]))
        db_names[d["id"]] = n if n not in db_names.values() else "%s (%s)" % (n, d["id"].replace("-", "")[-8:])
    dirs = {}      # data source id (or database id of a one-source database) -> path
    for dbid, d in dbs.items():
        srcs = [x for x in (d.get("data_sources") or []) if not x.get("archived")]
        if len(srcs) <= 1:
            dirs[dbid] = db_names[dbid]
            for x in srcs:
                dirs[x["id"]] = db_names[dbid]
            continue
        taken = set()
        for x in sorted(srcs, key=lambda x: (x.get("created_time", ""), x["id"])):
            n = expected_stem(plain(x["title"]))
            n = n if n not in taken else "%s (%s)" % (n, x["id"].replace("-", "")[-8:])
            taken.add(n)
            dirs[x["id"]] = db_names[dbid] + "/" + n
    tree = {n: [] for n in set(dirs.values())}
    by_db = {}
    for p in state["pages"]:
        par = p.get("parent", {})
        key = par.get("data_source_id") or par.get("database_id")
        if key is None or p.get("archived") or p.get("in_trash") or key not in dirs:
            continue
        by_db.setdefault(dirs[key], []).append(p)
    for path, pages in by_db.items():
        taken = set()
        for p in sorted(pages, key=lambda p: (p["created_time"], p["id"])):
            stem = expected_stem(page_title(p))
            name = stem + ".md"
            if name in taken:
                name = "%s (%s).md" % (stem, p["id"].replace("-", "")[-8:])
            taken.add(name)
            tree[path].append(name)
    return {k: sorted(v) for k, v in tree.items()}


def mounted_tree(root):
    """{directory path holding a .schema.yaml: sorted .md names} of a mount, for the databases
    at its root (directories without a page file beside them)."""
    out = {}
    for d, dirs, files in os.walk(root):
        rel = os.path.relpath(d, root)
        if rel.split(os.sep)[0] == ".notionfs":
            dirs[:] = []
            continue
        parts = rel.split(os.sep)
        inside_page = any(os.path.exists(os.path.join(root, *parts[:i]) + ".md")
                          for i in range(1, len(parts) + 1))
        if ".schema.yaml" in files and not inside_page:
            out[rel] = sorted(f for f in files if f.endswith(".md"))
    return out


def test_tree_matches_workspace(emulator, mount):
    emu = emulator()
    m = mount(emu)
    want = expected_tree(emu.state())
    assert len(want) >= 3
    assert "Support/Tickets" in want and "Support/Customers" in want, want.keys()
    got = mounted_tree(m.mnt)
    assert got == want
    for d in want:
        assert os.path.isfile(m.path(d, ".schema.yaml"))
    names = [f for files in want.values() for f in files]
    assert any("\uff0f" in n for n in names), "a title with / is in the sample"
    assert any(n.endswith(").md") for n in names), "colliding titles are in the sample"
    assert os.path.isfile(m.path(".notionfs", "status"))
    assert os.path.isfile(m.path(".notionfs", "errors"))
    assert m.daemon_errors() == []


def test_files_equal_export_and_stat_sizes(emulator, mount, tmp):
    emu = emulator()
    m = mount(emu)
    # Wait until every body is fetched, then compare with export.
    wait_for(lambda: "bodies pending: 0" in open(m.path(".notionfs", "status")).read(),
             what="all bodies fetched", timeout=120)
    out = os.path.join(tmp, "export")
    run_nfs(["export", out], m.env)
    exported = read_tree(out)
    mounted = read_tree(m.mnt)
    assert set(mounted) == set(exported)
    for path, data in mounted.items():
        assert data == exported[path], path
        assert os.stat(os.path.join(m.mnt, path)).st_size == len(data), path
    # Page files render front-matter and a body.
    tasks = [p for p in mounted if p.endswith(".md")]
    assert all(mounted[p].startswith(b"---\n") for p in tasks)
    # Export again: nothing rewritten.
    again = run_nfs(["export", out], m.env)
    assert " 0 written" in again.stdout


def test_inode_numbers_stable_and_readonly(emulator, mount):
    emu = emulator()
    m = mount(emu, args=["--read-only"])
    d = sorted(x for x in os.listdir(m.mnt) if x != ".notionfs" and os.path.isdir(m.path(x)))[0]
    f = sorted(x for x in os.listdir(m.path(d)) if x.endswith(".md"))[0]
    ino = os.stat(m.path(d, f)).st_ino
    with pytest.raises(OSError) as e:
        open(m.path(d, f), "a").write("x")
    assert e.value.errno in (30,)  # EROFS
    with pytest.raises(OSError) as e:
        open(m.path(d, "new.md"), "w")
    assert e.value.errno == 30
    # After a remote edit and a refresh the inode number is the same.
    assert os.stat(m.path(d, f)).st_ino == ino


def find_page(state, title):
    for p in state["pages"]:
        if page_title(p) == title and not p.get("archived"):
            return p
    raise KeyError(title)


def file_of(m, title):
    for d, dirs, files in os.walk(m.mnt):
        dirs[:] = sorted(x for x in dirs if x != ".notionfs")
        for f in sorted(files):
            if f == expected_stem(title) + ".md":
                return os.path.join(d, f)
    raise KeyError(title)


def test_remote_edit_shows_through_warm_cache(emulator, mount):
    emu = emulator()
    m = mount(emu, poll=1)
    state = emu.state()
    page = [p for p in state["pages"] if p.get("parent", {}).get("type") == "database_id"
            and not p.get("archived") and page_title(p) and "/" not in page_title(p)
            and not page_title(p).startswith(".")][0]
    path = file_of(m, page_title(page))
    before = open(path, "rb").read()
    assert open(path, "rb").read() == before  # warm kernel cache
    emu.admin("edit_page", {"page_id": page["id"],
                            "append_blocks": [{"type": "paragraph", "paragraph": {"rich_text": [
                                {"type": "text", "text": {"content": "Remote edit marker 4711"}}]}}]})
    wait_for(lambda: b"Remote edit marker 4711" in open(path, "rb").read(), timeout=60,
             what="the remote edit to show")
    after = open(path, "rb").read()
    assert os.stat(path).st_size == len(after)
    # Renaming remotely: the old name goes, the new one appears.
    emu.admin("edit_page", {"page_id": page["id"], "title": "Renamed remotely 4711"})
    wait_for(lambda: not os.path.exists(path), timeout=60, what="old name to vanish")
    assert os.path.exists(os.path.join(os.path.dirname(path), "Renamed remotely 4711.md"))


def test_archived_page_disappears(emulator, mount):
    emu = emulator()
    m = mount(emu, poll=1, extra_env={"NOTIONFS_LISTING_EVERY": "2"})
    state = emu.state()
    page = [p for p in state["pages"] if p.get("parent", {}).get("type") == "database_id"
            and not p.get("archived") and page_title(p) and "/" not in page_title(p)
            and not page_title(p).startswith(".")][-1]
    path = file_of(m, page_title(page))
    assert os.path.exists(path)
    emu.admin("archive", {"page_id": page["id"]})
    wait_for(lambda: not os.path.exists(path), timeout=60, what="archived page to vanish")
    assert os.path.basename(path) not in os.listdir(os.path.dirname(path))


def test_faults_during_full_pull_end_complete(emulator, tmp):
    clean = emulator()
    ref = os.path.join(tmp, "ref")
    run_nfs(["export", ref], nfs_env(clean, os.path.join(tmp, "c1")))
    faulty = emulator()
    # 3 × 429 then 2 × 503 on one call: its retries back off up to 0.5 s × 2^attempt (full
    # jitter), so the 503s after more 429s would wait up to 30 s each
    faulty.admin("faults", {"storm_429": {"count": 3, "retry_after": 1},
                            "fail_next": {"count": 2, "status": 503}})
    out = os.path.join(tmp, "out")
    p = run_nfs(["sync"], nfs_env(faulty, os.path.join(tmp, "c2")), check=False)
    assert p.returncode == 0, p.stderr
    run_nfs(["export", out], nfs_env(faulty, os.path.join(tmp, "c2")))
    statuses = [r["status"] for r in faulty.log_requests()]
    assert 429 in statuses and 503 in statuses
    assert read_tree(out) == read_tree(ref)


def test_bad_token_fails_clearly(emulator, tmp):
    emu = emulator()
    env = nfs_env(emu, os.path.join(tmp, "c"), NOTION_TOKEN="secret_wrong")
    os.makedirs(os.path.join(tmp, "mnt"))
    p = run_nfs(["mount", os.path.join(tmp, "mnt")], env, check=False)
    assert p.returncode == 1
    assert "rejected the token" in p.stderr
    assert "secret_wrong" not in p.stderr
    assert not is_mounted(os.path.join(tmp, "mnt"))


def test_cli_errors(emulator, tmp):
    emu = emulator()
    env = nfs_env(emu, os.path.join(tmp, "c"))
    assert run_nfs(["--help"], env).stdout.startswith("Usage: notionfs")
    p = run_nfs(["bogus"], env, check=False)
    assert p.returncode == 2 and "unknown command" in p.stderr
    p = run_nfs(["sync", "--token", "x"], env, check=False)
    assert p.returncode == 2 and "never accepted on the command line" in p.stderr
    env2 = dict(env)
    del env2["NOTION_TOKEN"]
    p = run_nfs(["sync"], env2, check=False)
    assert p.returncode == 1 and "NOTION_TOKEN" in p.stderr and "--token-file" in p.stderr
    tf = os.path.join(tmp, "token")
    with open(tf, "w") as f:
        f.write(TOKEN + "\n")
    os.chmod(tf, 0o644)
    p = run_nfs(["sync", "--token-file", tf], env2, check=False)
    assert p.returncode == 1 and "0600" in p.stderr
    os.chmod(tf, 0o600)
    run_nfs(["sync", "--token-file", tf], env2)
    p = run_nfs(["mount", os.path.join(tmp, "missing")], env, check=False)
    assert p.returncode == 1 and "no such directory" in p.stderr
    p = run_nfs(["sync", "--api-url", "ftp://x"], env, check=False)
    assert p.returncode == 2 and "bad API URL" in p.stderr
    p = run_nfs(["sync", "--api-url", "http://127.0.0.1:9"], env, check=False)
    assert p.returncode == 1 and "cannot reach" in p.stderr


def test_cache_permissions_and_no_token_on_disk(emulator, tmp):
    emu = emulator()
    cache = os.path.join(tmp, "cache")
    run_nfs(["sync"], nfs_env(emu, cache))
    assert stat.S_IMODE(os.stat(cache).st_mode) == 0o700
    for f in os.listdir(cache):
        assert stat.S_IMODE(os.stat(os.path.join(cache, f)).st_mode) == 0o600, f
        assert TOKEN.encode() not in open(os.path.join(cache, f), "rb").read(), f


def test_ls_and_stat_do_not_touch_the_network(emulator, mount):
    emu = emulator()
    m = mount(emu, poll=3600)
    wait_for(lambda: "bodies pending: 0" in open(m.path(".notionfs", "status")).read(),
             what="bodies fetched", timeout=120)
    os.kill(emu.proc.pid, signal.SIGSTOP)  # any request would now hang
    try:
        p = subprocess.run(["ls", "-lR", m.mnt], capture_output=True, timeout=60)
        assert p.returncode == 0
        p = subprocess.run(["grep", "-rc", "-e", "---", m.mnt], capture_output=True, timeout=60)
        assert p.returncode == 0
    finally:
        os.kill(emu.proc.pid, signal.SIGCONT)


def test_first_read_fetches_body_lazily(emulator, mount, tmp):
    # A slow emulator: bodies are still being prefetched when we read.
    emu = emulator(rate=3, burst=3)
    m = mount(emu, poll=3600, extra_env={"NOTIONFS_RATE": "3", "NOTIONFS_BURST": "3"})
    files = [m.path(d, f) for d in sorted(os.listdir(m.mnt))
             if d != ".notionfs" and os.path.isdir(m.path(d))
             for f in sorted(os.listdir(m.path(d))) if f.endswith(".md")]
    last = files[-1]
    data = open(last, "rb").read()
    assert os.stat(last).st_size == len(data)
    pending = re.search(r"^bodies pending: (\d+)", open(m.path(".notionfs", "status")).read(), re.M)
    assert pending and int(pending.group(1)) > 0  # read while the prefetch is still going
    # the whole body, as Notion has it (not waiting the minute the prefetch takes at 3/s)
    pid = re.search(r"_notion: \{id: '?([0-9a-fA-F-]{32,36})", data.decode()).group(1).replace("-", "")
    page = [p for p in emu.state()["pages"] if p["id"].replace("-", "") == pid][0]
    texts = ["".join(t.get("plain_text") or t.get("text", {}).get("content", "")
                     for t in (b.get(b["type"]) or {}).get("rich_text", []))
             for b in page.get("children", [])]
    assert [t for t in texts if t], page
    for t in texts:
        assert t.encode() in data, (t, data)
    assert open(last, "rb").read() == data


def test_daemon_mode_unmount_leaves_no_process(emulator, tmp):
    emu = emulator()
    mnt = os.path.join(tmp, "mnt")
    os.makedirs(mnt)
    env = nfs_env(emu, os.path.join(tmp, "c"), NOTIONFS_POLL="1")
    run_nfs(["mount", mnt], env)
    pids = []
    try:
        assert is_mounted(mnt)
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    cmd = open("/proc/%s/cmdline" % pid, "rb").read().split(b"\0")
                except OSError:
                    continue
                if cmd and cmd[0].endswith(b"notionfs") and mnt.encode() in cmd:
                    pids.append(int(pid))
        assert len(pids) == 1
        assert os.listdir(mnt)
    finally:
        subprocess.run(["fusermount3", "-u", mnt], capture_output=True)

    def gone():
        return all(not os.path.exists("/proc/%d" % p) or
                   open("/proc/%d/stat" % p).read().split()[2] == "Z" for p in pids)
    try:
        wait_for(gone, timeout=30, what="the daemon to exit")
    finally:
        for p in pids:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
    assert not is_mounted(mnt)
