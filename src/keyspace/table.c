/* table.c - linear-hashing table with segmented heads and intrusive chains; see table.h and
 * docs/table.md.
 *
 * Head storage. Bucket b's head is dir[b / 1024][b % 1024]. Segment 0 is an array of cap0
 * heads (a power of two, TABLE_MIN_BUCKETS..1024) resized by krealloc while the table has at
 * most 1024 buckets; once it has 1024 heads, further segments of exactly 1024 heads are
 * allocated one at a time. While there is one segment the directory is the struct's own
 * dir_inline slot; with more it is a heap array of dir_cap slots that doubles/halves.
 * Head storage is released on shrink with hysteresis: segment k >= 1 is freed once nb has
 * dropped half a segment below its first bucket; segment 0 halves once nb <= cap0/4. */
#include "keyspace/table.h"

#include <assert.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/mem.h"
#include "util/siphash.h"

#define SEG_SHIFT 10
#define SEG_HEADS ((size_t)TABLE_SEGMENT_HEADS)
#define SEG_MASK (SEG_HEADS - 1)
#define MIN_LEVEL 2                  /* 2^MIN_LEVEL == TABLE_MIN_BUCKETS */
#define SAMPLE_WALK_RATIO 8          /* tableSample walks everything when k*8 >= size */
#define SAMPLE_STACK_SLOTS 64        /* de-duplication set on the stack up to this many slots */
#define RESIZE_FOR_BATCH 16          /* buckets between clock reads in tableResizeFor */
#define STATS_MAX_CHAIN 50           /* chain-length histogram clamps here, as Redis does */

_Static_assert(TABLE_SEGMENT_HEADS == 1 << SEG_SHIFT, "segment size");
_Static_assert(TABLE_MIN_BUCKETS == 1 << MIN_LEVEL, "minimum size");

struct table {
    const tableType *type;
    size_t size;
    unsigned level;        /* L: nb = 2^L + split */
    size_t split;          /* s: next bucket to split, 0 <= s < 2^L */
    void ***dir;           /* segment k is dir[k]; == &dir_inline while nseg == 1 */
    void **dir_inline;     /* the directory's only slot while there is one segment */
    size_t dir_cap;        /* slots in dir: 1 (inline) or a power of two >= 2 */
    size_t nseg;           /* segments allocated, 1..dir_cap */
    size_t cap0;           /* heads in segment 0; == SEG_HEADS whenever nseg > 1 */
    size_t chain_bound;    /* >= the length of every chain (invariant I4) */
    size_t rejects;        /* rejected random picks since chain_bound was recomputed */
    size_t overhead;       /* usable bytes of struct + directory + segments (invariant I5) */
    uint64_t rng;          /* splitmix64 state */
    uint64_t splits, merges;
    size_t reserve;        /* bucket floor set by tableReserve while size < reserve, else 0 */
    tableIter *safe_iters; /* live safe iterators; resizing is paused while non-NULL */
#ifdef KEEL_DEBUG
    uint64_t mutations;    /* bumped by every modification; part of the fast-iterator check */
#endif
};

/* ---- Small helpers --------------------------------------------------------------------------- */

static inline void **next_slot(void *entry) {
    return &((tableLink *)entry)->next;
}

static inline void *next_of(const void *entry) {
    return ((const tableLink *)entry)->next;
}

static inline size_t nbuckets(const table *t) {
    return ((size_t)1 << t->level) + t->split;
}

static inline void **head(const table *t, size_t b) {
    return &t->dir[b >> SEG_SHIFT][b & SEG_MASK];
}

static inline size_t capacity(const table *t) {
    return (t->nseg - 1) * SEG_HEADS + t->cap0;
}

/* The bucket that holds hash h (linear-hashing addressing). */
static inline size_t bucket_of(const table *t, uint64_t h) {
    size_t b = (size_t)h & (((size_t)1 << t->level) - 1);
    if (b < t->split) b = (size_t)h & (((size_t)1 << (t->level + 1)) - 1);
    return b;
}

/* Hash bits that bucket b uses: L+1 for split buckets and their images, L otherwise. */
static inline unsigned bucket_level(const table *t, size_t b) {
    return (b < t->split || b >= ((size_t)1 << t->level)) ? t->level + 1 : t->level;
}

static inline void mutated(table *t) {
#ifdef KEEL_DEBUG
    t->mutations++;
#else
    (void)t;
#endif
}

static uint64_t entry_hash(const table *t, const void *entry) {
    size_t len;
    const char *key = t->type->entry_key(entry, &len);
    return tableHashKey(t, key, len);
}

static size_t chain_length(const table *t, size_t b) {
    size_t n = 0;
    for (void *e = *head(t, b); e; e = next_of(e)) n++;
    return n;
}

/* 64-bit bit reversal: the SCAN cursor lives in reversed-hash space. */
static inline uint64_t rev64(uint64_t x) {
    x = ((x >> 1) & 0x5555555555555555ull) | ((x & 0x5555555555555555ull) << 1);
    x = ((x >> 2) & 0x3333333333333333ull) | ((x & 0x3333333333333333ull) << 2);
    x = ((x >> 4) & 0x0f0f0f0f0f0f0f0full) | ((x & 0x0f0f0f0f0f0f0f0full) << 4);
    return __builtin_bswap64(x);
}

/* ---- Random numbers (splitmix64) ------------------------------------------------------------- */

static _Atomic uint64_t table_seed_state;

static inline uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline uint64_t rng_next(table *t) {
    return mix64(t->rng += 0x9e3779b97f4a7c15ull);
}

/* Uniform in [0, n) for n >= 1 (multiply-shift; the bias, n / 2^64, is negligible). */
static inline size_t rand_below(table *t, size_t n) {
    return (size_t)(((unsigned __int128)rng_next(t) * n) >> 64);
}

void tableSeedRandom(uint64_t seed) {
    atomic_store(&table_seed_state, seed);
}

/* ---- Memory accounting ----------------------------------------------------------------------- */

static void *overhead_alloc(table *t, size_t bytes) {
    void *p = kcalloc(bytes);
    t->overhead += kmalloc_size(p);
    return p;
}

static void *overhead_realloc(table *t, void *p, size_t bytes) {
    t->overhead -= kmalloc_size(p);
    p = krealloc(p, bytes);
    t->overhead += kmalloc_size(p);
    return p;
}

static void overhead_free(table *t, void *p) {
    t->overhead -= kmalloc_size(p);
    kfree(p);
}

/* ---- Head storage ---------------------------------------------------------------------------- */

static void storage_init(table *t) {
    t->level = MIN_LEVEL;
    t->split = 0;
    t->cap0 = TABLE_MIN_BUCKETS;
    t->nseg = 1;
    t->dir_cap = 1;
    t->dir = &t->dir_inline;
    t->dir_inline = overhead_alloc(t, TABLE_MIN_BUCKETS * sizeof(void *));
}

static void storage_free(table *t) {
    for (size_t k = 0; k < t->nseg; k++) overhead_free(t, t->dir[k]);
    if (t->dir_cap > 1) overhead_free(t, t->dir);
}

/* Gives the directory cap slots (1 moves it back into the struct). */
static void dir_resize(table *t, size_t cap) {
    if (cap == 1) {
        void ***heap = t->dir;
        t->dir_inline = heap[0];
        t->dir = &t->dir_inline;
        overhead_free(t, heap);
    } else if (t->dir_cap == 1) {
        t->dir = overhead_alloc(t, cap * sizeof(void **));
        t->dir[0] = t->dir_inline;
    } else {
        t->dir = overhead_realloc(t, t->dir, cap * sizeof(void **));
    }
    t->dir_cap = cap;
}

/* Bytes storage_grow() would allocate to make bucket index nb addressable (0 if it already is). */
static size_t storage_grow_bytes(const table *t) {
    if (nbuckets(t) < capacity(t)) return 0;
    if (t->cap0 < SEG_HEADS) return t->cap0 * sizeof(void *);
    size_t dir_bytes = t->nseg < t->dir_cap ? 0 : 2 * t->dir_cap * sizeof(void **);
    return SEG_HEADS * sizeof(void *) + dir_bytes;
}

/* Adds head capacity: doubles segment 0 while it is below a full segment, else adds a segment.
 * New heads are NULL. */
static void storage_grow(table *t) {
    if (t->cap0 < SEG_HEADS) {
        t->dir[0] = overhead_realloc(t, t->dir[0], 2 * t->cap0 * sizeof(void *));
        memset(t->dir[0] + t->cap0, 0, t->cap0 * sizeof(void *));
        t->cap0 *= 2;
        return;
    }
    if (t->nseg == t->dir_cap) dir_resize(t, 2 * t->dir_cap);
    t->dir[t->nseg++] = overhead_alloc(t, SEG_HEADS * sizeof(void *));
}

/* Releases head capacity the table has shrunk away from (with hysteresis, see the top). Called
 * after each merge, which lowers nb by one, so at most one release is due at a time. */
static void storage_trim(table *t) {
    size_t nb = nbuckets(t);
    if (t->nseg > 1) {
        if (nb + SEG_HEADS / 2 > (t->nseg - 1) * SEG_HEADS) return;
        overhead_free(t, t->dir[--t->nseg]);
        if (t->nseg == 1)
            dir_resize(t, 1);
        else if (t->dir_cap > 2 && 4 * t->nseg <= t->dir_cap)
            dir_resize(t, t->dir_cap / 2);
    } else if (t->cap0 > TABLE_MIN_BUCKETS && 4 * nb <= t->cap0) {
        t->cap0 /= 2;
        t->dir[0] = overhead_realloc(t, t->dir[0], t->cap0 * sizeof(void *));
    }
}

/* ---- Split, merge, and the resize policy ----------------------------------------------------- */

/* Bucket count the current size calls for: the fewest buckets with load <= 2.5 if the table is
 * above that, max(size, TABLE_MIN_BUCKETS) if it is below load 1, else the current count. */
static size_t natural_target(const table *t) {
    size_t nb = nbuckets(t);
    if (2 * t->size > TABLE_MAX_LOAD_X2 * nb)
        return (2 * t->size + TABLE_MAX_LOAD_X2 - 1) / TABLE_MAX_LOAD_X2;
    if (t->size < TABLE_MIN_LOAD * nb && nb > TABLE_MIN_BUCKETS)
        return t->size > TABLE_MIN_BUCKETS ? t->size : TABLE_MIN_BUCKETS;
    return nb;
}

/* The natural target, raised to the reserved floor while one is set. */
static size_t target_buckets(const table *t) {
    size_t want = natural_target(t);
    return t->reserve > want ? t->reserve : want;
}

/* Splits bucket s into s and s + 2^L (requires capacity for index nb). */
static void split(table *t) {
    size_t half = (size_t)1 << t->level;
    uint64_t mask = 2 * half - 1;
    void *e = *head(t, t->split);
    *head(t, t->split) = NULL;
    while (e) {
        void *next = next_of(e);
        void **h = head(t, (size_t)(entry_hash(t, e) & mask));
        *next_slot(e) = *h;
        *h = e;
        e = next;
    }
    if (++t->split == half) {
        t->level++;
        t->split = 0;
    }
    t->splits++;
}

/* Merges the last bucket into its buddy (the inverse of the split that created it). Requires
 * nb > TABLE_MIN_BUCKETS. */
static void merge(table *t) {
    if (t->split == 0) {
        t->level--;
        t->split = (size_t)1 << t->level;
    }
    t->split--;
    void **from = head(t, t->split + ((size_t)1 << t->level));
    void **slot = head(t, t->split);
    size_t n = 0;
    for (; *slot; n++) slot = next_slot(*slot);
    *slot = *from;
    *from = NULL;
    for (; *slot; n++) slot = next_slot(*slot);
    if (n > t->chain_bound) t->chain_bound = n;
    t->merges++;
}

/* Growth needing `bytes` may proceed: allowed by the type, or forced by the hard load cap. */
static int growth_permitted(const table *t, size_t bytes) {
    return bytes == 0 || !t->type->grow_allowed ||
           t->size > (size_t)TABLE_HARD_LOAD * nbuckets(t) || t->type->grow_allowed(bytes);
}

/* One split or merge toward the target. Returns 1 if done, 0 if balanced or growth deferred. */
static int resize_one(table *t) {
    size_t nb = nbuckets(t), want = target_buckets(t);
    if (want > nb) {
        size_t bytes = storage_grow_bytes(t);
        if (!growth_permitted(t, bytes)) return 0;
        if (bytes) storage_grow(t);
        split(t);
        return 1;
    }
    if (want < nb) {
        merge(t);
        storage_trim(t);
        return 1;
    }
    return 0;
}

int tableResizeStep(table *t, int max_buckets) {
    /* Once size reaches the floor, the natural target never merges below it: drop it. */
    if (t->reserve && t->size >= t->reserve) t->reserve = 0;
    if (t->safe_iters) return 0;
    int n = 0;
    while (n < max_buckets && resize_one(t)) n++;
    if (n) mutated(t);
    return n;
}

static long long now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

size_t tableResizeFor(table *t, long max_us) {
    long long deadline = now_us() + max_us;
    size_t done = 0;
    for (;;) {
        int n = tableResizeStep(t, RESIZE_FOR_BATCH);
        done += (size_t)n;
        if (n < RESIZE_FOR_BATCH || now_us() >= deadline) return done;
    }
}

void tableReserve(table *t, size_t n) {
    size_t want = (2 * n + TABLE_MAX_LOAD_X2 - 1) / TABLE_MAX_LOAD_X2;
    t->reserve = want > t->size && want > TABLE_MIN_BUCKETS ? want : 0;
    if (!t->reserve || t->safe_iters) return;
    size_t before = nbuckets(t);
    while (nbuckets(t) < t->reserve && resize_one(t)) {
    }
    if (nbuckets(t) != before) mutated(t);
}

int tableIsResizing(const table *t) {
    return target_buckets(t) != nbuckets(t);
}

/* ---- Linking and unlinking ------------------------------------------------------------------- */

/* The slot (a head, or an entry's link) pointing at the entry with this key in bucket b, or the
 * chain's terminating NULL slot. *passed receives the number of entries before that slot. */
static void **seek_key(const table *t, size_t b, const char *key, size_t len, size_t *passed) {
    void **slot = head(t, b);
    size_t n = 0;
    for (; *slot; slot = next_slot(*slot), n++) {
        size_t elen;
        const char *ekey = t->type->entry_key(*slot, &elen);
        if (elen == len && memcmp(ekey, key, len) == 0) break;
    }
    *passed = n;
    return slot;
}

/* The slot pointing at `target` in the chain where key_entry's key lives, or NULL. Only the
 * entries before target are dereferenced. */
static void **seek_entry(const table *t, const void *key_entry, const void *target) {
    void **slot = head(t, bucket_of(t, entry_hash(t, key_entry)));
    while (*slot && *slot != target) slot = next_slot(*slot);
    return *slot ? slot : NULL;
}

/* Links entry at the head of bucket b, whose chain had `chain_len` entries, then resizes. */
static void link_new(table *t, size_t b, void *entry, size_t chain_len) {
    void **h = head(t, b);
    *next_slot(entry) = *h;
    *h = entry;
    t->size++;
    if (chain_len + 1 > t->chain_bound) t->chain_bound = chain_len + 1;
    mutated(t);
    tableResizeStep(t, TABLE_RESIZE_CATCHUP);
}

/* Safe iterators about to return `from` will return `to` instead. */
static void iters_redirect(table *t, const void *from, void *to) {
    for (tableIter *it = t->safe_iters; it; it = it->next_safe)
        if (it->next == from) it->next = to;
}

/* Unlinks the entry *slot points at and returns it (no resizing). */
static void *unlink_at(table *t, void **slot) {
    void *e = *slot;
    *slot = next_of(e);
    t->size--;
    iters_redirect(t, e, *slot);
    mutated(t);
    return e;
}

/* Puts new_entry where old_entry is (*slot == old_entry); new_entry's link is already set. */
static void swap_in(table *t, void **slot, const void *old_entry, void *new_entry) {
    *slot = new_entry;
    iters_redirect(t, old_entry, new_entry);
    mutated(t);
}

/* ---- Public lookup / modification ------------------------------------------------------------ */

table *tableCreate(const tableType *type) {
    table *t = kcalloc(sizeof(*t));
    t->type = type;
    t->overhead = kmalloc_size(t);
    t->rng = mix64(atomic_fetch_add(&table_seed_state, 1));
    storage_init(t);
    return t;
}

/* Calls entry_free on every entry; the chains are left dangling for the caller to reset. */
static void free_entries(table *t) {
    if (!t->type->entry_free) return;
    size_t nb = nbuckets(t);
    for (size_t b = 0; b < nb; b++) {
        void *e = *head(t, b);
        while (e) {
            void *next = next_of(e);
            t->type->entry_free(e);
            e = next;
        }
    }
}

void tableRelease(table *t) {
    assert(!t->safe_iters && "tableRelease: a safe iterator is still live");
    free_entries(t);
    storage_free(t);
    kfree(t);
}

void tableClear(table *t) {
    free_entries(t);
    storage_free(t);
    storage_init(t);
    t->size = 0;
    t->chain_bound = 0;
    t->rejects = 0;
    t->reserve = 0;
    for (tableIter *it = t->safe_iters; it; it = it->next_safe) {
        it->next = NULL;
        it->bucket = nbuckets(t);
    }
    mutated(t);
}

size_t tableSize(const table *t) {
    return t->size;
}

uint64_t tableHashKey(const table *t, const char *key, size_t len) {
    return t->type->hash ? t->type->hash(key, len) : hash_bytes(key, len);
}

void *tableChainFor(const table *t, uint64_t hash) {
    return *head(t, bucket_of(t, hash));
}

void tablePrefetch(const table *t, uint64_t hash) {
    __builtin_prefetch(head(t, bucket_of(t, hash)));
}

void *tablePrefetchStep(const table *t, uint64_t hash, void *entry) {
    void *next = entry ? next_of(entry) : tableChainFor(t, hash);
    if (next) __builtin_prefetch(next);
    return next;
}

void *tableFindHashed(table *t, const char *key, size_t len, uint64_t hash) {
    size_t passed;
    return *seek_key(t, bucket_of(t, hash), key, len, &passed);
}

void *tableFind(table *t, const char *key, size_t len) {
    return tableFindHashed(t, key, len, tableHashKey(t, key, len));
}

int tableAdd(table *t, void *entry) {
    size_t len, passed;
    const char *key = t->type->entry_key(entry, &len);
    size_t b = bucket_of(t, tableHashKey(t, key, len));
    if (*seek_key(t, b, key, len, &passed)) return 0;
    link_new(t, b, entry, passed);
    return 1;
}

void tableAddHashed(table *t, void *entry, uint64_t hash) {
    size_t b = bucket_of(t, hash), chain_len;
#ifdef KEEL_DEBUG
    size_t len;
    const char *key = t->type->entry_key(entry, &len);
    assert(hash == tableHashKey(t, key, len) && "tableAddHashed: hash does not match the key");
    assert(!*seek_key(t, b, key, len, &chain_len) && "tableAddHashed: key already present");
#else
    chain_len = chain_length(t, b);
#endif
    link_new(t, b, entry, chain_len);
}

void *tableAddOrReplace(table *t, void *entry) {
    size_t len, passed;
    const char *key = t->type->entry_key(entry, &len);
    size_t b = bucket_of(t, tableHashKey(t, key, len));
    void **slot = seek_key(t, b, key, len, &passed);
    void *old = *slot;
    if (!old) {
        link_new(t, b, entry, passed);
        return NULL;
    }
    *next_slot(entry) = next_of(old);
    swap_in(t, slot, old, entry);
    return old;
}

void tableReplaceEntry(table *t, void *old_entry, void *new_entry) {
    void **slot = seek_entry(t, new_entry, old_entry);
    assert(slot && "tableReplaceEntry: old entry not in the table");
    swap_in(t, slot, old_entry, new_entry);
}

void *tableDelete(table *t, const char *key, size_t len) {
    size_t passed;
    void **slot = seek_key(t, bucket_of(t, tableHashKey(t, key, len)), key, len, &passed);
    if (!*slot) return NULL;
    void *e = unlink_at(t, slot);
    tableResizeStep(t, TABLE_RESIZE_CATCHUP);
    return e;
}

int tableDeleteEntry(table *t, void *entry) {
    void **slot = seek_entry(t, entry, entry);
    if (!slot) return 0;
    unlink_at(t, slot);
    tableResizeStep(t, TABLE_RESIZE_CATCHUP);
    return 1;
}

/* ---- Random access --------------------------------------------------------------------------- */

static void recompute_chain_bound(table *t) {
    size_t nb = nbuckets(t), max = 0;
    for (size_t b = 0; b < nb; b++) {
        size_t n = chain_length(t, b);
        if (n > max) max = n;
    }
    t->chain_bound = max;
    t->rejects = 0;
}

/* The slot pointing at a uniformly random entry; the table must be non-empty. Rejection
 * sampling: a uniform bucket and a uniform position below the chain bound, accepted if the chain
 * has an entry there, gives every entry probability 1/(nb * bound) per attempt. The bound only
 * grows between exact recomputations, which happen once rejections exceed 2*nb (amortized O(1)
 * per attempt), so stale bounds after deletes cost a bounded factor. */
static void **random_slot(table *t) {
    size_t nb = nbuckets(t);
    for (;;) {
        void **slot = head(t, rand_below(t, nb));
        for (size_t j = rand_below(t, t->chain_bound); *slot && j > 0; j--)
            slot = next_slot(*slot);
        if (*slot) return slot;
        if (++t->rejects > 2 * nb) recompute_chain_bound(t);
    }
}

void *tableRandom(table *t) {
    return t->size ? *random_slot(t) : NULL;
}

void *tablePop(table *t) {
    if (!t->size) return NULL;
    void *e = unlink_at(t, random_slot(t));
    tableResizeStep(t, TABLE_RESIZE_CATCHUP);
    return e;
}

/* Knuth's selection sampling (Algorithm S) over all entries: entry i of n is taken with
 * probability (still needed) / (still unseen), which yields a uniform k-subset. */
static size_t sample_walk(table *t, void **out, size_t k) {
    size_t nb = nbuckets(t), unseen = t->size, taken = 0;
    for (size_t b = 0; b < nb && taken < k; b++) {
        for (void *e = *head(t, b); e && taken < k; e = next_of(e), unseen--)
            if (rand_below(t, unseen) < k - taken) out[taken++] = e;
    }
    return taken;
}

/* Adds p to an open-addressed pointer set of 2^bits slots; returns 0 if it was present. */
static int ptrset_add(void **set, unsigned bits, void *p) {
    size_t mask = ((size_t)1 << bits) - 1;
    size_t i = (size_t)(((uint64_t)(uintptr_t)p * 0x9e3779b97f4a7c15ull) >> (64 - bits));
    for (; set[i]; i = (i + 1) & mask)
        if (set[i] == p) return 0;
    set[i] = p;
    return 1;
}

/* Repeated fair picks, dropping repeats: a uniform k-subset when k is small next to size. */
static size_t sample_picks(table *t, void **out, size_t k) {
    unsigned bits = 1;
    while (((size_t)1 << bits) < 2 * k) bits++;
    size_t slots = (size_t)1 << bits;
    void *stack_set[SAMPLE_STACK_SLOTS];
    void **set = slots <= SAMPLE_STACK_SLOTS ? stack_set : kmalloc(slots * sizeof(void *));
    memset(set, 0, slots * sizeof(void *));
    size_t taken = 0;
    while (taken < k) {
        void *e = *random_slot(t);
        if (ptrset_add(set, bits, e)) out[taken++] = e;
    }
    if (set != stack_set) kfree(set);
    return taken;
}

size_t tableSample(table *t, void **out, size_t k) {
    if (k > t->size) k = t->size;
    if (k == 0) return 0;
    return k * SAMPLE_WALK_RATIO >= t->size ? sample_walk(t, out, k) : sample_picks(t, out, k);
}

/* ---- Iterators ------------------------------------------------------------------------------- */

#ifdef KEEL_DEBUG
/* Everything a modification or resize changes, mixed into one word. */
static uint64_t fingerprint(const table *t) {
    uint64_t parts[] = {t->size, t->level, t->split, (uint64_t)(uintptr_t)t->dir,
                        (uint64_t)(uintptr_t)t->dir[0], t->mutations};
    uint64_t h = 0;
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) h = mix64(h ^ parts[i]);
    return h;
}

static void check_fingerprint(const tableIter *it) {
    if (!it->safe && it->fingerprint != fingerprint(it->t)) {
        fprintf(stderr, "table: modified during a fast (unsafe) iteration; "
                        "use a safe iterator to modify while iterating\n");
        abort();
    }
}
#endif

void tableIterInit(tableIter *it, table *t, int safe) {
    it->t = t;
    it->bucket = 0;
    it->next = *head(t, 0);
    it->safe = safe;
    it->next_safe = NULL;
    it->fingerprint = 0;
    if (safe) {
        it->next_safe = t->safe_iters;
        t->safe_iters = it;
    }
#ifdef KEEL_DEBUG
    else {
        it->fingerprint = fingerprint(t);
    }
#endif
}

void *tableIterNext(tableIter *it) {
    const table *t = it->t;
#ifdef KEEL_DEBUG
    check_fingerprint(it);
#endif
    while (!it->next) {
        if (it->bucket + 1 >= nbuckets(t)) return NULL;
        it->next = *head(t, ++it->bucket);
    }
    void *e = it->next;
    it->next = next_of(e);
    return e;
}

void tableIterRelease(tableIter *it) {
    if (it->safe) {
        tableIter **p = &it->t->safe_iters;
        while (*p != it) p = &(*p)->next_safe;
        *p = it->next_safe;
    }
#ifdef KEEL_DEBUG
    check_fingerprint(it);
#endif
}

/* ---- Scan ------------------------------------------------------------------------------------ */

/* Bucket b at level l holds exactly the hashes whose low l bits are b: in reversed space, the
 * interval [rev(b), rev(b) + 2^(64-l)). The buckets tile reversed space at every moment, so
 * walking from the bucket containing the cursor to the next interval start visits every point
 * once. Entries below the cursor (possible only when a merge made the bucket start before it)
 * were emitted by earlier steps and are filtered out. */
uint64_t tableScan(table *t, uint64_t cursor, size_t count, tableScanFn fn, void *privdata) {
    size_t want = count ? count : 1;
    size_t budget = want > SIZE_MAX / TABLE_SCAN_BUCKETS_PER_COUNT
                        ? SIZE_MAX
                        : want * TABLE_SCAN_BUCKETS_PER_COUNT;
    size_t emitted = 0;
    do {
        size_t b = bucket_of(t, rev64(cursor));
        uint64_t start = rev64(b);
        int filter = start < cursor;
        for (void *e = *head(t, b), *next; e; e = next) {
            next = next_of(e);
            if (filter && rev64(entry_hash(t, e)) < cursor) continue;
            fn(privdata, e);
            emitted++;
        }
        cursor = start + ((uint64_t)1 << (64 - bucket_level(t, b)));
    } while (cursor != 0 && emitted < want && --budget > 0);
    return cursor;
}

int tableScanPassed(const table *t, uint64_t cursor, const char *key, size_t len) {
    return rev64(tableHashKey(t, key, len)) < cursor;
}

/* ---- Defragmentation ---------------------------------------------------------------------- */

table *tableDefrag(table *t, void *(*move)(void *block)) {
    if (t->safe_iters) return t;
    table *n = move(t);
    if (n) {
        t = n;
        if (t->dir_cap == 1) t->dir = &t->dir_inline;   /* the inline slot moved with the struct */
    }
    if (t->dir_cap > 1) {
        void ***dir = move(t->dir);
        if (dir) t->dir = dir;
    }
    for (size_t k = 0; k < t->nseg; k++) {
        void **seg = move(t->dir[k]);
        if (seg) t->dir[k] = seg;
    }
    return t;
}

/* ---- Introspection --------------------------------------------------------------------------- */

size_t tableOverheadBytes(const table *t) {
    return t->overhead;
}

void tableGetInfo(const table *t, tableInfo *info) {
    memset(info, 0, sizeof(*info));
    info->size = t->size;
    info->buckets = nbuckets(t);
    info->target_buckets = target_buckets(t);
    info->level = t->level;
    info->split = t->split;
    info->head_capacity = capacity(t);
    info->segments = t->nseg;
    info->dir_capacity = t->dir_cap;
    info->chain_bound = t->chain_bound;
    info->splits = t->splits;
    info->merges = t->merges;
    for (const tableIter *it = t->safe_iters; it; it = it->next_safe) info->safe_iterators++;
}

/* Appends formatted text to a bounded buffer, truncating silently; buf stays NUL-terminated. */
typedef struct textBuf {
    char *buf;
    size_t size, len;
} textBuf;

__attribute__((format(printf, 2, 3))) static void text_add(textBuf *tb, const char *fmt, ...) {
    if (tb->len + 1 >= tb->size) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tb->buf + tb->len, tb->size - tb->len, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    size_t room = tb->size - tb->len - 1;
    tb->len += (size_t)n < room ? (size_t)n : room;
}

/* The full-mode lines; the table is non-empty. */
static void stats_chains(const table *t, textBuf *tb) {
    size_t nb = nbuckets(t), hist[STATS_MAX_CHAIN] = {0}, used = 0, max = 0, counted = 0;
    for (size_t b = 0; b < nb; b++) {
        size_t n = chain_length(t, b);
        hist[n < STATS_MAX_CHAIN ? n : STATS_MAX_CHAIN - 1]++;
        used += n > 0;
        counted += n;
        if (n > max) max = n;
    }
    text_add(tb, " different slots: %zu\n max chain length: %zu\n", used, max);
    text_add(tb, " avg chain length (counted): %.02f\n", (double)counted / (double)used);
    text_add(tb, " avg chain length (computed): %.02f\n", (double)t->size / (double)used);
    text_add(tb, " Chain length distribution:\n");
    for (size_t i = 0; i < STATS_MAX_CHAIN; i++)
        if (hist[i])
            text_add(tb, "   %zu: %zu (%.02f%%)\n", i, hist[i],
                     100.0 * (double)hist[i] / (double)nb);
}

void tableGetStats(const table *t, char *buf, size_t bufsize, int full) {
    if (bufsize == 0) return;
    textBuf tb = {buf, bufsize, 0};
    buf[0] = '\0';
    if (t->size == 0) {
        text_add(&tb, "No stats available for empty dictionaries\n");
        return;
    }
    text_add(&tb, "Hash table 0 stats (main hash table):\n table size: %zu\n"
                  " number of elements: %zu\n", nbuckets(t), t->size);
    if (full) stats_chains(t, &tb);
    size_t want = target_buckets(t);
    if (want != nbuckets(t))
        text_add(&tb, "Hash table 1 stats (rehashing target):\n table size: %zu\n"
                      " linear hashing: level %u, split pointer %zu, %s one bucket at a time%s\n",
                 want, t->level, t->split, want > nbuckets(t) ? "growing" : "shrinking",
                 t->safe_iters ? " (paused by a safe iterator)" : "");
}

#define VERIFY(cond, ...)                                  \
    do {                                                   \
        if (!(cond)) {                                     \
            fprintf(stderr, "tableVerify: " __VA_ARGS__); \
            fputc('\n', stderr);                           \
            return 0;                                      \
        }                                                  \
    } while (0)

int tableVerify(const table *t) {
    size_t nb = nbuckets(t), cap = capacity(t);
    VERIFY(t->level >= MIN_LEVEL && t->split < ((size_t)1 << t->level), "bad level/split");
    VERIFY(nb <= cap, "nb %zu exceeds capacity %zu", nb, cap);
    VERIFY(t->nseg == 1 || t->cap0 == SEG_HEADS, "segment 0 not full with %zu segments", t->nseg);
    VERIFY(t->nseg <= t->dir_cap && (t->dir_cap == 1) == (t->nseg == 1) &&
               (t->dir_cap == 1) == (t->dir == &t->dir_inline),
           "directory state: nseg %zu dir_cap %zu", t->nseg, t->dir_cap);
    size_t bytes = kmalloc_size(t) + (t->dir_cap > 1 ? kmalloc_size(t->dir) : 0);
    for (size_t k = 0; k < t->nseg; k++) bytes += kmalloc_size(t->dir[k]);
    VERIFY(bytes == t->overhead, "overhead %zu, recounted %zu", t->overhead, bytes);
    size_t count = 0;
    for (size_t b = 0; b < cap; b++) {
        size_t n = 0;
        for (void *e = *head(t, b); e; e = next_of(e), n++) {
            VERIFY(b < nb, "entry in unused head %zu (nb %zu)", b, nb);
            size_t want = bucket_of(t, entry_hash(t, e));
            VERIFY(want == b, "entry in bucket %zu, hash addresses %zu", b, want);
        }
        VERIFY(n <= t->chain_bound, "chain of %zu exceeds bound %zu", n, t->chain_bound);
        count += n;
    }
    VERIFY(count == t->size, "%zu entries linked, size %zu", count, t->size);
    return 1;
}
