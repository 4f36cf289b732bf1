// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Pinned-map layout checks after an upgrade (src/pinmap.c): which
 * differences are migrated, which are refused, and what the message says. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include "pinmap.h"

static const struct pin_layout want = {
	.type = BPF_MAP_TYPE_LPM_TRIE,
	.key_size = 20,
	.value_size = 32,
	.max_entries = 65536,
	.map_flags = BPF_F_NO_PREALLOC,
};

static enum pin_verdict cmp(struct pin_layout have, char *why, size_t len)
{
	return pin_layout_compare(&have, &want, why, len);
}

static void test_same(void **state)
{
	char why[128] = "junk";

	(void)state;
	assert_int_equal(cmp(want, why, sizeof(why)), PIN_SAME);
	assert_string_equal(why, "");
}

static void test_migratable(void **state)
{
	struct pin_layout h = want;
	char why[256];

	(void)state;
	h.max_entries = 1024;
	assert_int_equal(cmp(h, why, sizeof(why)), PIN_MIGRATE);
	assert_string_equal(why, "max_entries: pinned 1024, expected 65536");

	h = want;
	h.value_size = 24; /* an older value: fields were appended since */
	assert_int_equal(cmp(h, why, sizeof(why)), PIN_MIGRATE);
	assert_string_equal(why, "value size: pinned 24, expected 32");

	h.max_entries = 70000;
	h.map_flags = 0;
	assert_int_equal(cmp(h, why, sizeof(why)), PIN_MIGRATE);
	assert_string_equal(why, "value size: pinned 24, expected 32; max_entries: pinned 70000, expected 65536; map flags: pinned 0, expected 1");
}

static void test_refused(void **state)
{
	struct pin_layout h = want;
	char why[256];

	(void)state;
	h.key_size = 8;
	assert_int_equal(cmp(h, why, sizeof(why)), PIN_REFUSE);
	assert_string_equal(why, "key size: pinned 8, expected 20");

	h = want;
	h.value_size = 40; /* a newer version's value: would be cut */
	assert_int_equal(cmp(h, why, sizeof(why)), PIN_REFUSE);
	assert_string_equal(why, "value size: pinned 40, expected 32");

	h = want;
	h.type = BPF_MAP_TYPE_HASH;
	h.max_entries = 10; /* migratable alone, not with another type */
	assert_int_equal(cmp(h, why, sizeof(why)), PIN_REFUSE);
	assert_string_equal(why, "map type: pinned hash (1), expected lpm_trie (11); max_entries: pinned 10, expected 65536");
}

static void test_short_buffer(void **state)
{
	struct pin_layout h = { 1, 1, 1, 1, 1 };
	char why[16];

	(void)state;
	/* Every property differs: the text is cut, never overrun. */
	assert_int_equal(cmp(h, why, sizeof(why)), PIN_REFUSE);
	assert_int_equal(strlen(why), sizeof(why) - 1);
	assert_int_equal(cmp(h, NULL, 0), PIN_REFUSE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same),
		cmocka_unit_test(test_migratable),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_short_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
