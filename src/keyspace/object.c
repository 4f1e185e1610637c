/* object.c - keyspace entries; see object.h for the layout. */
#include "keyspace/object.h"

#include <string.h>

#include "types/quicklist.h"
#include "types/types.h"
#include "util/mem.h"
#include "util/util.h"

#define EXPIRE_AREA 12

_Static_assert(sizeof(kobj) % 8 == 0, "data[] starts 8-byte aligned");

/* Bytes of a value stored inline as a struct, 0 for the other encodings. */
static size_t inline_size(int encoding) {
    return encoding == ENC_QUICKLIST ? sizeof(quicklist) : 0;
}

/* Where the value starts in data[]: after the TTL area and the key, aligned for an inline struct. */
static size_t offset_for(int has_expire, size_t klen, int encoding) {
    size_t off = (has_expire ? EXPIRE_AREA : 0) + klen + 1;
    return inline_size(encoding) ? (off + 7) & ~(size_t)7 : off;
}

static size_t value_offset(const kobj *o) {
    return offset_for(o->has_expire, o->keylen, o->encoding);
}

static char *value_at(kobj *o) {
    return o->data + value_offset(o);
}

static const char *cvalue_at(const kobj *o) {
    return o->data + value_offset(o);
}

/* Allocates an entry with room for `vbytes` of value and fills the header and key. */
static kobj *alloc_entry(const char *key, size_t klen, int has_expire, int encoding, size_t vbytes) {
    kobj *o = kmalloc(sizeof(kobj) + offset_for(has_expire, klen, encoding) + vbytes);
    o->link.next = NULL;
    o->type = OBJ_STRING;
    o->encoding = (uint32_t)encoding;
    o->lru = 0;
    o->keylen = (uint32_t)klen;
    o->has_expire = (uint32_t)(has_expire != 0);
    o->spare = 0;
    if (has_expire) {
        long long none = OBJ_NO_EXPIRE;
        uint32_t slot = 0;
        memcpy(o->data, &none, 8);
        memcpy(o->data + 8, &slot, 4);
    }
    char *k = o->data + (has_expire ? EXPIRE_AREA : 0);
    memcpy(k, key, klen);
    k[klen] = '\0';
    return o;
}

static size_t value_bytes(const kobj *o) {
    if (o->encoding == ENC_EMBSTR) return 1 + (unsigned char)cvalue_at(o)[0] + 1;
    return inline_size(o->encoding) ? inline_size(o->encoding) : 8;
}

kobj *obj_new_int(const char *key, size_t klen, long long v) {
    kobj *o = alloc_entry(key, klen, 0, ENC_INT, 8);
    memcpy(value_at(o), &v, 8);
    return o;
}

kobj *obj_new_ptr(const char *key, size_t klen, int type, int encoding, void *ptr) {
    kobj *o = alloc_entry(key, klen, 0, encoding, sizeof(void *));
    o->type = (uint32_t)type;
    memcpy(value_at(o), &ptr, sizeof(void *));
    return o;
}

kobj *obj_new_inline(const char *key, size_t klen, int type, int encoding) {
    kobj *o = alloc_entry(key, klen, 0, encoding, inline_size(encoding));
    o->type = (uint32_t)type;
    return o;
}

kobj *obj_new_raw(const char *key, size_t klen, kstr *val) {
    return obj_new_ptr(key, klen, OBJ_STRING, ENC_RAW, val);
}

kobj *obj_new_string(const char *key, size_t klen, const char *val, size_t vlen) {
    long long n;
    if (vlen <= 20 && str_to_ll(val, vlen, &n)) return obj_new_int(key, klen, n);
    return obj_new_string_noint(key, klen, val, vlen);
}

kobj *obj_new_string_noint(const char *key, size_t klen, const char *val, size_t vlen) {
    if (vlen <= OBJ_EMBSTR_MAX) {
        kobj *o = alloc_entry(key, klen, 0, ENC_EMBSTR, 1 + vlen + 1);
        char *v = value_at(o);
        v[0] = (char)vlen;
        memcpy(v + 1, val, vlen);
        v[1 + vlen] = '\0';
        return o;
    }
    return obj_new_raw(key, klen, kstr_new(val, vlen));
}

/* Copies o's value area verbatim into a new entry for `key` (payload pointers are shared). */
static kobj *clone_with_key(const kobj *o, const char *key, size_t klen) {
    size_t vb = value_bytes(o);
    kobj *n = alloc_entry(key, klen, 0, o->encoding, vb);
    n->type = o->type;
    n->lru = o->lru;
    memcpy(value_at(n), cvalue_at(o), vb);
    return n;
}

kobj *obj_rekey(kobj *o, const char *key, size_t klen) {
    kobj *n = clone_with_key(o, key, klen);
    kfree(o);   /* the payload now belongs to n */
    return n;
}

kobj *obj_dup(const kobj *o, const char *key, size_t klen) {
    kobj *n = clone_with_key(o, key, klen);
    if (o->encoding == ENC_RAW && o->type == OBJ_STRING) {
        kstr *s = obj_ptr(o);
        obj_set_ptr(n, kstr_new(s->buf, s->len));
    } else if (o->encoding == ENC_QUICKLIST) {
        ql_copy(obj_ptr(n), obj_ptr(o));   /* n holds a shallow copy of the inline struct */
    } else if (o->type != OBJ_STRING) {
        obj_set_ptr(n, type_dup_payload(o));
    }
    return n;
}

void obj_free(kobj *o) {
    if (!o) return;
    if (o->type == OBJ_STRING) {
        if (o->encoding == ENC_RAW) kstr_free(obj_ptr(o));
    } else {
        type_free_payload(o);
    }
    kfree(o);
}

size_t obj_memory(const kobj *o) {
    size_t n = kmalloc_size(o);
    if (o->type == OBJ_STRING) {
        if (o->encoding == ENC_RAW) n += kstr_alloc_size(obj_ptr(o));
    } else {
        n += type_payload_memory(o);
    }
    return n;
}

long long obj_expire(const kobj *o) {
    if (!o->has_expire) return OBJ_NO_EXPIRE;
    long long when;
    memcpy(&when, o->data, 8);
    return when;
}

void obj_set_expire_inplace(kobj *o, long long when) {
    memcpy(o->data, &when, 8);
}

uint32_t obj_ttl_slot(const kobj *o) {
    uint32_t slot;
    memcpy(&slot, o->data + 8, 4);
    return slot;
}

void obj_set_ttl_slot(kobj *o, uint32_t slot) {
    memcpy(o->data + 8, &slot, 4);
}

kobj *obj_with_expire_area(kobj *o, int has_expire) {
    has_expire = has_expire != 0;
    if ((int)o->has_expire == has_expire) return o;
    /* The key moves by the TTL area, the value to its (maybe differently aligned) new offset;
     * growing moves both right (value first), shrinking both left (key first). */
    size_t klen1 = o->keylen + 1, vb = value_bytes(o);
    size_t from = value_offset(o), to = offset_for(has_expire, o->keylen, o->encoding);
    if (has_expire) {
        o = krealloc(o, sizeof(kobj) + to + vb);
        memmove(o->data + to, o->data + from, vb);
        memmove(o->data + EXPIRE_AREA, o->data, klen1);
        o->has_expire = 1;
        long long none = OBJ_NO_EXPIRE;
        uint32_t slot = 0;
        memcpy(o->data, &none, 8);
        memcpy(o->data + 8, &slot, 4);
    } else {
        memmove(o->data, o->data + EXPIRE_AREA, klen1);
        memmove(o->data + to, o->data + from, vb);
        o->has_expire = 0;
        o = krealloc(o, sizeof(kobj) + to + vb);
    }
    return o;
}

void *obj_ptr(const kobj *o) {
    if (inline_size(o->encoding)) return (void *)cvalue_at(o);
    void *p;
    memcpy(&p, cvalue_at(o), sizeof(p));
    return p;
}

void obj_set_ptr(kobj *o, void *ptr) {
    memcpy(value_at(o), &ptr, sizeof(ptr));
}

long long obj_int(const kobj *o) {
    long long v;
    memcpy(&v, cvalue_at(o), 8);
    return v;
}

void obj_set_int(kobj *o, long long v) {
    memcpy(value_at(o), &v, 8);
}

const char *obj_str(const kobj *o, size_t *len, char *numbuf) {
    switch (o->encoding) {
    case ENC_INT:
        *len = (size_t)ll_to_str(numbuf, 24, obj_int(o));
        return numbuf;
    case ENC_EMBSTR:
        *len = (unsigned char)cvalue_at(o)[0];
        return cvalue_at(o) + 1;
    default: {
        kstr *s = obj_ptr(o);
        *len = s->len;
        return s->buf;
    }
    }
}

size_t obj_strlen(const kobj *o) {
    char buf[24];
    size_t len;
    obj_str(o, &len, buf);
    return len;
}

kobj *obj_make_raw(kobj *o) {
    if (o->encoding == ENC_RAW) return o;
    char buf[24];
    size_t len;
    const char *v = obj_str(o, &len, buf);
    kstr *s = kstr_new(v, len);
    /* Value area shrinks or stays (pointer is 8 bytes, embstr 2+len, int 8): resize in place. */
    size_t hdr = sizeof(kobj) + (o->has_expire ? EXPIRE_AREA : 0) + o->keylen + 1;
    if (o->encoding == ENC_EMBSTR && len + 2 < sizeof(void *)) o = krealloc(o, hdr + sizeof(void *));
    o->encoding = ENC_RAW;
    obj_set_ptr(o, s);
    return o;
}

const char *obj_type_name(int type) {
    switch (type) {
    case OBJ_STRING: return "string";
    case OBJ_LIST: return "list";
    case OBJ_SET: return "set";
    case OBJ_ZSET: return "zset";
    case OBJ_HASH: return "hash";
    case OBJ_STREAM: return "stream";
    default: return "unknown";
    }
}

const char *obj_encoding_name(int encoding) {
    switch (encoding) {
    case ENC_RAW: return "raw";
    case ENC_INT: return "int";
    case ENC_HT: return "hashtable";
    case ENC_INTSET: return "intset";
    case ENC_SKIPLIST: return "skiplist";
    case ENC_EMBSTR: return "embstr";
    case ENC_QUICKLIST: return "quicklist";
    case ENC_LISTPACK: return "listpack";
    case ENC_STREAM: return "stream";
    default: return "unknown";
    }
}

const char *obj_table_key(const void *entry, size_t *len) {
    const kobj *o = entry;
    *len = o->keylen;
    return obj_key(o);
}
