"""Fixtures of the integration tests: a real emulator, a real FUSE mount.

Every process a test starts is stopped by its pid in the fixture's teardown,
even when the test fails; every mount is unmounted.  A daemon whose stderr
reports an error the test did not expect fails the test (as sshfs's suite):
a line logged at level error, a failed assertion, a sanitizer report.  A
test that provokes errors declares them, as regular expressions matched
against the line: `mount(emu, expect_errors=[...])`, `m.expect_errors(...)`
or the marker `@pytest.mark.daemon_errors(...)`.  Sanitizer reports and
failed assertions can never be expected.
"""
import os
import re
import signal
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("NOTIONFS_BUILD", os.path.join(ROOT, "build"))
BIN = os.environ.get("NOTIONFS_BIN", os.path.join(BUILD, "fs", "notionfs"))
EMULATOR = os.path.join(ROOT, "contrib", "notion_emulator.py")
TOKEN = "secret_test_token"

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from nfstest import admin, start_announcing, stop_process, wait_for  # noqa: E402,F401


class Emulator:
    def __init__(self, tmp, workspace="sample", rate=0, burst=10, extra=()):
        self.tmp = tmp
        # one port file and log per emulator of the test: a second emulator must not read
        # the first one's port
        n, suffix = 1, ""
        while os.path.exists(os.path.join(tmp, "emulator%s.port" % suffix)):
            n += 1
            suffix = ".%d" % n
        port_file = os.path.join(tmp, "emulator%s.port" % suffix)
        self.log = open(os.path.join(tmp, "emulator%s.log" % suffix), "w")
        env = dict(os.environ, NOTION_EMULATOR_TOKEN=TOKEN)
        args = [sys.executable, EMULATOR, "--port", "0", "--port-file", port_file,
                "--rate", str(rate), "--burst", str(burst), "--quiet"]
        if workspace:
            args += ["--workspace", workspace]
        args += list(extra)
        self.proc, self.url = start_announcing(args, port_file, self.log, env=env)
        self.port = int(self.url.rsplit(":", 1)[1])

    def admin(self, path, body=None, method=None):
        return admin(self.url, path, body, method)

    def state(self):
        return self.admin("state")

    def log_requests(self):
        return self.admin("log")["requests"]

    def clear_log(self):
        self.admin("log/clear", {})

    def stop(self):
        stop_process(self.proc)
        self.log.close()


@pytest.fixture
def tmp(tmp_path):
    return str(tmp_path)


@pytest.fixture
def emulator(tmp):
    emus = []

    def start(**kw):
        e = Emulator(tmp, **kw)
        emus.append(e)
        return e

    start.instances = emus
    yield start
    for e in emus:
        e.stop()


def nfs_env(emu, cache_dir, **extra):
    """Environment of a notionfs run against emu.  The client's rate is
    raised (the emulator is local) unless a test sets NOTIONFS_RATE.  Every
    incremental view update is checked against a whole build
    (NOTIONFS_VIEW_CHECK: a difference is a daemon error, which fails the test)."""
    env = dict(os.environ)
    env.update(NOTION_TOKEN=TOKEN, NOTIONFS_API_URL=emu.url, NOTIONFS_CACHE_DIR=cache_dir,
               NOTIONFS_RATE="100", NOTIONFS_BURST="20", NOTIONFS_VIEW_CHECK="1")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_nfs(args, env, timeout=300, check=True):
    p = subprocess.run([BIN] + args, env=env, capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError("notionfs %s failed (%d): %s" % (" ".join(args), p.returncode, p.stderr))
    return p


def is_mounted(path):
    path = os.path.realpath(path)
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == path for line in f)


# What a daemon's stderr may say only when the test expects it, and what it
# must never say.
ERROR_LINE = re.compile(r" notionfs error: |Assertion .* failed|Sanitizer|runtime error")
FATAL_LINE = re.compile(r"Assertion .* failed|Sanitizer|runtime error")


def unexpected_errors(lines, expected=()):
    """The lines of a daemon's stderr that fail its test: sanitizer reports
    and failed assertions always, error-level log lines unless one of the
    expected patterns (regular expressions) matches them."""
    pats = [re.compile(p) for p in expected]
    return [l for l in lines if ERROR_LINE.search(l) and
            (FATAL_LINE.search(l) or not any(p.search(l) for p in pats))]


class Mount:
    """A foreground `notionfs mount -f` process on a fresh mountpoint.  A
    first mount mounts at once and pulls in the background: with first_pull
    (the default) the fixture also waits until the cache had its full pull,
    so a test sees the whole workspace."""

    def __init__(self, tmp, emu, poll=1, extra_env=None, args=(), prefix=(), expect_errors=(),
                 first_pull=True):
        self.mnt = os.path.join(tmp, "mnt")
        self.cache = os.path.join(tmp, "cache")
        os.makedirs(self.mnt, exist_ok=True)
        self.env = nfs_env(emu, self.cache, **(extra_env or {}))
        self.expected = list(expect_errors)
        n = 1
        self.stderr_path = os.path.join(tmp, "daemon.stderr")
        while os.path.exists(self.stderr_path):  # one log per mount of the test
            n += 1
            self.stderr_path = os.path.join(tmp, "daemon.%d.stderr" % n)
        self.stderr = open(self.stderr_path, "w")
        # prefix: a wrapper command (e.g. strace); proc is then the wrapper,
        # which exits with the daemon.
        self.proc = subprocess.Popen(list(prefix) + [BIN, "mount", "-f", "--poll", str(poll)] + list(args) + [self.mnt],
                                     env=self.env, stdout=self.stderr, stderr=self.stderr)
        wait_for(lambda: is_mounted(self.mnt), timeout=120, what="the mount", proc=self.proc)
        if first_pull:
            wait_for(self.first_pull_done, timeout=300, what="the first pull", proc=self.proc)

    def first_pull_done(self):
        try:
            with open(os.path.join(self.mnt, ".notionfs", "status")) as f:
                return "last full pull: never" not in f.read()
        except OSError:
            return False

    def path(self, *parts):
        return os.path.join(self.mnt, *parts)

    def expect_errors(self, *patterns):
        """Declares error lines this test provokes (regular expressions)."""
        self.expected += patterns

    def daemon_errors(self):
        with open(self.stderr_path) as f:
            return [l for l in f if ERROR_LINE.search(l)]

    def unexpected_errors(self):
        return unexpected_errors(self.daemon_errors(), self.expected)

    def unmount(self):
        if is_mounted(self.mnt):
            subprocess.run(["fusermount3", "-u", self.mnt], capture_output=True)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        stop_process(self.proc)
        if is_mounted(self.mnt):
            subprocess.run(["fusermount3", "-uz", self.mnt], capture_output=True)
        self.stderr.close()


def pytest_configure(config):
    config.addinivalue_line("markers", "daemon_errors(*patterns): error lines the test's "
                            "mounts are expected to log (regular expressions)")
    # SIGTERM (a CI runner's timeout, `kill`) ends the run as Ctrl-C does: the fixtures'
    # teardowns still stop every emulator and mount the tests started.
    signal.signal(signal.SIGTERM, _sigterm)


def _sigterm(signum, frame):
    raise KeyboardInterrupt("SIGTERM")


@pytest.fixture
def mount(tmp, request):
    mounts = []
    marker = request.node.get_closest_marker("daemon_errors")
    declared = list(marker.args) if marker else []

    def start(emu, **kw):
        kw["expect_errors"] = declared + list(kw.get("expect_errors", ()))
        m = Mount(tmp, emu, **kw)
        mounts.append(m)
        return m

    yield start
    problems = []
    for m in mounts:
        m.unmount()
        if m.proc.returncode != 0:
            problems.append("daemon exited with %s\n" % m.proc.returncode)
        problems += m.unexpected_errors()
    assert not problems, ("unexpected daemon errors:\n" + "".join(problems)[-3000:] +
                          "\n--- daemon stderr ---\n" +
                          "".join(open(m.stderr_path).read() for m in mounts)[-3000:])


def read_tree(root, skip_meta=True):
    """{relative path: bytes} of every regular file under root; skip_meta
    leaves out .notionfs/, .git/ and export's manifest .notionfs-export."""
    out = {}
    for d, dirs, files in os.walk(root):
        rel = os.path.relpath(d, root)
        if skip_meta and rel.split(os.sep)[0] in (".notionfs", ".git"):
            dirs[:] = []
            continue
        for f in files:
            if skip_meta and rel == "." and f == ".notionfs-export":
                continue
            p = os.path.join(d, f)
            with open(p, "rb") as fh:
                out[os.path.normpath(os.path.join(rel, f))] = fh.read()
    return out
