/* watchdog.c - see watchdog.h. The timer is ITIMER_REAL, one-shot, re-armed by every cron run,
 * so it fires only when the loop stays away from the cron for a whole period (a slow command,
 * a load from the primary's socket, DEBUG SLEEP). The handler only writes: the log line and a
 * backtrace go to the log's file descriptor with write(2) (backtrace_symbols_fd), as Redis's
 * watchdogSignalHandler does. No SA_RESTART: a blocking call it interrupts sees EINTR and must
 * retry (the replica's socket read does). */
#include "core/watchdog.h"

#include <errno.h>
#include <execinfo.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "server.h"
#include "util/log.h"

static int armed_period;   /* the period in force (ms), 0: off */

static void watchdog_handler(int sig, siginfo_t *info, void *uctx) {
    (void)sig, (void)info, (void)uctx;
    int saved = errno;
    log_from_handler("\n--- WATCHDOG TIMER EXPIRED ---");
    void *frames[64];
    int n = backtrace(frames, 64);
    backtrace_symbols_fd(frames, n, log_handler_fd());
    log_from_handler("--------\n");
    errno = saved;
}

static void arm(int ms) {
    struct itimerval it = {.it_value = {ms / 1000, (ms % 1000) * 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
}

void watchdog_apply(void) {
    int period = server.watchdog_period;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    if (period <= 0) {
        if (!armed_period) return;
        arm(0);
        sa.sa_handler = SIG_IGN;
        sigaction(SIGALRM, &sa, NULL);
        armed_period = 0;
        return;
    }
    int min = 2 * (1000 / (server.hz > 0 ? server.hz : 10));
    if (period < min) period = min;
    if (!armed_period) {
        void *frame[1];
        backtrace(frame, 1);   /* loads what backtrace needs now, not in the handler */
        sa.sa_flags = SA_SIGINFO | SA_NODEFER;
        sa.sa_sigaction = watchdog_handler;
        sigaction(SIGALRM, &sa, NULL);
    }
    armed_period = period;
    arm(period);
}

void watchdog_cron(void) {
    if (armed_period) arm(armed_period);
}
