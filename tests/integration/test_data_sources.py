"""Databases with several data sources (Notion-Version 2026-03-11, issue 10;
DESIGN.md §0 and §2): the layout, writes that reach the right data source,
remote schema changes, and the upgrade of a cache made by the release before."""
import os
import shutil
import sqlite3

from conftest import nfs_env, run_nfs, wait_for
from test_read_path import page_title

HERE = os.path.dirname(os.path.abspath(__file__))
OLD_CACHE = os.path.join(HERE, "..", "data", "cache-v10", "cache.db")


def status(m):
    with open(m.path(".notionfs", "status")) as f:
        return f.read()


def settled(m):
    return "queued edits: 0" in status(m)


def source(emu, title):
    for d in emu.state()["databases"]:
        if d.get("data_source_id") and "".join(t["plain_text"] for t in d["title"]) == title:
            return {"id": d["data_source_id"], "database_id": d["id"]}   # its only source
        for x in d.get("data_sources") or []:
            if "".join(t["plain_text"] for t in x["title"]) == title:
                return dict(x, database_id=d["id"])
    raise KeyError(title)


def pages_of(emu, sid, live=True):
    return [p for p in emu.state()["pages"] if p["parent"].get("data_source_id") == sid
            and not (live and (p.get("archived") or p.get("in_trash")))]


def by_title(emu, title):
    return [p for p in emu.state()["pages"] if page_title(p) == title]


def fsync_write(path, text):
    with open(path, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def set_line(text, key, value):
    lines = text.split("\n")
    i = next(i for i, l in enumerate(lines) if l.startswith(key + ":"))
    lines[i] = "%s: %s" % (key, value)
    return "\n".join(lines)


def test_two_source_database_shows_both_with_rows_and_schemas(emulator, mount):
    emu = emulator()
    m = mount(emu)
    assert sorted(os.listdir(m.path("Support"))) == ["Customers", "Tickets"]
    assert not os.path.exists(m.path("Support", ".schema.yaml"))
    tickets = open(m.path("Support", "Tickets", ".schema.yaml")).read()
    customers = open(m.path("Support", "Customers", ".schema.yaml")).read()
    assert "name: Severity" in tickets and "name: Seats" not in tickets
    assert "name: Seats" in customers and "name: Severity" not in customers
    assert sorted(os.listdir(m.path("Support", "Tickets"))) == [
        ".schema.yaml", "Cannot log in.md", "Export times out.md", "Wrong invoice address.md"]
    assert sorted(os.listdir(m.path("Support", "Customers"))) == [".schema.yaml", "Acme Corp.md", "Globex.md"]
    text = open(m.path("Support", "Tickets", "Cannot log in.md")).read()
    assert "Customer: [Acme Corp]" in text and "Severity: 2" in text
    # a one-source database looks as before: its directory holds its schema and rows, the
    # schema under the database's title and id
    schema = open(m.path("Tasks", ".schema.yaml")).read()
    assert schema.startswith("database: Tasks\nid: %s\n" % source(emu, "Tasks")["database_id"]), schema[:200]
    assert "id: %s\n" % source(emu, "Tickets")["id"] in tickets


def test_edit_create_and_trash_reach_the_right_data_source(emulator, mount):
    emu = emulator()
    m = mount(emu, poll=1)
    wait_for(lambda: "bodies pending: 0" in status(m), what="bodies", timeout=120)
    cases = [("Tickets", "Export times out.md", "Severity", "5", "Wrong invoice address.md", "Summary"),
             ("Customers", "Globex.md", "Seats", "99", "Acme Corp.md", "Company")]
    for src, edit, key, value, victim, title_key in cases:
        d = m.path("Support", src)
        fsync_write(os.path.join(d, edit), set_line(open(os.path.join(d, edit)).read(), key, value))
        fsync_write(os.path.join(d, "New in %s.md" % src), "---\n%s: New in %s\n---\nCreated here.\n" % (title_key, src))
        os.unlink(os.path.join(d, victim))
    wait_for(lambda: settled(m), what="the queue to empty", timeout=120)
    for src, edit, key, value, victim, title_key in cases:
        sid = source(emu, src)["id"]
        page = next(p for p in pages_of(emu, sid) if page_title(p) + ".md" == edit)
        assert page["properties"][key]["number"] == int(value)
        new = by_title(emu, "New in " + src)
        assert len(new) == 1, new
        assert new[0]["parent"]["type"] == "data_source_id" and new[0]["parent"]["data_source_id"] == sid
        gone = by_title(emu, victim[:-3])
        assert len(gone) == 1 and (gone[0].get("in_trash") or gone[0].get("archived")), gone
    creates = [r for r in emu.log_requests() if r["method"] == "POST" and r["path"] == "/v1/pages"]
    assert len(creates) == 2
    assert all(r["body"]["parent"]["type"] == "data_source_id" for r in creates)
    trashes = [r for r in emu.log_requests() if r["method"] == "PATCH" and r["body"] and "in_trash" in r["body"]]
    assert len(trashes) == 2 and not [r for r in emu.log_requests() if r["body"] and "archived" in r["body"]]


def test_source_added_and_renamed_remotely_appear_after_a_poll(emulator, mount):
    emu = emulator()
    m = mount(emu, poll=1)
    support = source(emu, "Tickets")["database_id"]
    emu.admin("create_data_source", {"parent": {"type": "database_id", "database_id": support},
                                     "title": [{"type": "text", "text": {"content": "Vendors"}}],
                                     "properties": {"Vendor": {"title": {}}}})
    emu.admin("update_data_source", {"data_source_id": source(emu, "Tickets")["id"],
                                     "title": [{"type": "text", "text": {"content": "Issues"}}]})
    wait_for(lambda: sorted(os.listdir(m.path("Support"))) == ["Customers", "Issues", "Vendors"],
             what="the new and the renamed source", timeout=60)
    assert "name: Vendor" in open(m.path("Support", "Vendors", ".schema.yaml")).read()
    assert "Cannot log in.md" in os.listdir(m.path("Support", "Issues"))


def test_property_renamed_remotely_rerenders_rows_and_revalidates_a_queued_save(emulator, mount):
    emu = emulator()
    m = mount(emu, poll=1)
    wait_for(lambda: "bodies pending: 0" in status(m), what="bodies", timeout=120)
    path = m.path("Support", "Tickets", "Export times out.md")
    before = open(path).read()
    assert "Severity: 3" in before
    # a save queued (Notion unreachable for pages) ...
    emu.admin("faults", {"fail_next": {"count": 10 ** 6, "status": 503, "path_prefix": "/v1/pages"}})
    fsync_write(path, set_line(before, "Severity", "4"))
    assert "queued edits: 1" in status(m)
    # ... then Severity is renamed remotely
    emu.admin("update_data_source", {"data_source_id": source(emu, "Tickets")["id"],
                                     "properties": {"Severity": {"name": "Impact"}}})
    wait_for(lambda: "name: Impact" in open(m.path("Support", "Tickets", ".schema.yaml")).read(),
             what="the schema change", timeout=60)
    other = open(m.path("Support", "Tickets", "Cannot log in.md")).read()
    assert "Impact: 2" in other and "Severity" not in other
    emu.admin("faults/clear", {})
    wait_for(lambda: "rejected edits: 1" in status(m), what="the revalidation", timeout=60)
    s = status(m)
    assert "Severity" in s and "no longer" in s, s
    rejected = os.listdir(m.path(".notionfs", "rejected"))
    assert any(set_line(before, "Severity", "4") == open(m.path(".notionfs", "rejected", r)).read()
               for r in rejected)
    page = next(p for p in emu.state()["pages"] if page_title(p) == "Export times out")
    assert page["properties"]["Impact"]["number"] == 3


def test_cache_of_the_release_before_upgrades_and_pushes_its_queue(emulator, mount, tmp):
    emu = emulator()
    cache = os.path.join(tmp, "cache")
    os.makedirs(cache, mode=0o700)
    shutil.copy(OLD_CACHE, os.path.join(cache, "cache.db"))
    os.chmod(os.path.join(cache, "cache.db"), 0o600)
    m = mount(emu, poll=1)
    tasks = source(emu, "Tasks")["id"]
    wait_for(lambda: settled(m), what="the old queue to land", timeout=120)
    s = status(m)
    assert "rejected edits: 1" in s and "held archives: 6" in s and "conflicts: 1" in s, s
    assert os.listdir(m.path(".notionfs", "rejected")) and os.listdir(m.path(".notionfs", "conflicts"))
    # the property edit, the body edit and the new row, in the Tasks data source
    page = by_title(emu, "Markdown renderer")[0]
    assert page["properties"]["Estimate"]["number"] == 42
    new = by_title(emu, "Queued new row")
    assert len(new) == 1 and source(emu, "Tasks")["database_id"] in new[0]["parent"].values(), new
    creates = [r["body"] for r in emu.log_requests() if r["method"] == "POST" and r["path"] == "/v1/pages"]
    assert [c["parent"] for c in creates] == [{"type": "data_source_id", "data_source_id": tasks}]
    assert "A paragraph queued by the old release." in open(m.path("Tasks", "Write API client.md")).read()
    appends = [r for r in emu.log_requests() if r["method"] == "PATCH" and r["path"].endswith("/children")]
    assert appends and all("position" in r["body"] and "after" not in r["body"] for r in appends)
    db = sqlite3.connect(os.path.join(cache, "cache.db"))
    assert db.execute("PRAGMA user_version").fetchone()[0] == 15
    assert db.execute("SELECT COUNT(*) FROM data_sources WHERE id = database_id").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM pages WHERE database_id = ?", (tasks,)).fetchone()[0] > 20
    assert {r[0] for r in db.execute("SELECT database_id FROM queue WHERE database_id IS NOT NULL")} == {tasks}
    db.close()
    # the held trash is still held, and confirmed it lands
    p = run_nfs(["sync", "--confirm-deletes"], m.env, timeout=120)
    assert "pushed: 6" in p.stdout, p.stdout
    held = ["Attribute caching", "Benchmark 10k pages", "Block to Markdown", "Café ☕ — 日本語のタスク",
            "Conflict resolution", "Design cache schema"]
    assert all(by_title(emu, t)[0].get("in_trash") or by_title(emu, t)[0].get("archived") for t in held), \
        [(t, by_title(emu, t)[0].get("archived")) for t in held]


def test_a_new_file_in_a_multi_source_database_directory_is_kept_rejected(emulator, mount):
    emu = emulator()
    m = mount(emu, poll=1)
    path = m.path("Support", "Stray.md")
    text = "---\nSummary: Stray\n---\nWhich source?\n"
    try:
        with open(path, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
    except OSError:
        pass    # EINVAL (or EIO at close): the text is kept all the same
    wait_for(lambda: "rejected edits: 1" in status(m), what="the rejection", timeout=30)
    assert "several data sources" in open(m.path(".notionfs", "errors")).read()
    rejected = os.listdir(m.path(".notionfs", "rejected"))
    assert any(open(m.path(".notionfs", "rejected", r)).read() == text for r in rejected)
    assert not by_title(emu, "Stray")


def test_data_source_directories_follow_the_naming_rules(emulator, mount):
    """§2 inside a database with several data sources: `/` becomes `／`, a colliding title
    gets the last 8 hex digits of its id (the older source keeps the plain name); the
    relation of Tickets names its target source."""
    emu = emulator()
    m = mount(emu, poll=1)
    support = source(emu, "Tickets")["database_id"]
    made = emu.admin("create_data_source", {"parent": {"type": "database_id", "database_id": support},
                                            "title": [{"type": "text", "text": {"content": "Customers"}}],
                                            "properties": {"Who": {"title": {}}}})
    emu.admin("create_data_source", {"parent": {"type": "database_id", "database_id": support},
                                     "title": [{"type": "text", "text": {"content": "Q1/Q2"}}],
                                     "properties": {"Goal": {"title": {}}}})
    twin = "Customers (%s)" % made["id"].replace("-", "")[-8:]
    wait_for(lambda: sorted(os.listdir(m.path("Support"))) == sorted(["Customers", twin, "Q1／Q2", "Tickets"]),
             what="the new sources' directories", timeout=60)
    assert "name: Seats" in open(m.path("Support", "Customers", ".schema.yaml")).read()
    assert "name: Who" in open(m.path("Support", twin, ".schema.yaml")).read()
    schema = open(m.path("Support", "Tickets", ".schema.yaml")).read()
    assert "database: Customers\n" in schema, schema


def test_a_mention_of_a_database_with_several_sources_links_to_its_directory(emulator, mount):
    emu = emulator()
    m = mount(emu, poll=1)
    state = emu.state()
    support = next(d for d in state["databases"] if d.get("data_sources") and len(d["data_sources"]) > 1)
    page = next(p for p in state["pages"] if p.get("parent", {}).get("page_id") and
                "Team handbook" == "".join(t.get("plain_text", "") for t in
                                           (p["properties"].get("title") or {}).get("title", [])))
    emu.admin("edit_page", {"page_id": page["id"], "append_blocks": [{"type": "paragraph", "paragraph": {
        "rich_text": [{"type": "mention", "mention": {"type": "database", "database": {"id": support["id"]}}},
                      {"type": "text", "text": {"content": " holds the tickets"}}]}}]})
    path = m.path("Team handbook.md")
    wait_for(lambda: "holds the tickets" in open(path, encoding="utf-8").read(), timeout=60,
             what="the remote edit")
    line = [l for l in open(path, encoding="utf-8").read().splitlines() if "holds the tickets" in l][0]
    assert "](Support/" in line, line
