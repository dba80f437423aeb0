"""Issue 8 case 1: a stale writer never undoes a remote edit (docs/format.md and docs/sync.md,
`_notion.base`).  A copy of a page file read before a remote change and saved after the
mount pulled that change is merged three ways: against the version it names in
`_notion.base`, onto the version the mount has now.  Waits poll conditions; no timings."""
import os
import re

from conftest import wait_for
from test_integrity import ready, texts, task_id, conflict_count
from test_write_path import status, settled, fsync_write


def prop(emu, pid, name):
    page = next(p for p in emu.state()["pages"] if p["id"] == pid)
    v = page["properties"][name]
    return (v.get(v.get("type")) or {}).get("name")


def paragraph(text):
    return {"type": "paragraph", "paragraph": {"rich_text": [{"type": "text", "text": {"content": text}}]}}


def shows(path, needle):
    return needle in open(path).read()


def base_of(text):
    m = re.search(r"^_notion: \{.*base: '?([0-9a-f]{8})'?\}$", text, re.M)
    return m and m.group(1)


def test_every_page_file_names_its_base(emulator, mount):
    emu, m = ready(emulator, mount, poll=1)
    path = m.path("Projects", "Mobile app.md")
    text = open(path).read()
    base = base_of(text)
    assert base, text
    emu.admin("edit_page", {"page_id": task_id(emu, "Mobile app"),
                            "properties": {"Stage": {"select": {"name": "Active"}}}})
    wait_for(lambda: shows(path, "Stage: Active"), what="the remote change pulled")
    text = open(path).read()
    meta = [line for line in text.splitlines() if line.startswith("_notion")]
    assert base_of(text) not in (None, base), (meta, len(text), os.stat(path).st_size)


def test_stale_copy_keeps_remote_property(emulator, mount):
    emu, m = ready(emulator, mount, poll=1)
    pid = task_id(emu, "Mobile app")
    path = m.path("Projects", "Mobile app.md")
    stale = open(path).read()
    assert "Stage: Planned" in stale
    emu.admin("edit_page", {"page_id": pid, "properties": {"Stage": {"select": {"name": "Active"}}}})
    wait_for(lambda: shows(path, "Stage: Active"), what="the remote change pulled")
    fsync_write(path, stale + "\nA line from a stale copy.\n")
    wait_for(lambda: settled(m) and "A line from a stale copy." in texts(emu, pid),
             what="the stale save landed", timeout=60)
    assert prop(emu, pid, "Stage") == "Active"
    assert conflict_count(m) == 0
    wait_for(lambda: shows(path, "Stage: Active") and shows(path, "A line from a stale copy."),
             what="the file shows both")


def test_stale_copy_keeps_remote_paragraph(emulator, mount):
    emu, m = ready(emulator, mount, poll=1)
    pid = task_id(emu, "Mobile app")
    path = m.path("Projects", "Mobile app.md")
    stale = open(path).read()
    emu.admin("edit_page", {"page_id": pid, "append_blocks": [paragraph("A colleague's paragraph.")]})
    wait_for(lambda: shows(path, "A colleague's paragraph."), what="the remote paragraph pulled")
    fsync_write(path, stale + "\nA line from a stale copy.\n")
    wait_for(lambda: settled(m) and "A line from a stale copy." in texts(emu, pid),
             what="the stale save landed", timeout=60)
    got = texts(emu, pid)
    assert got.count("A colleague's paragraph.") == 1, got
    assert got.count("A line from a stale copy.") == 1, got


def test_stale_save_with_last_edited_time_property_is_accepted(emulator, mount):
    emu, m = ready(emulator, mount, poll=1)
    pid = task_id(emu, "Write API client")
    path = m.path("Tasks", "Write API client.md")
    stale = open(path).read()
    updated = [l for l in stale.splitlines() if l.startswith("Updated:")][0]
    emu.admin("edit_page", {"page_id": pid, "properties": {"Estimate": {"number": 42}}})
    wait_for(lambda: updated not in open(path).read(), what="the remote change pulled")
    fsync_write(path, stale + "\nA line from a stale copy.\n")  # EINVAL would raise here
    wait_for(lambda: settled(m) and "A line from a stale copy." in texts(emu, pid),
             what="the stale save landed", timeout=60)
    assert os.listdir(m.path(".notionfs", "rejected")) == []
    page = next(p for p in emu.state()["pages"] if p["id"] == pid)
    assert page["properties"]["Estimate"]["number"] == 42


def test_same_property_both_sides_later_write_wins(emulator, mount):
    emu, m = ready(emulator, mount, poll=1)
    pid = task_id(emu, "Mobile app")
    path = m.path("Projects", "Mobile app.md")
    stale = open(path).read()
    emu.admin("edit_page", {"page_id": pid, "properties": {"Stage": {"select": {"name": "Active"}}}})
    wait_for(lambda: shows(path, "Stage: Active"), what="the remote change pulled")
    fsync_write(path, stale.replace("Stage: Planned", "Stage: Shipped"))
    wait_for(lambda: settled(m) and prop(emu, pid, "Stage") == "Shipped",
             what="the later (local) write landed", timeout=60)
    wait_for(lambda: conflict_count(m) == 1, what="the losing version kept")
    name = os.listdir(m.path(".notionfs", "conflicts"))[0]
    body = open(m.path(".notionfs", "conflicts", name)).read()
    assert "Stage" in body and "Active" in body and "Shipped" in body, body


def test_vim_double_save_with_old_base_duplicates_nothing(emulator, mount):
    emu, m = ready(emulator, mount, poll=1)
    pid = task_id(emu, "Mobile app")
    path = m.path("Projects", "Mobile app.md")
    buffer = open(path).read()
    buffer += "\nFirst line of the editor.\n"
    fsync_write(path, buffer)
    wait_for(lambda: settled(m) and "First line of the editor." in texts(emu, pid),
             what="the first save landed", timeout=60)
    wait_for(lambda: base_of(open(path).read()) != base_of(buffer), what="the landed version shown")
    buffer += "\nSecond line of the editor.\n"
    fsync_write(path, buffer)
    wait_for(lambda: settled(m) and "Second line of the editor." in texts(emu, pid),
             what="the second save landed", timeout=60)
    got = texts(emu, pid)
    assert got.count("First line of the editor.") == 1, got
    assert got.count("Second line of the editor.") == 1, got


def test_vim_double_save_while_first_is_queued(emulator, mount):
    emu, m = ready(emulator, mount, poll=1)
    pid = task_id(emu, "Mobile app")
    path = m.path("Projects", "Mobile app.md")
    emu.admin("faults", {"fail_next": {"count": 100000, "status": 503, "path_prefix": "/v1/pages/" + pid}})
    buffer = open(path).read() + "\nFirst line of the editor.\n"
    fsync_write(path, buffer)
    buffer += "\nSecond line of the editor.\n"
    fsync_write(path, buffer)
    emu.admin("faults/clear", {})
    wait_for(lambda: settled(m) and "Second line of the editor." in texts(emu, pid),
             what="both saves landed", timeout=90)
    got = texts(emu, pid)
    assert got.count("First line of the editor.") == 1, got
    assert got.count("Second line of the editor.") == 1, got


def test_unknown_base_undoes_nothing_and_keeps_the_text(emulator, mount):
    emu, m = ready(emulator, mount, poll=1)
    pid = task_id(emu, "Mobile app")
    path = m.path("Projects", "Mobile app.md")
    stale = open(path).read()
    emu.admin("edit_page", {"page_id": pid, "properties": {"Stage": {"select": {"name": "Active"}}},
                            "append_blocks": [paragraph("A colleague's paragraph.")]})
    wait_for(lambda: shows(path, "A colleague's paragraph."), what="the remote change pulled")
    foreign = re.sub(r"base: '?[0-9a-f]{8}'?", "base: 0badba5e", stale)
    assert foreign != stale
    fsync_write(path, foreign + "\nA line from a foreign copy.\n")
    wait_for(lambda: settled(m) and "A line from a foreign copy." in texts(emu, pid),
             what="the new line landed", timeout=60)
    assert prop(emu, pid, "Stage") == "Active"
    assert texts(emu, pid).count("A colleague's paragraph.") == 1
    kept = os.listdir(m.path(".notionfs", "conflicts"))
    assert kept, status(m)
    assert any("A line from a foreign copy." in open(m.path(".notionfs", "conflicts", k)).read()
               for k in kept)
    errors = open(m.path(".notionfs", "errors")).read()
    assert "Projects/Mobile app.md" in errors and "base" in errors and "unknown" in errors, errors


# ---- one writer saving again from the same buffer (an editor's second :w) ----
# The buffer still names the base it was read from; what it saved since is its own, not a
# colleague's: saving the same paragraph or property again is a later local write, never a
# conflict (a local filesystem's last-write-wins), while a colleague's edit still is kept.

def _edit_paragraph(text, old, new):
    assert old in text, text
    return text.replace(old, new, 1)


def _first_paragraph(path):
    body = open(path).read().split("\n---\n", 1)[1]
    return next(line for line in body.splitlines() if line.strip() and not line.startswith("#"))


def test_second_save_of_one_paragraph_from_one_buffer_is_not_a_conflict(emulator, mount):
    emu, m = ready(emulator, mount)
    pid = task_id(emu, "Inode table")
    path = m.path("Tasks", "Inode table.md")
    buf = open(path).read()
    para = _first_paragraph(path)
    fsync_write(path, _edit_paragraph(buf, para, para + " (first edit)"))
    fsync_write(path, _edit_paragraph(buf, para, para + " (second edit)"))
    wait_for(lambda: settled(m), what="the queue to empty", timeout=120)
    got = texts(emu, pid)
    assert para + " (second edit)" in got, got
    assert not any("(first edit)" in t for t in got), got
    assert conflict_count(m) == 0


def test_save_again_after_the_first_landed_is_not_a_conflict(emulator, mount):
    emu, m = ready(emulator, mount)
    pid = task_id(emu, "Inode table")
    path = m.path("Tasks", "Inode table.md")
    buf = open(path).read()
    para = _first_paragraph(path)
    fsync_write(path, _edit_paragraph(buf, para, para + " (first edit)"))
    wait_for(lambda: settled(m) and para + " (first edit)" in texts(emu, pid),
             what="the first save landed", timeout=120)
    fsync_write(path, _edit_paragraph(buf, para, para + " (second edit)"))
    wait_for(lambda: settled(m) and para + " (second edit)" in texts(emu, pid),
             what="the second save landed", timeout=120)
    assert not any("(first edit)" in t for t in texts(emu, pid))
    assert conflict_count(m) == 0


def test_second_save_of_one_property_from_one_buffer_is_not_a_conflict(emulator, mount):
    emu, m = ready(emulator, mount)
    pid = task_id(emu, "Mobile app")
    path = m.path("Projects", "Mobile app.md")
    buf = open(path).read()
    assert "Stage: Planned" in buf
    fsync_write(path, buf.replace("Stage: Planned", "Stage: Active", 1))
    wait_for(lambda: settled(m) and prop(emu, pid, "Stage") == "Active",
             what="the first save landed", timeout=120)
    fsync_write(path, buf.replace("Stage: Planned", "Stage: Done", 1))
    wait_for(lambda: settled(m) and prop(emu, pid, "Stage") == "Done",
             what="the second save landed", timeout=120)
    assert conflict_count(m) == 0


def test_saved_buffer_still_keeps_a_later_remote_edit(emulator, mount):
    emu, m = ready(emulator, mount, poll=1)
    pid = task_id(emu, "Mobile app")
    path = m.path("Projects", "Mobile app.md")
    buf = open(path).read()
    mine = buf + "\nMy first line.\n"
    fsync_write(path, mine)
    wait_for(lambda: settled(m) and "My first line." in texts(emu, pid), what="my save landed",
             timeout=120)
    emu.admin("edit_page", {"page_id": pid, "properties": {"Stage": {"select": {"name": "Active"}}}})
    wait_for(lambda: shows(path, "Stage: Active"), what="the remote change pulled")
    fsync_write(path, mine + "\nMy second line.\n")
    wait_for(lambda: settled(m) and "My second line." in texts(emu, pid),
             what="my second save landed", timeout=120)
    assert prop(emu, pid, "Stage") == "Active"
    assert texts(emu, pid).count("My first line.") == 1
    assert conflict_count(m) == 0


def test_file_read_while_a_save_was_queued_saved_after_it_landed(emulator, mount):
    emu, m = ready(emulator, mount)
    pid = task_id(emu, "Inode table")
    path = m.path("Tasks", "Inode table.md")
    emu.admin("faults", {"fail_next": {"count": 100000, "status": 503}})
    fsync_write(path, open(path).read() + "\nQueued line.\n")
    wait_for(lambda: "queued edits: 1" in status(m), what="the save queued")
    copy = open(path).read()   # shows the queued save, names it as its base
    emu.admin("faults/clear", {})
    wait_for(lambda: settled(m) and "Queued line." in texts(emu, pid), what="the save landed",
             timeout=120)
    fsync_write(path, copy + "\nLine from the copy.\n")
    wait_for(lambda: settled(m) and "Line from the copy." in texts(emu, pid),
             what="the copy's save landed", timeout=120)
    assert texts(emu, pid).count("Queued line.") == 1
    assert conflict_count(m) == 0


def test_second_save_in_a_database_with_an_updated_time_is_accepted(emulator, mount):
    """Tasks has a last_edited_time property: the buffer's stale "Updated:" is not an edit."""
    emu, m = ready(emulator, mount)
    pid = task_id(emu, "Inode table")
    path = m.path("Tasks", "Inode table.md")
    buf = open(path).read()
    assert "Priority: Medium" in buf
    fsync_write(path, buf.replace("Priority: Medium", "Priority: High", 1))
    wait_for(lambda: settled(m) and prop(emu, pid, "Priority") == "High",
             what="the first save landed", timeout=120)
    fsync_write(path, buf.replace("Priority: Medium", "Priority: Low", 1))
    wait_for(lambda: settled(m) and prop(emu, pid, "Priority") == "Low",
             what="the second save landed", timeout=120)
    assert conflict_count(m) == 0
