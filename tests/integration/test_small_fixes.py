"""Issue 8, case 10: small user-reported fixes, each checked on a real mount
or through the CLI (read-only files refuse with EACCES; emoji are written as
UTF-8; options after operands; a malformed object does not fail a pull)."""
import errno
import http.server
import json
import os
import threading
import urllib.error
import urllib.request

import pytest

from conftest import nfs_env, run_nfs, wait_for


def schema_dirs(m):
    return [d for d in sorted(os.listdir(m.mnt))
            if os.path.isfile(m.path(d, ".schema.yaml"))]


def expect_errno(fn, want):
    with pytest.raises(OSError) as ei:
        fn()
    assert ei.value.errno == want, (ei.value, os.strerror(want))


def write_fd(path, flags):
    fd = os.open(path, flags)
    try:
        os.write(fd, b"x")
    finally:
        os.close(fd)


def test_readonly_files_refuse_with_eacces(emulator, mount):
    emu = emulator()
    m = mount(emu)
    db = schema_dirs(m)[0]
    ro = [m.path(".notionfs", "status"), m.path(".notionfs", "errors"),
          m.path(db, ".schema.yaml")]
    for p in ro:
        before = open(p, "rb").read()
        expect_errno(lambda: os.unlink(p), errno.EACCES)
        expect_errno(lambda: os.rename(p, p + ".moved"), errno.EACCES)
        expect_errno(lambda: os.truncate(p, 0), errno.EACCES)
        expect_errno(lambda: write_fd(p, os.O_WRONLY | os.O_APPEND), errno.EACCES)
        expect_errno(lambda: write_fd(p, os.O_WRONLY | os.O_TRUNC), errno.EACCES)
        assert os.path.isfile(p) and not os.path.exists(p + ".moved")
        if not p.endswith("status"):
            assert open(p, "rb").read() == before
    # a rename onto a read-only file is refused too, and the page stays
    page = sorted(f for f in os.listdir(m.path(db)) if f.endswith(".md"))[0]
    expect_errno(lambda: os.rename(m.path(db, page), m.path(db, ".schema.yaml")), errno.EACCES)
    assert os.path.isfile(m.path(db, page))
    assert m.daemon_errors() == []


def test_options_after_operands(emulator, tmp):
    emu = emulator()
    env = nfs_env(emu, os.path.join(tmp, "unused"))
    cache = os.path.join(tmp, "c")
    out = os.path.join(tmp, "out")
    # the cache dir given after the operand is the one used
    run_nfs(["export", out, "--cache-dir", cache], env)
    assert os.path.isdir(cache) and not os.path.exists(os.path.join(tmp, "unused"))
    assert any(f.endswith(".md") or os.path.isdir(os.path.join(out, f)) for f in os.listdir(out))
    # options on both sides, an option with "=" after the operand
    out2 = os.path.join(tmp, "out2")
    run_nfs(["export", "--cache-dir", cache, out2, "--api-url=" + emu.url], env)
    assert sorted(os.listdir(out2)) == sorted(os.listdir(out))
    p = run_nfs(["status", "--cache-dir", cache, "--json"], env)
    assert p.stdout.lstrip().startswith("{")
    # "--" still ends the options: what follows is an operand
    dash = os.path.join(tmp, "--weird")
    os.makedirs(dash)
    run_nfs(["export", "--cache-dir", cache, "--", dash], env)
    assert sorted(os.listdir(dash)) == sorted(os.listdir(out))
    p = run_nfs(["export", out, "--", "--cache-dir"], env, check=False)
    assert p.returncode == 2 and "unexpected argument '--cache-dir'" in p.stderr
    # a second operand is still refused, wherever it is
    p = run_nfs(["export", out, "--cache-dir", cache, "extra"], env, check=False)
    assert p.returncode == 2 and "unexpected argument 'extra'" in p.stderr
    p = run_nfs(["export", out, "--bogus"], env, check=False)
    assert p.returncode == 2 and "unknown option" in p.stderr


def _writes(emu):
    return [r for r in emu.log_requests() if r["method"] == "PATCH"]


def _queue_empty(m):
    with open(m.path(".notionfs", "status")) as f:
        return "queued edits: 0" in f.read()


def _set_line(path, key, value):
    text = open(path, encoding="utf-8").read()
    line = [l for l in text.splitlines() if l.startswith(key + ":")][0]
    with open(path, "w", encoding="utf-8") as f:
        f.write(text.replace(line, key + ": " + value, 1))


def _user_id(emu, email):
    return [u["id"] for u in emu.state()["users"]
            if (u.get("person") or {}).get("email") == email][0]


def test_people_by_email(emulator, mount):
    emu = emulator()
    m = mount(emu, poll=1)
    path = m.path("Tasks", "Write API client.md")
    open(path).read()
    emu.clear_log()
    _set_line(path, "Assignee", "[grace@example.com, Katherine@Example.com]")
    wait_for(lambda: _writes(emu), what="the PATCH", timeout=60)
    wait_for(lambda: _queue_empty(m), what="the queue to empty", timeout=60)
    body = _writes(emu)[0]["body"]
    assert body == {"properties": {"Assignee": {"people": [
        {"object": "user", "id": _user_id(emu, "grace@example.com")},
        {"object": "user", "id": _user_id(emu, "katherine@example.com")}]}}}, body
    # the file shows the names again; an unknown address is refused
    wait_for(lambda: "Assignee: [Grace Hopper, Katherine Johnson]" in open(path).read(),
             what="the names in the file", timeout=60)
    text = open(path).read()
    try:
        with open(path, "w") as f:
            f.write(text.replace("Assignee: [Grace Hopper, Katherine Johnson]",
                                 "Assignee: [nobody@example.org]"))
            f.flush()
            os.fsync(f.fileno())
    except OSError as e:
        assert e.errno == errno.EINVAL
    wait_for(lambda: "nobody@example.org" in open(m.path(".notionfs", "errors")).read(),
             what="the refusal in errors", timeout=60)


def test_emoji_title_is_utf8_in_the_file(emulator, mount):
    emu = emulator()
    m = mount(emu, poll=1)
    path = m.path("Tasks", "Write API client.md")
    _set_line(path, "Name", "Launch \U0001F680")
    # the file keeps its name while its title changes (docs/sync.md, "Kept names")
    new = path
    launched = lambda: [p for p in emu.state()["pages"]
                        if "Launch" in "".join(t["plain_text"] for v in p["properties"].values()
                                               if v.get("type") == "title" for t in v["title"])]
    wait_for(lambda: launched() and _queue_empty(m), what="the title to land", timeout=60)
    wait_for(lambda: "Name: Launch \U0001F680\n".encode() in open(new, "rb").read(),
             what="the new title in the file", timeout=60)
    data = open(new, "rb").read()
    assert "Name: Launch \U0001F680\n".encode() in data, data[:200]
    assert b"\\U" not in data
    title = [p for p in emu.state()["pages"]
             if "Launch" in "".join(t["plain_text"] for v in p["properties"].values()
                                    if v.get("type") == "title" for t in v["title"])]
    assert len(title) == 1
    # rewriting the file unchanged pushes nothing
    emu.clear_log()
    with open(new, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    wait_for(lambda: _queue_empty(m), what="the queue to empty", timeout=60)
    assert _writes(emu) == []


class _Proxy:
    """A proxy in front of the emulator (which refuses malformed objects in a seed) whose
    mutate(method, path, doc) may change each JSON answer of status 200 (None: unchanged)."""

    def __init__(self, upstream, mutate):
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def forward(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else None
                req = urllib.request.Request(upstream + self.path, data=body, method=self.command)
                for k in ("Authorization", "Notion-Version", "Content-Type"):
                    if self.headers.get(k):
                        req.add_header(k, self.headers[k])
                try:
                    with urllib.request.urlopen(req, timeout=60) as r:
                        status, headers, raw = r.status, r.headers, r.read()
                except urllib.error.HTTPError as e:
                    status, headers, raw = e.code, e.headers, e.read()
                if status == 200:
                    doc = mutate(self.command, self.path.split("?")[0], json.loads(raw))
                    if doc is not None:
                        raw = json.dumps(doc).encode()
                self.send_response(status)
                for k in ("Content-Type", "Retry-After"):
                    if headers.get(k):
                        self.send_header(k, headers[k])
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = do_PATCH = do_DELETE = forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def test_malformed_user_is_skipped_and_named(emulator, mount):
    emu = emulator()
    bad = {"object": "user", "id": "not-a-valid-id", "name": "Broken Record",
           "avatar_url": None, "type": "person", "person": {"email": "broken@example.com"}}

    def add_bad_user(method, path, doc):
        if method == "GET" and path == "/v1/users":
            doc["results"].insert(0, bad)
            return doc
        return None
    proxy = _Proxy(emu.url, add_bad_user)
    try:
        class Via:
            url = proxy.url
        m = mount(Via, poll=30)
        page = m.path("Tasks", "Write API client.md")
        assert os.path.isfile(page)
        assert "Assignee:" in open(page).read()
        errors = open(m.path(".notionfs", "errors")).read()
        assert "not-a-valid-id" in errors and "Broken Record" in errors, errors
        assert "skipped" in errors
        m.unmount()
    finally:
        proxy.stop()


def test_conflict_file_is_readable(emulator, mount):
    emu = emulator()
    m = mount(emu, poll=1)
    wait_for(lambda: "bodies pending: 0" in open(m.path(".notionfs", "status")).read(),
             what="bodies fetched", timeout=120)
    page = [p for p in emu.state()["pages"] if "Write API client" in json.dumps(p["properties"])][0]
    path = m.path("Tasks", "Write API client.md")
    emu.admin("faults", {"fail_next": {"count": 1000, "status": 503,
                                       "path_prefix": "/v1/pages/" + page["id"]}})
    text = open(path).read()
    line = [l for l in text.splitlines() if l.startswith("Priority:")][0]
    mine = "Low" if "Low" not in line else "High"
    with open(path, "w") as f:
        f.write(text.replace(line, "Priority: " + mine))
        f.flush()
        os.fsync(f.fileno())
    emu.admin("edit_page", {"page_id": page["id"],
                            "properties": {"Priority": {"select": {"name": "Medium"}}}})
    emu.admin("faults/clear", {})
    wait_for(lambda: _queue_empty(m) and os.listdir(m.path(".notionfs", "conflicts")),
             what="the conflict", timeout=120)
    name = os.listdir(m.path(".notionfs", "conflicts"))[0]
    body = open(m.path(".notionfs", "conflicts", name), encoding="utf-8").read()
    assert "property Priority" in body and "Tasks/Write API client.md" in body, body
    assert "  Priority: " + mine + "\n" in body, body
    assert "  Priority: Medium\n" in body, body
    assert "edited by " in body, body
    assert "Winner: " in body and "{" not in body.split("page:")[0], body
    # our version won here: the loser is Notion's, and names the colleague
    assert "Winner: your version" in body, body
    assert "edited by Other Editor at " in body, body


def test_find_newer_sees_a_remote_edit_in_the_same_minute(emulator, mount, tmp):
    """A remote edit made after a reference file, within Notion's minute,
    moves the page file's mtime and ctime past the reference (docs/format.md
    "Times"): `find -newer` and `-cnewer` list it."""
    import subprocess
    emu = emulator()
    m = mount(emu, poll=1)
    path = m.path("Tasks", "Write API client.md")
    before = open(path).read()
    page = [p for p in emu.state()["pages"] if "Write API client" in json.dumps(p["properties"])][0]
    ref = os.path.join(tmp, "ref")
    open(ref, "w").close()
    emu.admin("edit_page", {"page_id": page["id"],
                            "properties": {"Priority": {"select": {"name": "Medium"}}}})
    wait_for(lambda: open(path).read() != before, what="the remote edit pulled", timeout=60)
    st = os.stat(path)
    assert st.st_mtime_ns >= os.stat(ref).st_mtime_ns, (st, os.stat(ref))
    for flag in ("-newer", "-cnewer"):
        out = subprocess.run(["find", m.path("Tasks"), flag, ref, "-name", "*.md"],
                             capture_output=True, text=True, check=True).stdout
        assert path in out.splitlines(), (flag, out)


def test_malformed_pages_and_databases_are_skipped_and_named(emulator, mount):
    """A malformed data source in the search answer and a malformed page in a query answer are
    named in .notionfs/errors and skipped; the rest mounts.  A cached page whose object turns
    malformed in a later listing keeps its file (it is not taken for removed)."""
    emu = emulator()
    broken = {"on": False}
    victim = [p for p in emu.state()["pages"] if "Write API client" in json.dumps(p["properties"])][0]

    def corrupt(method, path, doc):
        if method == "POST" and path == "/v1/search":
            doc["results"].insert(0, {"object": "data_source", "id": "zz-not-an-id", "title": 7})
            # (a first pull takes the rows from the search for pages)
            doc["results"].insert(0, {"object": "page", "id": "also-not-an-id"})
            return doc
        if method == "POST" and path.endswith("/query"):
            doc["results"].insert(0, {"object": "page", "id": "also-not-an-id"})
            if broken["on"]:
                for r in doc["results"]:
                    if r.get("id") == victim["id"]:
                        r["properties"] = "garbage"
            return doc
        return None
    proxy = _Proxy(emu.url, corrupt)
    try:
        class Via:
            url = proxy.url
        m = mount(Via, poll=1)
        page = m.path("Tasks", "Write API client.md")
        assert os.path.isfile(page)
        errors = open(m.path(".notionfs", "errors")).read()
        assert "zz-not-an-id" in errors and "malformed data source object, skipped" in errors, errors
        assert "also-not-an-id" in errors and "malformed page object, skipped" in errors, errors
        broken["on"] = True
        emu.admin("edit_page", {"page_id": victim["id"],
                                "properties": {"Priority": {"select": {"name": "Medium"}}}})
        wait_for(lambda: victim["id"] in open(m.path(".notionfs", "errors")).read(),
                 what="the malformed page named", timeout=60)
        assert os.path.isfile(page)
        assert "Write API client" in open(page).read()
        m.unmount()
    finally:
        proxy.stop()


def test_status_json_numbers_and_entries(emulator, mount):
    """`status --json` (docs/operations.md): counts are numbers, times ISO strings or null,
    every rejected entry an object with path, page id, state and reason."""
    emu = emulator()
    m = mount(emu, poll=3600)
    path = m.path("Tasks", "Write API client.md")
    text = open(path).read()
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    try:
        os.write(fd, text.replace("Priority:", "Nonsense: 1\nPriority:", 1).encode())
        expect_errno(lambda: os.fsync(fd), errno.EINVAL)
    finally:
        os.close(fd)
    p = run_nfs(["status", "--json"], m.env)
    st = json.loads(p.stdout)
    for key in ("pages", "bodies pending", "queued edits", "rejected edits", "held archives",
                "conflicts", "unsaved drafts"):
        assert isinstance(st[key], int), (key, st[key])
    assert st["pages"] > 0 and st["rejected edits"] == 1
    assert st["last full pull"].endswith("Z") and st["last push"] is None
    assert isinstance(st["cache lock"], str) and st["cache lock"]
    [e] = [e for e in st["entries"] if e["state"] == "rejected"]
    assert e["path"] == "Tasks/Write API client.md" and e["kind"] == "edit"
    assert len(e["page_id"]) >= 32 and "Nonsense" in e["reason"], e
    assert st["conflict entries"] == []
    assert all(not k.startswith(" ") for k in st), list(st)
