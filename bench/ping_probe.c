/* ping_probe: measure PING round-trip latency against a RESP server until told to stop.
 *
 *   ping_probe HOST PORT OUTFILE [INTERVAL_US]
 *
 * One blocking TCP connection (TCP_NODELAY).  Sends "PING", waits for "+PONG\r\n", and times
 * the round trip with clock_gettime(CLOCK_MONOTONIC).  With INTERVAL_US > 0 (default 100) the
 * PINGs are sent on a fixed schedule of one every INTERVAL_US microseconds (a late round trip
 * delays the next send; the schedule then restarts from now, so no burst follows a stall); with
 * 0 they are sent back to back.
 *
 * Prints "ready" on stdout once the first PONG arrived.  Stops on SIGTERM/SIGINT (or when the
 * server closes the connection), then writes OUTFILE: native-endian uint64 pairs
 * (send time in CLOCK_MONOTONIC ns, round-trip ns), one pair per PING, and prints
 * "samples N" on stdout.  Exit status 0 after a signal, 2 if the server went away, 1 on a usage
 * or setup error.
 *
 * Built by bench/growth.py with: gcc -O2 -o ping_probe ping_probe.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig) {
    (void)sig;
    stop_flag = 1;
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int connect_to(const char *host, const char *port) {
    struct addrinfo hints, *res, *ai;
    int fd = -1, one = 1, rc;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "ping_probe: getaddrinfo: %s\n", gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd >= 0) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* Send one PING and wait for +PONG.  Returns 0 on success, -1 on error/EOF, 1 if interrupted
 * by the stop signal. */
static int ping_once(int fd) {
    static const char cmd[] = "*1\r\n$4\r\nPING\r\n";
    static const char want[] = "+PONG\r\n";
    char buf[64];
    size_t sent = 0, got = 0, cmdlen = sizeof cmd - 1, wantlen = sizeof want - 1;
    while (sent < cmdlen) {
        ssize_t n = send(fd, cmd + sent, cmdlen - sent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                if (stop_flag) return 1;
                continue;
            }
            return -1;
        }
        sent += (size_t)n;
    }
    while (got < wantlen) {
        ssize_t n = recv(fd, buf + got, sizeof buf - got, 0);
        if (n < 0) {
            if (errno == EINTR) {
                if (stop_flag) return 1;
                continue;
            }
            return -1;
        }
        if (n == 0) return -1;
        got += (size_t)n;
    }
    if (got != wantlen || memcmp(buf, want, wantlen) != 0) {
        fprintf(stderr, "ping_probe: unexpected reply %.*s\n", (int)got, buf);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: %s HOST PORT OUTFILE [INTERVAL_US]\n", argv[0]);
        return 1;
    }
    long interval_us = argc == 5 ? strtol(argv[4], NULL, 10) : 100;
    if (interval_us < 0) interval_us = 0;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;   /* no SA_RESTART: a blocked recv returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    int fd = connect_to(argv[1], argv[2]);
    if (fd < 0) {
        fprintf(stderr, "ping_probe: cannot connect to %s:%s\n", argv[1], argv[2]);
        return 1;
    }
    if (ping_once(fd) != 0) {
        fprintf(stderr, "ping_probe: first PING failed\n");
        return 1;
    }
    printf("ready\n");
    fflush(stdout);

    size_t cap = 1 << 16, n = 0;
    uint64_t *rec = malloc(cap * 2 * sizeof *rec);
    if (!rec) return 1;
    int status = 0;
    uint64_t step = (uint64_t)interval_us * 1000ull;
    uint64_t next = now_ns();

    while (!stop_flag) {
        if (step) {
            uint64_t t = now_ns();
            if (next > t) {
                struct timespec ts = {(time_t)(next / 1000000000ull), (long)(next % 1000000000ull)};
                while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
                    if (stop_flag) break;
                if (stop_flag) break;
            } else if (t - next > step) {
                next = t;   /* fell behind (a stall): restart the schedule from now */
            }
            next += step;
        }
        uint64_t t0 = now_ns();
        int rc = ping_once(fd);
        uint64_t t1 = now_ns();
        if (rc == 1) break;
        if (rc < 0) {
            status = 2;
            break;
        }
        if (n == cap) {
            cap *= 2;
            uint64_t *r = realloc(rec, cap * 2 * sizeof *rec);
            if (!r) break;
            rec = r;
        }
        rec[2 * n] = t0;
        rec[2 * n + 1] = t1 - t0;
        n++;
    }

    FILE *f = fopen(argv[3], "wb");
    if (!f || fwrite(rec, 2 * sizeof *rec, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "ping_probe: cannot write %s\n", argv[3]);
        return 1;
    }
    printf("samples %zu\n", n);
    fflush(stdout);
    close(fd);
    free(rec);
    return status;
}
