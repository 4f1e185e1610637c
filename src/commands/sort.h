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

/* The key positions of a SORT command line (Redis's sortGetKeys, for COMMAND GETKEYS and key
 * extraction): the sorted key, then the last STORE destination if any. Writes at most `max`
 * positions to pos[] and returns their number. SORT_RO has only its first key. */
int sort_get_keys(int argc, const karg *argv, int *pos, int max);

#endif
