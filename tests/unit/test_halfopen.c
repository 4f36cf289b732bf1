// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Half-open connection time-outs (src/conn_life.c): when a request is due
 * to be dropped, and what an entry of ti_halfopen means at a given time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "conn.h"

#define S 1000000000ULL /* one second in ns */

static void test_expiry(void **state)
{
	struct ti_halfopen h = { .first_synack_ns = 100 * S };

	(void)state;
	/* tcp_synack_retries 0: dropped at the first time-out (1 s). */
	assert_int_equal(conn_halfopen_expiry(&h), 101 * S);
	/* 1 retransmission: 1 s + 2 s. */
	h.max_retrans = 1;
	assert_int_equal(conn_halfopen_expiry(&h), 103 * S);
	/* Default 5: 1 + 2 + 4 + 8 + 16 + 32 = 63 s. */
	h.max_retrans = 5;
	assert_int_equal(conn_halfopen_expiry(&h), 163 * S);
	/* Each time-out is capped at TCP_RTO_MAX (120 s), the loop bounded. */
	h.max_retrans = 255;
	assert_true(conn_halfopen_expiry(&h) > 163 * S);
	assert_true(conn_halfopen_expiry(&h) <= 100 * S + 17 * 120 * S);
}

static void test_verdict_polled(void **state)
{
	struct ti_halfopen h = {
		.first_synack_ns = 100 * S, .seen_ns = 102 * S,
		.retrans = 1, .max_retrans = 1,
	};

	(void)state;
	/* Found by the last poll: pending. */
	assert_int_equal(conn_halfopen_verdict(&h, 103 * S), HALFOPEN_PENDING);
	/* Missing from the polls after its last retransmission: timed out. */
	assert_int_equal(conn_halfopen_verdict(&h, 105 * S), HALFOPEN_TIMED_OUT);
	/* Missing before its last retransmission: reset or dropped for room. */
	h.retrans = 0;
	assert_int_equal(conn_halfopen_verdict(&h, 105 * S), HALFOPEN_GONE);
}

static void test_verdict_tracepoint_only(void **state)
{
	/* Seen only by tcp_retransmit_synack: the next retransmission (1 s
	 * doubled once: 2 s after the last) plus a margin decides. */
	struct ti_halfopen h = {
		.first_synack_ns = 100 * S, .last_retrans_ns = 101 * S,
		.retrans = 1, .timeout_ms = 1000,
	};

	(void)state;
	assert_int_equal(conn_halfopen_deadline(&h), 103 * S);
	assert_int_equal(conn_halfopen_verdict(&h, 104 * S), HALFOPEN_PENDING);
	assert_int_equal(conn_halfopen_verdict(&h, 105 * S), HALFOPEN_TIMED_OUT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_verdict_polled),
		cmocka_unit_test(test_verdict_tracepoint_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
