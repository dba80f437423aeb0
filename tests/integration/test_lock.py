"""One client per cache (docs/operations.md, "One client per cache", and
docs/notionfs.1): the lock file of the cache directory, a second mount refused, `notionfs sync` and
`notionfs export` beside a live mount done through that mount."""
import json
import os
import signal
import subprocess

import pytest

from conftest import BIN, is_mounted, nfs_env, read_tree, run_nfs, stop_process, wait_for
from test_read_path import page_title


def status(m):
    with open(m.path(".notionfs", "status")) as f:
        return f.read()


def lock_record(cache):
    """The lock file's record as a dict (pid, command, state, mountpoint)."""
    try:
        with open(os.path.join(cache, "lock")) as f:
            text = f.read()
    except FileNotFoundError:
        return {}
    out = {}
    for line in text.splitlines():
        if ": " in line:
            k, v = line.split(": ", 1)
            out[k] = v
    return out


@pytest.fixture
def procs(tmp):
    """Processes a test starts itself, their output in files: each is
    stopped by its pid in the teardown, and a mountpoint it may have
    mounted is unmounted."""
    started = []

    def start(args, env, mnt=None):
        n = len(started)
        out = open(os.path.join(tmp, "proc%d.out" % n), "w+")
        err = open(os.path.join(tmp, "proc%d.err" % n), "w+")
        p = subprocess.Popen([BIN] + args, env=env, stdout=out, stderr=err)
        p.out_path, p.err_path = out.name, err.name
        started.append((p, mnt, out, err))
        return p

    yield start
    problems = []
    for p, mnt, out, err in started:
        stop_process(p)
        if mnt and is_mounted(mnt):
            subprocess.run(["fusermount3", "-uz", mnt], capture_output=True)
        out.close()
        err.close()
        problems += [l for l in open(err.name) if "Sanitizer" in l or "runtime error" in l]
    assert not problems, problems


def finish(p, timeout=120):
    p.wait(timeout=timeout)
    return p.returncode, open(p.out_path).read(), open(p.err_path).read()


def test_second_mount_on_the_same_cache_is_refused(emulator, mount, procs, tmp):
    emu = emulator()
    m = mount(emu, poll=1)
    mnt2 = os.path.join(tmp, "mnt2")
    os.makedirs(mnt2)
    p = procs(["mount", "-f", "--poll", "1", mnt2], m.env, mnt=mnt2)
    rc, out, err = finish(p, timeout=60)
    assert rc == 1, (rc, err)
    assert len(err.strip().splitlines()) == 1, err
    assert m.cache in err and os.path.realpath(m.mnt) in err and str(m.proc.pid) in err, err
    assert not is_mounted(mnt2)
    # The first mount keeps working: it still pushes a save.
    path = m.path("Tasks", "Write API client.md")
    text = open(path).read()
    line = [l for l in text.splitlines() if l.startswith("Estimate:")][0]
    with open(path, "w") as f:
        f.write(text.replace(line, "Estimate: 31"))
        f.flush()
        os.fsync(f.fileno())
    wait_for(lambda: any(pg["properties"].get("Estimate", {}).get("number") == 31
                         for pg in emu.state()["pages"]), what="the save to land", timeout=60)
    assert lock_record(m.cache)["pid"] == str(m.proc.pid)


def test_mount_after_kill9_takes_the_stale_lock(emulator, mount):
    emu = emulator()
    m = mount(emu, poll=1)
    assert lock_record(m.cache)["pid"] == str(m.proc.pid)
    os.kill(m.proc.pid, signal.SIGKILL)
    m.proc.wait(timeout=30)
    subprocess.run(["fusermount3", "-uz", m.mnt], capture_output=True)
    m.proc.returncode = 0  # killed on purpose
    m2 = mount(emu, poll=1)
    assert os.listdir(m2.path("Tasks"))
    rec = lock_record(m2.cache)
    assert rec["pid"] == str(m2.proc.pid) and rec["command"] == "mount", rec
    assert rec["mountpoint"] == os.path.realpath(m2.mnt)


def test_daemonized_mount_holds_the_lock_in_the_daemon(emulator, procs, tmp):
    emu = emulator()
    mnt = os.path.join(tmp, "mnt")
    mnt2 = os.path.join(tmp, "mnt2")
    os.makedirs(mnt)
    os.makedirs(mnt2)
    cache = os.path.join(tmp, "cache")
    env = nfs_env(emu, cache, NOTIONFS_POLL="1")
    run_nfs(["mount", mnt], env)
    daemon = None
    try:
        rec = wait_for(lambda: lock_record(cache).get("state") == "mounted" and lock_record(cache),
                       what="the daemon's lock record")
        daemon = int(rec["pid"])
        cmd = open("/proc/%d/cmdline" % daemon, "rb").read().split(b"\0")
        assert cmd[0].endswith(b"notionfs") and mnt.encode() in cmd
        p = procs(["mount", "-f", mnt2], env, mnt=mnt2)
        rc, out, err = finish(p, timeout=60)
        assert rc == 1 and str(daemon) in err and os.path.realpath(mnt) in err, err
        assert not is_mounted(mnt2)
        assert os.listdir(mnt)
    finally:
        subprocess.run(["fusermount3", "-u", mnt], capture_output=True)
        if daemon:
            try:
                wait_for(lambda: not os.path.exists("/proc/%d" % daemon) or
                         open("/proc/%d/stat" % daemon).read().split()[2] == "Z",
                         timeout=30, what="the daemon to exit")
            finally:
                try:
                    os.kill(daemon, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if is_mounted(mnt):
            subprocess.run(["fusermount3", "-uz", mnt], capture_output=True)


def test_sync_beside_a_mount_is_done_by_the_mount_exactly_once(emulator, mount):
    emu = emulator()
    m = mount(emu, poll=3600)
    wait_for(lambda: "bodies pending: 0" in status(m), what="bodies fetched", timeout=120)
    emu.clear_log()
    # the mount's append is in flight (its answer 3 s late) while `sync` runs
    emu.admin("faults", {"delay_answer": {"count": 1, "ms": 3000, "method": "PATCH",
                                          "path_suffix": "/children"}})
    path = m.path("Tasks", "Write API client.md")
    with open(path, "a") as f:
        f.write("\nAppended beside a sync 5151\n")
        f.flush()
        os.fsync(f.fileno())
    assert "queued edits: 1" in status(m)
    p = run_nfs(["sync"], m.env, timeout=300)
    assert "done by the mount on %s (pid %d)" % (os.path.realpath(m.mnt), m.proc.pid) in p.stdout, p.stdout
    assert [r for r in emu.log_requests() if r.get("delay_ms")], "the append was not delayed"
    wait_for(lambda: "queued edits: 0" in status(m), what="the queue to empty", timeout=120)
    appends = [r for r in emu.log_requests() if r["method"] == "PATCH" and r["path"].endswith("/children")]
    assert len(appends) == 1, appends
    assert "Appended beside a sync 5151" in json.dumps(appends[0]["body"])
    assert open(path).read().count("Appended beside a sync 5151") == 1


def test_sync_full_beside_a_mount_asks_the_mount_for_a_full_pull(emulator, mount):
    emu = emulator()
    m = mount(emu, poll=3600)
    emu.clear_log()
    p = run_nfs(["sync", "--full"], m.env, timeout=300)
    assert "done by the mount on %s" % os.path.realpath(m.mnt) in p.stdout, p.stdout
    # Only a full pull lists the users.
    assert any(r["path"] == "/v1/users" for r in emu.log_requests())


def test_a_mount_started_while_sync_runs_is_refused(emulator, procs, tmp):
    emu = emulator()
    cache = os.path.join(tmp, "cache")
    env = nfs_env(emu, cache)
    run_nfs(["sync"], env)
    emu.admin("faults", {"slow_ms": 500})
    s = procs(["sync"], env)
    wait_for(lambda: lock_record(cache).get("pid") == str(s.pid), what="sync to take the lock", proc=s)
    mnt = os.path.join(tmp, "mnt")
    os.makedirs(mnt)
    p = procs(["mount", "-f", mnt], env, mnt=mnt)
    rc, out, err = finish(p, timeout=60)
    assert rc == 1 and "notionfs sync" in err and str(s.pid) in err, err
    assert not is_mounted(mnt)
    emu.admin("faults/clear", {})
    rc, out, err = finish(s, timeout=300)
    assert rc == 0, err


def test_export_beside_a_mount_fetches_nothing_itself(emulator, mount, procs, tmp):
    emu = emulator()
    # The mount cannot fetch bodies yet: they are still missing when the
    # export starts, and the export must wait for the mount.
    emu.admin("faults", {"fail_next": {"count": 1000000, "status": 503, "path_suffix": "/children"}})
    m = mount(emu, poll=1)
    assert "bodies pending: 0" not in status(m)
    out_dir = os.path.join(tmp, "export")
    e = procs(["export", out_dir], m.env)
    wait_for(lambda: "waiting for the mount" in open(e.err_path).read(),
             what="the export to wait for the mount", proc=e, timeout=120)
    line = [l for l in open(e.err_path) if "waiting for the mount" in l][0]
    assert "page bodies" in line and os.path.realpath(m.mnt) in line, line
    emu.admin("faults/clear", {})
    rc, out, err = finish(e, timeout=300)
    assert rc == 0, err
    assert "by the mount on %s" % os.path.realpath(m.mnt) in out, out
    # Every body was fetched once, by the mount alone.
    fetched = {}
    for r in emu.log_requests():
        if r["method"] == "GET" and r["path"].endswith("/children") and r["status"] == 200:
            key = (r["path"], (r.get("query") or {}).get("start_cursor"))
            fetched[key] = fetched.get(key, 0) + 1
    assert fetched and all(n == 1 for n in fetched.values()), fetched
    assert read_tree(out_dir) == read_tree(m.mnt)


def test_a_mount_waits_for_one_that_is_unmounting(emulator, mount, procs, tmp):
    emu = emulator()
    m = mount(emu, poll=3600)
    page = [p for p in emu.state()["pages"] if page_title(p) == "Write API client"][0]
    emu.admin("faults", {"fail_next": {"count": 100000, "status": 503, "path_prefix": "/v1/pages/"}})
    path = m.path("Tasks", "Write API client.md")
    text = open(path).read()
    line = [l for l in text.splitlines() if l.startswith("Estimate:")][0]
    with open(path, "w") as f:
        f.write(text.replace(line, "Estimate: 57"))
        f.flush()
        os.fsync(f.fileno())
    subprocess.run(["fusermount3", "-u", m.mnt], check=True)
    wait_for(lambda: lock_record(m.cache).get("state") == "unmounting", what="the first mount to unmount",
             proc=m.proc)
    mnt2 = os.path.join(tmp, "mnt2")
    os.makedirs(mnt2)
    p = procs(["mount", "-f", "--poll", "3600", mnt2], m.env, mnt=mnt2)
    wait_for(lambda: "waiting for the mount on %s" % os.path.realpath(m.mnt) in open(p.err_path).read(),
             what="the second mount to wait", proc=p)
    emu.admin("faults/clear", {})
    m.proc.wait(timeout=60)
    wait_for(lambda: is_mounted(mnt2), what="the second mount", proc=p, timeout=60)
    assert lock_record(m.cache)["pid"] == str(p.pid)
    patches = [r for r in emu.log_requests() if r["method"] == "PATCH" and r["path"] == "/v1/pages/" + page["id"]
               and r["status"] == 200]
    assert len(patches) == 1, patches
