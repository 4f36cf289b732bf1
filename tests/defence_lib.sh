# defence_lib.sh - shared setup of the defence end-to-end tests (source it
# after lib.sh).
#
# def_private_lists: a private BPF file system for the pinned blocklist and
# allowlist (TCPINSPECT_PIN_DIR), so a test never touches the host's real
# lists in /sys/fs/bpf/tcpinspect nor a parallel test's. It sits outside
# /sys: `ip netns exec` remounts /sys, so a bpffs below it would not be
# shared between the tool runs of one test. Unmounted by lab_down.
def_private_lists() {
	DEF_BPFFS=$(mktemp -d /tmp/ti-bpffs.XXXXXX) || return 1
	mount -t bpf bpf "$DEF_BPFFS" || { rmdir "$DEF_BPFFS"; return 1; }
	export TCPINSPECT_PIN_DIR="$DEF_BPFFS/tcpinspect"
	lab_defer "umount '$DEF_BPFFS'; rmdir '$DEF_BPFFS'"
}

# ti_block ARGS...: `tcpinspect block ARGS` (in the server namespace, like
# the watch it acts on), output in $TI_ARTIFACTS/block.log.
ti_block() {
	echo "# \$ tcpinspect block $*" >>"$TI_ARTIFACTS/commands.log"
	timeout -k 5 20 ip netns exec "$LAB_S_NS" "$TI_BIN" block "$@"
}

# nmap_c ARGS...: a bounded nmap run from the client namespace.
nmap_c() {
	in_client timeout -k 5 90 nmap -n -Pn --max-retries 1 --host-timeout 60s "$@"
}

# _def_macs: smac and cmac (caller's locals): the server's and the client's
# veth MAC addresses as trafgen byte lists (0x.., 0x..).
_def_macs() {
	smac=$(in_server cat "/sys/class/net/$LAB_S_IF/address" | sed 's/^/0x/; s/:/, 0x/g')
	cmac=$(in_client cat "/sys/class/net/$LAB_C_IF/address" | sed 's/^/0x/; s/:/, 0x/g')
}

# def_flood_conf FILE DPORT SRC2: a trafgen configuration of TCP SYNs from
# spoofed sources 198.SRC2.x.y (x, y random; SRC2 a trafgen expression for
# the second octet, e.g. 19 or dinc(18, 19): always inside the lab range
# 198.18.0.0/15) to the server's address and DPORT, valid checksums.
def_flood_conf() {
	local smac cmac
	_def_macs
	cat >"$1" <<CFG
{
  $smac, $cmac, 0x08, 0x00,
  0x45, 0x00, const16(40), drnd(2), 0x40, 0x00, 0x40, 0x06, csumip(14, 33),
  198, $3, drnd(2),
  198, 18, 0, 1,
  drnd(2), const16($2), drnd(4), const32(0), 0x50, 0x02, const16(65535), csumtcp(14, 34), const16(0)
}
CFG
}

# def_flood6_conf FILE DPORT: the same over IPv6, from spoofed sources
# fd00:1::/64 with 64 random host bits (practically every frame a new
# source; inside the lab's fd00::/8) to the server's fd00::1 and DPORT.
def_flood6_conf() {
	local smac cmac
	_def_macs
	cat >"$1" <<CFG
{
  $smac, $cmac, 0x86, 0xdd,
  0x60, 0x00, 0x00, 0x00, const16(20), 0x06, 0x40,
  0xfd, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, drnd(8),
  0xfd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
  drnd(2), const16($2), drnd(4), const32(0), 0x50, 0x02, const16(65535), csumtcp6(14, 54), const16(0)
}
CFG
}

# def_flood CONF COUNT [GAP_US]: send COUNT frames of CONF from the client
# (bounded: a count, never a duration).
def_flood() {
	in_client timeout -k 5 120 trafgen --dev "$LAB_C_IF" --conf "$1" \
		--num "$2" ${3:+--gap "$3"us} -q
}

# bpf_memlock PID: bytes of BPF map memory held by process PID.
bpf_memlock() {
	local f sum=0 m
	for f in /proc/"$1"/fdinfo/*; do
		m=$(sed -n 's/^memlock:[[:space:]]*//p' "$f" 2>/dev/null)
		[ -n "$m" ] && sum=$((sum + m))
	done
	echo "$sum"
}
