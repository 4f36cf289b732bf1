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

int drop_reasons_load(void)
{
	struct btf *btf;
	int err;

	if (table)
		return 0;
	load_tried = true;
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
