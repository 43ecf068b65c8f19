"""tests/e2e/test_reuse_port.py: SPROUT_REUSE_PORT=1 (cli/settings.c): several `sprout serve` listen
on one address and port (SO_REUSEPORT) and the kernel spreads new connections over them, the
way scripts/bench-pg.sh runs two instances on one PostgreSQL database (docs/POSTGRESQL.md,
"Benchmarks"). Without it a second server on a port in use refuses to start.
"""
import socket
import time

import pytest

pytestmark = pytest.mark.one_engine("the listening socket; no database behaviour")


def answered_by(srv):
    return srv.output().count("GET /api/health 200")


def test_two_servers_share_one_port(start_server):
    a = start_server(env={"SPROUT_REUSE_PORT": "1"})
    b = start_server(env={"SPROUT_REUSE_PORT": "1"}, args=("--port", str(a.port)))
    assert b.port == a.port
    before_a, before_b = answered_by(a), answered_by(b)
    for _ in range(60):  # a fresh connection each: a new source port, hashed by the kernel
        assert a.request("GET", "/api/health").status == 200
    deadline = time.time() + 5  # a request's log line is written when it completes
    while answered_by(a) + answered_by(b) < before_a + before_b + 60 and time.time() < deadline:
        time.sleep(0.02)
    # both took connections (all 60 on one of two listeners: probability 2**-59)
    assert answered_by(a) > before_a and answered_by(b) > before_b
    assert answered_by(a) + answered_by(b) >= before_a + before_b + 60
    a.stop()
    for _ in range(10):  # the port stays served by the other one
        assert b.request("GET", "/api/health").status == 200
    b.stop()


def test_port_in_use_without_reuse_port(start_server):
    a = start_server()
    with pytest.raises(RuntimeError, match="Address already in use"):
        start_server(args=("--port", str(a.port)))
    assert a.request("GET", "/api/health").status == 200


def test_restart_on_the_same_port_right_away(start_server):
    """Without the setting the listener keeps SO_REUSEADDR: a server stopped with a connection
    open (its side of it lingers in TIME_WAIT) can be replaced on its port at once."""
    a = start_server()
    c = socket.create_connection(("127.0.0.1", a.port), timeout=10)
    c.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
    assert c.recv(4096).startswith(b"HTTP/1.1 200")
    a.stop()  # the server closes the kept-alive connection first
    c.close()
    b = start_server(db=a.db, args=("--port", str(a.port)))
    assert b.port == a.port
    assert b.request("GET", "/api/health").status == 200
