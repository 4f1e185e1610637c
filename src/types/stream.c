/* stream.c - stream storage: ID maps, packed entry nodes, consumer groups; see stream.h. */
#include "types/stream.h"

#include <string.h>

#include "util/mem.h"
#include "util/util.h"
#include "util/varint.h"

/* Redis's cap on one listpack (STREAM_LISTPACK_MAX_SIZE): the node size limit when unset. */
#define NODE_MAX_BYTES_CAP (1LL << 30)

/* ---- IDs ------------------------------------------------------------------------------------ */

int stream_id_cmp(const streamID *a, const streamID *b) {
    if (a->ms != b->ms) return a->ms < b->ms ? -1 : 1;
    if (a->seq != b->seq) return a->seq < b->seq ? -1 : 1;
    return 0;
}

int stream_id_incr(streamID *id) {
    if (id->seq != UINT64_MAX) {
        id->seq++;
    } else if (id->ms != UINT64_MAX) {
        id->ms++;
        id->seq = 0;
    } else {
        return 0;
    }
    return 1;
}

int stream_id_decr(streamID *id) {
    if (id->seq != 0) {
        id->seq--;
    } else if (id->ms != 0) {
        id->ms--;
        id->seq = UINT64_MAX;
    } else {
        return 0;
    }
    return 1;
}

int stream_id_format(char *buf, const streamID *id) {
    int n = ull_to_str(buf, 21, id->ms);
    buf[n++] = '-';
    n += ull_to_str(buf + n, 21, id->seq);
    return n;
}

/* ---- idMap ---------------------------------------------------------------------------------- */

size_t idmap_lower_bound(const idMap *m, const streamID *id) {
    size_t lo = 0, hi = m->len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (stream_id_cmp(&idmap_at(m, mid)->id, id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void *idmap_find(const idMap *m, const streamID *id) {
    size_t i = idmap_lower_bound(m, id);
    return i < m->len && stream_id_cmp(&idmap_at(m, i)->id, id) == 0 ? idmap_at(m, i)->ptr : NULL;
}

void idmap_insert(idMap *m, const streamID *id, void *ptr) {
    size_t i = idmap_lower_bound(m, id);
    if (m->head + m->len == m->cap) {
        if (m->head > m->len) {   /* mostly gap: slide down instead of growing */
            memmove(m->a, m->a + m->head, sizeof(idEntry) * m->len);
            m->head = 0;
        } else {
            m->cap = m->cap ? m->cap * 2 : 4;
            m->a = krealloc(m->a, sizeof(idEntry) * m->cap);
        }
    }
    idEntry *at = idmap_at(m, i);
    memmove(at + 1, at, sizeof(idEntry) * (m->len - i));
    at->id = *id;
    at->ptr = ptr;
    m->len++;
}

void idmap_remove_at(idMap *m, size_t i) {
    if (i == 0) {
        m->head++;
    } else {
        idEntry *at = idmap_at(m, i);
        memmove(at, at + 1, sizeof(idEntry) * (m->len - i - 1));
    }
    if (--m->len == 0) m->head = 0;
}

int idmap_remove(idMap *m, const streamID *id) {
    size_t i = idmap_lower_bound(m, id);
    if (i >= m->len || stream_id_cmp(&idmap_at(m, i)->id, id) != 0) return 0;
    idmap_remove_at(m, i);
    return 1;
}

void idmap_free(idMap *m) {
    kfree(m->a);
    memset(m, 0, sizeof(*m));
}

size_t idmap_memory(const idMap *m) {
    return m->a ? kmalloc_size(m->a) : 0;
}

/* ---- Strings ------------------------------------------------------------------------------ */

/* A string is stored as [varint len << 1][bytes], or, when it is a canonical integer (Redis's
 * strict rules, so it reads back byte-identical) of magnitude below 2^62, as one varint
 * (zigzag(v) << 1 | 1): "123456" costs 3 bytes instead of 7. */
#define STR_INT_LIMIT (1LL << 62)

static int str_as_int(const streamStr *s, uint64_t *code) {
    long long v;
    if (s->len == 0 || s->len > 20 || !str_to_ll(s->ptr, s->len, &v) || v >= STR_INT_LIMIT || v <= -STR_INT_LIMIT)
        return 0;
    uint64_t zz = v < 0 ? ((uint64_t)(-(v + 1)) << 1) | 1 : (uint64_t)v << 1;
    *code = zz << 1 | 1;
    return 1;
}

static size_t str_size(const streamStr *s) {
    uint64_t code;
    if (str_as_int(s, &code)) return varint_size(code);
    return varint_size((uint64_t)s->len << 1) + s->len;
}

static unsigned char *str_put(unsigned char *p, const streamStr *s) {
    uint64_t code;
    if (str_as_int(s, &code)) return p + varint_put(p, code);
    p += varint_put(p, (uint64_t)s->len << 1);
    memcpy(p, s->ptr, s->len);
    return p + s->len;
}

/* Reads a string; an integer is formatted into buf (STREAM_STR_BUF bytes). */
static const unsigned char *str_get(const unsigned char *p, streamStr *s, char *buf) {
    uint64_t code;
    p = varint_get(p, &code);
    if (code & 1) {
        uint64_t zz = code >> 1;
        long long v = zz & 1 ? -(long long)(zz >> 1) - 1 : (long long)(zz >> 1);
        s->len = (size_t)ll_to_str(buf, STREAM_STR_BUF, v);
        s->ptr = buf;
        return p;
    }
    s->ptr = (const char *)p;
    s->len = (size_t)(code >> 1);
    return p + s->len;
}

static const unsigned char *str_skip(const unsigned char *p) {
    uint64_t code;
    p = varint_get(p, &code);
    return code & 1 ? p : p + (code >> 1);
}

/* ---- Nodes ---------------------------------------------------------------------------------- */

static streamNode *node_of(const stream *s, size_t i) {
    return idmap_at(&s->nodes, i)->ptr;
}

static size_t node_alloc_size(const streamNode *n) {
    return sizeof(streamNode) + n->bytes;
}

/* 1 if the entry's fields are the node's master fields, in order. */
static int same_fields(const streamNode *n, const streamStr *fv, size_t nfields) {
    uint64_t nm;
    const unsigned char *p = varint_get(n->data, &nm);
    if (nm != nfields) return 0;
    for (size_t i = 0; i < nfields; i++) {
        streamStr f;
        char buf[STREAM_STR_BUF];
        p = str_get(p, &f, buf);
        if (f.len != fv[2 * i].len || memcmp(f.ptr, fv[2 * i].ptr, f.len) != 0) return 0;
    }
    return 1;
}

/* A node whose master fields are fields[0], fields[stride], ... (nfields of them). */
static streamNode *node_new(const streamStr *fields, size_t nfields, size_t stride) {
    size_t bytes = varint_size(nfields);
    for (size_t i = 0; i < nfields; i++) bytes += str_size(&fields[stride * i]);
    streamNode *n = kmalloc(sizeof(streamNode) + bytes);
    memset(n, 0, sizeof(*n));
    unsigned char *p = n->data + varint_put(n->data, nfields);
    for (size_t i = 0; i < nfields; i++) p = str_put(p, &fields[stride * i]);
    n->bytes = n->entries_off = (uint32_t)bytes;
    return n;
}

/* Decodes the entry at off: its flags, ID and field area; returns the next entry's offset. */
static size_t entry_parse(const streamNode *n, const streamID *first, size_t off, streamIter *e) {
    const unsigned char *p = n->data + off;
    unsigned flags = *p++;
    uint64_t dms, seq;
    p = varint_get(p, &dms);
    p = varint_get(p, &seq);
    e->id.ms = first->ms + dms;
    e->id.seq = dms ? seq : first->seq + seq;
    e->entry_off = off;
    e->same = (flags & STREAM_F_SAMEFIELDS) != 0;
    uint64_t nf;
    if (e->same) {
        e->mp = varint_get(n->data, &nf);
    } else {
        p = varint_get(p, &nf);
        e->mp = NULL;
    }
    e->nfields = (size_t)nf;
    e->fp = p;
    for (size_t i = 0; i < (e->same ? nf : 2 * nf); i++) p = str_skip(p);
    return (size_t)(p - n->data);
}

static int entry_deleted(const streamNode *n, size_t off) {
    return (n->data[off] & STREAM_F_DELETED) != 0;
}

/* Appends an entry to the last node: flags are STREAM_F_*; with SAMEFIELDS only the values of
 * fv are stored (the fields are the node's master fields). Updates the node, not the stream. */
static void node_put_entry(stream *s, const streamID *id, int flags, const streamStr *fv, size_t nfields) {
    idEntry *slot = idmap_at(&s->nodes, s->nodes.len - 1);
    streamNode *n = slot->ptr;
    int same = (flags & STREAM_F_SAMEFIELDS) != 0;
    uint64_t dms = id->ms - slot->id.ms, seq = dms ? id->seq : id->seq - slot->id.seq;
    size_t add = 1 + varint_size(dms) + varint_size(seq) + (same ? 0 : varint_size(nfields));
    for (size_t i = 0; i < 2 * nfields; i++)
        if (!same || i % 2 == 1) add += str_size(&fv[i]);
    n = krealloc(n, node_alloc_size(n) + add);
    slot->ptr = n;
    n->last_off = n->bytes;
    unsigned char *p = n->data + n->bytes;
    *p++ = (unsigned char)flags;
    p += varint_put(p, dms);
    p += varint_put(p, seq);
    if (!same) p += varint_put(p, nfields);
    for (size_t i = 0; i < 2 * nfields; i++)
        if (!same || i % 2 == 1) p = str_put(p, &fv[i]);
    n->bytes += (uint32_t)add;
    n->count++;
    if (!(flags & STREAM_F_DELETED)) n->live++;
    n->last = *id;
}

void stream_append(stream *s, const streamID *id, const streamStr *fv, size_t nfields, long long node_max_bytes,
                   long long node_max_entries) {
    size_t total = 0;
    for (size_t i = 0; i < 2 * nfields; i++) total += fv[i].len;
    if (node_max_bytes <= 0 || node_max_bytes > NODE_MAX_BYTES_CAP) node_max_bytes = NODE_MAX_BYTES_CAP;
    streamNode *n = s->nodes.len ? node_of(s, s->nodes.len - 1) : NULL;
    if (n && ((long long)(n->bytes + total) >= node_max_bytes ||
              (node_max_entries > 0 && (long long)n->count >= node_max_entries)))
        n = NULL;
    if (!n) {
        n = node_new(fv, nfields, 2);
        idmap_insert(&s->nodes, id, n);
    }
    node_put_entry(s, id, same_fields(n, fv, nfields) ? STREAM_F_SAMEFIELDS : 0, fv, nfields);
    s->length++;
    s->last_id = *id;
    s->entries_added++;
    if (s->length == 1) s->first_id = *id;
}

/* ---- Iteration ------------------------------------------------------------------------------ */

/* Index of the last node whose first ID is <= id, or -1. */
static long node_index_for(const stream *s, const streamID *id) {
    size_t i = idmap_lower_bound(&s->nodes, id);
    if (i < s->nodes.len && stream_id_cmp(&idmap_at(&s->nodes, i)->id, id) == 0) return (long)i;
    return (long)i - 1;
}

void stream_iter_start(streamIter *it, stream *s, const streamID *start, const streamID *end, int rev) {
    memset(it, 0, sizeof(*it));
    it->s = s;
    it->start = *start;
    it->end = *end;
    it->rev = rev;
    long i = node_index_for(s, rev ? end : start);
    if (i < 0) {
        if (rev || s->nodes.len == 0) it->done = 1;
        i = 0;
    }
    it->ni = (size_t)i;
    /* Resume where an earlier forward scan found its first entry (see stream.h). */
    if (!rev && !it->done && s->hint_off && s->hint_ni == (size_t)i && stream_id_cmp(start, &s->hint_lo) >= 0) {
        it->node = node_of(s, it->ni);
        it->first = idmap_at(&s->nodes, it->ni)->id;
        it->pos = s->hint_off;
    }
}

/* Loads node it->ni: forward from its first entry, backward from its last. */
static void iter_load(streamIter *it) {
    it->node = node_of(it->s, it->ni);
    it->first = idmap_at(&it->s->nodes, it->ni)->id;
    if (!it->rev) {
        it->pos = it->node->entries_off;
        return;
    }
    it->offs = krealloc(it->offs, sizeof(uint32_t) * it->node->count);
    it->noffs = 0;
    streamIter tmp;
    for (size_t off = it->node->entries_off; off < it->node->bytes;) {
        it->offs[it->noffs++] = (uint32_t)off;
        off = entry_parse(it->node, &it->first, off, &tmp);
    }
}

/* The next entry position in iteration order (live or not), or 0 when the iteration ends. */
static int iter_step(streamIter *it) {
    for (;;) {
        if (it->done) return 0;
        if (!it->node) iter_load(it);
        if (!it->rev && it->pos < it->node->bytes) {
            it->pos = entry_parse(it->node, &it->first, it->pos, it);
            return 1;
        }
        if (it->rev && it->noffs > 0) {
            entry_parse(it->node, &it->first, it->offs[--it->noffs], it);
            return 1;
        }
        it->node = NULL;
        if (it->rev) {
            if (it->ni == 0) it->done = 1;
            it->ni--;
        } else if (++it->ni >= it->s->nodes.len) {
            it->done = 1;
        }
    }
}

int stream_iter_next(streamIter *it) {
    while (iter_step(it)) {
        if (!it->rev) {
            if (stream_id_cmp(&it->id, &it->end) > 0) break;
            if (stream_id_cmp(&it->id, &it->start) < 0) continue;
        } else {
            if (stream_id_cmp(&it->id, &it->start) < 0) break;
            if (stream_id_cmp(&it->id, &it->end) > 0) continue;
        }
        if (!entry_deleted(it->node, it->entry_off)) {
            if (!it->rev && !it->hinted) {
                it->hinted = 1;
                it->s->hint_ni = (uint32_t)it->ni;
                it->s->hint_off = (uint32_t)it->entry_off;
                it->s->hint_lo = it->start;
            }
            return 1;
        }
    }
    it->done = 1;
    return 0;
}

void stream_iter_field(streamIter *it, streamStr *f, streamStr *v) {
    if (it->same)
        it->mp = str_get(it->mp, f, it->fbuf);
    else
        it->fp = str_get(it->fp, f, it->fbuf);
    it->fp = str_get(it->fp, v, it->vbuf);
}

static void node_remove(stream *s, size_t i) {
    kfree(node_of(s, i));
    idmap_remove_at(&s->nodes, i);
    s->hint_off = 0;   /* node indexes shifted */
}

void stream_iter_delete(streamIter *it) {
    streamNode *n = it->node;
    n->data[it->entry_off] |= STREAM_F_DELETED;
    n->live--;
    it->s->length--;
    if (n->live > 0) return;
    node_remove(it->s, it->ni);
    it->node = NULL;
    if (it->rev) {
        if (it->ni == 0) it->done = 1;
        it->ni--;
    } else if (it->ni >= it->s->nodes.len) {
        it->done = 1;
    }
}

void stream_iter_stop(streamIter *it) {
    kfree(it->offs);
    it->offs = NULL;
}

/* ---- The RDB form -------------------------------------------------------------------------- */

size_t stream_node_count(const stream *s) {
    return s->nodes.len;
}

void stream_iter_node(streamIter *it, stream *s, size_t i, streamID *master, size_t *nfields) {
    memset(it, 0, sizeof(*it));
    it->s = s;
    it->ni = i;
    iter_load(it);
    *master = it->first;
    uint64_t nf;
    it->mp = varint_get(it->node->data, &nf);
    *nfields = (size_t)nf;
}

void stream_iter_master_field(streamIter *it, streamStr *f) {
    it->mp = str_get(it->mp, f, it->fbuf);
}

int stream_iter_next_raw(streamIter *it, int *flags) {
    if (it->pos >= it->node->bytes) return 0;
    it->pos = entry_parse(it->node, &it->first, it->pos, it);
    *flags = it->node->data[it->entry_off];
    return 1;
}

void stream_load_node(stream *s, const streamID *master, const streamStr *fields, size_t nfields) {
    s->hint_off = 0;
    idmap_insert(&s->nodes, master, node_new(fields, nfields, 1));
}

void stream_load_entry(stream *s, const streamID *id, int flags, const streamStr *fv, size_t nfields) {
    node_put_entry(s, id, flags, fv, nfields);
    if (!(flags & STREAM_F_DELETED)) s->length++;
}

void stream_edge_id(stream *s, int first, streamID *id) {
    streamID min = {0, 0}, max = {UINT64_MAX, UINT64_MAX};
    /* The common case of the last ID (XREAD, XREADGROUP): the last entry is live. */
    const streamNode *last = s->nodes.len ? node_of(s, s->nodes.len - 1) : NULL;
    if (!first && last && !entry_deleted(last, last->last_off)) {
        *id = last->last;
        return;
    }
    streamIter it;
    stream_iter_start(&it, s, &min, &max, !first);
    if (stream_iter_next(&it))
        *id = it.id;
    else
        *id = first ? max : min;
    stream_iter_stop(&it);
}

size_t stream_range_count(stream *s, const streamID *start, const streamID *end, int rev, size_t limit) {
    streamIter it;
    size_t n = 0;
    stream_iter_start(&it, s, start, end, rev);
    while (n < limit && stream_iter_next(&it)) n++;
    stream_iter_stop(&it);
    return n;
}

int stream_entry_exists(stream *s, const streamID *id) {
    streamIter it;
    stream_iter_start(&it, s, id, id, 0);
    int found = stream_iter_next(&it);
    stream_iter_stop(&it);
    return found;
}

int stream_delete(stream *s, const streamID *id) {
    streamIter it;
    stream_iter_start(&it, s, id, id, 0);
    int found = stream_iter_next(&it);
    if (found) stream_iter_delete(&it);
    stream_iter_stop(&it);
    if (!found) return 0;
    if (stream_id_cmp(id, &s->max_deleted_id) > 0) s->max_deleted_id = *id;
    if (s->length == 0)
        memset(&s->first_id, 0, sizeof(s->first_id));
    else if (stream_id_cmp(id, &s->first_id) == 0)
        stream_edge_id(s, 1, &s->first_id);
    return 1;
}

/* Exact trimming inside the first node: tombstones entries until the target is met. */
static long long trim_in_node(stream *s, long long maxlen, const streamID *minid) {
    streamNode *n = node_of(s, 0);
    streamID first = idmap_at(&s->nodes, 0)->id;
    streamIter e;
    long long deleted = 0;
    for (size_t off = n->entries_off; off < n->bytes;) {
        size_t next = entry_parse(n, &first, off, &e);
        if (maxlen >= 0 ? (long long)s->length <= maxlen : stream_id_cmp(&e.id, minid) >= 0) break;
        if (!entry_deleted(n, off)) {
            n->data[off] |= STREAM_F_DELETED;
            n->live--;
            s->length--;
            deleted++;
        }
        off = next;
    }
    return deleted;
}

long long stream_trim(stream *s, long long maxlen, const streamID *minid, int approx, long long limit) {
    long long deleted = 0;
    while (s->nodes.len) {
        if (maxlen >= 0 && (long long)s->length <= maxlen) break;
        streamNode *n = node_of(s, 0);
        long long entries = n->live;
        if (limit && deleted + entries > limit) break;
        int remove = maxlen >= 0 ? (long long)s->length - entries >= maxlen : stream_id_cmp(&n->last, minid) < 0;
        if (remove) {
            node_remove(s, 0);
            s->length -= (uint64_t)entries;
            deleted += entries;
            continue;
        }
        if (!approx) deleted += trim_in_node(s, maxlen, minid);
        break;
    }
    if (s->length == 0)
        memset(&s->first_id, 0, sizeof(s->first_id));
    else if (deleted)
        stream_edge_id(s, 1, &s->first_id);
    return deleted;
}

/* ---- Lag bookkeeping (Redis 7.0's rules) ------------------------------------------------------ */

int stream_range_has_tombstones(stream *s, const streamID *start) {
    static const streamID zero = {0, 0};
    if (!s->length || stream_id_cmp(&s->max_deleted_id, &zero) == 0) return 0;
    if (stream_id_cmp(&s->first_id, &s->max_deleted_id) > 0) return 0;
    return stream_id_cmp(start ? start : &zero, &s->max_deleted_id) <= 0;
}

long long stream_estimate_distance(stream *s, const streamID *id) {
    static const streamID zero = {0, 0};
    if (!s->entries_added) return 0;
    int cmp_last = stream_id_cmp(id, &s->last_id);
    if (!s->length && cmp_last < 1) return (long long)s->entries_added;
    if (cmp_last == 0) return (long long)s->entries_added;
    if (cmp_last > 0) return STREAM_ENTRIES_READ_UNKNOWN;
    int cmp_first = stream_id_cmp(id, &s->first_id);
    if (stream_id_cmp(&s->max_deleted_id, &zero) == 0 || stream_id_cmp(&s->max_deleted_id, &s->first_id) < 0) {
        if (cmp_first < 0) return (long long)(s->entries_added - s->length);
        if (cmp_first == 0) return (long long)(s->entries_added - s->length + 1);
    }
    return STREAM_ENTRIES_READ_UNKNOWN;
}

/* ---- Consumer groups ------------------------------------------------------------------------ */

/* Both streamCG and streamConsumer start with {char *name; size_t namelen}: one sorted-array
 * search serves both. Order: bytewise, a prefix first (Redis's radix tree order). */
typedef struct named {
    char *name;
    size_t namelen;
} named;

static int name_cmp(const named *a, const char *name, size_t len) {
    size_t min = a->namelen < len ? a->namelen : len;
    int c = memcmp(a->name, name, min);
    if (c) return c;
    return a->namelen < len ? -1 : a->namelen > len;
}

/* Index of name in arr[0..n), or of where it would go (with *found = 0). */
static size_t name_search(void *const *arr, size_t n, const char *name, size_t len, int *found) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = name_cmp(arr[mid], name, len);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = 0;
    return lo;
}

static void array_insert(void ***arr, size_t *n, size_t at, void *item) {
    *arr = krealloc(*arr, sizeof(void *) * (*n + 1));
    memmove(*arr + at + 1, *arr + at, sizeof(void *) * (*n - at));
    (*arr)[at] = item;
    (*n)++;
}

static void array_remove(void **arr, size_t *n, const void *item) {
    for (size_t i = 0; i < *n; i++) {
        if (arr[i] != item) continue;
        memmove(arr + i, arr + i + 1, sizeof(void *) * (*n - i - 1));
        (*n)--;
        return;
    }
}

streamCG *stream_group_find(const stream *s, const char *name, size_t len) {
    int found;
    size_t i = name_search((void *const *)s->groups, s->ngroups, name, len, &found);
    return found ? s->groups[i] : NULL;
}

streamCG *stream_group_create(stream *s, const char *name, size_t len, const streamID *id, long long entries_read) {
    int found;
    size_t i = name_search((void *const *)s->groups, s->ngroups, name, len, &found);
    if (found) return NULL;
    streamCG *cg = kcalloc(sizeof(*cg));
    cg->name = kmemdup(name, len);
    cg->namelen = len;
    cg->last_id = *id;
    cg->entries_read = entries_read;
    array_insert((void ***)&s->groups, &s->ngroups, i, cg);
    return cg;
}

static void consumer_free(streamConsumer *sc) {
    idmap_free(&sc->pel);
    kfree(sc->name);
    kfree(sc);
}

static void group_free(streamCG *cg) {
    for (size_t i = 0; i < cg->pel.len; i++) kfree(idmap_at(&cg->pel, i)->ptr);
    idmap_free(&cg->pel);
    for (size_t i = 0; i < cg->nconsumers; i++) consumer_free(cg->consumers[i]);
    kfree(cg->consumers);
    kfree(cg->name);
    kfree(cg);
}

void stream_group_destroy(stream *s, streamCG *cg) {
    array_remove((void **)s->groups, &s->ngroups, cg);
    group_free(cg);
}

streamConsumer *stream_consumer_find(const streamCG *cg, const char *name, size_t len) {
    int found;
    size_t i = name_search((void *const *)cg->consumers, cg->nconsumers, name, len, &found);
    return found ? cg->consumers[i] : NULL;
}

streamConsumer *stream_consumer_create(streamCG *cg, const char *name, size_t len, long long now) {
    int found;
    size_t i = name_search((void *const *)cg->consumers, cg->nconsumers, name, len, &found);
    if (found) return NULL;
    streamConsumer *sc = kcalloc(sizeof(*sc));
    sc->name = kmemdup(name, len);
    sc->namelen = len;
    sc->seen_time = now;
    array_insert((void ***)&cg->consumers, &cg->nconsumers, i, sc);
    return sc;
}

size_t stream_consumer_delete(streamCG *cg, streamConsumer *sc) {
    size_t pending = sc->pel.len;
    for (size_t i = 0; i < sc->pel.len; i++) {
        streamNACK *nack = idmap_at(&sc->pel, i)->ptr;
        idmap_remove(&cg->pel, &nack->id);
        kfree(nack);
    }
    array_remove((void **)cg->consumers, &cg->nconsumers, sc);
    consumer_free(sc);
    return pending;
}

streamNACK *stream_nack_new(streamConsumer *sc, const streamID *id, long long now) {
    streamNACK *nack = kmalloc(sizeof(*nack));
    nack->id = *id;
    nack->delivery_time = now;
    nack->delivery_count = 1;
    nack->consumer = sc;
    return nack;
}

void stream_nack_delete(streamCG *cg, streamNACK *nack) {
    idmap_remove(&cg->pel, &nack->id);
    idmap_remove(&nack->consumer->pel, &nack->id);
    kfree(nack);
}

void stream_nack_move(streamNACK *nack, streamConsumer *to) {
    if (nack->consumer == to) return;
    idmap_remove(&nack->consumer->pel, &nack->id);
    idmap_insert(&to->pel, &nack->id, nack);
    nack->consumer = to;
}

/* ---- Whole streams -------------------------------------------------------------------------- */

stream *stream_new(void) {
    return kcalloc(sizeof(stream));
}

void stream_free(stream *s) {
    for (size_t i = 0; i < s->nodes.len; i++) kfree(node_of(s, i));
    idmap_free(&s->nodes);
    for (size_t i = 0; i < s->ngroups; i++) group_free(s->groups[i]);
    kfree(s->groups);
    kfree(s);
}

static streamCG *group_dup(const streamCG *src) {
    streamCG *cg = kcalloc(sizeof(*cg));
    cg->name = kmemdup(src->name, src->namelen);
    cg->namelen = src->namelen;
    cg->last_id = src->last_id;
    cg->entries_read = src->entries_read;
    cg->consumers = kmalloc(sizeof(void *) * (src->nconsumers ? src->nconsumers : 1));
    for (size_t i = 0; i < src->nconsumers; i++) {
        streamConsumer *sc = kcalloc(sizeof(*sc));
        sc->name = kmemdup(src->consumers[i]->name, src->consumers[i]->namelen);
        sc->namelen = src->consumers[i]->namelen;
        sc->seen_time = src->consumers[i]->seen_time;
        cg->consumers[cg->nconsumers++] = sc;
    }
    for (size_t i = 0; i < src->pel.len; i++) {
        const streamNACK *old = idmap_at(&src->pel, i)->ptr;
        streamNACK *nack = kmemdup(old, sizeof(*old));
        nack->consumer = stream_consumer_find(cg, old->consumer->name, old->consumer->namelen);
        idmap_insert(&cg->pel, &nack->id, nack);
        idmap_insert(&nack->consumer->pel, &nack->id, nack);
    }
    return cg;
}

stream *stream_dup(const stream *s) {
    stream *d = stream_new();
    *d = *s;
    memset(&d->nodes, 0, sizeof(d->nodes));
    for (size_t i = 0; i < s->nodes.len; i++) {
        const streamNode *n = node_of(s, i);
        idmap_insert(&d->nodes, &idmap_at(&s->nodes, i)->id, kmemdup(n, node_alloc_size(n)));
    }
    d->groups = s->ngroups ? kmalloc(sizeof(void *) * s->ngroups) : NULL;
    for (size_t i = 0; i < s->ngroups; i++) d->groups[i] = group_dup(s->groups[i]);
    return d;
}

size_t stream_memory(const stream *s) {
    size_t bytes = kmalloc_size(s) + idmap_memory(&s->nodes);
    for (size_t i = 0; i < s->nodes.len; i++) bytes += kmalloc_size(node_of(s, i));
    for (size_t i = 0; i < s->ngroups; i++) {
        const streamCG *cg = s->groups[i];
        bytes += kmalloc_size(cg) + idmap_memory(&cg->pel) + sizeof(streamNACK) * cg->pel.len;
        for (size_t j = 0; j < cg->nconsumers; j++)
            bytes += kmalloc_size(cg->consumers[j]) + idmap_memory(&cg->consumers[j]->pel);
    }
    return bytes;
}

/* ---- Defragmentation ------------------------------------------------------------------------ */

/* Offers *slot's block to move and stores the new address; 1 if it moved. NULL slots stay. */
static int move_slot(void **slot, void *(*move)(void *block)) {
    if (!*slot) return 0;
    void *n = move(*slot);
    if (n) *slot = n;
    return n != NULL;
}

size_t stream_defrag_size(const stream *s) {
    size_t n = s->nodes.len;
    for (size_t i = 0; i < s->ngroups; i++) n += 1 + s->groups[i]->nconsumers + s->groups[i]->pel.len;
    return n;
}

stream *stream_defrag(stream *s, streamDefragCursor *c, size_t budget, void *(*move)(void *block)) {
    if (c->phase == 0) {   /* the struct and its two arrays */
        stream *n = move(s);
        if (n) s = n;
        move_slot((void **)&s->nodes.a, move);
        move_slot((void **)&s->groups, move);
        c->phase = 1;
        c->i = 0;
    }
    for (; budget && c->phase == 1; budget--) {   /* nodes: the node map holds the only pointer */
        if (c->i >= s->nodes.len) {
            c->phase = 2;
            c->i = c->j = 0;
            break;
        }
        move_slot(&idmap_at(&s->nodes, c->i++)->ptr, move);
    }
    /* Groups: group i's own blocks (j == 0), its consumers (j = 1..nconsumers), then its PEL's
     * NACKs. Indexes are re-checked on every call: groups, consumers and NACKs added or removed
     * between calls only make the walk visit some twice or not at all. */
    for (; budget && c->phase == 2; budget--) {
        if (c->i >= s->ngroups) {
            c->phase = 3;
            break;
        }
        streamCG *cg = s->groups[c->i];
        if (c->j == 0) {
            if (move_slot((void **)&s->groups[c->i], move)) cg = s->groups[c->i];
            move_slot((void **)&cg->name, move);
            move_slot((void **)&cg->pel.a, move);
            move_slot((void **)&cg->consumers, move);
            c->j = 1;
            continue;
        }
        size_t k = c->j - 1;
        if (k < cg->nconsumers) {
            streamConsumer *sc = cg->consumers[k];
            move_slot((void **)&sc->name, move);
            move_slot((void **)&sc->pel.a, move);
            /* Its NACKs point back at it: a consumer with a long PEL stays, so that one call
             * stays bounded by STREAM_DEFRAG_PEL_MAX pointer updates. */
            if (sc->pel.len <= STREAM_DEFRAG_PEL_MAX && move_slot((void **)&cg->consumers[k], move)) {
                sc = cg->consumers[k];
                for (size_t p = 0; p < sc->pel.len; p++) ((streamNACK *)idmap_at(&sc->pel, p)->ptr)->consumer = sc;
            }
            c->j++;
            continue;
        }
        k -= cg->nconsumers;
        if (k < cg->pel.len) {   /* a NACK is in the group's PEL and in its consumer's */
            idEntry *ge = idmap_at(&cg->pel, k);
            if (move_slot(&ge->ptr, move)) {
                streamNACK *nack = ge->ptr;
                idMap *cp = &nack->consumer->pel;
                idmap_at(cp, idmap_lower_bound(cp, &nack->id))->ptr = nack;
            }
            c->j++;
            continue;
        }
        c->i++;
        c->j = 0;
    }
    return s;
}
