#!/usr/bin/env python3
"""conn_helpers.py - small real servers and clients for the connection e2e
tests (tests/e2e/conn_*.sh). Every mode is bounded in time.

  hold-server ADDR PORT BACKLOG ACCEPT SECS   listen; accept (ACCEPT=1) or not;
                                              keep everything open SECS seconds
  hold-client ADDR PORT N SECS                N connections, kept open SECS s;
                                              prints "connected K" (K succeeded)
  syns ADDR PORT N                            N non-blocking connects, each
                                              closed 0.2 s later: one SYN each
                                              (a reset from a closed port, or a
                                              drop where a firewall eats it)
  aborts ADDR PORT N                          N connections closed with a reset
                                              (SO_LINGER 0) once established
  half-close-server ADDR PORT N SECS          listen; accept N connections and
                                              close each with shutdown(SHUT_WR)
                                              then close() (the kernel sets
                                              FIN_WAIT1/2 twice); at most SECS s
  raw-syn ADDR PORT SPORT                     one SYN from source port SPORT
                                              through a raw socket (scapy; run
                                              it with Debian's python3), never
                                              followed by an ACK
"""
import struct
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


def half_close_server(addr, port, n, secs):
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(n)
    print("listening", flush=True)
    end = time.monotonic() + secs
    s.settimeout(0.2)
    done = 0
    while done < n and time.monotonic() < end:
        try:
            c, _ = s.accept()
        except OSError:
            continue
        c.shutdown(socket.SHUT_WR)
        c.close()
        done += 1
    print("closed", done, flush=True)


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


def syns(addr, port, n):
    for _ in range(n):
        c = socket.socket(family(addr), socket.SOCK_STREAM)
        c.setblocking(False)
        try:
            c.connect((addr, port))
        except (BlockingIOError, OSError):
            pass
        time.sleep(0.002)
        c.close()


def aborts(addr, port, n):
    done = 0
    for _ in range(n):
        c = socket.socket(family(addr), socket.SOCK_STREAM)
        c.settimeout(2)
        try:
            c.connect((addr, port))
            done += 1
        except OSError:
            pass
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()
    print("aborted", done, flush=True)


def raw_syn(addr, port, sport):
    from scapy.all import IP, IPv6, TCP, send  # python3-scapy

    net = IPv6(dst=addr) if ":" in addr else IP(dst=addr)
    send(net / TCP(sport=sport, dport=port, flags="S", seq=1000), verbose=0)
    print("sent", flush=True)


def main():
    mode = sys.argv[1]
    if mode == "hold-server":
        hold_server(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
                    sys.argv[5] == "1", float(sys.argv[6]))
    elif mode == "half-close-server":
        half_close_server(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
                          float(sys.argv[5]))
    elif mode == "hold-client":
        hold_client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
                    float(sys.argv[5]))
    elif mode == "syns":
        syns(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif mode == "aborts":
        aborts(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif mode == "raw-syn":
        raw_syn(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
