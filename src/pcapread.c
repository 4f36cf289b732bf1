// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include "log.h"
#include "pcapread.h"

#define NS_PER_S 1000000000ULL
/* Largest record libpcap hands out (its MAXIMUM_SNAPLEN). */
#define CAP_MAX_FRAME 262144u

static const char *linktype_desc(int dlt)
{
	const char *name = pcap_datalink_val_to_name(dlt);

	return name ? name : "unknown";
}

static int check_opened(struct capreader *r, const char *errbuf)
{
	int dlt;

	if (!r->pcap) {
		log_error("cannot read capture %s: %s", r->name, errbuf);
		return -EINVAL;
	}
	dlt = pcap_datalink(r->pcap);
	if (dlt != DLT_EN10MB) {
		log_error("capture %s: link type %s (%d) is not supported: only Ethernet (EN10MB) captures can be replayed",
			  r->name, linktype_desc(dlt), dlt);
		capreader_close(r);
		return -EPROTONOSUPPORT;
	}
	return 0;
}

int capreader_open(struct capreader *r, const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";

	memset(r, 0, sizeof(*r));
	r->name = path;
	r->pcap = pcap_open_offline_with_tstamp_precision(path,
							  PCAP_TSTAMP_PRECISION_NANO,
							  errbuf);
	return check_opened(r, errbuf);
}

int capreader_open_stream(struct capreader *r, FILE *f, const char *name)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";

	memset(r, 0, sizeof(*r));
	r->name = name;
	r->pcap = pcap_fopen_offline_with_tstamp_precision(f,
							   PCAP_TSTAMP_PRECISION_NANO,
							   errbuf);
	/* On failure libpcap leaves the stream to the caller. */
	if (!r->pcap)
		fclose(f);
	return check_opened(r, errbuf);
}

int capreader_next(struct capreader *r, struct capframe *f)
{
	struct pcap_pkthdr *ph;
	const u_char *data;
	int rc;

	rc = pcap_next_ex(r->pcap, &ph, &data);
	if (rc == PCAP_ERROR_BREAK || rc == 0)
		return 0;
	if (rc != 1) {
		log_error("capture %s: frame %llu is unreadable: %s", r->name,
			  (unsigned long long)r->frames + 1, pcap_geterr(r->pcap));
		return -EBADMSG;
	}
	r->frames++;
	/* libpcap refuses larger records; never trust that blindly. */
	if (ph->caplen > CAP_MAX_FRAME || (ph->caplen && !data)) {
		log_error("capture %s: frame %llu is unreadable: record of %u bytes",
			  r->name, (unsigned long long)r->frames, ph->caplen);
		return -EBADMSG;
	}
	f->hdr = ph;
	f->data = data;
	f->caplen = ph->caplen;
	f->snapped = ph->caplen < ph->len;
	/* Nanosecond precision was asked for: tv_usec holds nanoseconds.
	 * Times before 1970 or past 2554 (pcapng allows them) wrap. */
	f->ts_ns = (uint64_t)ph->ts.tv_sec * NS_PER_S + (uint64_t)ph->ts.tv_usec;
	return 1;
}

void capreader_close(struct capreader *r)
{
	if (r->pcap)
		pcap_close(r->pcap);
	r->pcap = NULL;
}
