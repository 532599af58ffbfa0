/*
 * Basic vocabulary shared by every module: error codes, byte slices, buffers and allocation.
 * Everything here is free of I/O and of third-party headers.
 */
#ifndef OE_OE_H
#define OE_OE_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define OE_VERSION "0.1.0"

/* Errors are negative ints, 0 is success. System errors are -errno; the rest are ours, chosen
 * above errno's range so both can travel in one int. */
#define OE_OK           0
#define OE_ERR_BASE     10000
#define OE_EINVAL       (-EINVAL)             /* bad argument from the caller */
#define OE_ENOMEM       (-ENOMEM)             /* allocation failed (only where it does not abort) */
#define OE_ETRUNC       (-(OE_ERR_BASE + 1))  /* input ends before a length it declares */
#define OE_EFORMAT      (-(OE_ERR_BASE + 2))  /* input is malformed */
#define OE_ETRAILING    (-(OE_ERR_BASE + 3))  /* bytes left over after a complete structure */
#define OE_ESPACE       (-(OE_ERR_BASE + 4))  /* output buffer too small */
#define OE_ECRYPTO      (-(OE_ERR_BASE + 5))  /* a primitive failed (or authentication failed) */
#define OE_EAUTH        (-(OE_ERR_BASE + 6))  /* AEAD authentication failed */
#define OE_EUNSUPPORTED (-(OE_ERR_BASE + 7))  /* algorithm or version we do not implement */
#define OE_EKEYID       (-(OE_ERR_BASE + 8))  /* no key with this key id */
#define OE_EOVERFLOW    (-(OE_ERR_BASE + 9))  /* a counter or size would overflow */
#define OE_ECONFIG      (-(OE_ERR_BASE + 10)) /* configuration is invalid */

/* A human-readable message for any error code above (or -errno), or of a module that registered
 * its range. Never NULL. */
const char *oe_strerror(int err);

/* Modules with codes of their own register them (at start-up, e.g. from a constructor):
 * codes -(OE_ERR_BASE + lo) .. -(OE_ERR_BASE + hi) are described by fn. */
void oe_strerror_register(int lo, int hi, const char *(*fn)(int err));

#define OE_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define OE_MIN(a, b)     ((a) < (b) ? (a) : (b))
#define OE_MAX(a, b)     ((a) > (b) ? (a) : (b))

/* A borrowed view of bytes; never NUL-terminated by contract. */
typedef struct oe_slice {
    const uint8_t *base;
    size_t len;
} oe_slice_t;

#define OE_SLICE(p, n)  ((oe_slice_t){(const uint8_t *)(p), (n)})
#define OE_SLICE_STR(s) ((oe_slice_t){(const uint8_t *)(s), strlen(s)})

static inline bool oe_slice_eq(oe_slice_t a, oe_slice_t b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.base, b.base, a.len) == 0);
}

/* Case-insensitive ASCII comparison (host names, header names). */
bool oe_slice_eq_nocase(oe_slice_t a, oe_slice_t b);

/* Allocation that cannot fail: on exhaustion it logs file:line and aborts. Library code on a
 * per-connection path that must survive exhaustion uses plain malloc and fails the connection. */
#define oe_malloc(n)     oe_malloc_at((n), __FILE__, __LINE__)
#define oe_calloc(n, s)  oe_calloc_at((n), (s), __FILE__, __LINE__)
#define oe_realloc(p, n) oe_realloc_at((p), (n), __FILE__, __LINE__)
#define oe_strdup(s)     oe_strdup_at((s), __FILE__, __LINE__)
#define oe_strndup(s, n) oe_strndup_at((s), (n), __FILE__, __LINE__)
void *oe_malloc_at(size_t n, const char *file, int line);
void *oe_calloc_at(size_t n, size_t size, const char *file, int line);
void *oe_realloc_at(void *p, size_t n, const char *file, int line);
char *oe_strdup_at(const char *s, const char *file, int line);
char *oe_strndup_at(const char *s, size_t n, const char *file, int line);
/* printf into a fresh heap string. */
char *oe_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Wipes secrets; the compiler may not elide it. */
void oe_wipe(void *p, size_t n);

/* A growable byte buffer owned by its holder. len <= cap; base is NULL only when cap is 0. */
typedef struct oe_buf {
    uint8_t *base;
    size_t len;
    size_t cap;
} oe_buf_t;

void oe_buf_reserve(oe_buf_t *b, size_t extra);
void oe_buf_append(oe_buf_t *b, const void *p, size_t n);
void oe_buf_printf(oe_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void oe_buf_free(oe_buf_t *b);

/* v in decimal (at most 20 digits) or lower-case hex without leading zeros (at most 16), then a
 * NUL; returns the digit count. For hot paths where snprintf's parsing shows in profiles. */
size_t oe_fmt_dec(char *out, uint64_t v);
size_t oe_fmt_hex(char *out, uint64_t v);

/* Immutable bytes shared by reference: one loop's (the count is not atomic), freed with the last
 * reference. oe_blob_new returns one reference to len bytes of data the caller fills first. */
typedef struct oe_blob {
    unsigned refs;
    size_t len;
    uint8_t data[];
} oe_blob_t;

oe_blob_t *oe_blob_new(size_t len);
static inline oe_blob_t *oe_blob_ref(oe_blob_t *b)
{
    b->refs++;
    return b;
}
void oe_blob_unref(oe_blob_t *b); /* NULL is fine */

/* Big-endian readers and writers for wire formats. The caller has checked the length. */
static inline uint16_t oe_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}
static inline uint32_t oe_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint8_t *oe_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
    return p + 2;
}
static inline uint8_t *oe_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
    return p + 4;
}

/* Creates path and its missing parents with mode (existing folders are left as they are).
 * Returns 0 or -errno. */
int oe_mkdir_p(const char *path, unsigned mode);

#endif
