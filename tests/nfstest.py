"""nfstest - the one helper library of the Python tests and benchmarks.

Polling waits, stopping processes by pid, and starting a process that
announces its port in a file (the emulator, the fault proxy) and talking to
its /_admin/ API.  Imported by tests/integration/conftest.py, tests/push,
tests/model and bench/run-bench.py (each puts tests/ on sys.path).  No
timing is asserted here: a timeout only bounds a hang.
"""
import json
import os
import signal
import subprocess
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EMULATOR = os.path.join(ROOT, "contrib", "notion_emulator.py")


def wait_for(pred, timeout=30.0, what="condition", proc=None, interval=0.05,
             error=AssertionError):
    """Polls pred() until it returns a true value, which it returns; raises
    `error` when proc (if given) exits first or when timeout runs out."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if proc is not None and proc.poll() is not None:
            raise error("process %d (%s) exited with %s while waiting for %s"
                        % (proc.pid, os.path.basename(str(proc.args[0])), proc.returncode, what))
        if time.monotonic() > deadline:
            raise error("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(interval)


def stop_process(proc, sig=signal.SIGTERM, timeout=10):
    """Sends sig to proc by pid and waits; SIGKILL by pid if it does not exit."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.kill(proc.pid, sig)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=timeout)
    except ProcessLookupError:
        pass


def start_announcing(args, port_file, log, env=None, timeout=60.0, error=AssertionError):
    """Starts args (stdout and stderr to the open file log) and waits until
    it wrote its port to port_file.  Returns (proc, url); the caller stops
    proc (stop_process) even when a later step fails."""
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        wait_for(lambda: os.path.exists(port_file) and open(port_file).read().strip(),
                 timeout=timeout, what="the port file of " + os.path.basename(str(args[1])),
                 proc=proc, error=error)
    except BaseException:
        stop_process(proc)
        raise
    return proc, "http://127.0.0.1:%d" % int(open(port_file).read().strip())


def admin(url, path, body=None, method=None, timeout=30, prefix="/_admin/"):
    """A call to url's /_admin/path (the fault proxy's: prefix "/_proxy/"):
    POST of body as JSON when body is not None, else GET (or method).  The
    decoded JSON answer, None when empty."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url + prefix + path, data=data,
                                 method=method or ("POST" if body is not None else "GET"),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        raw = r.read()
    return json.loads(raw) if raw else None
