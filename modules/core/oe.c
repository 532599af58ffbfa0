#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "core/oe.h"

static struct {
    int lo, hi;
    const char *(*fn)(int);
} ranges[16];
static size_t nranges;

void oe_strerror_register(int lo, int hi, const char *(*fn)(int err))
{
    if (nranges < OE_ARRAY_SIZE(ranges))
        ranges[nranges++] = (typeof(ranges[0])){lo, hi, fn};
}

const char *oe_strerror(int err)
{
    /* A module's function may fall back on this one for codes it does not know: no re-entry. */
    static __thread int inside;
    for (size_t i = 0; i < nranges && !inside; i++)
        if (-err >= OE_ERR_BASE + ranges[i].lo && -err <= OE_ERR_BASE + ranges[i].hi) {
            inside = 1;
            const char *s = ranges[i].fn(err);
            inside = 0;
            return s;
        }
    switch (err) {
    case OE_OK:
        return "success";
    case OE_ETRUNC:
        return "input is truncated";
    case OE_EFORMAT:
        return "input is malformed";
    case OE_ETRAILING:
        return "trailing bytes after the end of the input";
    case OE_ESPACE:
        return "output buffer too small";
    case OE_ECRYPTO:
        return "cryptographic operation failed";
    case OE_EAUTH:
        return "authentication failed";
    case OE_EUNSUPPORTED:
        return "unsupported algorithm or version";
    case OE_EKEYID:
        return "unknown key id";
    case OE_EOVERFLOW:
        return "counter or size overflow";
    case OE_ECONFIG:
        return "invalid configuration";
    default:
        if (err < 0 && err > -OE_ERR_BASE)
            return strerror(-err);
        return "unknown error";
    }
}

bool oe_slice_eq_nocase(oe_slice_t a, oe_slice_t b)
{
    if (a.len != b.len)
        return false;
    for (size_t i = 0; i < a.len; i++) {
        uint8_t x = a.base[i], y = b.base[i];
        if (x >= 'A' && x <= 'Z')
            x += 32;
        if (y >= 'A' && y <= 'Z')
            y += 32;
        if (x != y)
            return false;
    }
    return true;
}

static void *check(void *p, size_t n, const char *file, int line)
{
    if (p == NULL && n != 0) {
        fprintf(stderr, "%s:%d: out of memory allocating %zu bytes\n", file, line, n);
        abort();
    }
    return p;
}

void *oe_malloc_at(size_t n, const char *file, int line)
{
    return check(malloc(n ? n : 1), n ? n : 1, file, line);
}

void *oe_calloc_at(size_t n, size_t size, const char *file, int line)
{
    if (size != 0 && n > SIZE_MAX / size)
        check(NULL, SIZE_MAX, file, line);
    return check(calloc(n ? n : 1, size ? size : 1), 1, file, line);
}

void *oe_realloc_at(void *p, size_t n, const char *file, int line)
{
    return check(realloc(p, n ? n : 1), n ? n : 1, file, line);
}

char *oe_strdup_at(const char *s, const char *file, int line)
{
    return oe_strndup_at(s, strlen(s), file, line);
}

char *oe_strndup_at(const char *s, size_t n, const char *file, int line)
{
    char *d = oe_malloc_at(n + 1, file, line);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *oe_asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = oe_malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

void oe_wipe(void *p, size_t n)
{
    if (p != NULL && n != 0)
        explicit_bzero(p, n);
}

void oe_buf_reserve(oe_buf_t *b, size_t extra)
{
    if (b->cap - b->len >= extra)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap - b->len < extra) {
        if (cap > SIZE_MAX / 2)
            check(NULL, SIZE_MAX, __FILE__, __LINE__);
        cap *= 2;
    }
    b->base = oe_realloc(b->base, cap);
    b->cap = cap;
}

void oe_buf_append(oe_buf_t *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    oe_buf_reserve(b, n);
    memcpy(b->base + b->len, p, n);
    b->len += n;
}

void oe_buf_printf(oe_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    oe_buf_reserve(b, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf((char *)b->base + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void oe_buf_free(oe_buf_t *b)
{
    free(b->base);
    *b = (oe_buf_t){0};
}

/* tmp holds n digits, least significant first. */
static size_t fmt_reverse(char *out, const char *tmp, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
    return n;
}

/* Constant divisors: the compiler turns them into multiplications and shifts. */
size_t oe_fmt_dec(char *out, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    return fmt_reverse(out, tmp, n);
}

size_t oe_fmt_hex(char *out, uint64_t v)
{
    static const char digits[] = "0123456789abcdef";
    char tmp[16];
    size_t n = 0;
    do {
        tmp[n++] = digits[v & 15];
        v >>= 4;
    } while (v != 0);
    return fmt_reverse(out, tmp, n);
}

oe_blob_t *oe_blob_new(size_t len)
{
    oe_blob_t *b = oe_malloc(sizeof(*b) + len);
    b->refs = 1;
    b->len = len;
    return b;
}

void oe_blob_unref(oe_blob_t *b)
{
    if (b != NULL && --b->refs == 0)
        free(b);
}

int oe_mkdir_p(const char *path, unsigned mode)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof(buf))
        return -ENAMETOOLONG;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, (mode_t)mode) < 0 && errno != EEXIST)
            return -errno;
        buf[i] = c;
    }
    struct stat st;
    if (stat(path, &st) < 0)
        return -errno;
    return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}
