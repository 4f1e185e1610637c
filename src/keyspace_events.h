/* keyspace_events.h - the server's side of the keyspace layer: its settings and its hooks. */
#ifndef KEEL_KEYSPACE_EVENTS_H
#define KEEL_KEYSPACE_EVENTS_H

/* Points keyspace_config at the server's configuration and installs keyspace_hooks. Called once
 * at start-up, before the databases are created. */
void keyspace_events_install(void);

#endif
