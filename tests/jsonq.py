#!/usr/bin/env python3
"""jsonq.py - assertions over a JSON Lines file (tcpinspect watch --json).

    jsonq.py FILE EXPR          exit 0 if the python expression EXPR is true,
                                1 (with context on stdout) if it is false
    jsonq.py -p FILE EXPR       print the value of EXPR (lists: one item a line)

Names available in EXPR:
    ev              every parsed object, in file order
    bad             lines that are not JSON objects (text, line number)
    E(kind, **kw)   objects with event == kind (None: any) whose fields equal
                    kw's values; a value may be a function (predicate); a
                    dotted field is given as a__b (options__mss=...)
    first(l), last(l), ports(l), states(l)   small conveniences
    env             os.environ; modules json and re
A file that does not exist or has unparsable lines is not an error by
itself: use `not bad` in the expression to assert it.
"""
import json
import os
import re
import sys


def load(path):
    ev, bad = [], []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for n, line in enumerate(f, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    obj = json.loads(line)
                except ValueError:
                    bad.append((n, line))
                    continue
                if isinstance(obj, dict):
                    ev.append(obj)
                else:
                    bad.append((n, line))
    except OSError as e:
        bad.append((0, str(e)))
    return ev, bad


_MISSING = object()


def field(obj, name):
    cur = obj
    for part in name.split("__"):
        if not isinstance(cur, dict) or part not in cur:
            return _MISSING
        cur = cur[part]
    return cur


def make_env(ev, bad):
    def E(kind=None, **kw):
        out = []
        for o in ev:
            if kind is not None and o.get("event") != kind:
                continue
            ok = True
            for k, want in kw.items():
                got = field(o, k)
                if callable(want):
                    ok = got is not _MISSING and bool(want(got))
                else:
                    ok = got is not _MISSING and got == want
                if not ok:
                    break
            if ok:
                out.append(o)
        return out

    return {
        "ev": ev,
        "bad": bad,
        "E": E,
        "first": lambda l: l[0] if l else None,
        "last": lambda l: l[-1] if l else None,
        "ports": lambda l: sorted({o.get("dport") for o in l}),
        "states": lambda l: [(o.get("old_state"), o.get("new_state")) for o in l],
        "env": os.environ,
        "json": json,
        "re": re,
    }


def summary(ev, bad):
    kinds = {}
    for o in ev:
        kinds[o.get("event")] = kinds.get(o.get("event"), 0) + 1
    lines = ["%d JSON lines, %d bad; events by kind: %s" % (len(ev), len(bad), kinds)]
    for n, text in bad[:3]:
        lines.append("bad line %d: %s" % (n, text[:200]))
    shown = [o for o in ev if o.get("event") != "stats"][:12]
    for o in shown:
        lines.append(json.dumps(o, separators=(",", ":"))[:300])
    if len(ev) > len(shown):
        lines.append("... (%d more)" % (len(ev) - len(shown)))
    stats = [o for o in ev if o.get("event") == "stats"]
    if stats:
        lines.append(json.dumps(stats[-1], separators=(",", ":"))[:600])
    return "\n".join(lines)


def main(argv):
    prn = False
    if argv and argv[0] == "-p":
        prn = True
        argv = argv[1:]
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    path, expr = argv
    ev, bad = load(path)
    env = make_env(ev, bad)
    try:
        val = eval(expr, env)  # noqa: S307 - test helper, trusted input
    except Exception as e:  # report, do not crash with a traceback
        print("expression raised %s: %s" % (type(e).__name__, e))
        print("expression: %s" % expr)
        print(summary(ev, bad))
        return 1
    if prn:
        if isinstance(val, (list, tuple, set)):
            for v in val:
                print(v if isinstance(v, (str, int, float)) else json.dumps(v))
        elif val is not None:
            print(val if isinstance(val, (str, int, float)) else json.dumps(val))
        return 0
    if val:
        return 0
    print("false: %s" % expr)
    print(summary(ev, bad))
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
