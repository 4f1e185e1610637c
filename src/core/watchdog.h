/* watchdog.h - the software watchdog (watchdog-period, Redis's debugging aid): when the event
 * loop does not come back to its cron for longer than the period, SIGALRM logs
 * "--- WATCHDOG TIMER EXPIRED ---" and the stack of the code that holds the loop, and the
 * server goes on. */
#ifndef KEEL_WATCHDOG_H
#define KEEL_WATCHDOG_H

/* Applies server.watchdog_period (ms, 0: off; at least two cron periods, as Redis): installs
 * or removes the SIGALRM handler and arms the timer. */
void watchdog_apply(void);
/* The cron's part: re-arms the one-shot timer for another period. */
void watchdog_cron(void);

#endif
