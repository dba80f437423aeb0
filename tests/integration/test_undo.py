"""Issue 8, cases 3 and 4: a move between databases never destroys a page,
and what was done can be undone (docs/sync.md): a copy of a page
restored after `rm` restores it, `sync --cancel-deletes` gives held trashes
back, `rm` of a rejected or conflict entry discards it."""
import errno
import json
import os
import shutil
import subprocess

import pytest

from conftest import run_nfs, wait_for
from test_read_path import expected_stem, page_title
from test_write_path import edit_priority, fsync_write, settled, status, task, tasks, writes  # noqa: F401

TITLE = "Write API client"
MOVE_REFUSED = "moving pages between databases is not supported yet; the page stays in Tasks/"


def live(emu, pid):
    p = next(p for p in emu.state()["pages"] if p["id"] == pid)
    return not (p.get("archived") or p.get("in_trash"))


def trashed(emu, pid):
    return not live(emu, pid)


def errors(m):
    with open(m.path(".notionfs", "errors")) as f:
        return f.read()


def the_page(path, backup):
    """The file shows the page of backup: the same bytes except the values
    that Notion changes by restoring it (Updated: its last_edited_time)."""
    if not os.path.exists(path):
        return False
    keep = lambda t: [l for l in t.splitlines() if not l.startswith(("Updated:", "Updated by:"))]
    return keep(open(path).read()) == keep(open(backup).read())


def same_title(emu, title=TITLE):
    return [p for p in emu.state()["pages"] if page_title(p) == title]


# ---- case 3: mv between databases ------------------------------------------

def test_mv_between_databases_keeps_the_page(tasks):
    emu, m = tasks
    pid = task(emu)["id"]
    src = m.path("Tasks", TITLE + ".md")
    before = open(src).read()
    p = subprocess.run(["mv", src, m.path("Projects") + "/"], capture_output=True, text=True)
    assert p.returncode != 0, p
    assert os.path.exists(src) and open(src).read() == before
    assert TITLE + ".md" not in os.listdir(m.path("Projects"))
    # a page move that would drop a property's value is refused, naming it (docs/sync.md, "Moves")
    assert "Tasks/%s.md: not moved to Projects/" % TITLE in errors(m) and "property" in errors(m), \
        errors(m)
    wait_for(lambda: settled(m), what="the queue to empty", timeout=60)
    assert live(emu, pid)
    assert [r for r in writes(emu)] == []


def test_copy_into_another_database_then_unlink_keeps_the_page(tasks):
    """What mv does when rename() answers EXDEV: copy, then unlink the
    source.  The copy is refused and the unlink does not trash the page."""
    emu, m = tasks
    pid = task(emu)["id"]
    src = m.path("Tasks", TITLE + ".md")
    before = open(src).read()
    shutil.copyfile(src, m.path("Projects", TITLE + ".md"))
    with pytest.raises(OSError) as e:
        os.unlink(src)
    assert e.value.errno in (errno.EPERM, errno.EINVAL, errno.EBUSY)
    assert open(src).read() == before
    wait_for(lambda: MOVE_REFUSED in errors(m), what="the refusal in errors", timeout=30)
    assert "Projects/%s.md" % TITLE in errors(m), errors(m)
    wait_for(lambda: TITLE + ".md" not in os.listdir(m.path("Projects")), what="the copy to go",
             timeout=30)
    assert any(TITLE in r for r in os.listdir(m.path(".notionfs", "rejected")))
    wait_for(lambda: settled(m), what="the queue to empty", timeout=60)
    assert live(emu, pid)
    assert len(same_title(emu)) == 1
    assert writes(emu) == []


# ---- case 4: undo -------------------------------------------------------------

def test_copy_back_after_the_trash_landed_restores_the_page(tasks, tmp):
    emu, m = tasks
    pid = task(emu)["id"]
    src = m.path("Tasks", TITLE + ".md")
    backup = os.path.join(tmp, "backup.md")
    shutil.copyfile(src, backup)
    os.unlink(src)
    wait_for(lambda: trashed(emu, pid), what="the trash to reach Notion", timeout=60)
    wait_for(lambda: settled(m), what="the queue to empty", timeout=60)
    emu.clear_log()
    shutil.copyfile(backup, src)
    wait_for(lambda: live(emu, pid), what="the page to be restored", timeout=60)
    wait_for(lambda: settled(m), what="the queue to empty", timeout=60)
    assert len(same_title(emu)) == 1
    assert not [r for r in writes(emu) if r["method"] == "POST"], writes(emu)
    wait_for(lambda: the_page(src, backup), what="the file to show the page again", timeout=30)
    assert not os.listdir(m.path(".notionfs", "rejected"))


def test_copy_back_before_the_trash_was_pushed_cancels_it(tasks, tmp):
    emu, m = tasks
    pid = task(emu)["id"]
    src = m.path("Tasks", TITLE + ".md")
    backup = os.path.join(tmp, "backup.md")
    shutil.copyfile(src, backup)
    emu.admin("faults", {"fail_next": {"count": 100000, "status": 503, "path_prefix": "/v1/pages/"}})
    os.unlink(src)
    assert "queued edits: 1" in status(m)
    shutil.copyfile(backup, src)
    wait_for(lambda: os.path.exists(src), what="the file", timeout=30)
    emu.admin("faults/clear", {})
    wait_for(lambda: settled(m), what="the queue to empty", timeout=60)
    assert live(emu, pid)
    assert len(same_title(emu)) == 1
    assert not [r for r in writes(emu) if r["method"] in ("POST", "PATCH")], writes(emu)
    assert the_page(src, backup)
    assert not os.listdir(m.path(".notionfs", "rejected"))


def test_copy_back_with_an_edit_restores_and_edits(tasks, tmp):
    emu, m = tasks
    pid = task(emu)["id"]
    src = m.path("Tasks", TITLE + ".md")
    text, value = edit_priority(src)
    os.unlink(src)
    wait_for(lambda: trashed(emu, pid), what="the trash to reach Notion", timeout=60)
    fsync_write(src, text)
    wait_for(lambda: live(emu, pid), what="the page to be restored", timeout=60)
    wait_for(lambda: settled(m), what="the queue to empty", timeout=60)
    assert task(emu)["properties"]["Priority"]["select"]["name"] == value
    assert len(same_title(emu)) == 1


def test_cancel_deletes_gives_held_trashes_back(tasks):
    emu, m = tasks
    d = m.path("Tasks")
    victims = sorted(f for f in os.listdir(d) if f.endswith(".md") and not f.startswith("．"))[:6]
    for f in victims:
        os.unlink(os.path.join(d, f))
    wait_for(lambda: "held archives: 6" in status(m), what="the trashes to be held", timeout=60)
    p = run_nfs(["sync", "--cancel-deletes"], m.env, timeout=120)
    assert "cancelled: 6" in p.stdout, p.stdout
    wait_for(lambda: all(f in os.listdir(d) for f in victims), what="the files back", timeout=30)
    assert "held archives: 0" in status(m)
    wait_for(lambda: settled(m), what="the queue to empty", timeout=60)
    assert not [p for p in emu.state()["pages"] if (p.get("archived") or p.get("in_trash"))
                and page_title(p) and expected_stem(page_title(p)) + ".md" in victims]
    assert not [r for r in writes(emu) if r["method"] == "PATCH"]


def test_confirm_and_cancel_together_is_a_usage_error(tasks):
    emu, m = tasks
    p = run_nfs(["sync", "--confirm-deletes", "--cancel-deletes"], m.env, check=False)
    assert p.returncode == 2 and p.stderr.strip(), p


def test_rm_discards_a_rejected_and_a_conflict_entry(tasks):
    emu, m = tasks
    page = task(emu)
    path = m.path("Tasks", TITLE + ".md")
    # a rejected save
    bad = open(path).read().replace("Priority:", "Bogus: 1\nPriority:", 1)
    with pytest.raises(OSError):
        fsync_write(path, bad)
    rej = m.path(".notionfs", "rejected")
    wait_for(lambda: os.listdir(rej), what="the rejected entry", timeout=30)
    # a conflict (as test_write_path's)
    emu.admin("faults", {"fail_next": {"count": 1000, "status": 503, "path_prefix": "/v1/pages/" + page["id"]}})
    text, value = edit_priority(path)
    fsync_write(path, text)
    emu.admin("edit_page", {"page_id": page["id"], "properties": {"Priority": {"select": {"name": "Medium"}}}})
    emu.admin("faults/clear", {})
    wait_for(lambda: settled(m), what="the queue to empty", timeout=120)
    con = m.path(".notionfs", "conflicts")
    assert os.listdir(con) and "conflicts: 1" in status(m), status(m)
    # what stays read-only
    for name in ("status", "errors"):
        with pytest.raises(OSError) as e:
            os.unlink(m.path(".notionfs", name))
        assert e.value.errno == errno.EACCES
    with pytest.raises(OSError) as e:
        os.unlink(m.path(".notionfs", "rejected", "000999 nothing.md"))
    assert e.value.errno == errno.ENOENT
    for d in (rej, con):
        for f in os.listdir(d):
            os.unlink(os.path.join(d, f))
    assert os.listdir(rej) == [] and os.listdir(con) == []
    s = status(m)
    assert "rejected edits: 0" in s and "conflicts: 0" in s, s
    js = json.loads(run_nfs(["status", "--json"], m.env).stdout)
    assert str(js["rejected edits"]) == "0" and str(js["conflicts"]) == "0", js
    # the page itself is untouched
    assert os.path.exists(path)
