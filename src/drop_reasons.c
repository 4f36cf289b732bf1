// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "drop_reasons.h"
#include "log.h"
#include "system.h"

/* The kfree_skb tracepoint's format: its print format lists every reason
 * the tracepoint can report, as { value, "NAME" } pairs. A few KiB, where
 * the kernel BTF holding the same enum is 5+ MB to parse. */
#define KFREE_SKB_FORMAT TI_TRACEFS "/events/skb/kfree_skb/format"
#define FORMAT_MAX_BYTES (256u << 10) /* today's file is about 4 KiB */
#define REASONS_MAX 65536 /* bounds the pairs taken from the format */
#define REASON_NAME_MAX 128 /* the %127[ width in drop_reasons_from_format() */

struct reason_name {
	unsigned int value;
	char *name;
};

static struct reason_name *table;
static size_t table_len;
static bool load_tried;

static int by_value(const void *a, const void *b)
{
	unsigned int x = ((const struct reason_name *)a)->value;
	unsigned int y = ((const struct reason_name *)b)->value;

	return x < y ? -1 : x > y;
}

void drop_reasons_free(void)
{
	for (size_t i = 0; i < table_len; i++)
		free(table[i].name);
	free(table);
	table = NULL;
	table_len = 0;
}

/* SKB_DROP_REASON_NO_SOCKET -> NO_SOCKET, SKB_CONSUMED -> CONSUMED. */
static const char *short_name(const char *name)
{
	static const char *const prefixes[] = { "SKB_DROP_REASON_", "SKB_" };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t n = strlen(prefixes[i]);

		if (!strncmp(name, prefixes[i], n) && name[n])
			return name + n;
	}
	return name;
}

int drop_reasons_from_btf(const struct btf *btf)
{
	const struct btf_type *t;
	const struct btf_enum *e;
	struct reason_name *tab;
	size_t n = 0;
	int id, vlen;

	id = btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM);
	if (id < 0)
		return -ENOENT;
	t = btf__type_by_id(btf, id);
	vlen = btf_vlen(t);
	e = btf_enum(t);
	tab = calloc((size_t)vlen + 1, sizeof(*tab));
	if (!tab)
		return -ENOMEM;
	for (int i = 0; i < vlen; i++) {
		const char *name = btf__name_by_offset(btf, e[i].name_off);

		/* The MAX sentinel is not a reason. */
		if (!name || !strcmp(name, "SKB_DROP_REASON_MAX"))
			continue;
		tab[n].value = (unsigned int)e[i].val;
		tab[n].name = strdup(short_name(name));
		if (!tab[n].name) {
			for (size_t j = 0; j < n; j++)
				free(tab[j].name);
			free(tab);
			return -ENOMEM;
		}
		n++;
	}
	qsort(tab, n, sizeof(*tab), by_value);
	drop_reasons_free();
	table = tab;
	table_len = n;
	return 0;
}

/* Appends {value, name} to the table being built (*tab, *n, *cap). */
static int table_add(struct reason_name **tab, size_t *n, size_t *cap,
		     unsigned int value, const char *name)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct reason_name *t = realloc(*tab, ncap * sizeof(**tab));

		if (!t)
			return -ENOMEM;
		*tab = t;
		*cap = ncap;
	}
	(*tab)[*n].value = value;
	(*tab)[*n].name = strdup(name);
	if (!(*tab)[*n].name)
		return -ENOMEM;
	(*n)++;
	return 0;
}

int drop_reasons_from_format(const char *text)
{
	static const char marker[] = "__print_symbolic(REC->reason,";
	struct reason_name *tab = NULL;
	size_t n = 0, cap = 0;
	const char *p;
	int err = 0;

	p = strstr(text, marker);
	if (!p)
		return -ENOENT;
	p += sizeof(marker) - 1;
	/* Pairs up to the closing parenthesis: { 3, "NO_SOCKET" }, ... */
	while (n < REASONS_MAX) {
		char name[REASON_NAME_MAX];
		unsigned int value;
		int used = 0;

		p += strspn(p, " ,\t\n");
		if (sscanf(p, "{ %u , \"%127[A-Za-z0-9_]\" }%n", &value, name,
			   &used) != 2 || !used)
			break;
		p += used;
		/* The MAX sentinel is not a reason. */
		if (!strcmp(name, "MAX"))
			continue;
		err = table_add(&tab, &n, &cap, value, name);
		if (err)
			goto fail;
	}
	if (*p != ')' || !n) {
		err = -EINVAL; /* a pair this parser does not understand */
		goto fail;
	}
	qsort(tab, n, sizeof(*tab), by_value);
	drop_reasons_free();
	table = tab;
	table_len = n;
	return 0;
fail:
	for (size_t j = 0; j < n; j++)
		free(tab[j].name);
	free(tab);
	return err;
}

static int load_from_tracefs(void)
{
	char *buf;
	size_t len;
	FILE *f;
	int err;

	f = fopen(KFREE_SKB_FORMAT, "re");
	if (!f)
		return -errno;
	buf = malloc(FORMAT_MAX_BYTES);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	len = fread(buf, 1, FORMAT_MAX_BYTES - 1, f);
	err = ferror(f) ? -EIO : len == FORMAT_MAX_BYTES - 1 ? -EFBIG : 0;
	fclose(f);
	if (!err) {
		buf[len] = '\0';
		err = drop_reasons_from_format(buf);
	}
	free(buf);
	return err;
}

int drop_reasons_load(void)
{
	struct btf *btf;
	int err;

	if (table)
		return 0;
	load_tried = true;
	/* tracefs first: tcpinspect mounts it (sys_ensure_tracefs) for the
	 * accept tracepoints anyway; the BTF is the fallback without it. */
	err = load_from_tracefs();
	if (!err)
		return 0;
	log_debug("drop reasons: %s: %s; reading the kernel BTF", KFREE_SKB_FORMAT,
		  errstr(err));
	btf = btf__load_vmlinux_btf();
	err = libbpf_get_error(btf);
	if (err) {
		log_debug("drop reasons: cannot load kernel BTF: %s", errstr(err));
		return err;
	}
	err = drop_reasons_from_btf(btf);
	if (err)
		log_debug("drop reasons: no enum skb_drop_reason in kernel BTF: %s",
			  errstr(err));
	btf__free(btf);
	return err;
}

const char *drop_reason_name(unsigned int reason, char *buf, size_t len)
{
	struct reason_name key = { .value = reason }, *hit;

	if (!table && !load_tried)
		drop_reasons_load();
	hit = table_len ? bsearch(&key, table, table_len, sizeof(*table), by_value) :
			  NULL;
	if (hit)
		return hit->name;
	snprintf(buf, len, "UNKNOWN(%u)", reason);
	return buf;
}
