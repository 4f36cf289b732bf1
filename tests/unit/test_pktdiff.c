// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_pktdiff.c - the CI slice of the differential fuzzer (tests/fuzz/
 * pktdiff.h): every saved regression frame, then a bounded stream of
 * generated frames, through the loaded inspector (XDP and TC, two
 * selections) and the independent model; they must agree on everything.
 *
 * TI_FUZZ_SEED picks the stream (default fixed, so CI is reproducible);
 * TI_FUZZ_FRAMES its length (default 20000). A differing frame is printed
 * in hex and saved under tests/artifacts/pktdiff/; move it to
 * tests/fuzz/regressions/ once the bug is understood. Needs root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "../fuzz/pktdiff.h"

#define REGRESSION_DIR "tests/fuzz/regressions"
#define ARTIFACT_DIR "tests/artifacts/pktdiff"

static struct pd pd;

static int setup(void **state)
{
	(void)state;
	libbpf_set_print(NULL);
	return pd_open(&pd);
}

static int teardown(void **state)
{
	(void)state;
	pd_close(&pd);
	return 0;
}

static void test_regressions(void **state)
{
	int count = 0, bad;

	(void)state;
	pd.save_dir = NULL;
	bad = pd_replay_dir(&pd, REGRESSION_DIR, &count, stderr);
	if (bad < 0)
		print_error("cannot read %s (run from the repository root): %s\n",
			    REGRESSION_DIR, strerror(errno));
	print_message("[ INFO     ] %d regression frames replayed, %d differ\n",
		      count, bad);
	assert_true(bad >= 0);
	assert_true(count > 0);
	assert_int_equal(bad, 0);
}

static void test_random_slice(void **state)
{
	const char *s = getenv("TI_FUZZ_SEED"), *n = getenv("TI_FUZZ_FRAMES");
	unsigned long frames = n ? strtoul(n, NULL, 0) : 20000;
	struct pd_rng g = { .s = s ? strtoull(s, NULL, 0) : 20251123 };
	uint8_t f[PD_MAX_FRAME];

	(void)state;
	if (!g.s)
		g.s = 1;
	mkdir("tests/artifacts", 0755);
	mkdir(ARTIFACT_DIR, 0755);
	pd.save_dir = ARTIFACT_DIR;
	pd.frames = pd.diffs = 0;
	for (unsigned long i = 0; i < frames; i++) {
		size_t len = pd_gen(&g, f);

		if (pd_check(&pd, f, len) && pd.diffs <= 10)
			print_error("frame %lu differs:\n%s", i, pd.report);
	}
	print_message("[ INFO     ] %lu generated frames (%lu test runs, seed %s), %lu differ; "
		      "%lu TCP, %lu malformed, %lu non-IP, %lu non-TCP, %lu fragments\n",
		      pd.frames, pd.runs, s ? s : "20251123", pd.diffs,
		      pd.by_class[REF_TCP], pd.by_class[REF_MALFORMED],
		      pd.by_class[REF_NON_IP], pd.by_class[REF_NON_TCP],
		      pd.by_class[REF_FRAGMENT]);
	assert_int_equal(pd.frames, frames);
	assert_int_equal(pd.diffs, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regressions),
		cmocka_unit_test(test_random_slice),
	};

	return cmocka_run_group_tests_name("pktdiff", tests, setup, teardown);
}
