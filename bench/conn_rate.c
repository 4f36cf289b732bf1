// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * conn_rate - short TCP connections per second (open, one request, one
 * response, close), the workload whose cost per connection the connection
 * tracepoints and SYN/FIN events add to.
 *
 *   conn_rate server ADDR PORT        answer until SIGTERM/SIGINT
 *   conn_rate client ADDR PORT SECS   print "connections N" and "per_s R"
 *
 * Written in C so the tool's overhead is not hidden under an interpreter's.
 * The client sets SO_LINGER 0 on close so TIME_WAIT sockets do not exhaust
 * the ephemeral ports of a long run (the server still sees FIN+ACK first
 * because it closes after answering; the client's RST ends TIME_WAIT).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char request[] = "GET / HTTP/1.0\r\n\r\n";
static const char response[] = "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok";

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int parse_addr(const char *addr, const char *port,
		      struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	long p = strtol(port, NULL, 10);

	memset(ss, 0, sizeof(*ss));
	if (p < 1 || p > 65535)
		return -1;
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)p);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)p);
		*len = sizeof(*s6);
		return 0;
	}
	return -1;
}

static int serve(const struct sockaddr_storage *ss, socklen_t len)
{
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART */
	char buf[512];
	int one = 1, lfd;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	lfd = socket(ss->ss_family, SOCK_STREAM, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (const struct sockaddr *)ss, len) || listen(lfd, 1024)) {
		perror("conn_rate server");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	while (!stop) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			continue;
		if (read(fd, buf, sizeof(buf)) > 0 &&
		    write(fd, response, sizeof(response) - 1) < 0)
			perror("conn_rate server: write");
		close(fd);
	}
	close(lfd);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int client(const struct sockaddr_storage *ss, socklen_t len, double secs)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	unsigned long long n = 0, failed = 0;
	double t0 = now_s(), t;
	char buf[512];

	do {
		int fd = socket(ss->ss_family, SOCK_STREAM, 0);
		ssize_t r;

		if (fd < 0) {
			perror("conn_rate client: socket");
			return 1;
		}
		if (connect(fd, (const struct sockaddr *)ss, len) ||
		    write(fd, request, sizeof(request) - 1) < 0) {
			failed++;
		} else {
			/* Read the answer up to the server's FIN. */
			while ((r = read(fd, buf, sizeof(buf))) > 0)
				;
			if (r == 0)
				n++;
			else
				failed++;
		}
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);
		t = now_s();
		if (failed > 100 && failed > n) {
			fprintf(stderr, "conn_rate client: %llu connections failed (%s)\n",
				failed, strerror(errno));
			return 1;
		}
	} while (t - t0 < secs);
	printf("connections %llu\nfailed %llu\nper_s %.1f\n", n, failed,
	       (double)n / (t - t0));
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (argc >= 4 && !strcmp(argv[1], "server") &&
	    !parse_addr(argv[2], argv[3], &ss, &len))
		return serve(&ss, len);
	if (argc >= 5 && !strcmp(argv[1], "client") &&
	    !parse_addr(argv[2], argv[3], &ss, &len) && atof(argv[4]) > 0)
		return client(&ss, len, atof(argv[4]));
	fprintf(stderr, "usage: conn_rate server ADDR PORT | client ADDR PORT SECONDS\n");
	return 2;
}
