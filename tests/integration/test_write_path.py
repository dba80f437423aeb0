"""The write path end to end (docs/sync.md): real editors' save
sequences on a real mount, what reached the emulator, bad input, create,
rename, unlink, conflicts and status."""
import errno
import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import nfs_env, run_nfs, wait_for
from test_read_path import expected_stem, page_title


def writes(emu, page_id=None):
    """Requests that change something (not the mount's polling)."""
    out = []
    for r in emu.log_requests():
        if r["method"] == "GET" or (r["method"] == "POST" and ("/query" in r["path"] or r["path"] == "/v1/search")):
            continue
        if page_id and page_id not in r["path"] and r["method"] != "POST":
            continue
        out.append(r)
    return out


def status(m):
    with open(m.path(".notionfs", "status")) as f:
        return f.read()


def settled(m):
    s = status(m)
    return "queued edits: 0" in s


def task(emu, title="Write API client"):
    for p in emu.state()["pages"]:
        if page_title(p) == title:
            return p
    raise KeyError(title)


@pytest.fixture
def tasks(emulator, mount):
    emu = emulator()
    m = mount(emu, poll=1)
    wait_for(lambda: "bodies pending: 0" in status(m), what="bodies fetched", timeout=120)
    emu.clear_log()
    return emu, m


def edit_priority(path):
    text = open(path).read()
    line = [l for l in text.splitlines() if l.startswith("Priority:")][0]
    new = "Priority: High" if "High" not in line else "Priority: Low"
    return text.replace(line, new), new.split(": ")[1]


EDITORS = ["vim", "vim_backupcopy_yes", "nano", "emacs_style", "nano_style", "sed", "python_replace"]


def run_nano(path, old, new):
    """The real nano in a tmux pane: search and replace, save, exit.  Each
    key waits for the screen that answers the previous one."""
    session = "nfs%d" % os.getpid()

    def screen():
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", session],
                              capture_output=True, text=True).stdout

    def keys(*k):
        subprocess.run(["tmux", "send-keys", "-t", session] + list(k), check=True)

    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "40",
                    "nano", "--ignorercfiles", path], check=True)
    try:
        wait_for(lambda: "GNU nano" in screen() or "^X" in screen(), what="nano", timeout=30)
        keys("C-\\")
        wait_for(lambda: "Replace" in screen() or "Search" in screen(), what="the search prompt", timeout=30)
        keys(old, "Enter")
        wait_for(lambda: "Replace with" in screen(), what="the replace prompt", timeout=30)
        keys(new, "Enter")
        wait_for(lambda: "Replace this instance" in screen() or "Replaced" in screen(),
                 what="the confirmation", timeout=30)
        if "Replace this instance" in screen():
            keys("a")
        wait_for(lambda: "Replaced" in screen(), what="the replacement", timeout=30)
        keys("C-s")
        wait_for(lambda: "Wrote" in screen(), what="nano to write", timeout=30)
        keys("C-x")
        wait_for(lambda: subprocess.run(["tmux", "has-session", "-t", session],
                                        capture_output=True).returncode != 0,
                 what="nano to exit", timeout=30)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


@pytest.mark.parametrize("editor", EDITORS)
def test_editor_save_is_one_property_patch(tasks, editor):
    emu, m = tasks
    page = task(emu)
    path = m.path("Tasks", "Write API client.md")
    ino = os.stat(path).st_ino
    new_text, value = edit_priority(path)
    d = os.path.dirname(path)
    if editor in ("vim", "vim_backupcopy_yes"):
        if not shutil.which("vim"):
            pytest.skip("vim not installed")
        cmds = ["-c", "set backupcopy=yes"] if editor == "vim_backupcopy_yes" else []
        subprocess.run(["vim", "-u", "NONE", "-i", "NONE", "-N", "-es"] + cmds +
                       ["-c", "%s/^Priority: .*/Priority: " + value + "/", "-c", "wq", path],
                       check=True, timeout=60, stdin=subprocess.DEVNULL)
    elif editor == "nano":
        if not shutil.which("nano") or not shutil.which("tmux"):
            pytest.skip("nano or tmux not installed")
        old = [l for l in open(path).read().splitlines() if l.startswith("Priority:")][0]
        run_nano(path, old, "Priority: " + value)
    elif editor == "emacs_style":
        os.symlink("user@host.1234:1", os.path.join(d, ".#Write API client.md"))
        os.rename(path, path + "~")
        with open(path, "w") as f:
            f.write(new_text)
        os.unlink(os.path.join(d, ".#Write API client.md"))
    elif editor == "nano_style":
        with open(path, "r+") as f:
            f.truncate(0)
            f.write(new_text)
    elif editor == "sed":
        subprocess.run(["sed", "-i", "s/^Priority: .*/Priority: " + value + "/", path], check=True)
    elif editor == "python_replace":
        tmp = os.path.join(d, ".Write API client.md.tmp")
        with open(tmp, "w") as f:
            f.write(new_text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    wait_for(lambda: any(r["method"] == "PATCH" for r in writes(emu)), what="the PATCH", timeout=60)
    wait_for(lambda: settled(m), what="the queue to empty", timeout=60)
    w = writes(emu)
    assert [(r["method"], r["path"]) for r in w] == [("PATCH", "/v1/pages/" + page["id"])], w
    assert w[0]["body"] == {"properties": {"Priority": {"select": {"name": value}}}}
    assert open(path).read().count("Priority: " + value) == 1
    assert os.stat(path).st_ino == ino
    names = os.listdir(d)
    assert "Write API client.md" in names
    if editor != "emacs_style":
        assert not [n for n in names if (n.startswith(".") and n != ".schema.yaml") or n.endswith("~")], names
    assert m.daemon_errors() == []


def test_echo_append_adds_one_block(tasks):
    emu, m = tasks
    page = task(emu)
    path = m.path("Tasks", "Write API client.md")
    with open(path, "a") as f:
        f.write("\nAppended by echo 9876\n")
    wait_for(lambda: any(r["method"] == "PATCH" for r in writes(emu)), what="the append", timeout=60)
    wait_for(lambda: settled(m), what="the queue to empty", timeout=60)
    w = writes(emu)
    assert len(w) == 1 and w[0]["method"] == "PATCH" and w[0]["path"].endswith("/children"), w
    assert "Appended by echo 9876" in json.dumps(w[0]["body"])
    assert "Appended by echo 9876" in open(path).read()


def test_line_before_the_first_block_is_one_append_at_the_start(tasks):
    # position "start" (Notion-Version 2026-03-11): the first block is kept, with its id, and
    # the new line lands before it in one request (issue 10: it was deleted and re-created)
    emu, m = tasks
    page = task(emu)
    first = [b for b in page["children"] if not b.get("archived") and not b.get("in_trash")][0]
    path = m.path("Tasks", "Write API client.md")
    head, body = open(path).read().split("\n---\n", 1)
    with open(path, "w") as f:
        f.write(head + "\n---\n" + "Put first 5150\n\n" + body.lstrip("\n"))
    wait_for(lambda: any(r["method"] == "PATCH" for r in writes(emu)), what="the append", timeout=60)
    wait_for(lambda: settled(m), what="the queue to empty", timeout=60)
    w = writes(emu)
    assert len(w) == 1 and w[0]["method"] == "PATCH" and w[0]["path"].endswith("/children"), w
    assert w[0]["body"]["position"] == {"type": "start"}, w[0]["body"]
    assert "Put first 5150" in json.dumps(w[0]["body"]["children"])
    kids = [b for b in task(emu)["children"] if not b.get("archived") and not b.get("in_trash")]
    assert "Put first 5150" in json.dumps(kids[0]) and kids[1]["id"] == first["id"]
    assert [b["id"] for b in kids[1:]] == [b["id"] for b in page["children"]
                                           if not b.get("archived") and not b.get("in_trash")]
    assert open(path).read().split("\n---\n", 1)[1].lstrip("\n").startswith("Put first 5150\n")


def test_one_word_body_edit_is_one_block_update(tasks):
    emu, m = tasks
    path = m.path("Tasks", "Write API client.md")
    text = open(path).read()
    body = text.split("\n---\n", 1)[1]
    words = [w for w in body.split() if w.isalpha() and len(w) > 4 and body.count(w) == 1]
    assert words, body
    subprocess.run(["sed", "-i", "s/\\b%s\\b/Zanzibar/" % words[0], path], check=True)
    wait_for(lambda: any(r["method"] == "PATCH" for r in writes(emu)), what="the update", timeout=60)
    wait_for(lambda: settled(m), what="the queue to empty", timeout=60)
    w = writes(emu)
    assert len(w) == 1 and w[0]["method"] == "PATCH" and w[0]["path"].startswith("/v1/blocks/"), w
    assert not w[0]["path"].endswith("/children")
    assert "Zanzibar" in json.dumps(w[0]["body"])
    # The base page of the sample is older than a minute: the conflict
    # check is the page GET alone, and no re-fetch follows (2 requests).
    page_reqs = [r for r in emu.log_requests()
                 if r["method"] != "POST" and "/properties/" not in r["path"]]
    assert len(page_reqs) == 2, [(r["method"], r["path"]) for r in page_reqs]
    assert "Zanzibar" in open(path).read()


BAD = [
    ("unknown property", lambda t: t.replace("Priority:", "Bogus: 1\nPriority:", 1), "Bogus"),
    ("wrong type", lambda t: "\n".join("Estimate: lots" if l.startswith("Estimate:") else l
                                         for l in t.split("\n")), "Estimate"),
    ("read-only", lambda t: "\n".join("Task ID: TASK-999" if l.startswith("Task ID:") else l
                                        for l in t.split("\n")), "Task ID"),
    ("status option", lambda t: "\n".join("Status: Bananas" if l.startswith("Status:") else l
                                            for l in t.split("\n")), "Status"),
    ("malformed yaml", lambda t: t.replace("Priority:", "Priority: [unclosed\nX:", 1), ""),
]


@pytest.mark.parametrize("case,mutate,prop", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_rejected_and_kept(tasks, case, mutate, prop):
    emu, m = tasks
    path = m.path("Tasks", "Write API client.md")
    before = open(path).read()
    bad = mutate(before)
    assert bad != before
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    try:
        os.write(fd, bad.encode())
        with pytest.raises(OSError) as e:
            os.fsync(fd)
        assert e.value.errno == errno.EINVAL
    finally:
        os.close(fd)
    assert open(path).read() == before
    errors = open(m.path(".notionfs", "errors")).read()
    assert "Tasks/Write API client.md" in errors and prop in errors, errors
    rejected = os.listdir(m.path(".notionfs", "rejected"))
    assert any("Write API client.md" in r for r in rejected)
    texts = [open(m.path(".notionfs", "rejected", r)).read() for r in rejected]
    assert bad in texts
    assert writes(emu) == []


def test_invalid_utf8_is_rejected(tasks):
    emu, m = tasks
    path = m.path("Tasks", "Write API client.md")
    before = open(path, "rb").read()
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    try:
        os.write(fd, before + b"\nbad \xff\xfe bytes\n")
        with pytest.raises(OSError) as e:
            os.fsync(fd)
        assert e.value.errno == errno.EINVAL
    finally:
        os.close(fd)
    assert open(path, "rb").read() == before
    assert writes(emu) == []


def test_create_rename_unlink(tasks):
    emu, m = tasks
    d = m.path("Tasks")
    new = os.path.join(d, "Brand new task.md")
    with open(new, "w") as f:
        f.write("A body for the new task.\n")
    wait_for(lambda: any(page_title(p) == "Brand new task" for p in emu.state()["pages"]),
             what="the page to be created", timeout=60)
    wait_for(lambda: settled(m), what="the queue to empty", timeout=60)
    assert os.path.exists(new)
    wait_for(lambda: "A body for the new task." in open(new).read(), what="the content", timeout=30)
    created = [r for r in writes(emu) if r["method"] == "POST"]
    assert len(created) == 1
    # Rename: a title change of the same page.
    pid = task(emu, "Brand new task")["id"]
    emu.clear_log()
    os.rename(new, os.path.join(d, "Renamed task.md"))
    wait_for(lambda: page_title(next(p for p in emu.state()["pages"] if p["id"] == pid)) == "Renamed task",
             what="the title change", timeout=60)
    assert [r["method"] for r in writes(emu)] == ["PATCH"]
    # (the mount shows the new name once it stored the answer: poll for it)
    wait_for(lambda: "Renamed task.md" in os.listdir(d), what="the new name", timeout=30)
    # (a move to another database is Notion's page move: test_tree.py, test_undo.py)
    # unlink archives it.
    wait_for(lambda: os.path.exists(os.path.join(d, "Renamed task.md")), what="the renamed file", timeout=30)
    os.unlink(os.path.join(d, "Renamed task.md"))
    wait_for(lambda: next(p for p in emu.state()["pages"] if p["id"] == pid).get("archived"),
             what="the archive", timeout=60)
    assert "Renamed task.md" not in os.listdir(d)


def test_scratch_files_are_local(tasks):
    emu, m = tasks
    d = m.path("Tasks")
    for name in (".swapfile.swp", "4913", "notes.txt", "x.md~", "#x.md#"):
        with open(os.path.join(d, name), "w") as f:
            f.write("scratch\n")
            f.flush()
            os.fsync(f.fileno())
        assert open(os.path.join(d, name)).read() == "scratch\n"
        os.unlink(os.path.join(d, name))
    assert writes(emu) == []


def test_conflict_same_property_keeps_loser(tasks):
    emu, m = tasks
    page = task(emu)
    path = m.path("Tasks", "Write API client.md")
    # Keep the push from landing while the remote edit happens.
    emu.admin("faults", {"fail_next": {"count": 1000, "status": 503, "path_prefix": "/v1/pages/" + page["id"]}})
    text, value = edit_priority(path)
    with open(path, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    emu.admin("edit_page", {"page_id": page["id"], "properties": {"Priority": {"select": {"name": "Medium"}}}})
    emu.admin("faults/clear", {})
    wait_for(lambda: settled(m), what="the queue to empty", timeout=120)
    conflicts = os.listdir(m.path(".notionfs", "conflicts"))
    assert conflicts, status(m)
    body = open(m.path(".notionfs", "conflicts", conflicts[0])).read()
    assert "Priority" in body and value in body and "Medium" in body


def test_status_and_dry_run(tasks):
    emu, m = tasks
    page = task(emu)
    emu.admin("faults", {"fail_next": {"count": 1000, "status": 503, "path_prefix": "/v1/pages/"}})
    path = m.path("Tasks", "Write API client.md")
    text, value = edit_priority(path)
    with open(path, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    assert "queued edits: 1" in status(m)
    p = run_nfs(["sync", "--dry-run"], m.env)
    assert "Tasks/Write API client.md" in p.stdout and "Priority" in p.stdout
    emu.admin("faults/clear", {})
    p = run_nfs(["status", "--wait"], m.env, timeout=60)
    assert "queued edits: 0" in p.stdout
    assert task(emu)["properties"]["Priority"]["select"]["name"] == value


def fsync_write(path, text):
    with open(path, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def test_kill9_after_saves_then_remount_pushes_each_once(emulator, mount, tmp):
    emu = emulator()
    m = mount(emu, poll=1)
    wait_for(lambda: "bodies pending: 0" in status(m), what="bodies fetched", timeout=120)
    titles = ["Write API client", "Inode table", "Markdown renderer"]
    ids = {t: task(emu, t)["id"] for t in titles}
    emu.admin("faults", {"fail_next": {"count": 100000, "status": 503, "path_prefix": "/v1/pages/"}})
    for i, t in enumerate(titles):
        path = m.path("Tasks", t + ".md")
        text = open(path).read()
        line = [l for l in text.splitlines() if l.startswith("Estimate:")][0]
        fsync_write(path, text.replace(line, "Estimate: %d" % (40 + i)))
    os.kill(m.proc.pid, 9)
    m.proc.wait(timeout=30)
    subprocess.run(["fusermount3", "-uz", m.mnt], capture_output=True)
    m.proc.returncode = 0  # killed on purpose
    emu.admin("faults/clear", {})
    emu.clear_log()
    m2 = mount(emu, poll=1)
    wait_for(lambda: settled(m2), what="the queue to empty after the restart", timeout=120)
    for i, t in enumerate(titles):
        page = next(p for p in emu.state()["pages"] if p["id"] == ids[t])
        assert page["properties"]["Estimate"]["number"] == 40 + i
        patches = [r for r in emu.log_requests() if r["method"] == "PATCH" and r["path"] == "/v1/pages/" + ids[t]]
        assert len(patches) == 1, patches


def test_unmount_pushes_what_is_queued(emulator, mount):
    emu = emulator()
    m = mount(emu, poll=3600)
    pid = task(emu)["id"]
    path = m.path("Tasks", "Write API client.md")
    text = open(path).read()
    line = [l for l in text.splitlines() if l.startswith("Estimate:")][0]
    with open(path, "w") as f:  # no fsync: saved when it settles or at unmount
        f.write(text.replace(line, "Estimate: 77"))
    subprocess.run(["fusermount3", "-u", m.mnt], check=True)
    m.proc.wait(timeout=60)
    page = next(p for p in emu.state()["pages"] if p["id"] == pid)
    assert page["properties"]["Estimate"]["number"] == 77


def test_mass_delete_is_held_until_confirmed(tasks):
    emu, m = tasks
    d = m.path("Tasks")
    victims = sorted(f for f in os.listdir(d) if f.endswith(".md") and not f.startswith("．"))[:6]
    for f in victims:
        os.unlink(os.path.join(d, f))
    wait_for(lambda: "held archives: 6" in status(m), what="the archives to be held", timeout=60)
    assert not any(p.get("archived") for p in emu.state()["pages"]
                   if page_title(p) and expected_stem(page_title(p)) + ".md" in victims)
    p = run_nfs(["sync", "--confirm-deletes"], m.env, timeout=120)
    assert "pushed: 6" in p.stdout, p.stdout
    assert "done by the mount on %s" % os.path.realpath(m.mnt) in p.stdout, p.stdout
    archived = [p for p in emu.state()["pages"] if p.get("archived")]
    assert len([p for p in archived if expected_stem(page_title(p)) + ".md" in victims]) == 6


def test_outage_saves_arrive_in_order_after_recovery(emulator, mount):
    emu = emulator()
    m = mount(emu, poll=3600)  # no poll will come: recovery must not wait for one
    wait_for(lambda: "bodies pending: 0" in status(m), what="bodies fetched", timeout=120)
    titles = ["Inode table", "Write API client", "Markdown renderer"]
    ids = [task(emu, t)["id"] for t in titles]
    emu.admin("faults", {"fail_next": {"count": 100000, "status": 503, "path_prefix": "/v1/pages/"}})
    for i, t in enumerate(titles):
        path = m.path("Tasks", t + ".md")
        text = open(path).read()
        line = [l for l in text.splitlines() if l.startswith("Estimate:")][0]
        fsync_write(path, text.replace(line, "Estimate: %d" % (60 + i)))
    assert "queued edits: 3" in status(m)
    emu.clear_log()
    emu.admin("faults/clear", {})
    wait_for(lambda: settled(m), what="the queue to empty after the outage", timeout=120)
    patches = [r["path"].rsplit("/", 1)[1] for r in emu.log_requests() if r["method"] == "PATCH"]
    assert patches == ids
    for i, pid in enumerate(ids):
        page = next(p for p in emu.state()["pages"] if p["id"] == pid)
        assert page["properties"]["Estimate"]["number"] == 60 + i


def data_source_of(emu, page):
    """The data source id of a row of a one-source database (the emulator's state)."""
    return next(d["data_source_id"] for d in emu.state()["databases"]
                if d["id"] == page["parent"]["database_id"])


def test_push_revalidates_against_the_current_schema(tasks):
    emu, m = tasks
    page = task(emu)
    emu.admin("faults", {"fail_next": {"count": 100000, "status": 503, "path_prefix": "/v1/pages/"}})
    path = m.path("Tasks", "Write API client.md")
    text, value = edit_priority(path)
    fsync_write(path, text)
    # The schema changes remotely and the next poll brings it: Priority is gone.
    emu.admin("update_data_source", {"data_source_id": data_source_of(emu, page),
                                     "properties": {"Priority": None}})
    wait_for(lambda: "name: Priority" not in open(m.path("Tasks", ".schema.yaml")).read(),
             what="the schema change", timeout=60)
    emu.admin("faults/clear", {})
    wait_for(lambda: "rejected edits: 1" in status(m), what="the rejection", timeout=60)
    assert "Priority" in status(m) and "no longer" in status(m)
    assert not [r for r in writes(emu) if r["method"] == "PATCH"]


def test_rejected_text_survives_a_remount(emulator, mount):
    emu = emulator()
    m = mount(emu, poll=3600)
    path = m.path("Tasks", "Write API client.md")
    bad = open(path).read().replace("Priority:", "Bogus: 1\nPriority:", 1)
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    try:
        os.write(fd, bad.encode())
        with pytest.raises(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
    m.unmount()
    m.proc.returncode = m.proc.returncode or 0
    m2 = mount(emu, poll=3600)
    texts = [open(m2.path(".notionfs", "rejected", r)).read() for r in os.listdir(m2.path(".notionfs", "rejected"))]
    assert bad in texts
    assert "rejected edits: 1" in status(m2)


def test_saved_file_keeps_a_current_mtime(tasks):
    import time
    emu, m = tasks
    emu.admin("faults", {"fail_next": {"count": 100000, "status": 503, "path_prefix": "/v1/pages/"}})
    path = m.path("Tasks", "Write API client.md")
    before = time.time()
    text, value = edit_priority(path)
    fsync_write(path, text)
    # Queued, not pushed: the file must not go back to the page's old time.
    assert os.stat(path).st_mtime >= int(before) - 1
    assert "Priority: " + value in open(path).read()


def test_push_rejects_a_status_option_removed_since_the_save(tasks):
    emu, m = tasks
    page = task(emu)
    emu.admin("faults", {"fail_next": {"count": 100000, "status": 503, "path_prefix": "/v1/pages/"}})
    path = m.path("Tasks", "Write API client.md")
    text = open(path).read()
    line = [l for l in text.splitlines() if l.startswith("Status:")][0]
    new = "Status: Done" if "Done" not in line else "Status: Not started"
    fsync_write(path, text.replace(line, new))
    option = new.split(": ")[1]
    # the option is removed remotely; the next poll brings the schema
    st = next(d for d in emu.state()["databases"] if d["id"] == page["parent"]["database_id"])
    st = st["properties"]["Status"]["status"]
    emu.admin("update_data_source", {"data_source_id": data_source_of(emu, page), "properties": {
        "Status": {"status": {"options": [o for o in st["options"] if o["name"] != option],
                              "groups": st.get("groups")}}}})
    wait_for(lambda: "name: %s" % option not in open(m.path("Tasks", ".schema.yaml")).read(),
             what="the schema change", timeout=60)
    emu.admin("faults/clear", {})
    wait_for(lambda: "rejected edits: 1" in status(m), what="the rejection", timeout=60)
    assert "not an option" in status(m)
    assert not [r for r in writes(emu) if r["method"] == "PATCH"]


def test_relation_set_by_name_in_an_edit_and_in_a_new_page(tasks):
    """A relation is written as the related pages' file names
    (docs/format.md); the target is the relation's data source, named by
    both `database_id` and `data_source_id` in the 2026-03-11 schema."""
    emu, m = tasks
    d = m.path("Tasks")
    path = os.path.join(d, "Write API client.md")
    text = open(path).read()
    new = re.sub(r"(?m)^Project: .*$", "Project: [Mobile app]", text, count=1)
    assert new != text
    fsync_write(path, new)
    wait_for(lambda: settled(m) and writes(emu), what="the relation edit", timeout=60)
    assert not os.listdir(m.path(".notionfs", "rejected"))
    prj = next(p["id"] for p in emu.state()["pages"] if page_title(p) == "Mobile app")
    assert [r["id"] for r in task(emu)["properties"]["Project"]["relation"]] == [prj]
    fsync_write(os.path.join(d, "Related new task.md"),
                "---\nProject: [Documentation portal]\n---\nBody.\n")
    wait_for(lambda: settled(m) and any(page_title(p) == "Related new task" for p in emu.state()["pages"]),
             what="the new page", timeout=60)
    doc = next(p["id"] for p in emu.state()["pages"] if page_title(p) == "Documentation portal")
    assert [r["id"] for r in task(emu, "Related new task")["properties"]["Project"]["relation"]] == [doc]
