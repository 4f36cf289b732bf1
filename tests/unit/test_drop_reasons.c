// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Drop-reason names from a BTF enum (src/drop_reasons.c). */
#include <errno.h>
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
		cmocka_unit_test(test_running_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
