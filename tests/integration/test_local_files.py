"""Issue 8, case 7: local-only files (names not ending in .md, dotfiles,
editor scratch files) persist in the cache across remounts, are listed by
`status` until deleted, and mounting over a non-empty directory warns
(docs/operations.md, "Local files")."""
import errno
import json
import os
import subprocess

import pytest

from conftest import run_nfs, wait_for
from test_write_path import fsync_write, status, writes


@pytest.fixture
def ready(emulator, mount):
    emu = emulator()
    m = mount(emu, poll=3600)
    wait_for(lambda: "bodies pending: 0" in status(m), what="bodies fetched", timeout=120)
    return emu, m, mount


def local_count(m):
    for line in status(m).splitlines():
        if line.startswith("local files: "):
            return int(line.split(": ")[1])
    return None


def test_local_files_survive_a_remount(ready, tmp):
    emu, m, mount = ready
    report = os.path.join(tmp, "report.txt")
    with open(report, "wb") as f:
        f.write(b"quarterly numbers\n\x00\x01binary tail")
    subprocess.run(["cp", report, m.path("Tasks") + "/"], check=True)
    with open(m.path("Tasks", ".notes"), "w") as f:
        f.write("a dotfile\n")
    with open(m.path(".env"), "w") as f:
        f.write("ROOT=1\n")
    os.chmod(m.path("Tasks", "report.txt"), 0o600)
    m.unmount()
    m2 = mount(emu, poll=3600)
    assert open(m2.path("Tasks", "report.txt"), "rb").read() == open(report, "rb").read()
    assert open(m2.path("Tasks", ".notes")).read() == "a dotfile\n"
    assert open(m2.path(".env")).read() == "ROOT=1\n"
    assert "report.txt" in os.listdir(m2.path("Tasks"))
    assert writes(emu) == []


def test_local_files_are_listed_by_status_until_deleted(ready):
    emu, m, mount = ready
    fsync_write(m.path("Tasks", "report.txt"), "numbers\n")
    fsync_write(m.path(".env"), "X=1\n")
    wait_for(lambda: local_count(m) == 2, what="status to count the local files", timeout=30)
    text = status(m)
    assert "  local Tasks/report.txt (8 bytes)" in text, text
    assert "  local .env (4 bytes)" in text, text
    os.unlink(m.path("Tasks", "report.txt"))
    wait_for(lambda: local_count(m) == 1, what="status to drop the deleted file", timeout=30)
    m.unmount()
    js = json.loads(run_nfs(["status", "--json"], m.env).stdout)
    assert js["local files"] == 1
    assert [(e["path"], e["size"]) for e in js["local file entries"]] == [(".env", 4)]
    out = run_nfs(["status"], m.env).stdout
    assert "local files: 1" in out and ".env" in out
    m2 = mount(emu, poll=3600)
    assert "report.txt" not in os.listdir(m2.path("Tasks"))
    assert os.path.exists(m2.path(".env"))


def test_renamed_local_file_is_kept_under_its_new_name(ready):
    emu, m, mount = ready
    fsync_write(m.path("Tasks", "draft.txt"), "text\n")
    os.rename(m.path("Tasks", "draft.txt"), m.path("Tasks", "final.txt"))
    m.unmount()
    m2 = mount(emu, poll=3600)
    names = os.listdir(m2.path("Tasks"))
    assert "final.txt" in names and "draft.txt" not in names, names
    assert open(m2.path("Tasks", "final.txt")).read() == "text\n"


def test_fsynced_local_file_survives_a_crash(ready):
    emu, m, mount = ready
    fsync_write(m.path("Tasks", "notes.txt"), "kept through kill -9\n")
    os.kill(m.proc.pid, 9)
    m.proc.wait(timeout=30)
    subprocess.run(["fusermount3", "-uz", m.mnt], capture_output=True)
    m.proc.returncode = 0  # killed on purpose
    m2 = mount(emu, poll=3600)
    assert open(m2.path("Tasks", "notes.txt")).read() == "kept through kill -9\n"


def test_local_file_size_is_limited(ready):
    emu, m, mount = ready
    with pytest.raises(OSError) as e:
        with open(m.path("Tasks", "big.bin"), "wb") as f:
            f.write(b"\0" * (8 * 1024 * 1024 + 1))
    assert e.value.errno == errno.EFBIG


def test_mounting_over_a_non_empty_directory_warns(emulator, mount, tmp):
    emu = emulator()
    mnt = os.path.join(tmp, "mnt")
    os.makedirs(mnt)
    with open(os.path.join(mnt, "mine.txt"), "w") as f:
        f.write("hidden while mounted\n")
    m = mount(emu, poll=3600)
    log = open(m.stderr_path).read()
    assert "warning" in log and mnt in log and "not empty" in log, log
    m.unmount()
    assert open(os.path.join(mnt, "mine.txt")).read() == "hidden while mounted\n"


def test_a_local_file_written_survives_a_crash_right_after(emulator, mount):
    """docs/queue.md, "What is guaranteed": what write() accepted survives a
    crash of the daemon, for local files too (they used to live in memory
    until 1 s of quiet, an fsync, a rename or the unmount).  Also in a page's
    folder (a sub-page's vim swap file)."""
    emu = emulator()
    m = mount(emu, poll=3600, extra_env={"NOTIONFS_SETTLE_MS": "60000"})
    wait_for(lambda: "bodies pending: 0" in status(m), what="bodies fetched", timeout=120)
    fd = os.open(m.path("Tasks", "notes.txt"), os.O_WRONLY | os.O_CREAT, 0o640)
    os.write(fd, b"written, never closed nor synced\n")
    fd2 = os.open(m.path("Team handbook", ".Onboarding.md.swp"), os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd2, b"swap bytes\x00\x01")
    os.kill(m.proc.pid, 9)
    m.proc.wait(timeout=30)
    os.close(fd)
    os.close(fd2)
    subprocess.run(["fusermount3", "-uz", m.mnt], capture_output=True)
    m.proc.returncode = 0  # killed on purpose
    m2 = mount(emu, poll=3600)
    assert open(m2.path("Tasks", "notes.txt"), "rb").read() == b"written, never closed nor synced\n"
    assert os.stat(m2.path("Tasks", "notes.txt")).st_mode & 0o777 == 0o640
    assert open(m2.path("Team handbook", ".Onboarding.md.swp"), "rb").read() == b"swap bytes\x00\x01"
    assert local_count(m2) == 2, status(m2)
    assert sorted(os.listdir(os.path.join(m2.cache, "drafts"))) == ["lock"]  # each retired
    assert writes(emu) == []


def test_notionfs_sync_keeps_a_local_file_a_dead_mount_was_writing(emulator, mount):
    emu = emulator()
    m = mount(emu, poll=3600)
    wait_for(lambda: "bodies pending: 0" in status(m), what="bodies fetched", timeout=120)
    fd = os.open(m.path("Tasks", "draft.txt"), os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b"kept by sync\n")
    os.kill(m.proc.pid, 9)
    m.proc.wait(timeout=30)
    os.close(fd)
    subprocess.run(["fusermount3", "-uz", m.mnt], capture_output=True)
    m.proc.returncode = 0  # killed on purpose
    listed = json.loads(run_nfs(["status", "--json"], m.env).stdout)
    assert [(d["kind"], d["path"]) for d in listed["drafts"]] == [("local", "Tasks/draft.txt")], listed
    p = run_nfs(["sync"], m.env, timeout=120)
    assert "kept: Tasks/draft.txt" in p.stdout, p.stdout
    assert sorted(os.listdir(os.path.join(m.cache, "drafts"))) == ["lock"]
    m2 = mount(emu, poll=3600)
    assert open(m2.path("Tasks", "draft.txt"), "rb").read() == b"kept by sync\n"
    assert writes(emu) == []
