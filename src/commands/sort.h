/* sort.h - what SORT (cmd_sort.c) needs from the aggregate types, and what it offers them.
 *
 * SORT works on a vector of element strings that it owns (copies), so it never holds a pointer
 * into a list, set or sorted set while it looks up BY/GET keys. A type feeds its elements with
 * sort_vec_push()/sort_vec_push_ll() from the loader that cmd_sort.c calls for it (see
 * sort_load_elements() there: the one place to wire lists, sets and sorted sets in). */
#ifndef KEEL_SORT_H
#define KEEL_SORT_H

#include <stddef.h>

#include "protocol/request.h"

typedef struct sortVec sortVec;

/* Appends one element (the bytes are copied). */
void sort_vec_push(sortVec *v, const char *p, size_t len);
/* Appends an integer element (intset/listpack integers), formatted as Redis would. */
void sort_vec_push_ll(sortVec *v, long long value);

/* The key positions of a SORT command line (Redis's sortGetKeys; SORT's row's getkeys procedure,
 * see command_getkeys_proc in server.h): the sorted key (KS_RO | KS_ACCESS), then the last STORE
 * destination if any (KS_OW | KS_UPDATE). Writes at most `max` positions to pos[] and their flags
 * to flags[] (unless NULL) and returns the number of keys. */
int sort_get_keys(int argc, const karg *argv, int *pos, int *flags, int max);
/* SORT_RO's: only the sorted key (Redis's sortROGetKeys; its BY/GET spec is "unknown"). */
int sort_ro_get_keys(int argc, const karg *argv, int *pos, int *flags, int max);

#endif
