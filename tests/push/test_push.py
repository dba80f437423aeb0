"""Push engine tests against the local emulator (sync/push.c through
sync/tests/push_driver).  Every emulator and driver process started here is
stopped by its pid in teardown.  No timing assertions: waits only bound
hangs.  Run: /usr/bin/python3 -m pytest tests/push (NOTIONFS_BUILD=build dir).
"""
import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("NOTIONFS_BUILD", os.path.join(ROOT, "build"))
DRIVER = os.path.join(BUILD, "sync", "push_driver")
EMULATOR = os.path.join(ROOT, "contrib", "notion_emulator.py")

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from nfstest import admin, start_announcing, stop_process as stop, wait_for  # noqa: E402

TOKEN = "secret_push_token"


class Env:
    """An emulator with a generated database of 20 pages, and a pulled cache."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.cache = os.path.join(tmp, "cache")
        port_file = os.path.join(tmp, "port")
        self.log = open(os.path.join(tmp, "emulator.log"), "w")
        self.procs = []
        env = dict(os.environ, NOTION_EMULATOR_TOKEN=TOKEN)
        self.emu, self.url = start_announcing(
            [sys.executable, EMULATOR, "--port", "0", "--port-file", port_file, "--rate", "0",
             "--quiet", "--generate", "20"], port_file, self.log, env=env)
        # a request that creates may land up to 3 s after it was sent here
        self.env = dict(os.environ, NOTIONFS_API_URL=self.url, NOTION_TOKEN=TOKEN,
                        NOTIONFS_SETTLE_MS="3000")
        st = self.state()
        self.db = st["databases"][0]["id"]
        self.pages = [p["id"] for p in st["pages"]
                      if p["parent"].get("database_id") == self.db and not p.get("archived")]
        self.pages.sort()
        self.run("pull")
        self.nsave = 0

    def admin(self, path, body=None):
        return admin(self.url, path, body)

    def state(self):
        return self.admin("state")

    def page(self, pid):
        return next(p for p in self.state()["pages"] if p["id"] == pid)

    def requests(self):
        return [r for r in self.admin("log")["requests"]]

    def clear_log(self):
        self.admin("log/clear", {})

    def run(self, *args, check=True):
        p = subprocess.run([DRIVER, args[0], self.cache] + list(args[1:]), env=self.env,
                           capture_output=True, text=True, timeout=300)
        if check and p.returncode != 0:
            raise AssertionError("push_driver %s: %s %s" % (args, p.stdout, p.stderr))
        assert "Sanitizer" not in p.stderr and "runtime error" not in p.stderr, p.stderr
        return p.stdout

    def enqueue(self, **save):
        self.nsave += 1
        f = os.path.join(self.tmp, "save%d.json" % self.nsave)
        save.setdefault("kind", "update")
        save.setdefault("text", "saved text %d" % self.nsave)
        with open(f, "w") as fh:
            json.dump(save, fh)
        return self.run("enqueue", f)

    def push(self, *args, check=True):
        return self.run("push", *args, check=check)

    def dump(self):
        return json.loads(self.run("dump"))

    def spawn_push(self, *args):
        p = subprocess.Popen([DRIVER, "push", self.cache] + list(args), env=self.env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.procs.append(p)
        return p

    def close(self):
        for p in self.procs:
            stop(p, signal.SIGKILL)
            if p.stdout:
                p.stdout.close()
            if p.stderr:
                p.stderr.close()
        stop(self.emu)
        self.log.close()


@pytest.fixture
def env(tmp_path):
    e = Env(str(tmp_path))
    yield e
    e.close()


def props_patch(**kv):
    return {"properties": kv}


def number(v):
    return {"number": v}


def rich(s):
    return {"rich_text": [{"type": "text", "text": {"content": s}}]}


def plain(prop):
    return "".join(t.get("plain_text", t.get("text", {}).get("content", ""))
                   for t in prop.get("rich_text", prop.get("title", [])))


def writes(reqs):
    return [r for r in reqs if r["method"] != "GET"]


def now_ms():
    return int(time.time() * 1000)


def test_single_property_costs_get_and_patch(env):
    pid = env.pages[0]
    env.enqueue(page_id=pid, props=props_patch(Points=number(42)), saved_at_ms=now_ms())
    env.clear_log()
    assert "pushed 1" in env.push()
    reqs = env.requests()
    assert [(r["method"], r["path"]) for r in reqs] == [
        ("GET", "/v1/pages/" + pid), ("PATCH", "/v1/pages/" + pid)]
    assert reqs[1]["body"] == {"properties": {"Points": {"number": 42}}}
    assert env.page(pid)["properties"]["Points"]["number"] == 42
    d = env.dump()
    assert d["queue"] == [] and d["conflicts"] == []


def test_different_property_edited_remotely_both_kept(env):
    pid = env.pages[1]
    env.enqueue(page_id=pid, props=props_patch(Points=number(7)), saved_at_ms=now_ms())
    env.admin("edit_page", {"page_id": pid, "properties": {"Notes": rich("remote note")}})
    env.clear_log()
    env.push()
    reqs = env.requests()
    assert len(reqs) == 2 and reqs[1]["body"] == {"properties": {"Points": {"number": 7}}}
    p = env.page(pid)["properties"]
    assert p["Points"]["number"] == 7 and plain(p["Notes"]) == "remote note"
    assert env.dump()["conflicts"] == []


def test_same_property_remote_later_wins(env):
    pid = env.pages[2]
    # saved an hour ago, the remote edit is now: the remote value wins
    env.enqueue(page_id=pid, props=props_patch(Notes=rich("local note")),
                saved_at_ms=now_ms() - 3600 * 1000)
    env.admin("edit_page", {"page_id": pid, "properties": {"Notes": rich("remote note")}})
    env.clear_log()
    env.push()
    assert writes(env.requests()) == []
    assert plain(env.page(pid)["properties"]["Notes"]) == "remote note"
    c = env.dump()["conflicts"]
    assert len(c) == 1 and c[0]["what"] == "property Notes" and c[0]["winner"] == "remote"
    assert "local note" in c[0]["local_value"] and "remote note" in c[0]["remote_value"]


def test_same_property_local_later_wins(env):
    pid = env.pages[3]
    env.admin("edit_page", {"page_id": pid, "properties": {"Notes": rich("remote note")}})
    # saved after the remote minute began (a tie within the minute: local wins)
    env.enqueue(page_id=pid, props=props_patch(Notes=rich("local note")), saved_at_ms=now_ms())
    env.push()
    assert plain(env.page(pid)["properties"]["Notes"]) == "local note"
    c = env.dump()["conflicts"]
    assert len(c) == 1 and c[0]["winner"] == "local" and "remote note" in c[0]["remote_value"]


def test_validation_error_rejects_only_that_page(env):
    bad, good = env.pages[4], env.pages[5]
    env.enqueue(page_id=bad, props=props_patch(Status={"status": {"name": "No such status"}}))
    env.enqueue(page_id=good, props=props_patch(Points=number(5)))
    out = env.push()
    assert "pushed 1" in out
    d = env.dump()
    assert d["rejected"] == 1 and d["queued"] == 0
    assert d["queue"][0]["page_id"] == bad and d["queue"][0]["state"] == 2
    assert any("rejected by Notion" in l for l in d["log"])
    assert env.page(good)["properties"]["Points"]["number"] == 5


def test_rejection_by_notion_names_status_code_and_message(env):
    bad = env.pages[4]
    env.enqueue(page_id=bad, props=props_patch(Points={"number": "not a number"}))
    env.push()
    d = env.dump()
    assert d["rejected"] == 1
    assert any(re.search(r"rejected by Notion: HTTP 400 validation_error: \S", l)
               for l in d["log"]), d["log"]


def test_transient_failures_then_recovery_in_order(env):
    a, b = env.pages[6], env.pages[7]
    env.enqueue(page_id=a, props=props_patch(Points=number(1)))
    env.enqueue(page_id=b, props=props_patch(Points=number(2)))
    env.enqueue(page_id=a, props=props_patch(Points=number(3)))
    env.admin("faults", {"fail_next": {"count": 2, "status": 503}})
    env.admin("faults", {"storm_429": {"count": 1, "retry_after": 1}})
    env.clear_log()
    assert "pushed 3" in env.push("--loops", "5")
    patches = [(r["path"][-36:], r["body"]["properties"]["Points"]["number"])
               for r in env.requests() if r["method"] == "PATCH" and r["status"] == 200]
    assert patches == [(a, 1), (b, 2), (a, 3)]
    assert env.page(a)["properties"]["Points"]["number"] == 3
    assert env.dump()["queue"] == []


def test_transport_failure_leaves_entry_queued(env):
    pid = env.pages[8]
    env.enqueue(page_id=pid, props=props_patch(Points=number(9)))
    env.admin("faults", {"fail_next": {"count": 50, "status": 503}})
    out = env.push(check=False)
    assert "rc -11 pushed 0" in out  # -EAGAIN: retry later
    d = env.dump()
    assert d["queued"] == 1 and d["rejected"] == 0
    env.admin("faults/clear", {})
    assert "pushed 1" in env.push()
    assert env.page(pid)["properties"]["Points"]["number"] == 9


@pytest.mark.parametrize("when", ["after_enqueue", "mid_push"])
def test_crash_safety_exactly_once(env, when):
    pid = env.pages[9]
    env.enqueue(page_id=pid, props=props_patch(Points=number(77)))
    env.enqueue(page_id=pid, props=props_patch(Notes=rich("crash note")))
    env.clear_log()
    if when == "mid_push":
        env.admin("faults", {"slow_ms": 1500})
        p = env.spawn_push()
        # kill -9 once the first PATCH has been received (the emulator then
        # applies it after the delay, after the driver is gone)
        wait_for(lambda: any(r["method"] == "PATCH" for r in env.requests()), what="a PATCH", timeout=60)
        os.kill(p.pid, signal.SIGKILL)
        p.wait(timeout=10)
        # the slowed request finishes on the emulator side
        wait_for(lambda: env.admin("idle")["in_flight"] == 0, timeout=60, what="the slowed PATCH")
        env.admin("faults/clear", {})
    assert "pushed 2" in env.push()
    patches = [r for r in env.requests() if r["method"] == "PATCH"]
    pts = [r for r in patches if "Points" in r["body"]["properties"]]
    notes = [r for r in patches if "Notes" in r["body"]["properties"]]
    assert len(pts) == 1 and len(notes) == 1
    p = env.page(pid)["properties"]
    assert p["Points"]["number"] == 77 and plain(p["Notes"]) == "crash note"
    assert env.dump()["queue"] == []


def test_block_ops_update_insert_delete(env):
    pid = env.pages[10]
    blocks = env.page(pid)["children"]
    b0, b1, b2 = blocks[0]["id"], blocks[1]["id"], blocks[2]["id"]
    ops = [
        {"op": "update", "block": b0, "payload": {"paragraph": rich("edited locally")}},
        {"op": "insert_after", "parent": None, "after": {"id": b0},
         "payload": {"children": [{"type": "paragraph", "paragraph": rich("new one")},
                                  {"type": "paragraph", "paragraph": rich("new two")}]}},
        {"op": "insert_after", "parent": None, "after": {"op": 1, "index": 1},
         "payload": {"children": [{"type": "paragraph", "paragraph": rich("new three")}]}},
        {"op": "delete", "block": b2},
    ]
    env.enqueue(page_id=pid, props=None, ops=ops)
    assert "pushed 1" in env.push()
    kids = [c for c in env.page(pid)["children"] if not c.get("archived")]
    texts = [plain(c[c["type"]]) for c in kids]
    assert texts == ["edited locally", "new one", "new two", "new three", plain(blocks[1]["heading_2"])]
    assert b1 in [c["id"] for c in kids]


def test_block_ops_insert_at_start(env):
    # {"start": true}: one append with position start, before the first block, which keeps its id
    pid = env.pages[14]
    blocks = env.page(pid)["children"]
    b0 = blocks[0]["id"]
    ops = [
        {"op": "insert_after", "parent": None, "after": {"start": True},
         "payload": {"children": [{"type": "paragraph", "paragraph": rich("first now")},
                                  {"type": "paragraph", "paragraph": rich("second now")}]}},
        {"op": "insert_after", "parent": None, "after": {"op": 0, "index": 1},
         "payload": {"children": [{"type": "paragraph", "paragraph": rich("third now")}]}},
    ]
    env.enqueue(page_id=pid, props=None, ops=ops)
    env.clear_log()
    assert "pushed 1" in env.push()
    appends = [r for r in env.requests() if r["method"] == "PATCH" and r["path"].endswith("/children")]
    assert [r["body"]["position"]["type"] for r in appends] == ["start", "after_block"]
    kids = [c for c in env.page(pid)["children"] if not c.get("archived")]
    assert [plain(c[c["type"]]) for c in kids[:3]] == ["first now", "second now", "third now"]
    assert [c["id"] for c in kids[3:]] == [b["id"] for b in blocks]
    assert kids[3]["id"] == b0


def killed_mid_append(env, pid, after, text):
    """Queues one paragraph `text` inserted at `after`, kills the pushing
    driver while the append's answer is slow (the request is applied), and
    pushes again: the live children of the page, once the resumed push ends."""
    env.enqueue(page_id=pid, ops=[
        {"op": "insert_after", "parent": None, "after": after,
         "payload": {"children": [{"type": "paragraph", "paragraph": rich(text)}]}}])
    env.clear_log()
    env.admin("faults", {"slow_ms": 1500})
    p = env.spawn_push()
    wait_for(lambda: any(r["method"] == "PATCH" for r in env.requests()), what="the append", timeout=60)
    os.kill(p.pid, signal.SIGKILL)
    p.wait(timeout=10)
    env.admin("faults/clear", {})
    # The killed driver's append is still in flight on the emulator (it lands
    # 1.5 s after it was sent): the next push must not look for it before it
    # can have landed (NOTIONFS_SETTLE_MS), then finds it and sends nothing.
    wait_for(lambda: "pushed 1" in env.push(check=False), what="the resumed push", timeout=60)
    return [c for c in env.page(pid)["children"] if not c.get("archived")]


def test_crash_mid_append_at_start_no_duplicate(env):
    pid = env.pages[15]
    b0 = env.page(pid)["children"][0]["id"]
    # the resumed push finds the block at the start and sends nothing again
    kids = killed_mid_append(env, pid, {"start": True}, "started once")
    texts = [plain(c[c["type"]]) for c in kids]
    assert texts.count("started once") == 1 and texts[0] == "started once"
    assert kids[1]["id"] == b0
    assert len([r for r in env.requests() if r["method"] == "PATCH"]) == 1


def test_block_conflict_remote_wins(env):
    pid = env.pages[11]
    b0 = env.page(pid)["children"][0]["id"]
    env.enqueue(page_id=pid, ops=[{"op": "update", "block": b0,
                                   "payload": {"paragraph": rich("local text")}}],
                saved_at_ms=now_ms() - 3600 * 1000)
    env.admin("edit_page", {"page_id": pid, "replace_text": {"block_id": b0, "text": "remote text"}})
    env.push()
    kid = env.page(pid)["children"][0]
    assert plain(kid["paragraph"]) == "remote text"
    c = env.dump()["conflicts"]
    assert len(c) == 1 and c[0]["what"] == "block " + b0 and c[0]["winner"] == "remote"


def test_create_and_archive(env):
    env.enqueue(kind="create", page_id="local-1", database_id=env.db,
                props=props_patch(Name={"title": [{"type": "text", "text": {"content": "Made here"}}]},
                                  Points=number(3)),
                ops=[{"type": "paragraph", "paragraph": rich("body %d" % i)} for i in range(120)])
    env.enqueue(kind="archive", page_id=env.pages[12])
    assert "pushed 2" in env.push()
    st = env.state()
    made = [p for p in st["pages"] if plain(p["properties"].get("Name", {})) == "Made here"]
    assert len(made) == 1 and len(made[0]["children"]) == 120
    assert made[0]["properties"]["Points"]["number"] == 3
    assert next(p for p in st["pages"] if p["id"] == env.pages[12])["archived"]
    assert env.dump()["queue"] == []


def test_mass_archive_valve(env):
    for pid in env.pages[:6]:
        env.enqueue(kind="archive", page_id=pid)
    env.clear_log()
    assert "pushed 0" in env.push()
    assert writes(env.requests()) == []
    d = env.dump()
    assert d["held"] == 6 and any("confirm-deletes" in l for l in d["log"])
    assert "pushed 6" in env.push("--confirm-deletes")
    st = env.state()
    assert all(next(p for p in st["pages"] if p["id"] == pid)["archived"] for pid in env.pages[:6])
    assert env.dump()["queue"] == []


def test_valve_holds_the_rest_of_a_burst_split_over_two_pushes(env):
    # a burst of unlinks longer than the engine's settle wait reaches two pushes: the second
    # part alone is under the valve's share, but with the part already held it is not
    for pid in env.pages[:6]:
        env.enqueue(kind="archive", page_id=pid)
    assert "pushed 0" in env.push()
    env.enqueue(kind="archive", page_id=env.pages[6])
    env.clear_log()
    assert "pushed 0" in env.push()
    assert writes(env.requests()) == []
    assert env.dump()["held"] == 7


def test_an_archive_queued_while_the_push_runs_is_judged_by_the_valve(env):
    # rm of many files goes on while the pusher is busy with another save: the trash queued
    # after the valve looked must not be pushed without it (1 of 1,100 deletes was trashed)
    for pid in env.pages[:6]:
        env.enqueue(kind="archive", page_id=pid)
    assert "pushed 0" in env.push()
    assert env.dump()["held"] == 6
    env.enqueue(page_id=env.pages[10], props=props_patch(Points=number(41)))
    env.admin("faults", {"delay_answer": {"count": 1, "ms": 3000, "apply": "before",
                                          "method": "PATCH"}})
    env.clear_log()
    p = env.spawn_push()
    wait_for(lambda: [r for r in env.requests() if r["method"] == "PATCH"], timeout=60,
             what="the update under way")
    env.enqueue(kind="archive", page_id=env.pages[7])
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    assert not [r for r in writes(env.requests()) if env.pages[7] in r["path"]]
    assert env.dump()["held"] == 7


def test_five_archives_pass_the_valve(env):
    for pid in env.pages[:5]:
        env.enqueue(kind="archive", page_id=pid)
    assert "pushed 5" in env.push()


def test_crash_mid_append_no_duplicate(env):
    pid = env.pages[13]
    b0 = env.page(pid)["children"][0]["id"]
    kids = killed_mid_append(env, pid, {"id": b0}, "appended once")
    texts = [plain(c[c["type"]]) for c in kids]
    assert texts.count("appended once") == 1 and texts[1] == "appended once"
    assert len([r for r in env.requests() if r["method"] == "PATCH"]) == 1
