/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pcapread.h - reading a pcap or pcapng capture (outside input: the file may
 * be hostile) for `tcpinspect replay`: open it with nanosecond timestamps,
 * accept only Ethernet, hand out its frames one by one. libpcap parses the
 * records; this layer checks what it returns before anyone uses it.
 * Fuzzed through an in-memory file (tests/fuzz/fuzz_pcap.c).
 */
#ifndef TI_PCAPREAD_H
#define TI_PCAPREAD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "pcapcompat.h"

struct capreader {
	pcap_t *pcap;
	const char *name;  /* for messages */
	uint64_t frames;   /* frames read so far */
};

struct capframe {
	const struct pcap_pkthdr *hdr;
	const uint8_t *data; /* hdr->caplen bytes */
	uint32_t caplen;
	uint64_t ts_ns;      /* capture time, ns since the Unix epoch */
	bool snapped;        /* cut by the capture's snaplen */
};

/* Open a capture by path, or from an open stream (taken over: closed by
 * capreader_close, or here on failure). Errors are reported naming the
 * file: -EINVAL unreadable or not a capture, -EPROTONOSUPPORT not
 * Ethernet. */
int capreader_open(struct capreader *r, const char *path);
int capreader_open_stream(struct capreader *r, FILE *f, const char *name);
/* 1 and the next frame in *f, 0 at the end, -EBADMSG when the record is
 * unreadable (reported, naming the frame). */
int capreader_next(struct capreader *r, struct capframe *f);
void capreader_close(struct capreader *r);

#endif
