// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fuzz_pcap - libFuzzer target for the capture reader of `tcpinspect
 * replay` (src/pcapread.c): the bytes are a pcap or pcapng file, opened
 * through libpcap's stream path (fmemopen + pcap_fopen_offline, the code
 * pcap_open_offline runs after fopen). Every frame handed out must be
 * readable to its last byte (ASan), within libpcap's maximum record size,
 * and the tcpdump filter replay compiles by default must run on it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "pcapread.h"

/* More frames than any seed holds; bounds one input's run time. */
#define FUZZ_MAX_FRAMES 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Compiled once (on a dead handle): compiling per input would cost
	 * more than reading it. */
	static struct bpf_program prog;
	static bool compiled;
	struct capreader r;
	struct capframe f;
	uint8_t sum = 0;
	FILE *fp;
	int rc = 0, n = 0;

	/* fmemopen refuses a zero-length buffer; an empty file is "end of
	 * file" to libpcap anyway. */
	if (!size)
		return 0;
	/* Rejections are reported on stdout, which the runs close. */
	log_set_json(true);
	fp = fmemopen((void *)data, size, "rb");
	if (!fp)
		return 0;
	if (!compiled) {
		pcap_t *dead = pcap_open_dead(DLT_EN10MB, 262144);

		if (!dead || pcap_compile(dead, &prog, "tcp", 1, PCAP_NETMASK_UNKNOWN))
			abort();
		pcap_close(dead);
		compiled = true;
	}
	if (capreader_open_stream(&r, fp, "fuzz.pcap"))
		return 0;
	while (n++ < FUZZ_MAX_FRAMES && (rc = capreader_next(&r, &f)) == 1) {
		if (f.caplen > 262144 || f.caplen != f.hdr->caplen ||
		    f.snapped != (f.hdr->caplen < f.hdr->len))
			abort();
		for (uint32_t i = 0; i < f.caplen; i++)
			sum ^= f.data[i];
		(void)pcap_offline_filter(&prog, f.hdr, f.data);
	}
	capreader_close(&r);
	/* Keep the reads of every byte. */
	__asm__ volatile("" : : "r"(sum));
	return 0;
}
