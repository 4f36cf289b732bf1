#!/usr/bin/env python3
"""conn_helpers.py - small real servers and clients for the connection e2e
tests (tests/e2e/conn_*.sh). Every mode is bounded in time.

  hold-server ADDR PORT BACKLOG ACCEPT SECS   listen; accept (ACCEPT=1) or not;
                                              keep everything open SECS seconds
  hold-client ADDR PORT N SECS                N connections, kept open SECS s;
                                              prints "connected K" (K succeeded)
"""
import socket
import sys
import time


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def hold_server(addr, port, backlog, accept, secs):
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(backlog)
    print("listening", flush=True)
    conns = []
    end = time.monotonic() + secs
    s.settimeout(0.2)
    while time.monotonic() < end:
        if accept:
            try:
                c, _ = s.accept()
                conns.append(c)
            except OSError:
                pass
        else:
            time.sleep(0.2)


def hold_client(addr, port, n, secs):
    socks, ok = [], 0
    for _ in range(n):
        c = socket.socket(family(addr), socket.SOCK_STREAM)
        c.setblocking(False)
        try:
            c.connect((addr, port))
        except BlockingIOError:
            pass
        except OSError:
            continue
        socks.append(c)
    deadline = time.monotonic() + min(secs, 5)
    pending = list(socks)
    while pending and time.monotonic() < deadline:
        still = []
        for c in pending:
            err = c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            try:
                c.getpeername()
                ok += 1
            except OSError:
                if not err:
                    still.append(c)
        pending = still
        time.sleep(0.05)
    print("connected", ok, flush=True)
    time.sleep(max(0, secs - 0.5))
    for c in socks:
        c.close()


def main():
    mode = sys.argv[1]
    if mode == "hold-server":
        hold_server(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
                    sys.argv[5] == "1", float(sys.argv[6]))
    elif mode == "hold-client":
        hold_client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
                    float(sys.argv[5]))
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
