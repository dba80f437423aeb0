"""Every block's text is in the file (docs/markdown.md, "Column lists, columns and synced
blocks"), on a real mount of a small seeded workspace: `grep -rl` finds a word from inside a
column in exactly its page's file, and a word from inside a synced block in the files of the
page that holds the original and of the page that holds a reference to it.  Editing a
paragraph inside a column, or inside the reference, sends one block update (PATCH
/v1/blocks/{id}) to that paragraph's block (for the reference: the original's child, which
then shows the edit on the original's page too); an unchanged save sends nothing."""
import json
import os
import subprocess

from conftest import wait_for
from test_write_path import settled, status, writes

BOT = "3b7f6a52-6d1e-4c0a-9f4e-2a1d5c7e9b10"
DB = "9a000000-0000-4000-8000-000000000001"
T0 = "2025-03-03T09:00:00.000Z"
# block ids the test checks requests against
COL_PARA = "9a000000-0000-4000-8000-0000000000c2"
SYNC_ORIG = "9a000000-0000-4000-8000-0000000000d0"
SYNC_PARA = "9a000000-0000-4000-8000-0000000000d1"


def text(s):
    return [{"type": "text", "text": {"content": s, "link": None},
             "annotations": {"bold": False, "italic": False, "strikethrough": False,
                             "underline": False, "code": False, "color": "default"},
             "plain_text": s, "href": None}]


def para(s, id=None):
    b = {"type": "paragraph", "paragraph": {"rich_text": text(s), "color": "default"}}
    if id:
        b["id"] = id
    return b


def row(n, title, children):
    return {"id": "9a000000-0000-4000-8000-%012x" % (0x100 + n),
            "parent": {"type": "database_id", "database_id": DB},
            "created_time": T0, "last_edited_time": T0, "created_by": BOT, "last_edited_by": BOT,
            "archived": False, "icon": None, "cover": None,
            "properties": {"Name": {"type": "title", "title": text(title)}},
            "children": children}


def workspace():
    """A database of four pages: text in two columns; the original of a synced block; a
    reference to it; a page without either."""
    columns = {"type": "column_list", "column_list": {}, "children": [
        {"type": "column", "column": {}, "children": [
            para("Left column holds zanzibarleft."), para("Second left paragraph.")]},
        {"type": "column", "column": {}, "children": [
            para("Right column holds quokkaright.", COL_PARA)]}]}
    original = {"type": "synced_block", "id": SYNC_ORIG, "synced_block": {"synced_from": None},
                "children": [para("Synced text holds narwhalsync.", SYNC_PARA)]}
    reference = {"type": "synced_block",
                 "synced_block": {"synced_from": {"type": "block_id", "block_id": SYNC_ORIG}}}
    return {"format": 1, "bot_id": BOT, "users": [
        {"object": "user", "id": BOT, "name": "notionfs emulator", "avatar_url": None,
         "type": "bot", "bot": {"owner": {"type": "workspace", "workspace": True},
                                "workspace_name": "Blocks"}}],
        "databases": [{"id": DB, "title": "Blocks", "description": [],
                       "parent": {"type": "workspace", "workspace": True}, "is_inline": False,
                       "icon": None, "cover": None, "created_time": T0, "last_edited_time": T0,
                       "created_by": BOT, "last_edited_by": BOT, "archived": False,
                       "properties": {"Name": {"type": "title", "title": {}}}}],
        "pages": [row(1, "Columns", [para("Above the columns."), columns, para("Below.")]),
                  row(2, "Original", [para("Before the original."), original]),
                  row(3, "Reference", [para("Before the reference."), reference, para("After.")]),
                  row(4, "Plain", [para("Nothing synced here.")])]}


def start(tmp, emulator, mount):
    path = os.path.join(tmp, "blocks.json")
    with open(path, "w") as f:
        json.dump(workspace(), f)
    emu = emulator(workspace=path)
    m = mount(emu, poll=1)
    wait_for(lambda: "bodies pending: 0" in status(m), what="bodies fetched", timeout=120)
    emu.clear_log()
    return emu, m


def grep(m, word):
    p = subprocess.run(["grep", "-rl", word, m.path("Blocks")], capture_output=True, text=True)
    return sorted(os.path.relpath(l, m.mnt) for l in p.stdout.split("\n") if l)


def save(path, new):
    with open(path, "w") as f:
        f.write(new)


def edit(emu, m, name, old, new):
    """Saves the page file with old replaced by new; returns (method, path) of the requests
    that changed something once the save is pushed, and those requests."""
    path = m.path("Blocks", name)
    before = open(path).read()
    assert old in before, before
    save(path, before.replace(old, new))
    wait_for(lambda: writes(emu) and settled(m), what="the push", timeout=60)
    w = writes(emu)
    return [(r["method"], r["path"]) for r in w], w


def test_grep_finds_text_in_columns_and_synced_blocks(tmp, emulator, mount):
    emu, m = start(tmp, emulator, mount)
    assert grep(m, "zanzibarleft") == ["Blocks/Columns.md"]
    assert grep(m, "quokkaright") == ["Blocks/Columns.md"]
    assert grep(m, "narwhalsync") == ["Blocks/Original.md", "Blocks/Reference.md"]
    ref = open(m.path("Blocks", "Reference.md")).read()
    assert ("synced_from=%s -->\n\n<div data-notion-children>\n\nSynced text holds narwhalsync.\n"
            "\n</div>\n" % SYNC_ORIG) in ref, ref


def test_unchanged_save_sends_nothing(tmp, emulator, mount):
    emu, m = start(tmp, emulator, mount)
    for name in ("Columns.md", "Original.md", "Reference.md"):
        path = m.path("Blocks", name)
        save(path, open(path).read())
    wait_for(lambda: settled(m), what="the queue to empty", timeout=60)
    assert writes(emu) == []


def test_edit_inside_a_column_is_one_block_update(tmp, emulator, mount):
    emu, m = start(tmp, emulator, mount)
    sent, w = edit(emu, m, "Columns.md", "Right column holds quokkaright.",
                   "Right column holds a wombat.")
    assert sent == [("PATCH", "/v1/blocks/" + COL_PARA)], w
    assert "a wombat" in json.dumps(w[0]["body"])
    wait_for(lambda: grep(m, "wombat") == ["Blocks/Columns.md"], what="the file shows the edit",
             timeout=60)
    assert grep(m, "quokkaright") == []


def test_edit_inside_a_synced_reference_updates_the_original(tmp, emulator, mount):
    emu, m = start(tmp, emulator, mount)
    sent, w = edit(emu, m, "Reference.md", "Synced text holds narwhalsync.",
                   "Synced text holds a pangolin.")
    assert sent == [("PATCH", "/v1/blocks/" + SYNC_PARA)], w
    assert "a pangolin" in json.dumps(w[0]["body"])
    # the original's page shows it after a poll, as the reference's does
    wait_for(lambda: grep(m, "pangolin") == ["Blocks/Original.md", "Blocks/Reference.md"],
             what="both pages show the edit", timeout=60)
    assert grep(m, "narwhalsync") == []


def test_new_paragraph_in_a_synced_reference_goes_to_the_original(tmp, emulator, mount):
    emu, m = start(tmp, emulator, mount)
    sent, w = edit(emu, m, "Reference.md", "Synced text holds narwhalsync.\n",
                   "Synced text holds narwhalsync.\n\nAdded through the axolotl.\n")
    assert sent == [("PATCH", "/v1/blocks/%s/children" % SYNC_ORIG)], w
    wait_for(lambda: grep(m, "axolotl") == ["Blocks/Original.md", "Blocks/Reference.md"],
             what="both pages show the new paragraph", timeout=60)


def test_synced_block_and_its_reference_on_one_page(emulator, mount):
    """The sample's Block gallery holds a synced block and a reference to it: both show the
    same child blocks; editing the reference's copy sends one update of that child, and both
    copies show the edit."""
    emu = emulator()
    m = mount(emu, poll=1)
    wait_for(lambda: "bodies pending: 0" in status(m), what="bodies fetched", timeout=120)
    emu.clear_log()
    path = m.path("Notes", "Block gallery.md")
    before = open(path).read()
    assert before.count("This paragraph is synced.") == 2, before
    assert "Left column" in before and "Right callout" in before
    at = before.rindex("This paragraph is synced.")
    save(path, before[:at] + "This paragraph is synced, and edited." +
         before[at + len("This paragraph is synced."):])
    wait_for(lambda: writes(emu) and settled(m), what="the update", timeout=60)
    w = writes(emu)
    assert len(w) == 1 and w[0]["method"] == "PATCH" and "/children" not in w[0]["path"], w
    assert "and edited" in json.dumps(w[0]["body"])
    wait_for(lambda: open(path).read().count("This paragraph is synced, and edited.") == 2,
             what="both copies show the edit", timeout=60)
