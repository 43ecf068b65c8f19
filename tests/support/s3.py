"""tests/support/s3.py: a real S3-protocol server for the document tests.

`s3server` (pytest fixture) starts tests/node_modules/.bin/s3rver (installed by
scripts/install-deps.sh from tests/package.json) on a free loopback port with a temporary data
directory and one bucket, waits until it answers, and stops it (SIGTERM, then SIGKILL) after
the test. The returned object has .endpoint, .bucket, .dir, .env() (the variables that point
sprout at it), .object_path(key) (where s3rver's filesystem store keeps an object's bytes),
.put_raw(key, data, age_s) (an object written straight into that store, its LastModified
age_s seconds ago: s3rver reports the file's mtime) and .list_requests() (ListObjects calls
seen, from s3rver's log).
`stub_s3` is a scripted stand-in for fault injection: a small HTTP server whose replies to PUT
and DELETE are chosen by the test (e.g. "200 then 403", "503 twice"), recording each request;
GET (a bucket listing) answers from .list_replies (status, body) in order, the last one
repeating (default: an empty listing), recorded in .lists, not in .requests.
It also verifies every request's AWS Signature Version 4 (s3rver does not check V4 signatures)
and that x-amz-content-sha256 is the SHA-256 of the body: a bad one gets 403
SignatureDoesNotMatch / XAmzContentSHA256Mismatch, as S3 would answer.
`GatedProxy` is a slow S3: a loopback TCP proxy in front of s3rver that accepts every
connection at once but forwards nothing until the test opens its gate (.open()), so the
server's S3 calls hang for as long as the test wants, with no timing in the test. What went
wrong on its side (s3rver refusing a connection, a forwarding error) is in .problems, for the
tests' failure messages; an s3rver that exits during a test fails it with its log.
s3rver's filesystem store removes a key's folder when a DELETE empties it, and a PUT into that
folder at the same moment (its mkdir done, its open not yet) then fails with ENOENT in an
unhandled stream error that ends s3rver. Every Sprout key lives in "documents/", so the fixture
keeps an empty folder in it (HOLD, never an object, never listed) and that folder never empties.
"""
import hashlib
import hmac
import http.server
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
S3RVER = ROOT / "tests" / "node_modules" / ".bin" / "s3rver"
BUCKET = "sprout-test"
HOLD = ".fixture-hold"   # the empty folder that keeps "documents/" from emptying (above)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class S3rver:
    def __init__(self, tmp):
        if not S3RVER.exists():
            pytest.fail(f"{S3RVER} is missing: run scripts/install-deps.sh (npm install in tests/)")
        self.dir = Path(tmp) / "s3rver-data"
        self.dir.mkdir()
        self.port = _free_port()
        self.bucket = BUCKET
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log = open(Path(tmp) / "s3rver.log", "w+")
        self.proc = subprocess.Popen(
            [str(S3RVER), "-d", str(self.dir), "-a", "127.0.0.1", "-p", str(self.port),
             "--configure-bucket", self.bucket],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
            # s3rver's ListObjectsV2 continuation tokens use DES, which OpenSSL 3 keeps in
            # its legacy provider
            env=dict(os.environ, NODE_OPTIONS="--openssl-legacy-provider"))
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("s3rver exited early:\n" + self.output())
            try:
                with urllib.request.urlopen(f"{self.endpoint}/{self.bucket}", timeout=2) as r:
                    if r.status == 200:
                        (self.dir / self.bucket / "documents" / HOLD).mkdir(parents=True)
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("s3rver did not become ready:\n" + self.output())

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def env(self, access_key="S3RVER", secret="S3RVER", bucket=None):
        return {"AWS_S3_BUCKET": bucket or self.bucket, "AWS_REGION": "us-east-1",
                "AWS_ACCESS_KEY_ID": access_key, "AWS_SECRET_ACCESS_KEY": secret,
                "AWS_ENDPOINT_URL": self.endpoint}

    def object_path(self, key):
        return self.dir / self.bucket / (key + "._S3rver_object")

    def put_raw(self, key, data=b"x", age_s=0):
        p = self.object_path(key)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        t = time.time() - age_s
        os.utime(p, (t, t))

    def set_age(self, key, age_s):
        t = time.time() - age_s
        os.utime(self.object_path(key), (t, t))

    def list_requests(self):
        return self.output().count("Found ")

    def objects(self):
        root = self.dir / self.bucket
        return sorted(str(p.relative_to(root))[:-len("._S3rver_object")]
                      for p in root.rglob("*._S3rver_object"))

    def stop(self):
        """Stop s3rver (again: nothing); one that had exited by itself fails the test with its
        log."""
        if self.log.closed:
            return
        died = self.proc.poll()
        if died is not None:
            out = self.output()
            self.log.close()
            pytest.fail(f"s3rver exited during the test (status {died}):\n{out[-4000:]}")
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


@pytest.fixture
def s3server(tmp_path):
    s = S3rver(tmp_path)
    yield s
    s.stop()


SECRET = "stub-secret"


def sigv4_problem(method, path, headers, body, secret=SECRET):
    """None when the request is correctly signed for service s3, else S3's error code."""
    auth = headers.get("Authorization", "")
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        return "MissingSecurityHeader"
    fields = dict(kv.strip().split("=", 1) for kv in auth[len("AWS4-HMAC-SHA256 "):].split(","))
    _key_id, date, region, service, term = fields["Credential"].split("/")
    if service != "s3" or term != "aws4_request":
        return "AuthorizationHeaderMalformed"
    payload_hash = headers.get("x-amz-content-sha256", "")
    if payload_hash != "UNSIGNED-PAYLOAD" and payload_hash != hashlib.sha256(body).hexdigest():
        return "XAmzContentSHA256Mismatch"
    signed = fields["SignedHeaders"].split(";")
    if "host" not in signed or "x-amz-date" not in signed or "x-amz-content-sha256" not in signed:
        return "AccessDenied"
    canon_headers = "".join(f"{h}:{' '.join(headers.get(h, '').split())}\n" for h in signed)
    uri, _, query = path.partition("?")
    canonical = "\n".join([method, uri, query, canon_headers, ";".join(signed), payload_hash])
    amz_date = headers.get("x-amz-date", "")
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, f"{date}/{region}/{service}/{term}",
                         hashlib.sha256(canonical.encode()).hexdigest()])

    def h(k, m):
        return hmac.new(k, m.encode(), hashlib.sha256).digest()
    k = h(h(h(h(("AWS4" + secret).encode(), date), region), service), term)
    expected = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    return None if hmac.compare_digest(expected, fields["Signature"]) else "SignatureDoesNotMatch"


def list_xml(entries, next_token=None):
    """A ListObjectsV2 reply: entries are (key, iso_time); truncated when next_token is set."""
    from xml.sax.saxutils import escape
    contents = "".join(f"<Contents><Key>{escape(k)}</Key><LastModified>{t}</LastModified>"
                       f"<ETag>&quot;0&quot;</ETag><Size>1</Size></Contents>" for k, t in entries)
    more = (f"<IsTruncated>true</IsTruncated><NextContinuationToken>{escape(next_token)}"
            f"</NextContinuationToken>" if next_token else "<IsTruncated>false</IsTruncated>")
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult "
            "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>stub-bucket</Name>"
            f"<Prefix>documents/</Prefix>{more}{contents}</ListBucketResult>").encode()


class StubS3:
    """replies: list of status codes used in order for PUT requests (the last one repeats);
    DELETE always answers 204. requests: list of (method, path). Every request must carry a
    valid SigV4 signature made with the secret "stub-secret" (else 403)."""

    def __init__(self, put_replies):
        self.put_replies = list(put_replies)
        self.list_replies = [(200, list_xml([]))]
        self.lists = []
        self.list_headers = []
        self.requests = []
        self.headers = []
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _reply(self, status, body=b""):
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Content-Type", "application/xml")
                self.end_headers()
                self.wfile.write(body)

            def _signature_ok(self, body):
                problem = sigv4_problem(self.command, self.path, self.headers, body)
                (stub.list_headers if self.command == "GET" else stub.headers).append(
                    dict(self.headers))
                if problem:
                    stub.requests.append((self.command + "-REFUSED", self.path))
                    self._reply(403, b"<?xml version=\"1.0\"?><Error><Code>%s</Code>"
                                     b"<Message>stub signature check</Message></Error>"
                                % problem.encode())
                return problem is None

            def do_PUT(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                if not self._signature_ok(body):
                    return
                stub.requests.append(("PUT", self.path))
                k = sum(1 for m, _ in stub.requests if m == "PUT") - 1
                status = stub.put_replies[min(k, len(stub.put_replies) - 1)]
                body = b""
                if status >= 300:
                    body = (b"<?xml version=\"1.0\"?><Error><Code>StubError%d</Code>"
                            b"<Message>scripted failure</Message></Error>" % status)
                self._reply(status, body)

            def do_GET(self):
                if not self._signature_ok(b""):
                    return
                stub.lists.append(self.path)
                status, body = stub.list_replies[min(len(stub.lists) - 1,
                                                     len(stub.list_replies) - 1)]
                self._reply(status, body)

            def do_DELETE(self):
                if not self._signature_ok(b""):
                    return
                stub.requests.append(("DELETE", self.path))
                self._reply(204)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def env(self, secret=SECRET):
        return {"AWS_S3_BUCKET": "stub-bucket", "AWS_REGION": "eu-west-3",
                "AWS_ACCESS_KEY_ID": "stub", "AWS_SECRET_ACCESS_KEY": secret,
                "AWS_ENDPOINT_URL": self.endpoint}

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def stub_s3():
    stubs = []

    def make(put_replies):
        s = StubS3(put_replies)
        stubs.append(s)
        return s

    yield make
    for s in stubs:
        s.stop()


class GatedProxy:
    """A TCP proxy to 127.0.0.1:upstream_port. While the gate is shut (.hold(), the initial
    state) nothing a client sends is forwarded, on new and on kept-alive connections alike;
    .waiting() counts the connections held at the gate (each one an S3 call waiting)."""

    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.gate = threading.Event()
        self.lock = threading.Lock()
        self.held = 0
        self.problems = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.endpoint = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _pass_gate(self):
        if self.gate.is_set():
            return
        with self.lock:
            self.held += 1
        self.gate.wait(60)
        with self.lock:
            self.held -= 1

    def _pump(self, src, dst, gated):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if gated:
                    self._pass_gate()
                dst.sendall(data)
        except OSError as e:
            with self.lock:
                self.problems.append(f"{time.strftime('%H:%M:%S')} forwarding: {e}")
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def _connect_upstream(self):
        # s3rver refusing a connection is not the slow S3 this proxy plays: each refusal is
        # recorded (.problems, shown by the tests' failure messages) and the connect retried
        for attempt in range(20):
            try:
                return socket.create_connection(("127.0.0.1", self.upstream_port), timeout=10)
            except OSError as e:
                with self.lock:
                    self.problems.append(f"{time.strftime('%H:%M:%S')} connect #{attempt}: {e}")
                time.sleep(0.1)
        return None

    def _serve(self, conn):
        self._pass_gate()
        up = self._connect_upstream()
        if up is None:
            conn.close()
            return
        up.settimeout(None)
        t = threading.Thread(target=self._pump, args=(up, conn, False), daemon=True)
        t.start()
        self._pump(conn, up, True)
        t.join(60)
        conn.close()
        up.close()

    def waiting(self):
        with self.lock:
            return self.held

    def hold(self):
        self.gate.clear()

    def open(self):
        self.gate.set()

    def close(self):
        self.gate.set()
        self.sock.close()
