/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pcapcompat.h - include libpcap through this header. <pcap/bpf.h> (classic
 * BPF) and <linux/bpf.h> (eBPF, pulled in by libbpf) both define struct
 * bpf_insn; libpcap's is renamed here so both can live in one file.
 */
#ifndef TI_PCAPCOMPAT_H
#define TI_PCAPCOMPAT_H

#define bpf_insn pcap_bpf_insn
#include <pcap/pcap.h>
#undef bpf_insn

#endif
