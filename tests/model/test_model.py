"""Reference-model test of the sync core without FUSE (tests/model/model_driver.c
against contrib/notion_emulator.py), in the shape of mountpoint-s3's reftests
and SQLite's crash tests.

Per seed, a random sequence over 3 pages of local saves (the mount's save path:
render, edit, diff against the chain head, queue), remote edits by "Other
Editor", faults, pushes (some SIGKILLed at a random moment and resumed later)
and pulls.  A simple model says what Notion must hold at the end:
  body: the tracked blocks (the generated ones and every local token) in the
        order the local edits put them, each exactly once; every remote token
        exactly once; deleted blocks gone; no duplicate blocks;
  properties: Points and Status as the last local save set them, Notes as
        the last remote edit set it (the two sides never touch the same
        property, so the later-write rule is not exercised here).
Seeds: a fixed CI list, or NOTIONFS_MODEL_SEEDS="1,2,3" / "random:N".
Every process started is stopped by its pid; waits poll; no timing assertions.
"""
import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("NOTIONFS_BUILD", os.path.join(ROOT, "build"))
DRIVER = os.path.join(BUILD, "tests", "model", "model_driver")
EMULATOR = os.path.join(ROOT, "contrib", "notion_emulator.py")

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from nfstest import admin, start_announcing, stop_process as stop, wait_for  # noqa: E402

TOKEN = "secret_model_token"
STEPS = int(os.environ.get("NOTIONFS_MODEL_STEPS", "25"))
CI_SEEDS = [1, 2, 3, 4, 5, 6]
STATUSES = ["Not started", "In progress", "Done"]


def seeds():
    spec = os.environ.get("NOTIONFS_MODEL_SEEDS", "")
    if spec.startswith("random:"):
        n = int(spec.split(":", 1)[1])
        r = random.SystemRandom()
        return [r.randrange(1, 2 ** 31) for _ in range(n)]
    if spec:
        return [int(s) for s in spec.split(",") if s.strip()]
    return CI_SEEDS


def block_text(b):
    t = b.get(b.get("type"), {}) or {}
    return "".join(x.get("plain_text") or x.get("text", {}).get("content", "")
                   for x in t.get("rich_text", []))


def prop_value(p, name):
    v = p["properties"][name]
    if v["type"] == "number":
        return v["number"]
    if v["type"] == "status":
        return (v["status"] or {}).get("name")
    if v["type"] == "rich_text":
        return "".join(x.get("plain_text") or x["text"]["content"] for x in v["rich_text"])
    return v


class Env:
    def __init__(self, tmp):
        self.tmp = tmp
        self.cache = os.path.join(tmp, "cache")
        port_file = os.path.join(tmp, "port")
        self.log = open(os.path.join(tmp, "emulator.log"), "w")
        self.procs = []
        env = dict(os.environ, NOTION_EMULATOR_TOKEN=TOKEN)
        self.emu, self.url = start_announcing(
            [sys.executable, EMULATOR, "--port", "0", "--port-file", port_file, "--rate", "0",
             "--quiet", "--generate", "5", "--generate-blocks", "3"], port_file, self.log, env=env)
        self.env = dict(os.environ, NOTIONFS_API_URL=self.url, NOTION_TOKEN=TOKEN,
                        NOTIONFS_SETTLE_MS="1500")
        self.nfile = 0

    def admin(self, path, body=None):
        return admin(self.url, path, body)

    def pages(self):
        st = self.admin("state")
        return {p["id"]: p for p in st["pages"] if p["parent"].get("database_id")}

    def run(self, *args, check=True):
        p = subprocess.run([DRIVER, args[0], self.cache] + list(args[1:]), env=self.env,
                           capture_output=True, text=True, timeout=300)
        assert "Sanitizer" not in p.stderr and "runtime error" not in p.stderr, p.stderr
        if check and p.returncode != 0:
            raise AssertionError("model_driver %s: %s %s" % (args, p.stdout, p.stderr))
        return p.stdout

    def spawn(self, *args):
        p = subprocess.Popen([DRIVER, args[0], self.cache] + list(args[1:]), env=self.env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(p)
        return p

    def save(self, page, text):
        self.nfile += 1
        f = os.path.join(self.tmp, "save%d.md" % self.nfile)
        with open(f, "w") as fh:
            fh.write(text)
        return self.run("save", page, f)

    def dump(self):
        return json.loads(self.run("dump"))

    def close(self):
        for p in self.procs:
            stop(p, signal.SIGKILL)
        stop(self.emu)
        self.log.close()


def split_page(text):
    """front-matter text, list of body blocks (one line each here)."""
    assert text.startswith("---\n"), text
    end = text.index("\n---\n", 4) + 5
    body = text[end:]
    blocks = [b for b in body.split("\n\n") if b.strip()]
    return text[:end], [b.strip("\n") for b in blocks]


def line_text(line):
    for pre in ("## ", "- [x] ", "- [ ] ", "# ", "### "):
        if line.startswith(pre):
            return line[len(pre):]
    return line


def set_prop(front, name, value):
    out = []
    for ln in front.split("\n"):
        if ln.startswith(name + ": "):
            ln = "%s: %s" % (name, value)
        out.append(ln)
    return "\n".join(out)


def run_model(env, seed, trace):
    rnd = random.Random(seed)
    env.run("pull")
    pages = sorted(env.pages())[:3]
    init = env.pages()
    # the model
    tracked = {}   # page -> ordered list of block texts the local side owns
    remote = {p: [] for p in pages}
    props = {}
    for p in pages:
        tracked[p] = [block_text(b) for b in init[p]["children"] if not b.get("archived")]
        props[p] = {n: prop_value(init[p], n) for n in ("Points", "Status", "Notes")}
    ntok = [0]

    def token(kind):
        ntok[0] += 1
        return "%s-%d-%d" % (kind, seed, ntok[0])

    for step in range(STEPS):
        page = rnd.choice(pages)
        what = rnd.choices(["save", "remote", "fault", "push", "pull"], [10, 3, 3, 6, 1])[0]
        if what == "save":
            text = env.run("render", page)
            front, blocks = split_page(text)
            texts = [line_text(b) for b in blocks]
            mine = [i for i, t in enumerate(texts) if t in tracked[page]]
            paras = [i for i in mine if blocks[i] == texts[i]]
            kinds = ["append", "insert", "prepend", "points", "status"]
            if paras:
                kinds.append("change")
            if len(mine) > 1:
                kinds.append("delete")
            k = rnd.choice(kinds)
            if k == "append":
                t = token("L")
                blocks.append(t)
                tracked[page].append(t)
                desc = "append %s" % t
            elif k == "insert":
                i = rnd.choice(mine)
                t = token("L")
                blocks.insert(i + 1, t)
                tracked[page].insert(tracked[page].index(texts[i]) + 1, t)
                desc = "insert %s after %r" % (t, texts[i])
            elif k == "prepend":   # before the first block: an append at position start
                t = token("L")
                blocks.insert(0, t)
                tracked[page].insert(0, t)
                desc = "prepend %s" % t
            elif k == "change":
                i = rnd.choice(paras)
                t = token("C")
                blocks[i] = t
                tracked[page][tracked[page].index(texts[i])] = t
                desc = "change %r to %s" % (texts[i], t)
            elif k == "delete":
                i = rnd.choice(mine)
                del blocks[i]
                tracked[page].remove(texts[i])
                desc = "delete %r" % texts[i]
            elif k == "points":
                v = rnd.randrange(1, 1000)
                front = set_prop(front, "Points", v)
                props[page]["Points"] = v
                desc = "Points = %d" % v
            else:
                v = rnd.choice(STATUSES)
                front = set_prop(front, "Status", v)
                props[page]["Status"] = v
                desc = "Status = %s" % v
            out = env.save(page, front + "\n\n".join(blocks) + "\n")
            trace.append("save %s: %s -> %s" % (page[:8], desc, out.strip()))
        elif what == "remote":
            if rnd.random() < 0.6:
                t = token("R")
                env.admin("edit_page", {"page_id": page, "append_blocks": [
                    {"object": "block", "type": "paragraph",
                     "paragraph": {"rich_text": [{"type": "text", "text": {"content": t}}]}}]})
                remote[page].append(t)
                trace.append("remote %s: append %s" % (page[:8], t))
            else:
                v = token("note")
                env.admin("edit_page", {"page_id": page, "properties": {
                    "Notes": {"rich_text": [{"type": "text", "text": {"content": v}}]}}})
                props[page]["Notes"] = v
                trace.append("remote %s: Notes = %s" % (page[:8], v))
        elif what == "fault":
            f = rnd.choice(["fail", "lose", "delay", "storm"])
            if f == "fail":
                body = {"fail_next": {"count": rnd.randint(1, 3), "status": 503}}
            elif f == "lose":
                body = {"lose_answer": {"count": 1, "method": "PATCH", "path_suffix": "/children"}}
            elif f == "delay":
                body = {"delay_answer": {"count": 1, "ms": rnd.randint(100, 1200), "apply": "after",
                                         "method": "PATCH", "path_suffix": "/children"}}
            else:
                body = {"storm_429": {"count": rnd.randint(1, 3), "retry_after": 1}}
            env.admin("faults", body)
            trace.append("fault %s" % json.dumps(body))
        elif what == "push":
            if rnd.random() < 0.4:
                wait = rnd.uniform(0, 0.5)
                p = env.spawn("push", "--loops", "3")
                time.sleep(wait)
                stop(p, signal.SIGKILL)
                trace.append("push killed after %.3f s (rc %s)" % (wait, p.returncode))
            else:
                out = env.run("push", "--loops", "3", check=False)
                trace.append("push: %s" % out.strip())
        else:
            out = env.run("pull", check=False)
            trace.append("pull: %s" % out.strip())

    # the end: no faults, nothing in flight, the queue drained
    env.admin("faults/clear", {})
    wait_for(lambda: env.admin("idle")["in_flight"] == 0, what="emulator idle", timeout=60)
    deadline = time.monotonic() + 120
    while True:
        d = env.dump()
        states = [e["state"] for e in d["queue"]]
        assert 2 not in states and d["rejected"] == 0, "rejected entries: %s" % d
        if not any(s in (0, 1) for s in states):
            break
        assert time.monotonic() < deadline, "queue does not drain: %s" % d
        out = env.run("push", "--loops", "5", check=False)
        trace.append("final push: %s" % out.strip())
    wait_for(lambda: env.admin("idle")["in_flight"] == 0, what="emulator idle", timeout=60)
    trace.append("conflicts: %d" % d["conflicts"])

    now = env.pages()
    problems = []
    for p in pages:
        got = [block_text(b) for b in now[p]["children"] if not b.get("archived")]
        mine = [t for t in got if not t.startswith("R-")]
        if mine != tracked[p]:
            problems.append("page %s body: Notion has %s, the model %s" % (p[:8], mine, tracked[p]))
        for t in remote[p]:
            if got.count(t) != 1:
                problems.append("page %s: remote token %s present %d times" % (p[:8], t, got.count(t)))
        dups = sorted({t for t in got if got.count(t) > 1})
        if dups:
            problems.append("page %s: duplicate blocks %s" % (p[:8], dups))
        for n, v in props[p].items():
            if prop_value(now[p], n) != v:
                problems.append("page %s: %s is %r, the model %r" % (p[:8], n, prop_value(now[p], n), v))
        rendered = env.run("render", p)
        _, blocks = split_page(rendered)
        if [line_text(b) for b in blocks if not line_text(b).startswith("R-")] != tracked[p]:
            problems.append("page %s: the cache renders %s" % (p[:8], blocks))
    if d["conflicts"]:
        problems.append("%d conflict rows (no same-block or same-property races were made)"
                        % d["conflicts"])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("seed", seeds())
def test_model(tmp_path, seed):
    env = Env(str(tmp_path))
    trace = []
    try:
        run_model(env, seed, trace)
        if os.environ.get("NOTIONFS_MODEL_VERBOSE"):
            print("seed %d passed:\n  %s" % (seed, "\n  ".join(trace)))
    except BaseException as e:
        msg = "seed %d failed: %s\nsequence:\n  %s" % (seed, e, "\n  ".join(trace))
        print(msg)
        raise AssertionError(msg) from e
    finally:
        env.close()
