"""Block types of the newer Notion versions on a real mount (docs/markdown.md):
meeting notes show their title as text and are read-only, so neither an
unchanged save nor an edit inside them is pushed; a placeholder line saved
unchanged never rewrites or deletes its block.  Edits of the newer read-only
property types (place, button, verification, unique_id) are refused naming
the file and the property (docs/format.md section 4)."""
import errno
import os
import re

import pytest

from conftest import wait_for
from test_write_path import settled, status, writes


def gallery(emulator, mount):
    emu = emulator()
    m = mount(emu, poll=1)
    wait_for(lambda: "bodies pending: 0" in status(m), what="bodies fetched", timeout=120)
    emu.clear_log()
    return emu, m, m.path("Notes", "Block gallery.md")


def ids_touched(emu):
    """Block and page ids (without dashes) in the paths of the requests that change something."""
    return {p.replace("-", "") for r in writes(emu)
            for p in re.findall(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", r["path"])}


def placeholder_id(text, type_):
    m = re.search(r"<!-- notion:block type=%s id=([0-9a-f-]{36}) -->" % type_, text)
    assert m, text[-3000:]
    return m.group(1)


def test_meeting_notes_are_shown_and_never_pushed(emulator, mount):
    emu, m, path = gallery(emulator, mount)
    text = open(path).read()
    notes_id = placeholder_id(text, "meeting_notes")
    # an unsupported block shows the type Notion names in block_type (2025-09-03 and later)
    other_id = placeholder_id(text, "ai_block")
    assert ("<!-- notion:block type=meeting_notes id=%s -->\n\n<div data-notion-children>\n\n"
            "**Standup 2025-03-28**\n\n</div>\n" % notes_id) in text

    # saved unchanged: nothing is sent
    with open(path, "w") as f:
        f.write(text)
    wait_for(lambda: settled(m), what="the queue to empty", timeout=60)
    assert writes(emu) == []

    # the meeting notes' title edited and a paragraph after them: only the paragraph is sent
    edited = text.replace("**Standup 2025-03-28**", "**Standup, renamed**").replace(
        "End of gallery.", "End of the gallery.")
    with open(path, "w") as f:
        f.write(edited)
    wait_for(lambda: any(r["method"] == "PATCH" for r in writes(emu)), what="the update", timeout=60)
    wait_for(lambda: settled(m), what="the queue to empty", timeout=60)
    w = writes(emu)
    assert len(w) == 1 and w[0]["method"] == "PATCH" and "End of the gallery." in str(w[0]["body"]), w
    touched = ids_touched(emu)
    assert notes_id.replace("-", "") not in touched and other_id.replace("-", "") not in touched, w
    # the file shows Notion's text of the meeting notes again, and the pushed edit
    wait_for(lambda: "End of the gallery." in open(path).read() and
             "**Standup 2025-03-28**" in open(path).read(), what="the re-rendered file", timeout=60)
    assert "**Standup, renamed**" not in open(path).read()


READ_ONLY = [  # (type, database, page, property, the edited line; None: append a digit)
    ("place", "Projects", "Platform rewrite", "Location", "Location: {lat: 48.85, lon: 2.35}"),
    ("button", "Notes", "Block gallery", "Action", "Action: press"),
    ("verification", "Notes", "Block gallery", "Verification", "Verification: {state: unverified}"),
    ("unique_id", "Projects", "Platform rewrite", "Project ID", None),
]


@pytest.mark.parametrize("kind,db,page,prop,line", READ_ONLY, ids=[r[0] for r in READ_ONLY])
def test_read_only_new_property_types_are_refused(emulator, mount, kind, db, page, prop, line):
    emu = emulator()
    m = mount(emu, poll=1)
    wait_for(lambda: "bodies pending: 0" in status(m), what="bodies fetched", timeout=120)
    emu.clear_log()
    path = m.path(db, page + ".md")
    before = open(path).read()
    keys = [l for l in before.split("\n") if l.startswith(prop + ":")]
    assert keys, before[:2000]
    bad = before.replace(keys[0], line or keys[0] + "9", 1)
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
    assert "%s/%s.md" % (db, page) in errors and '"%s"' % prop in errors and "read-only" in errors, errors
    assert any(bad == open(m.path(".notionfs", "rejected", r)).read()
               for r in os.listdir(m.path(".notionfs", "rejected")))
    assert writes(emu) == []
