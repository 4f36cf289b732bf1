// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * diff_parser - differential fuzzer of the packet inspector (see pktdiff.h).
 *
 *   diff_parser [--seconds N] [--count N] [--seed S] [--save-dir DIR]
 *               [--replay DIR] [--max-report N]
 *
 * Runs generated frames until the time or count is reached (default 60 s),
 * after replaying DIR (default tests/fuzz/regressions). Differing frames
 * are saved to the save directory (default tests/fuzz/regressions) and
 * described on stderr. Exit status 0 if BPF and the model always agreed.
 * Needs root.
 */
#include <getopt.h>
#include <time.h>
#include "pktdiff.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seconds", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "save-dir", required_argument, NULL, 'o' },
		{ "replay", required_argument, NULL, 'r' },
		{ "max-report", required_argument, NULL, 'm' },
		{}
	};
	static const char *const class_names[] = { "tcp", "non_ip", "non_tcp",
		"fragment", "malformed", "refused" };
	const char *replay = "tests/fuzz/regressions";
	const char *save = "tests/fuzz/regressions";
	double seconds = 60, start, last;
	unsigned long long count = 0, max_report = 20;
	uint64_t seed = (uint64_t)time(NULL);
	uint8_t frame[PD_MAX_FRAME];
	struct pd_rng g;
	struct pd pd;
	int c, replayed = 0, bad;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 't': seconds = atof(optarg); break;
		case 'n': count = strtoull(optarg, NULL, 0); seconds = 0; break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'o': save = *optarg ? optarg : NULL; break;
		case 'r': replay = optarg; break;
		case 'm': max_report = strtoull(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: diff_parser [--seconds N] [--count N] [--seed S] [--save-dir DIR] [--replay DIR]\n");
			return 2;
		}
	}
	libbpf_set_print(NULL);
	if (pd_open(&pd))
		return 1;
	bad = pd_replay_dir(&pd, replay, &replayed, stderr);
	if (bad < 0) {
		fprintf(stderr, "diff_parser: cannot read %s: %s\n", replay,
			strerror(errno));
		bad = 0;
	}
	printf("diff_parser: replayed %d regression frames from %s: %d differ\n",
	       replayed, replay, bad);
	pd.save_dir = save;
	pd.frames = pd.diffs = 0;
	memset(pd.by_class, 0, sizeof(pd.by_class));
	printf("diff_parser: seed %llu\n", (unsigned long long)seed);
	g.s = seed ? seed : 1;
	start = last = now_s();
	for (;;) {
		size_t n = pd_gen(&g, frame);

		if (pd_check(&pd, frame, n) && pd.diffs <= max_report)
			fprintf(stderr, "difference #%lu (frame %lu):\n%s",
				pd.diffs, pd.frames, pd.report);
		if (count && pd.frames >= count)
			break;
		if ((pd.frames & 1023) == 0) {
			double t = now_s();

			if (seconds && t - start >= seconds)
				break;
			if (t - last >= 10) {
				printf("diff_parser: %lu frames, %lu differ (%.0f/s)\n",
				       pd.frames, pd.diffs, pd.frames / (t - start));
				fflush(stdout);
				last = t;
			}
		}
	}
	printf("diff_parser: %lu frames (%lu test runs) in %.1f s, %lu differ\n",
	       pd.frames, pd.runs, now_s() - start, pd.diffs);
	printf("diff_parser: classes:");
	for (size_t i = 0; i < sizeof(class_names) / sizeof(class_names[0]); i++)
		printf(" %s=%lu", class_names[i], pd.by_class[i]);
	printf("\ndiff_parser: malformed reasons:");
	for (int i = 0; i < TI_MAL_MAX; i++)
		printf(" %s=%lu", pd_mal_names[i], pd.by_reason[i]);
	printf("\n");
	pd_close(&pd);
	return pd.diffs || bad ? 1 : 0;
}
