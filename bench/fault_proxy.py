#!/usr/bin/python3
"""A small HTTP proxy between notionfs and the Notion API emulator that fails a
seeded pseudo-random share of the /v1 requests (bench/run-bench.py, the
"storm" benchmark).

    /usr/bin/python3 bench/fault_proxy.py --upstream http://127.0.0.1:PORT
        [--port 0] [--port-file F] [--seed S] [--p5xx 0.10] [--p429 0.05]
        [--retry-after 1] [--applied-5xx 0]

Why a proxy: the emulator's fault API (contrib/README.md, /_admin/faults)
queues counted rules (fail_next N, storm_429 N) but cannot fail a *rate* of
requests, and the emulator is not ours to change.  The proxy draws, for every
/v1 request in arrival order, from random.Random(seed):

  u < p5xx           -> answered by the proxy with 500, 502, 503 or 504 (drawn
                        uniformly), Notion's error bodies (502: the HTML
                        gateway page, as the emulator's fail_next does); the
                        request does NOT reach the emulator
  u < p5xx + p429    -> 429 rate_limited with Retry-After: retry_after; does
                        not reach the emulator
  otherwise          -> forwarded to the emulator, its answer passed through

--applied-5xx Q (default 0, not used by the benchmark's target row): a
forwarded write (POST other than search/query, PATCH, DELETE) is, with
probability Q, answered 504 after the emulator applied it (a gateway timing
out while Notion did the work).  Two draws per request always, so the fault
sequence does not depend on the request kinds.

Admin (never faulted, never logged), JSON:
  GET  /_proxy/log        {"requests": [{"seq", "time", "method", "path",
                           "status", "fault", "forwarded", "body"}]}
                           fault: null, "5xx", "429" or "applied-5xx";
                           time: Unix seconds; body: the parsed request JSON
  POST /_proxy/log/clear  {}
  GET  /_proxy/config
  POST /_proxy/config     any of {"seed", "p5xx", "p429", "retry_after",
                          "applied_5xx"}; a "seed" restarts the sequence
Anything else (e.g. /_admin/...) is forwarded unfaulted and unlogged.
SIGTERM stops it.  Standard library only; listens on 127.0.0.1 only.
"""
import argparse
import http.client
import json
import os
import random
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

GATEWAY_HTML = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
                b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
                b"</body>\r\n</html>\r\n")
FAULT_CODES = {500: ("internal_server_error", "Unexpected error occurred."),
               503: ("service_unavailable", "Notion is unavailable, please try again later."),
               504: ("gateway_timeout", "Notion timed out while processing the request.")}
STATUSES_5XX = (500, 502, 503, 504)
PASS_HEADERS = ("content-type", "retry-after", "x-notion-request-id")


class State:
    def __init__(self, seed, p5xx, p429, retry_after, applied_5xx):
        self.lock = threading.Lock()
        self.cfg = {"seed": seed, "p5xx": p5xx, "p429": p429, "retry_after": retry_after,
                    "applied_5xx": applied_5xx}
        self.rng = random.Random(seed)
        self.log = []
        self.seq = 0

    def configure(self, body):
        with self.lock:
            for k in ("p5xx", "p429", "applied_5xx"):
                if k in body:
                    self.cfg[k] = float(body[k])
            if "retry_after" in body:
                self.cfg["retry_after"] = int(body["retry_after"])
            if "seed" in body:
                self.cfg["seed"] = int(body["seed"])
                self.rng = random.Random(self.cfg["seed"])
            return dict(self.cfg)

    def decide(self, method, path, parsed):
        """Logs the request and draws its fate: (entry, fault, status)."""
        with self.lock:
            self.seq += 1
            u, pick, v = self.rng.random(), self.rng.choice(STATUSES_5XX), self.rng.random()
            c = self.cfg
            if u < c["p5xx"]:
                fault, st = "5xx", pick
            elif u < c["p5xx"] + c["p429"]:
                fault, st = "429", 429
            elif v < c["applied_5xx"] and is_write(method, path):
                fault, st = "applied-5xx", 504
            else:
                fault, st = None, None
            e = {"seq": self.seq, "time": time.time(), "method": method, "path": path,
                 "status": st, "fault": fault, "forwarded": fault in (None, "applied-5xx"),
                 "body": parsed}
            self.log.append(e)
            return e, fault, st


def is_write(method, path):
    if method in ("PATCH", "DELETE"):
        return True
    return method == "POST" and not path.endswith("/query") and path != "/v1/search"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "notionfs-bench-fault-proxy/1"
    sys_version = ""

    def setup(self):
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        self.upstream = None

    def finish(self):
        super().finish()
        if self.upstream is not None:
            self.upstream.close()

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        try:
            self.dispatch()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_POST = do_PATCH = do_DELETE = do_PUT = do_HEAD = do_GET

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def send(self, status, payload, headers):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def send_json(self, status, obj, headers=()):
        self.send(status, json.dumps(obj).encode(),
                  [("Content-Type", "application/json; charset=utf-8")] + list(headers))

    def forward(self, raw):
        hdrs = {k: v for k, v in self.headers.items()
                if k.lower() not in ("host", "connection", "content-length", "transfer-encoding",
                                     "keep-alive", "expect")}
        if raw or self.command in ("POST", "PATCH", "PUT"):
            hdrs["Content-Length"] = str(len(raw))
        for attempt in (1, 2):        # a kept-alive upstream connection may have been closed
            if self.upstream is None:
                self.upstream = http.client.HTTPConnection(self.server.up_host, self.server.up_port,
                                                           timeout=120)
            try:
                self.upstream.request(self.command, self.path, body=raw or None, headers=hdrs)
                r = self.upstream.getresponse()
                data = r.read()
                headers = [(k, v) for k, v in r.getheaders() if k.lower() in PASS_HEADERS]
                if r.will_close:
                    self.upstream.close()
                    self.upstream = None
                return r.status, data, headers
            except (http.client.HTTPException, OSError):
                self.upstream.close()
                self.upstream = None
                if attempt == 2:
                    raise

    def dispatch(self):
        st = self.server.state
        raw = self.read_body()
        path = urlsplit(self.path).path
        if path.startswith("/_proxy/"):
            return self.admin(path, raw)
        if not path.startswith("/v1/"):
            status, data, headers = self.forward(raw)
            return self.send(status, data, headers)
        try:
            parsed = json.loads(raw) if raw.strip() else None
        except ValueError:
            parsed = None
        e, fault, status = st.decide(self.command, path, parsed)
        if fault == "429":
            ra = st.cfg["retry_after"]
            return self.send_json(429, {"object": "error", "status": 429, "code": "rate_limited",
                                        "message": "You have been rate limited. Please try again "
                                                   "in a few minutes.",
                                        "request_id": "proxy-%d" % e["seq"]},
                                  [("Retry-After", str(ra))])
        if fault == "5xx":
            return self.send_fault(status, e)
        try:
            up_status, data, headers = self.forward(raw)
        except (http.client.HTTPException, OSError):
            e["status"] = 0
            self.close_connection = True
            return
        if fault == "applied-5xx":
            e["upstream_status"] = up_status
            return self.send_fault(status, e)
        e["status"] = up_status
        self.send(up_status, data, headers)

    def send_fault(self, status, e):
        if status == 502:
            return self.send(502, GATEWAY_HTML, [("Content-Type", "text/html")])
        code, msg = FAULT_CODES[status]
        self.send_json(status, {"object": "error", "status": status, "code": code, "message": msg,
                                "request_id": "proxy-%d" % e["seq"]})

    def admin(self, path, raw):
        st = self.server.state
        body = json.loads(raw) if raw.strip() else {}
        if path == "/_proxy/log" and self.command == "GET":
            with st.lock:
                return self.send_json(200, {"requests": list(st.log)})
        if path == "/_proxy/log/clear" and self.command == "POST":
            with st.lock:
                st.log = []
            return self.send_json(200, {})
        if path == "/_proxy/config":
            if self.command == "POST":
                return self.send_json(200, st.configure(body))
            with st.lock:
                return self.send_json(200, dict(st.cfg))
        self.send_json(404, {"error": "unknown admin call %s %s" % (self.command, path)})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--upstream", required=True, help="http://127.0.0.1:PORT of the emulator")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--p5xx", type=float, default=0.10)
    ap.add_argument("--p429", type=float, default=0.05)
    ap.add_argument("--retry-after", type=int, default=1)
    ap.add_argument("--applied-5xx", type=float, default=0.0)
    a = ap.parse_args()
    up = urlsplit(a.upstream)
    if up.hostname not in ("127.0.0.1", "localhost"):
        sys.exit("fault_proxy: the upstream must be on 127.0.0.1")
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    srv.up_host, srv.up_port = up.hostname, up.port
    srv.state = State(a.seed, a.p5xx, a.p429, a.retry_after, a.applied_5xx)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=srv.shutdown).start())
    port = srv.server_address[1]
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, a.port_file)
    print("fault-proxy listening on http://127.0.0.1:%d -> %s" % (port, a.upstream), flush=True)
    try:
        srv.serve_forever()
    finally:
        srv.server_close()


if __name__ == "__main__":
    main()
