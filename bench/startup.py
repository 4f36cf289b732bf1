#!/usr/bin/env python3
"""startup.py - time from exec to "attached" and to the first event.

    startup.py TIMEOUT ATTACH_REGEX CMD...

Starts CMD with stdout and stderr on pipes. Prints
    attach_s SECONDS    first line on either stream matching ATTACH_REGEX
    first_event_s SECONDS   first stdout line after that
(or "nan" when not seen within TIMEOUT seconds), then stops CMD with
SIGINT (SIGKILL after 5 s). Traffic that makes events must already flow.
"""
import os
import re
import select
import signal
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 4:
        sys.stderr.write(__doc__)
        return 2
    timeout = float(sys.argv[1])
    attach_re = re.compile(sys.argv[2])
    cmd = sys.argv[3:]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    attach = first = None
    bufs = {proc.stdout.fileno(): b"", proc.stderr.fileno(): b""}
    open_fds = set(bufs)
    while open_fds and time.monotonic() - t0 < timeout and first is None:
        ready, _, _ = select.select(list(open_fds), [], [], 0.05)
        now = time.monotonic() - t0
        for fd in ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                open_fds.discard(fd)
                continue
            bufs[fd] += chunk
            *lines, bufs[fd] = bufs[fd].split(b"\n")
            for line in lines:
                text = line.decode(errors="replace")
                if attach is None and attach_re.search(text):
                    attach = now
                elif attach is not None and first is None and fd == proc.stdout.fileno():
                    first = now
    # Stop reading first: a writer blocked on a full pipe then gets EPIPE.
    proc.stdout.close()
    proc.stderr.close()
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    fmt = lambda v: "nan" if v is None else "%.4f" % v
    print("attach_s", fmt(attach))
    print("first_event_s", fmt(first))
    return 0


if __name__ == "__main__":
    sys.exit(main())
