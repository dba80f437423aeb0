"""Issue 8, case 5: names (DESIGN.md section 2; docs/sync.md, "Kept names").
A rename shows at once and its new name stays valid through the push; a
title changed in the front-matter keeps the file's name while it is being
edited; a new file keeps the name it was created under; a rejected new
file stays visible; only our own collision suffixes are dropped."""
import os
import re
import shutil
import subprocess

import pytest

from conftest import wait_for
from test_read_path import page_title
from test_write_path import fsync_write, settled, status, task, tasks, writes  # noqa: F401

TITLE = "Write API client"


def title_of(emu, pid):
    return page_title(next(p for p in emu.state()["pages"] if p["id"] == pid))


def set_name(text, title):
    new = re.sub(r"(?m)^Name: .*$", "Name: " + title, text, count=1)
    assert new != text, text[:300]
    return new


def test_rename_shows_at_once_in_readdir(tasks):
    emu, m = tasks
    pid = task(emu)["id"]
    d = m.path("Tasks")
    a, b = os.path.join(d, TITLE + ".md"), os.path.join(d, "Renamed client.md")
    os.rename(a, b)
    names = os.listdir(d)
    assert "Renamed client.md" in names and TITLE + ".md" not in names, names


def test_renamed_file_stays_valid_through_the_push(tasks):
    """stat, open and readdir of the new name work at every moment of the
    push, the old name is gone; rm right after the title lands works."""
    emu, m = tasks
    pid = task(emu)["id"]
    d = m.path("Tasks")
    a, b = os.path.join(d, TITLE + ".md"), os.path.join(d, "Renamed client.md")
    os.rename(a, b)

    def check():
        names = os.listdir(d)
        assert "Renamed client.md" in names and TITLE + ".md" not in names, names
        os.stat(b)
        with open(b) as f:
            f.read(1)
        assert not os.path.exists(a)
        return title_of(emu, pid) == "Renamed client"
    wait_for(check, what="the title to land", timeout=60)
    check()
    os.unlink(b)
    wait_for(lambda: next(p for p in emu.state()["pages"] if p["id"] == pid).get("archived") or
             next(p for p in emu.state()["pages"] if p["id"] == pid).get("in_trash"),
             what="the trash", timeout=60)


def test_front_matter_title_change_keeps_the_file_name(tasks):
    emu, m = tasks
    pid = task(emu)["id"]
    d = m.path("Tasks")
    path = os.path.join(d, TITLE + ".md")
    text = set_name(open(path).read(), "A new title")
    fsync_write(path, text)
    wait_for(lambda: settled(m) and title_of(emu, pid) == "A new title", what="the title change",
             timeout=60)
    wait_for(lambda: "Name: A new title" in open(path).read(), what="the file shows it", timeout=30)
    names = os.listdir(d)
    assert TITLE + ".md" in names and "A new title.md" not in names, names
    # The next save of the same file is an edit of the same page.
    emu.clear_log()
    fsync_write(path, open(path).read() + "\nA line after the title change.\n")
    wait_for(lambda: settled(m) and any(r["method"] == "PATCH" for r in writes(emu)),
             what="the second save", timeout=60)
    assert not [r for r in writes(emu) if r["method"] == "POST"], writes(emu)
    assert not os.listdir(m.path(".notionfs", "rejected"))
    assert title_of(emu, pid) == "A new title"


def test_vim_saves_twice_after_a_title_change(tasks):
    if not shutil.which("vim"):
        pytest.skip("vim not installed")
    emu, m = tasks
    pid = task(emu)["id"]
    d = m.path("Tasks")
    path = os.path.join(d, TITLE + ".md")
    vim = ["vim", "-u", "NONE", "-i", "NONE", "-N", "-es"]
    subprocess.run(vim + ["-c", "%s/^Name: .*/Name: Vim title/", "-c", "wq", path], check=True,
                   timeout=60, stdin=subprocess.DEVNULL)
    wait_for(lambda: settled(m) and title_of(emu, pid) == "Vim title", what="the title change",
             timeout=60)
    assert TITLE + ".md" in os.listdir(d)
    # the file shows the landed version (its Updated by moves) before vim reads it again: a
    # file that changes while vim runs makes it refuse to write (W11), which is vim's rule
    wait_for(lambda: "Updated by: notionfs emulator" in open(path).read(),
             what="the landed version shown", timeout=60)
    p = subprocess.run(vim + ["-c", "$put ='Second vim line.'", "-c", "wq", path], timeout=60,
                       stdin=subprocess.DEVNULL, capture_output=True, text=True)
    assert p.returncode == 0, p
    wait_for(lambda: settled(m) and "Second vim line." in open(path).read(), what="the second save",
             timeout=60)
    assert not os.listdir(m.path(".notionfs", "rejected"))
    assert TITLE + ".md" in os.listdir(d) and "Vim title.md" not in os.listdir(d)


def test_new_file_whose_front_matter_names_another_title_keeps_its_name(tasks):
    emu, m = tasks
    d = m.path("Tasks")
    path = os.path.join(d, "fm-only.md")
    fsync_write(path, "---\nName: Set by the front-matter\n---\nA body.\n")
    wait_for(lambda: any(page_title(p) == "Set by the front-matter" for p in emu.state()["pages"]),
             what="the page to be created", timeout=60)
    wait_for(lambda: settled(m), what="the queue to empty", timeout=60)
    wait_for(lambda: "A body." in open(path).read() and "_notion" in open(path).read(),
             what="the created page shown", timeout=30)
    names = os.listdir(d)
    assert "fm-only.md" in names and "Set by the front-matter.md" not in names, names
    # The editor's buffer (no _notion metadata, no read-only values) saved
    # again with one more line: an edit of the created page, nothing else.
    pid = next(p["id"] for p in emu.state()["pages"] if page_title(p) == "Set by the front-matter")
    emu.clear_log()
    fsync_write(path, "---\nName: Set by the front-matter\n---\nA body.\n\nA second line.\n")
    wait_for(lambda: settled(m) and writes(emu), what="the second save", timeout=60)
    assert not os.listdir(m.path(".notionfs", "rejected")), os.listdir(m.path(".notionfs", "rejected"))
    assert [(r["method"], r["path"].split("/")[2]) for r in writes(emu)] == [("PATCH", "blocks")], writes(emu)
    assert "fm-only.md" in os.listdir(d)
    # The rendered file saved back unchanged but for one line: the same.
    emu.clear_log()
    fsync_write(path, open(path).read() + "\nA third line.\n")
    wait_for(lambda: settled(m) and writes(emu), what="the third save", timeout=60)
    assert not os.listdir(m.path(".notionfs", "rejected"))
    assert [r["method"] for r in writes(emu)] == ["PATCH"], writes(emu)
    assert title_of(emu, pid) == "Set by the front-matter"


def test_rejected_new_file_stays_visible(tasks):
    emu, m = tasks
    d = m.path("Tasks")
    path = os.path.join(d, "Bad new task.md")
    text = "---\nNo such property: 1\n---\nA body.\n"
    with pytest.raises(OSError):
        fsync_write(path, text)
    wait_for(lambda: os.listdir(m.path(".notionfs", "rejected")), what="the rejection", timeout=30)
    assert "Bad new task.md" in os.listdir(d)
    assert open(path).read() == text
    os.unlink(path)
    assert "Bad new task.md" not in os.listdir(d)
    assert not [p for p in emu.state()["pages"] if page_title(p) == "Bad new task"]


def test_rename_to_a_title_ending_like_a_suffix(tasks):
    emu, m = tasks
    pid = task(emu)["id"]
    d = m.path("Tasks")
    os.rename(os.path.join(d, TITLE + ".md"), os.path.join(d, "Invoice (20240101).md"))
    wait_for(lambda: settled(m) and title_of(emu, pid) != TITLE, what="the title change", timeout=60)
    assert title_of(emu, pid) == "Invoice (20240101)"
    assert "Invoice (20240101).md" in os.listdir(d)


def test_old_name_saved_after_a_remount_is_the_same_page(emulator, mount):
    """An editor still holding A.md after its title changed and the mount
    restarted (the kept name is gone): its save is an edit of that page
    under the editor's name, not a new page and not a rejection."""
    emu = emulator()
    m = mount(emu, poll=3600)
    wait_for(lambda: "bodies pending: 0" in status(m), what="bodies fetched", timeout=120)
    pid = task(emu)["id"]
    d = m.path("Tasks")
    path = os.path.join(d, TITLE + ".md")
    buffer = set_name(open(path).read(), "Retitled before the remount")
    fsync_write(path, buffer)
    wait_for(lambda: settled(m) and title_of(emu, pid) == "Retitled before the remount",
             what="the title change", timeout=60)
    m.unmount()
    m2 = mount(emu, poll=3600)
    d = m2.path("Tasks")
    assert "Retitled before the remount.md" in os.listdir(d)
    emu.clear_log()
    fsync_write(os.path.join(d, TITLE + ".md"), buffer + "\nWritten by the old editor.\n")
    wait_for(lambda: settled(m2) and writes(emu), what="the save", timeout=60)
    assert not [r for r in writes(emu) if r["method"] == "POST"], writes(emu)
    assert not os.listdir(m2.path(".notionfs", "rejected"))
    names = os.listdir(d)
    assert TITLE + ".md" in names and "Retitled before the remount.md" not in names, names
    assert "Written by the old editor." in open(os.path.join(d, TITLE + ".md")).read()


def test_cp_of_a_page_file_in_its_folder_is_refused_as_a_copy(tasks):
    """`cp X.md Y.md` beside X.md: Y.md carries X's _notion.id and nothing
    else of its own. It is neither a rename of X (X.md stays, the page keeps
    its title) nor a second page: the save is refused naming both files, the
    copy stays visible, and an edit of the copy that keeps the id is refused
    the same way.  Without its _notion line it becomes a new page."""
    emu, m = tasks
    pid = task(emu)["id"]
    d = m.path("Tasks")
    src, dst = os.path.join(d, TITLE + ".md"), os.path.join(d, "Copy of the client.md")
    text = open(src).read()
    with pytest.raises(OSError):
        with open(dst, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
    wait_for(lambda: os.listdir(m.path(".notionfs", "rejected")), what="the refusal", timeout=30)
    names = os.listdir(d)
    assert TITLE + ".md" in names and "Copy of the client.md" in names, names
    errors = open(m.path(".notionfs", "errors")).read()
    assert "Copy of the client.md" in errors and "copy of" in errors and TITLE + ".md" in errors, errors
    assert "_notion" in errors, errors
    assert not writes(emu), writes(emu)
    assert title_of(emu, pid) == TITLE
    # an edit of the copy that keeps the id: still a copy, never an edit of X
    with pytest.raises(OSError):
        fsync_write(dst, text + "\nA line for the copy.\n")
    assert not writes(emu), writes(emu)
    assert TITLE + ".md" in os.listdir(d) and title_of(emu, pid) == TITLE
    assert "A line for the copy." not in open(src).read()
    # without its _notion line it is a new page
    fresh = re.sub(r"(?m)^_notion: .*\n", "", text + "\nA line for the copy.\n")
    schema = open(os.path.join(d, ".schema.yaml")).read()
    readonly = re.findall(r"(?m)^- name: (.*)\n(?:  .*\n)*?  read_only: true", schema)
    assert "Task ID" in readonly, schema
    fresh = "\n".join(ln for ln in fresh.split("\n")
                       if not any(ln.startswith(k + ":") for k in readonly))
    fsync_write(dst, fresh)
    wait_for(lambda: settled(m) and [r for r in writes(emu) if r["method"] == "POST"],
             what="the new page", timeout=60)
    assert title_of(emu, pid) == TITLE
    assert "A line for the copy." not in open(src).read()
