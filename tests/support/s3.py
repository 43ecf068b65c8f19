"""tests/support/s3.py: a real S3-protocol server for the document tests.

`s3server` (pytest fixture) starts tests/node_modules/.bin/s3rver (installed by
scripts/install-deps.sh from tests/package.json) on a free loopback port with a temporary data
directory and one bucket, waits until it answers, and stops it (SIGTERM, then SIGKILL) after
the test. The returned object has .endpoint, .bucket, .dir, .env() (the variables that point
sprout at it) and .object_path(key) (where s3rver's filesystem store keeps an object's bytes).
`stub_s3` is a scripted stand-in for fault injection: a small HTTP server whose replies to PUT
and DELETE are chosen by the test (e.g. "200 then 403", "503 twice"), recording each request.
"""
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
            start_new_session=True)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("s3rver exited early:\n" + self.output())
            try:
                with urllib.request.urlopen(f"{self.endpoint}/{self.bucket}", timeout=2) as r:
                    if r.status == 200:
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

    def objects(self):
        root = self.dir / self.bucket
        return sorted(str(p.relative_to(root))[:-len("._S3rver_object")]
                      for p in root.rglob("*._S3rver_object"))

    def stop(self):
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


class StubS3:
    """replies: list of status codes used in order for PUT requests (the last one repeats);
    DELETE always answers 204. requests: list of (method, path)."""

    def __init__(self, put_replies):
        self.put_replies = list(put_replies)
        self.requests = []
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

            def do_PUT(self):
                n = int(self.headers.get("Content-Length", "0"))
                self.rfile.read(n)
                stub.requests.append(("PUT", self.path))
                k = sum(1 for m, _ in stub.requests if m == "PUT") - 1
                status = stub.put_replies[min(k, len(stub.put_replies) - 1)]
                body = b""
                if status >= 300:
                    body = (b"<?xml version=\"1.0\"?><Error><Code>StubError%d</Code>"
                            b"<Message>scripted failure</Message></Error>" % status)
                self._reply(status, body)

            def do_DELETE(self):
                stub.requests.append(("DELETE", self.path))
                self._reply(204)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def env(self):
        return {"AWS_S3_BUCKET": "stub-bucket", "AWS_REGION": "us-east-1",
                "AWS_ACCESS_KEY_ID": "stub", "AWS_SECRET_ACCESS_KEY": "stub",
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
