"""The workspace as a tree (DESIGN.md §2, docs/format.md "The tree of a mount"): pages outside
databases as `Title.md` with their folder `Title/` beside, sub-pages and databases inside pages,
rows with sub-pages, the collision rule across page files, folders and database directories,
relative links, writes in folders, and Notion's moves, renames and trashes."""
import os
import re
import subprocess
import sys
import urllib.parse

import pytest

from conftest import ROOT, nfs_env, read_tree, run_nfs, wait_for

sys.path.insert(0, os.path.join(ROOT, "contrib"))
import sample_workspace as sample  # noqa: E402

HB = "Team handbook"
ENG = HB + "/Engineering"


def page_id(path):
    with open(path, encoding="utf-8") as f:
        m = re.search(r"_notion: \{id: ([0-9a-f-]+)", f.read())
    assert m, path
    return m.group(1)


def writes(emu):
    """The requests that change something (the log's non-GET /v1 requests but searches and
    queries)."""
    return [r for r in emu.log_requests() if r["method"] != "GET" and r["path"].startswith("/v1/")
            and r["path"] != "/v1/search" and not r["path"].endswith("/query")]


def grep_files(root, word):
    p = subprocess.run(["grep", "-rlZ", "--exclude-dir=.notionfs", word, root],
                       capture_output=True, text=True)
    return sorted(os.path.relpath(x, root) for x in p.stdout.split("\0") if x)


def test_tree_matches_the_workspace(emulator, mount):
    emu = emulator()
    m = mount(emu)
    for rel in sample.UNIQUE_WORDS:
        assert os.path.isfile(m.path(rel)), rel
    # a page's folder is beside its file, with the same name
    for d in (HB, ENG, HB + "/Onboarding", HB + "/Onboarding/First week", ENG + "/Releases"):
        assert os.path.isdir(m.path(d)) and os.path.isfile(m.path(d + ".md")), d
    # databases inside pages, a row with sub-pages, the page folder beating the database's name
    assert os.path.isfile(m.path(HB, "Equipment", ".schema.yaml"))
    rel_db = sample._REL_DB_DIR
    assert os.path.isfile(m.path(rel_db, ".schema.yaml"))
    assert os.path.isdir(m.path(rel_db, "v1.0")) and not os.path.exists(m.path(rel_db, "v1.1"))
    # pages without sub-pages have no folder; a page outside databases has one key, its title
    assert not os.path.exists(m.path(HB, "Desk setup"))
    text = open(m.path(HB + ".md"), encoding="utf-8").read()
    assert text.startswith("---\ntitle: Team handbook\n_notion: {id: ")
    # the databases whose page the integration cannot see stay at the root
    for d in ("Tasks", "Projects", "Notes", "Support"):
        assert os.path.isdir(m.path(d)), d
    assert not os.path.exists(m.path("Sample Workspace.md"))


def test_grep_finds_each_page_word_in_exactly_its_file(emulator, mount):
    emu = emulator()
    m = mount(emu)
    for rel, word in sample.UNIQUE_WORDS.items():
        assert grep_files(m.mnt, word) == [rel], word
    assert grep_files(m.mnt, sample.UNSHARED_WORD) == []
    for words in (sample.COLUMN_WORDS, sample.TOGGLE_WORDS):
        for word, files in words.items():
            assert grep_files(m.mnt, word) == sorted(files), word
    s = sample.SYNCED
    assert grep_files(m.mnt, s["word"]) == sorted([s["original"], s["reference"]])


def link_targets(path):
    text = open(path, encoding="utf-8").read()
    for href in re.findall(r"\]\(([^) ]+)(?: \"[^\"]*\")?\)", text):
        if "://" in href or href.startswith("#") or href.startswith("mailto:"):
            continue
        yield href


def test_every_relative_link_resolves(emulator, mount):
    emu = emulator()
    m = mount(emu)
    seen = 0
    for d, dirs, files in os.walk(m.mnt):
        dirs[:] = [x for x in dirs if x != ".notionfs"]
        for f in files:
            if not f.endswith(".md"):
                continue
            for href in link_targets(os.path.join(d, f)):
                target = os.path.normpath(os.path.join(d, urllib.parse.unquote(href)))
                assert os.path.exists(target), (os.path.join(d, f), href)
                seen += 1
    assert seen >= 5
    # a child page's link goes to its file, relative to the page that holds it
    hb = open(m.path(HB + ".md"), encoding="utf-8").read()
    assert "](Team%20handbook/Onboarding.md" in hb


def test_export_equals_the_mount(emulator, mount, tmp):
    emu = emulator()
    m = mount(emu)
    out = os.path.join(tmp, "out")
    run_nfs(["export", out], nfs_env(emu, os.path.join(tmp, "c2")))
    assert read_tree(out) == read_tree(m.mnt)


def test_new_file_in_a_folder_is_a_sub_page(emulator, mount):
    emu = emulator()
    m = mount(emu)
    parent = page_id(m.path(HB + ".md"))
    emu.clear_log()
    with open(m.path(HB, "Meeting rhythm.md"), "w") as f:
        f.write("Weekly on Tuesdays, word velvetbrook.\n")
    wait_for(lambda: any(r["path"] == "/v1/pages" for r in writes(emu)), timeout=60,
             what="the create")
    creates = [r for r in writes(emu) if r["path"] == "/v1/pages"]
    assert len(creates) == 1
    body = creates[0]["body"]
    assert body["parent"] == {"type": "page_id", "page_id": parent}
    assert body["properties"]["title"]["title"][0]["text"]["content"] == "Meeting rhythm"
    assert "velvetbrook" in str(body["children"])
    def shown():
        text = open(m.path(HB, "Meeting rhythm.md")).read()
        return "_notion: {id: " in text and "_notion: {id: local" not in text and "velvetbrook" in text
    wait_for(shown, timeout=60, what="the sub-page to show with its id")
    state = emu.state()
    new = [p for p in state["pages"] if p["id"] == page_id(m.path(HB, "Meeting rhythm.md"))]
    assert new and new[0]["parent"] == {"type": "page_id", "page_id": parent}


def test_new_file_at_the_root_is_refused_with_a_reason(emulator, mount):
    emu = emulator()
    m = mount(emu)
    with pytest.raises(PermissionError):
        open(m.path("Top level.md"), "w")
    wait_for(lambda: "cannot be created at the top" in open(m.path(".notionfs", "errors")).read(),
             timeout=30, what="the reason in .notionfs/errors")
    # editors' scratch files are still local files there
    with open(m.path(".Top level.md.swp"), "w") as f:
        f.write("x")
    assert not any(r["path"] == "/v1/pages" for r in writes(emu))


def test_mkdir_beside_a_page_makes_its_folder_rmdir_removes_it(emulator, mount):
    emu = emulator()
    m = mount(emu)
    folder = m.path(HB, "Desk setup")
    os.mkdir(folder)
    assert os.path.isdir(folder)
    with pytest.raises(FileExistsError):
        os.mkdir(folder)
    with pytest.raises(PermissionError):
        os.mkdir(m.path(HB, "No such page"))
    os.rmdir(folder)
    assert not os.path.exists(folder)
    with pytest.raises(OSError):
        os.rmdir(m.path(HB, "Onboarding"))  # not empty
    os.mkdir(folder)
    with open(os.path.join(folder, "Chair.md"), "w") as f:
        f.write("Ergonomic.\n")
    parent = page_id(m.path(HB, "Desk setup.md"))
    wait_for(lambda: any(r["path"] == "/v1/pages" and r["body"]["parent"].get("page_id") == parent
                         for r in writes(emu)), timeout=60, what="the sub-page create")
    assert not any(r["method"] == "PATCH" for r in writes(emu))


def test_rm_of_a_page_with_sub_pages_trashes_its_subtree(emulator, mount):
    emu = emulator()
    m = mount(emu)
    onboarding = page_id(m.path(HB, "Onboarding.md"))
    inside = [page_id(m.path(HB, "Onboarding", f)) for f in ("Accounts.md", "First week.md")]
    inside.append(page_id(m.path(HB, "Onboarding", "First week", "Day one checklist.md")))
    emu.clear_log()
    os.unlink(m.path(HB, "Onboarding.md"))
    # the folder goes with its page, and nothing inside it shows anywhere else meanwhile
    assert not os.path.exists(m.path(HB, "Onboarding.md"))
    # (the kernel's entry for the folder is invalidated by the mount's refresh, not by the rm)
    wait_for(lambda: not os.path.exists(m.path(HB, "Onboarding")), timeout=30, what="the folder gone")
    assert grep_files(m.mnt, sample.UNIQUE_WORDS[HB + "/Onboarding/Accounts.md"]) == []

    def in_notion(pid):
        return [p for p in emu.state()["pages"] if p["id"] == pid and not p.get("in_trash")
                and not p.get("archived")]
    wait_for(lambda: not in_notion(onboarding), timeout=60, what="the page in Notion's trash")
    # every page of the subtree was queued (the safety valve counts each), none created
    trashed = {r["path"].rsplit("/", 1)[1] for r in writes(emu) if r["method"] == "PATCH"}
    wait_for(lambda: set(inside) <= {r["path"].rsplit("/", 1)[1] for r in writes(emu)
                                     if r["method"] == "PATCH"}, timeout=60,
             what="the trash of each page inside")
    assert onboarding in trashed
    assert not any(r["path"] == "/v1/pages" for r in writes(emu))


def test_moves_renames_and_trashes_in_notion_show_after_a_poll(emulator, mount):
    emu = emulator()
    m = mount(emu, poll=1, extra_env={"NOTIONFS_LISTING_EVERY": "2"})
    desk = page_id(m.path(HB, "Desk setup.md"))
    eng = page_id(m.path(ENG + ".md"))
    emu.admin("move_page", {"page_id": desk, "parent": {"page_id": eng}})
    wait_for(lambda: os.path.exists(m.path(ENG, "Desk setup.md")), timeout=60,
             what="the moved page in its new folder")
    assert not os.path.exists(m.path(HB, "Desk setup.md"))
    emu.admin("edit_page", {"page_id": eng, "title": "Engineering guild"})
    wait_for(lambda: os.path.isdir(m.path(HB, "Engineering guild")), timeout=60,
             what="the renamed folder")
    assert os.path.isfile(m.path(HB, "Engineering guild.md"))
    assert os.path.isfile(m.path(HB, "Engineering guild", "Desk setup.md"))
    assert not os.path.exists(m.path(ENG))
    travel = page_id(m.path(HB, "Travel policy.md"))
    emu.admin("archive", {"page_id": travel})
    wait_for(lambda: not os.path.exists(m.path(HB, "Travel policy.md")), timeout=60,
             what="the trashed page to vanish")


def test_mv_into_another_folder_is_one_page_move(emulator, mount):
    emu = emulator()
    m = mount(emu)
    desk = page_id(m.path(HB, "Desk setup.md"))
    eng = page_id(m.path(ENG + ".md"))
    emu.clear_log()
    os.rename(m.path(HB, "Desk setup.md"), m.path(ENG, "Desk setup.md"))
    assert os.path.isfile(m.path(ENG, "Desk setup.md"))
    assert not os.path.exists(m.path(HB, "Desk setup.md"))
    wait_for(lambda: [r for r in writes(emu) if r["path"].endswith("/move")], timeout=60,
             what="the move request")
    moves = [r for r in writes(emu) if r["path"].endswith("/move")]
    assert len(moves) == 1 and moves[0]["path"] == "/v1/pages/%s/move" % desk
    assert moves[0]["body"]["parent"] == {"type": "page_id", "page_id": eng}
    assert not [r for r in writes(emu) if r["method"] == "PATCH" or r["path"] == "/v1/pages"]
    page = [p for p in emu.state()["pages"] if p["id"] == desk][0]
    assert page["parent"] == {"type": "page_id", "page_id": eng}
    # once landed it stays there, and a page with sub-pages takes its folder along
    wait_for(lambda: "queued edits: 0\n" in open(m.path(".notionfs", "status")).read(), timeout=60,
             what="the queue to drain")
    assert open(m.path(ENG, "Desk setup.md")).read().count(sample.UNIQUE_WORDS[HB + "/Desk setup.md"]) == 1
    os.rename(m.path(HB, "Onboarding.md"), m.path(ENG, "Onboarding.md"))
    assert os.path.isfile(m.path(ENG, "Onboarding", "First week", "Day one checklist.md"))
    assert not os.path.exists(m.path(HB, "Onboarding"))


def test_mv_into_an_incompatible_data_source_fails_cleanly(emulator, mount):
    emu = emulator()
    m = mount(emu)
    rows = sorted(f for f in os.listdir(m.path(sample._REL_DB_DIR)) if f.endswith(".md"))
    src = m.path(sample._REL_DB_DIR, rows[0])
    before = open(src, "rb").read()
    emu.clear_log()
    m.expect_errors()
    with pytest.raises(OSError) as e:
        os.rename(src, m.path(HB, "Equipment", rows[0]))
    assert e.value.errno == 22  # EINVAL
    assert open(src, "rb").read() == before
    assert not os.path.exists(m.path(HB, "Equipment", rows[0]))
    wait_for(lambda: "not moved" in open(m.path(".notionfs", "errors")).read(), timeout=30,
             what="the reason in .notionfs/errors")
    errors = open(m.path(".notionfs", "errors")).read()
    assert re.search(r'property "(Date|Shipped)"', errors), errors
    assert writes(emu) == []
    # a page outside databases has only its title: it may become a row
    os.rename(m.path(HB, "Travel policy.md"), m.path(HB, "Equipment", "Travel policy.md"))
    wait_for(lambda: [r for r in writes(emu) if r["path"].endswith("/move")], timeout=60,
             what="the move")
    body = [r for r in writes(emu) if r["path"].endswith("/move")][0]["body"]
    assert body["parent"]["type"] == "data_source_id"


def poll_spans(emu):
    """The requests of each delta poll: from one search to the next (listing off)."""
    log = emu.log_requests()
    idx = [i for i, r in enumerate(log) if r["path"] == "/v1/search"]
    return [log[a:b] for a, b in zip(idx, idx[1:])]


def test_an_idle_poll_is_one_search_and_every_fourth_queries_each_data_source(emulator, mount):
    """docs/sync.md, "Delta pull": a poll without remote changes is one search; a data source
    is queried when the search shows one of its rows changed, and every 4th poll
    (NOTIONFS_SWEEP_EVERY) queries them all.  (Before: one query per data source every poll.)"""
    emu = emulator()
    m = mount(emu, poll=1, extra_env={"NOTIONFS_LISTING_EVERY": "1000000"})
    sources = [d for d, _, files in os.walk(m.mnt) if ".schema.yaml" in files]
    assert len(sources) >= 5
    wait_for(lambda: "bodies pending: 0" in open(m.path(".notionfs", "status")).read(),
             what="bodies fetched", timeout=120)
    emu.clear_log()
    wait_for(lambda: len(poll_spans(emu)) >= 8, timeout=90, what="eight polls")
    queries = []
    for span in poll_spans(emu)[:8]:
        q = [r for r in span if r["path"].endswith("/query")]
        others = [r for r in span if r not in q and r["path"] != "/v1/search"]
        assert [r["path"] for r in span].count("/v1/search") == 1 and not others, \
            [r["path"] for r in span]
        queries.append(len(q))
    assert sorted(queries) == [0] * 6 + [len(sources)] * 2, queries


def row_id(emu, title):
    def title_of(p):
        return "".join(t["plain_text"] for v in p["properties"].values() if v["type"] == "title"
                       for t in v["title"])
    return next(p for p in emu.state()["pages"] if title_of(p) == title)["id"]


def other_priority(text):
    now = re.search(r"^Priority: (\w+)$", text, re.M).group(1)
    return next(v for v in ("Low", "Medium", "High") if v != now)


def test_a_row_edited_in_notion_shows_at_the_next_poll_without_a_sweep(emulator, mount):
    """The search of a poll shows the edited row: its data source alone is queried, at once."""
    emu = emulator()
    m = mount(emu, poll=1, extra_env={"NOTIONFS_LISTING_EVERY": "1000000",
                                      "NOTIONFS_SWEEP_EVERY": "1000000"})
    path = m.path("Tasks", "Write API client.md")
    pid = row_id(emu, "Write API client")
    want = other_priority(open(path).read())
    emu.clear_log()
    emu.admin("edit_page", {"page_id": pid, "properties": {"Priority": {"select": {"name": want}}}})
    wait_for(lambda: "Priority: %s" % want in open(path).read(), what="the remote edit", timeout=60)
    queried = {r["path"] for r in emu.log_requests() if r["path"].endswith("/query")}
    assert len(queried) == 1, queried  # the data source of Tasks


def test_a_row_edit_the_search_does_not_show_yet_shows_at_a_sweep(emulator, mount):
    """Search indexing is not immediate: an edited row the search leaves out is found by the
    query of every data source that every 4th poll makes."""
    emu = emulator()
    m = mount(emu, poll=1, extra_env={"NOTIONFS_LISTING_EVERY": "1000000"})
    path = m.path("Tasks", "Write API client.md")
    pid = row_id(emu, "Write API client")
    want = other_priority(open(path).read())
    emu.admin("faults", {"search_stale": True})
    emu.clear_log()
    emu.admin("edit_page", {"page_id": pid, "properties": {"Priority": {"select": {"name": want}}}})
    wait_for(lambda: "Priority: %s" % want in open(path).read(), what="the remote edit", timeout=60)
    def queried(span):
        return [r for r in span if r["path"].endswith("/query")]
    # the polls before found nothing to query: the search does not show the edit
    wait_for(lambda: any(queried(sp) for sp in poll_spans(emu)), what="the poll that found it to end",
             timeout=30)
    found = next(sp for sp in poll_spans(emu) if queried(sp))
    sources = [d for d, _, files in os.walk(m.mnt) if ".schema.yaml" in files]
    assert len([r for r in found if r["path"].endswith("/query")]) == len(sources), \
        [r["path"] for r in found]


def test_a_line_appended_after_a_sub_page_line_never_deletes_the_sub_page(emulator, mount):
    emu = emulator()
    m = mount(emu)
    path = m.path(ENG + ".md")
    text = open(path, encoding="utf-8").read()
    last = text.rstrip("\n").splitlines()[-1]
    assert last.endswith('")') and re.search(r'"notion:child_(page|database) ', last), last
    emu.clear_log()
    with open(path, "a") as f:          # `echo ... >> Engineering.md`: no blank line before it
        f.write("Appended right below, word ashgrove.\n")
    wait_for(lambda: writes(emu), timeout=60, what="the save")
    wait_for(lambda: "queued edits: 0\n" in open(m.path(".notionfs", "status")).read(), timeout=60,
             what="the queue to drain")
    w = writes(emu)
    assert not [r for r in w if r["method"] == "DELETE"], w
    assert len(w) == 1 and w[0]["path"].endswith("/children"), w
    assert os.path.isfile(m.path(ENG, "Code review.md"))
    assert "ashgrove" in open(path, encoding="utf-8").read()


def test_removing_a_sub_page_line_from_the_body_never_trashes_it(emulator, mount):
    emu = emulator()
    m = mount(emu)
    path = m.path(HB + ".md")
    lines = open(path, encoding="utf-8").read().split("\n")
    kept = [l for l in lines if "notion:child_page" not in l or "Onboarding" not in l]
    assert len(kept) == len(lines) - 1
    emu.clear_log()
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(kept).replace("quillmarsh", "quillmarsh edited"))
    wait_for(lambda: writes(emu), timeout=60, what="the save")
    wait_for(lambda: "queued edits: 0\n" in open(m.path(".notionfs", "status")).read(), timeout=60,
             what="the queue to drain")
    assert not [r for r in writes(emu) if r["method"] == "DELETE"]
    assert os.path.isfile(m.path(HB, "Onboarding.md"))
    onboarding = page_id(m.path(HB, "Onboarding.md"))
    assert [p for p in emu.state()["pages"] if p["id"] == onboarding and not p.get("in_trash")]


@pytest.mark.daemon_errors(r"503", r"children of", r"could not")
def test_a_parent_block_notion_cannot_answer_for_never_fails_the_pull(emulator, mount):
    emu = emulator()
    # every block request fails (bodies and the parent blocks of pages alike) for a while
    emu.admin("faults", {"fail_next": {"count": 1000000, "status": 503, "path_prefix": "/v1/blocks/"}})
    m = mount(emu, poll=1, extra_env={"NOTIONFS_LISTING_EVERY": "2"},
              expect_errors=[r".*"])
    # the first pull ended: the page whose parent is a column is listed (its body cannot be
    # fetched yet: names only), at the root for now
    assert HB + ".md" in os.listdir(m.mnt) and "Desk setup.md" in os.listdir(m.mnt)
    emu.admin("faults/clear", {})
    wait_for(lambda: "Desk setup.md" in os.listdir(m.path(HB)), timeout=120,
             what="the page in its folder once its parent block could be read")
    assert "Desk setup.md" not in os.listdir(m.mnt)


# ---- issue 7 on the tree's writes: lost answers and crashes --------------------------

FAST = {"NOTIONFS_SETTLE_MS": "4000", "NOTIONFS_TIMEOUT_MS": "1500"}


def settled_tree(m):
    return "queued edits: 0\n" in open(m.path(".notionfs", "status")).read()


def titled(emu, title):
    return [p for p in emu.state()["pages"] if sample_title(p) == title
            and not p.get("archived") and not p.get("in_trash")]


def sample_title(p):
    for v in p.get("properties", {}).values():
        if v.get("type") == "title":
            return "".join(t.get("plain_text", t.get("text", {}).get("content", "")) for t in v["title"])
    return None


def test_lost_answer_to_a_sub_page_create_makes_one_sub_page(emulator, mount):
    emu = emulator()
    m = mount(emu, poll=3600, extra_env=FAST)
    parent = page_id(m.path(HB + ".md"))
    emu.admin("faults", {"lose_answer": {"count": 1, "method": "POST", "path_prefix": "/v1/pages"}})
    with open(m.path(HB, "Created once below.md"), "w") as f:
        f.write("A sub-page whose create answer was lost.\n")
        f.flush()
        os.fsync(f.fileno())
    wait_for(lambda: settled_tree(m), what="the queue to empty", timeout=120)
    made = titled(emu, "Created once below")
    assert len(made) == 1, made
    assert made[0]["parent"] == {"type": "page_id", "page_id": parent}
    wait_for(lambda: "_notion: {id: %s" % made[0]["id"] in open(m.path(HB, "Created once below.md")).read(),
             what="the sub-page shown with its id", timeout=60)


def test_kill_during_a_sub_page_create_makes_one_sub_page(emulator, mount):
    emu = emulator()
    m = mount(emu, poll=3600, extra_env={"NOTIONFS_SETTLE_MS": "4000"})
    parent = page_id(m.path(HB + ".md"))
    # the create is applied, its answer is slow: the daemon dies before it
    emu.admin("faults", {"delay_answer": {"count": 1, "ms": 4000, "apply": "before",
                                          "method": "POST", "path_prefix": "/v1/pages"}})
    with open(m.path(HB, "Created across a crash.md"), "w") as f:
        f.write("A sub-page created while the daemon died.\n")
        f.flush()
        os.fsync(f.fileno())
    wait_for(lambda: titled(emu, "Created across a crash"), what="the create applied", timeout=60)
    os.kill(m.proc.pid, 9)
    m.proc.wait(timeout=30)
    subprocess.run(["fusermount3", "-uz", m.mnt], capture_output=True)
    m.proc.returncode = 0  # killed on purpose
    wait_for(lambda: emu.admin("idle")["in_flight"] == 0, what="the emulator idle", timeout=30)
    m2 = mount(emu, poll=3600, extra_env={"NOTIONFS_SETTLE_MS": "4000"})  # as the first
    wait_for(lambda: settled_tree(m2), what="the queue to empty after the restart", timeout=120)
    made = titled(emu, "Created across a crash")
    assert len(made) == 1, made
    assert made[0]["parent"] == {"type": "page_id", "page_id": parent}
    assert os.path.isfile(m2.path(HB, "Created across a crash.md"))


def test_lost_answer_to_a_move_moves_the_page_once(emulator, mount):
    emu = emulator()
    m = mount(emu, poll=3600, extra_env=FAST)
    desk = page_id(m.path(HB, "Desk setup.md"))
    eng = page_id(m.path(ENG + ".md"))
    emu.admin("faults", {"lose_answer": {"count": 1, "method": "POST", "path_suffix": "/move"}})
    os.rename(m.path(HB, "Desk setup.md"), m.path(ENG, "Desk setup.md"))
    wait_for(lambda: settled_tree(m), what="the queue to empty", timeout=120)
    page = [p for p in emu.state()["pages"] if p["id"] == desk][0]
    assert page["parent"] == {"type": "page_id", "page_id": eng}
    assert not os.listdir(m.path(".notionfs", "rejected"))
    assert os.path.isfile(m.path(ENG, "Desk setup.md"))
    assert not os.path.exists(m.path(HB, "Desk setup.md"))
    assert open(m.path(ENG, "Desk setup.md")).read().count(sample.UNIQUE_WORDS[HB + "/Desk setup.md"]) == 1
