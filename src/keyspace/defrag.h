/* defrag.h - active defragmentation: the walk that moves the keyspace's allocations out of
 * sparse allocator slabs (docs/defrag.md). When and how long it runs is the server's
 * (src/server.c, from the activedefrag settings); this module only walks, in bounded steps.
 *
 * What moves: the databases' tables (struct, directory, segments of bucket heads) and TTL
 * arrays, every keyspace entry (kobj), raw strings, listpacks, intsets, quicklists (nodes and
 * node data; the struct is in the entry), and hash and set tables with their entries. Sorted sets in the skiplist
 * encoding and streams keep their internal nodes (only their entry moves).
 *
 * Invariant that makes moving safe: between two event-loop callbacks nothing but the keyspace
 * itself (a database's table and TTL index, an entry's value pointer, a value's own links)
 * points at these allocations. Commands keep no entry across calls, the forkless BGSAVE keeps
 * key names and a scan cursor, the eviction pool and blocked clients keep key names, and the
 * lazy-free thread only gets memory already unlinked from everything a walk can reach. The walk
 * itself keeps a scan cursor and key names, never a pointer, between steps. */
#ifndef KEEL_DEFRAG_H
#define KEEL_DEFRAG_H

#include <stdint.h>

typedef struct defragStats {
    long long hits;          /* allocations moved */
    long long misses;        /* allocations looked at and left where they were */
    long long key_hits;      /* keys of which something moved */
    long long key_misses;    /* keys looked at of which nothing moved */
    /* Kept by the server's control (src/server.c) for INFO: */
    int running;             /* CPU percent the walk gets now; 0: not running */
    long long total_us;      /* time of the runs that ended */
    uint64_t run_start_us;   /* monotonic start of the current run */
} defragStats;

extern defragStats defrag_stats;

/* Walks for about max_us microseconds (at least one key). Values with more than
 * max_scan_fields elements are walked a batch at a time across steps. Returns 1 when a pass
 * over every database has just ended (the next step starts a new pass), 0 otherwise. */
int defrag_step(long max_us, long long max_scan_fields);
/* Forgets the walk's position: the next step starts a pass at the first database. */
void defrag_restart(void);

#endif
