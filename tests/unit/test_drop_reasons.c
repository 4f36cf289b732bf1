// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Drop-reason names from a BTF enum or a tracepoint format (src/drop_reasons.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <bpf/btf.h>
#include "drop_reasons.h"

static struct btf *fake_btf(void)
{
	struct btf *btf = btf__new_empty();
	int id;

	assert_non_null(btf);
	id = btf__add_enum(btf, "skb_drop_reason", 4);
	assert_true(id > 0);
	assert_int_equal(btf__add_enum_value(btf, "SKB_NOT_DROPPED_YET", 0), 0);
	assert_int_equal(btf__add_enum_value(btf, "SKB_CONSUMED", 1), 0);
	assert_int_equal(btf__add_enum_value(btf, "SKB_DROP_REASON_NO_SOCKET", 3), 0);
	assert_int_equal(btf__add_enum_value(btf, "SKB_DROP_REASON_TCP_LISTEN_OVERFLOW", 77), 0);
	assert_int_equal(btf__add_enum_value(btf, "SKB_DROP_REASON_MAX", 78), 0);
	return btf;
}

static void test_names(void **state)
{
	struct btf *btf = fake_btf();
	char buf[32];

	(void)state;
	assert_int_equal(drop_reasons_from_btf(btf), 0);
	assert_string_equal(drop_reason_name(3, buf, sizeof(buf)), "NO_SOCKET");
	assert_string_equal(drop_reason_name(77, buf, sizeof(buf)), "TCP_LISTEN_OVERFLOW");
	assert_string_equal(drop_reason_name(1, buf, sizeof(buf)), "CONSUMED");
	/* Values the enum does not have, the MAX sentinel included. */
	assert_string_equal(drop_reason_name(78, buf, sizeof(buf)), "UNKNOWN(78)");
	assert_string_equal(drop_reason_name(4000000000u, buf, sizeof(buf)), "UNKNOWN(4000000000)");
	drop_reasons_free();
	btf__free(btf);
}

static void test_no_enum(void **state)
{
	struct btf *btf = btf__new_empty();

	(void)state;
	assert_int_equal(btf__add_int(btf, "int", 4, BTF_INT_SIGNED) > 0, 1);
	assert_int_equal(drop_reasons_from_btf(btf), -ENOENT);
	btf__free(btf);
}

/* The shape of /sys/kernel/tracing/events/skb/kfree_skb/format. */
static const char kfree_skb_format[] =
	"name: kfree_skb\nID: 1234\nformat:\n"
	"\tfield:enum skb_drop_reason reason;\toffset:28;\tsize:4;\tsigned:0;\n\n"
	"print fmt: \"skbaddr=%p reason: %s\", REC->skbaddr, "
	"__print_symbolic(REC->reason, { 2, \"NOT_SPECIFIED\" }, { 3, \"NO_SOCKET\" }, "
	"{ 77, \"TCP_LISTEN_OVERFLOW\" }, { 128, \"MAX\" })\n";

static void test_format(void **state)
{
	char buf[32];

	(void)state;
	assert_int_equal(drop_reasons_from_format(kfree_skb_format), 0);
	assert_string_equal(drop_reason_name(2, buf, sizeof(buf)), "NOT_SPECIFIED");
	assert_string_equal(drop_reason_name(3, buf, sizeof(buf)), "NO_SOCKET");
	assert_string_equal(drop_reason_name(77, buf, sizeof(buf)), "TCP_LISTEN_OVERFLOW");
	/* The sentinel is not a reason; values the list lacks are unknown. */
	assert_string_equal(drop_reason_name(128, buf, sizeof(buf)), "UNKNOWN(128)");
	assert_string_equal(drop_reason_name(4, buf, sizeof(buf)), "UNKNOWN(4)");
	drop_reasons_free();
}

static void test_format_bad(void **state)
{
	char buf[32];

	(void)state;
	assert_int_equal(drop_reasons_from_format(kfree_skb_format), 0);
	assert_int_equal(drop_reasons_from_format("print fmt: \"%d\", REC->x\n"), -ENOENT);
	/* A pair it cannot read: refused whole, not cut short. */
	assert_int_equal(drop_reasons_from_format(
		"__print_symbolic(REC->reason, { 2, \"NOT_SPECIFIED\" }, { 3, NO_SOCKET })"),
		-EINVAL);
	assert_int_equal(drop_reasons_from_format(
		"__print_symbolic(REC->reason, { 2, \"NOT_SPECIFIED\" }"), -EINVAL);
	assert_int_equal(drop_reasons_from_format("__print_symbolic(REC->reason, )"), -EINVAL);
	/* The table read before is kept as it was. */
	assert_string_equal(drop_reason_name(77, buf, sizeof(buf)), "TCP_LISTEN_OVERFLOW");
	drop_reasons_free();
}

/* Both sources of the running kernel agree on every reason the tracepoint
 * can report. */
#define REASON_SCAN 4096 /* well above today's ~130 reasons */
static void test_format_matches_btf(void **state)
{
	static const char path[] = "/sys/kernel/tracing/events/skb/kfree_skb/format";
	static char names[REASON_SCAN][64];
	char *text = NULL, buf[32];
	struct btf *btf;
	size_t len = 0;
	int checked = 0;
	FILE *f;

	(void)state;
	f = fopen(path, "r");
	if (!f)
		skip(); /* no tracefs mounted here */
	assert_true(getdelim(&text, &len, '\0', f) > 0);
	fclose(f);
	assert_int_equal(drop_reasons_from_format(text), 0);
	for (unsigned int v = 0; v < REASON_SCAN; v++)
		snprintf(names[v], sizeof(names[v]), "%s",
			 drop_reason_name(v, buf, sizeof(buf)));
	btf = btf__load_vmlinux_btf();
	assert_non_null(btf);
	assert_int_equal(drop_reasons_from_btf(btf), 0);
	for (unsigned int v = 0; v < REASON_SCAN; v++) {
		if (!strncmp(names[v], "UNKNOWN(", 8))
			continue;
		assert_string_equal(names[v], drop_reason_name(v, buf, sizeof(buf)));
		checked++;
	}
	assert_true(checked > 10);
	drop_reasons_free();
	btf__free(btf);
	free(text);
}

static void test_running_kernel(void **state)
{
	char buf[32];

	(void)state;
	/* The running kernel's BTF (the tool requires it) names reason 3. */
	if (drop_reasons_load())
		skip();
	assert_string_equal(drop_reason_name(3, buf, sizeof(buf)), "NO_SOCKET");
	drop_reasons_free();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_no_enum),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_bad),
		cmocka_unit_test(test_format_matches_btf),
		cmocka_unit_test(test_running_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
