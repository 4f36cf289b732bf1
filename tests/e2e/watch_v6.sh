#!/usr/bin/env bash
# e2e: tcpinspect watch over IPv6 in the namespace lab: the client's SYN and
# FIN, the server socket's state changes, a reset for a closed port,
# --all-netns, text mode, and nothing left attached afterwards.
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/tests/watch_conn.sh"

require "tcpinspect binary exists" test -x "$TI_BIN"
require "lab up" lab_up
conn_scenario ipv6
finish
