#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/conf.h"
#include "core/module.h"
#include "core/net.h"
#include "core/oe.h"

#define MAX_FILE_SIZE (4u << 20)

typedef struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    max_align_t data[];
} arena_block_t;

struct oe_conf {
    const char *path; /* as given, for messages */
    const char *dir;  /* for relative paths */
    oe_conf_section_t *sections;
    size_t nsections, sections_cap;
    oe_strlist_t errors, warnings;
    arena_block_t *arena;
    /* parse context */
    unsigned line;
    oe_conf_section_t *cur;
    const char *cur_key;
    bool skip_section;                 /* inside a section that already produced a header error */
    const oe_module_t *const *modules; /* the module table sections are looked up in */
    char *scratch;                     /* one line's unquoted value; as long as the longest line */
    size_t scratch_len;
};

/* ---- arena -------------------------------------------------------------------------------- */

void *oe_conf_alloc(oe_conf_t *cf, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    arena_block_t *b = cf->arena;
    if (b == NULL || b->cap - b->used < n) {
        size_t cap = OE_MAX(n, (size_t)16384);
        b = oe_malloc(sizeof(*b) + cap);
        b->used = 0;
        b->cap = cap;
        b->next = cf->arena;
        cf->arena = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

size_t oe_conf_arena_bytes(const oe_conf_t *cf)
{
    size_t n = 0;
    for (const arena_block_t *b = cf->arena; b != NULL; b = b->next)
        n += sizeof(*b) + b->cap;
    return n;
}

char *oe_conf_strdup(oe_conf_t *cf, const char *s)
{
    size_t n = strlen(s);
    char *d = oe_conf_alloc(cf, n + 1);
    memcpy(d, s, n + 1);
    return d;
}

static char *arena_vprintf(oe_conf_t *cf, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    char *s = oe_conf_alloc(cf, (size_t)n + 1);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

/* Makes room for one more element in the array *v of n elements of size bytes, whose capacity
 * is *cap: when it is full the array moves to a new one twice as large (nginx ngx_array_push), so
 * n pushes cost O(n) arena bytes in all, not O(n^2). A list whose cap is 0 while n is not (one
 * built by hand) is copied on its first push. */
static void *list_grow(oe_conf_t *cf, void *v, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return v;
    size_t ncap = OE_MAX((size_t)8, 2 * n);
    void *nv = oe_conf_alloc(cf, ncap * size);
    if (n)
        memcpy(nv, v, n * size);
    *cap = ncap;
    return nv;
}

static void list_push(oe_conf_t *cf, oe_strlist_t *l, const char *s)
{
    l->v = list_grow(cf, l->v, l->n, &l->cap, sizeof(*l->v));
    l->v[l->n++] = s;
}

/* ---- reporting ---------------------------------------------------------------------------- */

static void section_label(char *buf, size_t cap, const oe_conf_section_t *sec)
{
    if (sec == NULL)
        buf[0] = '\0';
    else if (sec->name != NULL)
        snprintf(buf, cap, " [%s \"%s\"]", sec->module->section, sec->name);
    else
        snprintf(buf, cap, " [%s]", sec->module->section);
}

static void report(oe_conf_t *cf, oe_strlist_t *to, unsigned line, const oe_conf_section_t *sec,
                   const char *key, const char *fmt, va_list ap)
{
    char where[512], label[300];
    section_label(label, sizeof(label), sec);
    if (line)
        snprintf(where, sizeof(where), "%s:%u:%s", cf->path, line, label);
    else
        snprintf(where, sizeof(where), "%s:%s", cf->path, label);
    char *msg = arena_vprintf(cf, fmt, ap);
    char *full;
    size_t n = strlen(where) + (key ? strlen(key) : 0) + strlen(msg) + 8;
    full = oe_conf_alloc(cf, n);
    if (key != NULL)
        snprintf(full, n, "%s %s: %s", where, key, msg);
    else if (sec != NULL)
        snprintf(full, n, "%s: %s", where, msg);
    else
        snprintf(full, n, "%s %s", where, msg);
    list_push(cf, to, full);
}

void oe_conf_error(oe_conf_t *cf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(cf, &cf->errors, cf->line, cf->cur, cf->cur_key, fmt, ap);
    va_end(ap);
}

unsigned oe_conf_key_line(const oe_conf_section_t *sec, const char *key)
{
    unsigned line = sec->line;
    for (size_t i = 0; key != NULL && i < sec->nkeys; i++)
        if (strcmp(sec->keys[i].key, key) == 0)
            line = sec->keys[i].line;
    return line;
}

bool oe_conf_key_set(const oe_conf_section_t *sec, const char *key)
{
    for (size_t i = 0; i < sec->nkeys; i++)
        if (strcmp(sec->keys[i].key, key) == 0)
            return true;
    return false;
}

void oe_conf_error_key(oe_conf_t *cf, const oe_conf_section_t *sec, const char *key,
                       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(cf, &cf->errors, oe_conf_key_line(sec, key), sec, key, fmt, ap);
    va_end(ap);
}

void oe_conf_error_line(oe_conf_t *cf, const oe_conf_section_t *sec, const char *key, unsigned line,
                        const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(cf, &cf->errors, line, sec, key, fmt, ap);
    va_end(ap);
}

void oe_conf_warn_key(oe_conf_t *cf, const oe_conf_section_t *sec, const char *key, const char *fmt,
                      ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(cf, &cf->warnings, oe_conf_key_line(sec, key), sec, key, fmt, ap);
    va_end(ap);
}

const char *oe_conf_path(const oe_conf_t *cf)
{
    return cf->path;
}
size_t oe_conf_nerrors(const oe_conf_t *cf)
{
    return cf->errors.n;
}
const char *oe_conf_error_at_index(const oe_conf_t *cf, size_t i)
{
    return i < cf->errors.n ? cf->errors.v[i] : NULL;
}
size_t oe_conf_nwarnings(const oe_conf_t *cf)
{
    return cf->warnings.n;
}
const char *oe_conf_warning_at_index(const oe_conf_t *cf, size_t i)
{
    return i < cf->warnings.n ? cf->warnings.v[i] : NULL;
}

void oe_conf_print_errors(const oe_conf_t *cf, FILE *out)
{
    for (size_t i = 0; i < cf->errors.n; i++)
        fprintf(out, "%s\n", cf->errors.v[i]);
    for (size_t i = 0; i < cf->warnings.n; i++)
        fprintf(out, "%s (warning)\n", cf->warnings.v[i]);
}

/* ---- suggestions -------------------------------------------------------------------------- */

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return SIZE_MAX;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            row[j] = OE_MIN(OE_MIN(row[j] + 1, row[j - 1] + 1), diag + cost);
            diag = up;
        }
    }
    return row[lb];
}

const char *oe_conf_suggest(const char *word, const char *const *candidates, size_t n)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX, limit = strlen(word) <= 4 ? 1 : strlen(word) <= 8 ? 2 : 3;
    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(word, candidates[i]);
        if (d <= limit && d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    return best;
}

/* ---- value parsers ------------------------------------------------------------------------ */

static int parse_u64(const char **s, uint64_t *out)
{
    const char *p = *s;
    uint64_t v = 0;
    if (!isdigit((unsigned char)*p))
        return OE_EFORMAT;
    while (isdigit((unsigned char)*p)) {
        unsigned d = (unsigned)(*p++ - '0');
        if (v > (UINT64_MAX - d) / 10)
            return OE_EOVERFLOW;
        v = v * 10 + d;
    }
    *s = p;
    *out = v;
    return 0;
}

int oe_parse_size(const char *s, uint64_t *out)
{
    uint64_t v, mul = 1;
    int rc = parse_u64(&s, &v);
    if (rc < 0)
        return rc;
    static const struct {
        const char *unit;
        uint64_t mul;
    } units[] = {{"", 1},           {"b", 1},
                 {"k", 1ull << 10}, {"kib", 1ull << 10},
                 {"m", 1ull << 20}, {"mib", 1ull << 20},
                 {"g", 1ull << 30}, {"gib", 1ull << 30}};
    size_t i;
    for (i = 0; i < OE_ARRAY_SIZE(units); i++)
        if (strcasecmp(s, units[i].unit) == 0)
            break;
    if (i == OE_ARRAY_SIZE(units))
        return OE_EFORMAT;
    mul = units[i].mul;
    if (v > UINT64_MAX / mul)
        return OE_EOVERFLOW;
    *out = v * mul;
    return 0;
}

int oe_parse_duration(const char *s, uint64_t *out_ms)
{
    uint64_t total = 0;
    if (strcmp(s, "0") == 0) {
        *out_ms = 0;
        return 0;
    }
    if (*s == '\0')
        return OE_EFORMAT;
    while (*s != '\0') {
        uint64_t v, mul;
        int rc = parse_u64(&s, &v);
        if (rc < 0)
            return rc;
        if (strncmp(s, "ms", 2) == 0) {
            mul = 1;
            s += 2;
        } else if (*s == 's') {
            mul = 1000;
            s++;
        } else if (strncmp(s, "min", 3) == 0) {
            mul = 60000;
            s += 3;
        } else if (*s == 'm') {
            mul = 60000;
            s++;
        } else if (*s == 'h') {
            mul = 3600000;
            s++;
        } else if (*s == 'd') {
            mul = 86400000;
            s++;
        } else {
            return OE_EFORMAT;
        }
        if (v > UINT64_MAX / mul || total > UINT64_MAX - v * mul)
            return OE_EOVERFLOW;
        total += v * mul;
    }
    *out_ms = total;
    return 0;
}

int oe_parse_addr(const char *s, oe_sockaddr_t *out)
{
    char host[INET6_ADDRSTRLEN + 2];
    const char *port;
    memset(out, 0, sizeof(*out));
    if (*s == '[') {
        const char *end = strchr(s, ']');
        if (end == NULL || end[1] != ':' || (size_t)(end - s - 1) >= sizeof(host))
            return OE_EFORMAT;
        memcpy(host, s + 1, (size_t)(end - s - 1));
        host[end - s - 1] = '\0';
        port = end + 2;
    } else {
        const char *colon = strrchr(s, ':');
        if (colon == NULL || (size_t)(colon - s) >= sizeof(host) || strchr(s, ':') != colon)
            return OE_EFORMAT;
        memcpy(host, s, (size_t)(colon - s));
        host[colon - s] = '\0';
        port = colon + 1;
    }
    uint64_t p;
    const char *q = port;
    if (parse_u64(&q, &p) < 0 || *q != '\0' || p == 0 || p > 65535)
        return OE_EFORMAT;
    struct sockaddr_in *in4 = (struct sockaddr_in *)&out->ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&out->ss;
    if (strcmp(host, "*") == 0) {
        in4->sin_family = AF_INET;
        in4->sin_addr.s_addr = htonl(INADDR_ANY);
        out->len = sizeof(*in4);
    } else if (*s != '[' && inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        out->len = sizeof(*in4);
    } else if (*s == '[' && inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        out->len = sizeof(*in6);
    } else {
        return OE_EFORMAT;
    }
    oe_sockaddr_set_port((struct sockaddr *)&out->ss, (uint16_t)p);
    return 0;
}

/* ---- setters ------------------------------------------------------------------------------ */

int oe_conf_set_string(oe_conf_t *cf, const oe_directive_t *d, void *field, const char *value)
{
    *(const char **)field = oe_conf_strdup(cf, value);
    return 0;
}

const char *oe_conf_resolve_path(oe_conf_t *cf, const char *path)
{
    if (path[0] == '/' || cf->dir == NULL)
        return oe_conf_strdup(cf, path);
    size_t n = strlen(cf->dir) + strlen(path) + 2;
    char *p = oe_conf_alloc(cf, n);
    snprintf(p, n, "%s/%s", cf->dir, path);
    return p;
}

int oe_conf_set_path(oe_conf_t *cf, const oe_directive_t *d, void *field, const char *value)
{
    *(const char **)field = oe_conf_resolve_path(cf, value);
    return 0;
}

int oe_conf_set_int(oe_conf_t *cf, const oe_directive_t *d, void *field, const char *value)
{
    const oe_conf_range_t *r = d->arg;
    if (r != NULL && r->allow_auto && strcmp(value, "auto") == 0) {
        *(long long *)field = 0;
        return 0;
    }
    char *end;
    errno = 0;
    long long v = strtoll(value, &end, 10);
    if (*end != '\0' || end == value || errno == ERANGE || isspace((unsigned char)value[0])) {
        oe_conf_error(cf, "\"%s\" is not an integer%s", value,
                      r != NULL && r->allow_auto ? " or \"auto\"" : "");
        return OE_ECONFIG;
    }
    if (r != NULL && (v < r->min || v > r->max)) {
        oe_conf_error(cf, "%lld is out of range (%lld to %lld)", v, r->min, r->max);
        return OE_ECONFIG;
    }
    *(long long *)field = v;
    return 0;
}

int oe_conf_set_size(oe_conf_t *cf, const oe_directive_t *d, void *field, const char *value)
{
    const oe_conf_range_t *r = d->arg;
    uint64_t v;
    int rc = oe_parse_size(value, &v);
    if (rc == OE_EOVERFLOW) {
        oe_conf_error(cf, "\"%s\" is too large", value);
        return OE_ECONFIG;
    }
    if (rc < 0) {
        oe_conf_error(cf, "\"%s\" is not a size (a number with an optional unit: K, M, G)", value);
        return OE_ECONFIG;
    }
    if (r != NULL && (v < (uint64_t)r->min || v > (uint64_t)r->max)) {
        oe_conf_error(cf, "%s is out of range (%lld to %lld bytes)", value, r->min, r->max);
        return OE_ECONFIG;
    }
    *(uint64_t *)field = v;
    return 0;
}

int oe_conf_set_duration(oe_conf_t *cf, const oe_directive_t *d, void *field, const char *value)
{
    const oe_conf_range_t *r = d->arg;
    uint64_t v;
    int rc = oe_parse_duration(value, &v);
    if (rc == OE_EOVERFLOW) {
        oe_conf_error(cf, "\"%s\" is too long", value);
        return OE_ECONFIG;
    }
    if (rc < 0) {
        oe_conf_error(cf, "\"%s\" is not a duration (a number with a unit: ms, s, m, h, d)", value);
        return OE_ECONFIG;
    }
    if (r != NULL && (v < (uint64_t)r->min || v > (uint64_t)r->max)) {
        oe_conf_error(cf, "%s is out of range (%lldms to %lldms)", value, r->min, r->max);
        return OE_ECONFIG;
    }
    *(uint64_t *)field = v;
    return 0;
}

int oe_conf_set_bool(oe_conf_t *cf, const oe_directive_t *d, void *field, const char *value)
{
    static const char *const yes[] = {"yes", "on", "true", "1"};
    static const char *const no[] = {"no", "off", "false", "0"};
    for (size_t i = 0; i < OE_ARRAY_SIZE(yes); i++) {
        if (strcasecmp(value, yes[i]) == 0) {
            *(bool *)field = true;
            return 0;
        }
        if (strcasecmp(value, no[i]) == 0) {
            *(bool *)field = false;
            return 0;
        }
    }
    oe_conf_error(cf, "\"%s\" is not a boolean (yes/no, on/off, true/false)", value);
    return OE_ECONFIG;
}

static int addr_one(oe_conf_t *cf, const char *value, oe_sockaddr_t *out)
{
    if (oe_parse_addr(value, out) < 0) {
        oe_conf_error(cf, "\"%s\" is not an address with a port (127.0.0.1:8443, [::1]:8443)",
                      value);
        return OE_ECONFIG;
    }
    out->text = oe_conf_strdup(cf, value);
    out->line = cf->line;
    return 0;
}

int oe_conf_set_addr(oe_conf_t *cf, const oe_directive_t *d, void *field, const char *value)
{
    oe_sockaddr_t a;
    if (addr_one(cf, value, &a) < 0)
        return OE_ECONFIG;
    *(oe_sockaddr_t *)field = a;
    return 0;
}

int oe_conf_set_enum(oe_conf_t *cf, const oe_directive_t *d, void *field, const char *value)
{
    const oe_conf_enum_t *e = d->arg;
    char choices[512] = "";
    for (size_t i = 0; e[i].name != NULL; i++) {
        if (strcmp(e[i].name, value) == 0) {
            *(int *)field = e[i].value;
            return 0;
        }
        size_t k = strlen(choices);
        snprintf(choices + k, sizeof(choices) - k, "%s%s", i ? ", " : "", e[i].name);
    }
    oe_conf_error(cf, "\"%s\" is not one of: %s", value, choices);
    return OE_ECONFIG;
}

/* Splits a list value on whitespace and commas; calls fn for each item. */
static int each_item(oe_conf_t *cf, const char *value, void *field,
                     int (*fn)(oe_conf_t *, const char *, void *))
{
    int rc = 0;
    const char *p = value;
    while (*p != '\0') {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *start = p;
        while (*p != '\0' && *p != ' ' && *p != '\t' && *p != ',')
            p++;
        if (p == start)
            break;
        char item[1024];
        if ((size_t)(p - start) >= sizeof(item)) {
            oe_conf_error(cf, "list item too long");
            return OE_ECONFIG;
        }
        memcpy(item, start, (size_t)(p - start));
        item[p - start] = '\0';
        if (fn(cf, item, field) < 0)
            rc = OE_ECONFIG;
    }
    return rc;
}

static int strlist_add(oe_conf_t *cf, const char *item, void *field)
{
    list_push(cf, field, oe_conf_strdup(cf, item));
    return 0;
}

int oe_conf_set_strlist(oe_conf_t *cf, const oe_directive_t *d, void *field, const char *value)
{
    return each_item(cf, value, field, strlist_add);
}

static int addrlist_add(oe_conf_t *cf, const char *item, void *field)
{
    oe_addrlist_t *l = field;
    oe_sockaddr_t a;
    if (addr_one(cf, item, &a) < 0)
        return OE_ECONFIG;
    l->v = list_grow(cf, l->v, l->n, &l->cap, sizeof(*l->v));
    l->v[l->n++] = a;
    return 0;
}

int oe_conf_set_addrlist(oe_conf_t *cf, const oe_directive_t *d, void *field, const char *value)
{
    return each_item(cf, value, field, addrlist_add);
}

int oe_conf_set_linelist(oe_conf_t *cf, const oe_directive_t *d, void *field, const char *value)
{
    oe_linelist_t *l = field;
    l->lines = list_grow(cf, l->lines, l->values.n, &l->lines_cap, sizeof(*l->lines));
    l->lines[l->values.n] = cf->line;
    list_push(cf, &l->values, oe_conf_strdup(cf, value));
    return 0;
}

/* ---- sections ----------------------------------------------------------------------------- */

static oe_conf_section_t *add_section(oe_conf_t *cf, const oe_module_t *m, const char *name,
                                      unsigned line)
{
    cf->sections =
        list_grow(cf, cf->sections, cf->nsections, &cf->sections_cap, sizeof(*cf->sections));
    oe_conf_section_t *s = &cf->sections[cf->nsections++];
    s->module = m;
    s->name = name;
    s->line = line;
    s->conf = oe_conf_alloc(cf, m->conf_size ? m->conf_size : 1);
    if (m->conf_init != NULL)
        m->conf_init(s->conf);
    return s;
}

size_t oe_conf_count(const oe_conf_t *cf, const oe_module_t *m)
{
    size_t n = 0;
    for (size_t i = 0; i < cf->nsections; i++)
        n += cf->sections[i].module == m;
    return n;
}

oe_conf_section_t *oe_conf_section(const oe_conf_t *cf, const oe_module_t *m, size_t i)
{
    for (size_t k = 0; k < cf->nsections; k++)
        if (cf->sections[k].module == m && i-- == 0)
            return &cf->sections[k];
    return NULL;
}

void *oe_conf_get(const oe_conf_t *cf, const oe_module_t *m)
{
    oe_conf_section_t *s = oe_conf_section(cf, m, 0);
    return s != NULL ? s->conf : NULL;
}

static oe_conf_section_t *find_section(oe_conf_t *cf, const oe_module_t *m, const char *name)
{
    for (size_t i = 0; i < cf->nsections; i++) {
        oe_conf_section_t *s = &cf->sections[i];
        if (s->module == m && ((name == NULL && s->name == NULL) ||
                               (name != NULL && s->name != NULL && strcmp(name, s->name) == 0)))
            return s;
    }
    return NULL;
}

/* ---- the line parser ---------------------------------------------------------------------- */

static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Header: [name] or [name "instance"]. */
static void parse_header(oe_conf_t *cf, char *p)
{
    cf->cur = NULL;
    cf->cur_key = NULL;
    cf->skip_section = true;
    char *q = ++p;
    while (is_name_char(*q))
        q++;
    if (q == p) {
        oe_conf_error(cf, "malformed section header (expected [name] or [name \"instance\"])");
        return;
    }
    char sec[64];
    snprintf(sec, sizeof(sec), "%.*s", (int)OE_MIN((size_t)(q - p), sizeof(sec) - 1), p);
    char *inst = NULL;
    if (*q == ' ' || *q == '\t') {
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q != '"') {
            oe_conf_error(cf, "malformed section header (instance names are quoted)");
            return;
        }
        char *start = ++q;
        while (*q != '\0' && *q != '"')
            q++;
        if (*q != '"' || q == start) {
            oe_conf_error(cf, "malformed section header (unterminated or empty instance name)");
            return;
        }
        inst = oe_conf_alloc(cf, (size_t)(q - start) + 1);
        memcpy(inst, start, (size_t)(q - start));
        q++;
    }
    if (*q != ']') {
        oe_conf_error(cf, "malformed section header (expected ']')");
        return;
    }
    q++;
    while (*q == ' ' || *q == '\t')
        q++;
    if (*q != '\0' && *q != '#' && *q != ';') {
        oe_conf_error(cf, "unexpected text after the section header");
        return;
    }

    const oe_module_t *m = NULL;
    for (size_t i = 0; cf->modules[i] != NULL && m == NULL; i++)
        if (cf->modules[i]->section != NULL && strcmp(cf->modules[i]->section, sec) == 0)
            m = cf->modules[i];
    if (m == NULL) {
        for (const oe_known_section_t *k = oe_known_sections; k->section != NULL; k++) {
            if (strcmp(k->section, sec) == 0) {
                oe_conf_error(cf,
                              "[%s]: module \"%s\" is not compiled into this binary "
                              "(rebuild with it in MODULES=)",
                              sec, k->module);
                return;
            }
        }
        /* Suggest by section name, and by module name ("website" -> [site]). */
        const char *names[64] = {NULL};
        size_t n = 0;
        for (const oe_known_section_t *k = oe_known_sections; k->section != NULL && n < 64; k++)
            names[n++] = k->section;
        const char *s = oe_conf_suggest(sec, names, n);
        if (s == NULL) {
            n = 0;
            for (const oe_known_section_t *k = oe_known_sections; k->section != NULL && n < 64; k++)
                names[n++] = k->module;
            const char *mod = oe_conf_suggest(sec, names, n);
            for (const oe_known_section_t *k = oe_known_sections; mod != NULL && k->section; k++)
                if (strcmp(k->module, mod) == 0) {
                    s = k->section;
                    break;
                }
        }
        if (s != NULL)
            oe_conf_error(cf, "[%s]: unknown section (did you mean [%s]?)", sec, s);
        else
            oe_conf_error(cf, "[%s]: unknown section", sec);
        return;
    }
    if ((m->flags & OE_MODULE_NAMED) && inst == NULL) {
        oe_conf_error(cf, "[%s]: this section needs a name: [%s \"NAME\"]", sec, sec);
        return;
    }
    if (!(m->flags & OE_MODULE_NAMED) && inst != NULL) {
        oe_conf_error(cf, "[%s]: this section takes no name", sec);
        return;
    }
    oe_conf_section_t *dup = find_section(cf, m, inst);
    if (dup != NULL && dup->line != 0) {
        cf->cur = dup;
        oe_conf_error(cf, "duplicate section (first at line %u)", dup->line);
        cf->cur = NULL;
        return;
    }
    if (dup != NULL) { /* an implicit section made explicit */
        dup->line = cf->line;
        cf->cur = dup;
    } else {
        cf->cur = add_section(cf, m, inst, cf->line);
    }
    cf->skip_section = false;
}

/* Value: raw text up to a comment, or a quoted string. Writes the result into out. */
static int parse_value(oe_conf_t *cf, char *p, char *out, size_t cap)
{
    size_t n = 0;
    if (*p == '"') {
        p++;
        for (;;) {
            char c = *p++;
            if (c == '\0') {
                oe_conf_error(cf, "unterminated quoted value");
                return OE_ECONFIG;
            }
            if (c == '"')
                break;
            if (c == '\\') {
                c = *p++;
                switch (c) {
                case '"':
                case '\\':
                    break;
                case 'n':
                    c = '\n';
                    break;
                case 't':
                    c = '\t';
                    break;
                default:
                    oe_conf_error(cf, "unknown escape \\%c in quoted value", c ? c : '0');
                    return OE_ECONFIG;
                }
            }
            if (n + 1 >= cap) {
                oe_conf_error(cf, "value too long");
                return OE_ECONFIG;
            }
            out[n++] = c;
        }
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != '\0' && *p != '#' && *p != ';') {
            oe_conf_error(cf, "unexpected text after the quoted value");
            return OE_ECONFIG;
        }
        out[n] = '\0';
        return 0;
    }
    char *start = p, *end = p;
    for (; *p != '\0'; p++) {
        if ((*p == '#' || *p == ';') && (p == start || p[-1] == ' ' || p[-1] == '\t'))
            break;
        if (*p != ' ' && *p != '\t')
            end = p + 1;
    }
    n = (size_t)(end - start);
    if (n == 0) {
        oe_conf_error(cf, "missing value");
        return OE_ECONFIG;
    }
    if (n >= cap) {
        oe_conf_error(cf, "value too long");
        return OE_ECONFIG;
    }
    memcpy(out, start, n);
    out[n] = '\0';
    return 0;
}

static void parse_key_value(oe_conf_t *cf, char *p)
{
    char *k = p;
    while (is_name_char(*p))
        p++;
    char key[64];
    size_t klen = (size_t)(p - k);
    if (klen == 0 || klen >= sizeof(key)) {
        cf->cur_key = NULL;
        oe_conf_error(cf, "expected \"key = value\" or a [section] header");
        return;
    }
    memcpy(key, k, klen);
    key[klen] = '\0';
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p != '=') {
        cf->cur_key = NULL;
        oe_conf_error(cf, "expected \"key = value\" or a [section] header");
        return;
    }
    p++;
    while (*p == ' ' || *p == '\t')
        p++;
    if (cf->skip_section)
        return; /* the header was already reported */
    if (cf->cur == NULL) {
        cf->cur_key = NULL;
        oe_conf_error(cf,
                      "\"%s\" is outside any section (keys go under [global] or another "
                      "section)",
                      key);
        return;
    }
    const oe_module_t *m = cf->cur->module;
    const oe_directive_t *d = m->directives;
    while (d != NULL && d->key != NULL && strcmp(d->key, key) != 0)
        d++;
    /* The directive's own name, static: a copy per line would cost 50,000 copies for 50,000
     * local-data lines. */
    cf->cur_key = d != NULL && d->key != NULL ? d->key : oe_conf_strdup(cf, key);
    if (d == NULL || d->key == NULL) {
        const char *names[128];
        size_t n = 0;
        for (const oe_directive_t *x = m->directives; x != NULL && x->key != NULL && n < 128; x++)
            names[n++] = x->key;
        const char *s = oe_conf_suggest(key, names, n);
        if (s != NULL)
            oe_conf_error(cf, "unknown key (did you mean \"%s\"?)", s);
        else
            oe_conf_error(cf, "unknown key");
        return;
    }
    if (!(d->flags & OE_CONF_LIST)) {
        for (size_t i = 0; i < cf->cur->nkeys; i++) {
            if (strcmp(cf->cur->keys[i].key, key) == 0) {
                oe_conf_error(cf, "duplicate key (first set at line %u)", cf->cur->keys[i].line);
                return;
            }
        }
    }
    if (parse_value(cf, p, cf->scratch, cf->scratch_len) < 0)
        return;
    if (d->set(cf, d, (char *)cf->cur->conf + d->offset, cf->scratch) < 0)
        return;
    oe_conf_section_t *s = cf->cur;
    s->keys = list_grow(cf, s->keys, s->nkeys, &s->keys_cap, sizeof(*s->keys));
    s->keys[s->nkeys].key = cf->cur_key;
    s->keys[s->nkeys].line = cf->line;
    s->nkeys++;
}

static void parse_text(oe_conf_t *cf, const char *text, size_t len)
{
    size_t pos = 0;
    char *line = oe_malloc(len + 1);
    cf->scratch = oe_malloc(len + 1);
    cf->scratch_len = len + 1;
    cf->line = 0;
    while (pos < len) {
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        cf->line++;
        size_t n = end - pos;
        if (n > 0 && text[pos + n - 1] == '\r')
            n--;
        memcpy(line, text + pos, n);
        line[n] = '\0';
        pos = end + 1;
        if (memchr(line, '\0', n) != NULL) {
            cf->cur_key = NULL;
            oe_conf_error(cf, "NUL byte in line");
            continue;
        }
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0' || *p == '#' || *p == ';')
            continue;
        if (*p == '[')
            parse_header(cf, p);
        else
            parse_key_value(cf, p);
    }
    free(line);
    free(cf->scratch);
    cf->scratch = NULL;
}

static oe_conf_t *conf_new(const char *name, const char *dir, const oe_module_t *const *modules)
{
    oe_conf_t *cf = oe_calloc(1, sizeof(*cf));
    cf->modules = modules != NULL ? modules : oe_modules;
    cf->path = oe_conf_strdup(cf, name);
    cf->dir = dir != NULL ? oe_conf_strdup(cf, dir) : NULL;
    return cf;
}

/* Implicit sections first (so they exist even when absent), then the text, then the checks. */
static void load(oe_conf_t *cf, const char *text, size_t len)
{
    for (size_t i = 0; cf->modules[i] != NULL; i++)
        if (cf->modules[i]->flags & OE_MODULE_IMPLICIT)
            add_section(cf, cf->modules[i], NULL, 0);
    parse_text(cf, text, len);
    cf->cur = NULL;
    cf->cur_key = NULL;
    cf->line = 0;
    if (cf->errors.n != 0)
        return; /* cross-key checks on a half-read file only produce noise */
    for (size_t i = 0; i < cf->nsections; i++) {
        oe_conf_section_t *s = &cf->sections[i];
        if (s->module->conf_check != NULL)
            s->module->conf_check(cf, s, s->conf);
    }
    for (size_t i = 0; cf->modules[i] != NULL; i++)
        if (cf->modules[i]->conf_finish != NULL && cf->errors.n == 0)
            cf->modules[i]->conf_finish(cf);
}

oe_conf_t *oe_conf_load_buffer(const char *name, const char *dir, const char *text, size_t len)
{
    return oe_conf_load_buffer_with(name, dir, text, len, NULL);
}

oe_conf_t *oe_conf_load_buffer_with(const char *name, const char *dir, const char *text, size_t len,
                                    const oe_module_t *const *modules)
{
    oe_conf_t *cf = conf_new(name, dir, modules);
    load(cf, text, len);
    return cf;
}

oe_conf_t *oe_conf_load_file(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        snprintf(dir, sizeof(dir), ".");
    else
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash == path ? 1 : slash - path), path);
    oe_conf_t *cf = conf_new(path, dir, NULL);

    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0) {
        oe_conf_error(cf, "cannot open: %s", strerror(errno));
        return cf;
    }
    if (fstat(fd, &st) < 0) {
        oe_conf_error(cf, "cannot stat: %s", strerror(errno));
        close(fd);
        return cf;
    }
    if (!S_ISREG(st.st_mode)) {
        oe_conf_error(cf, "%s",
                      S_ISDIR(st.st_mode) ? "is a directory, not a config file"
                                          : "is not a regular file");
        close(fd);
        return cf;
    }
    if (st.st_size > MAX_FILE_SIZE) {
        oe_conf_error(cf, "file too large (%lld bytes, limit %u)", (long long)st.st_size,
                      MAX_FILE_SIZE);
        close(fd);
        return cf;
    }
    char *text = oe_malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, text + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r < 0)
                oe_conf_error(cf, "read failed: %s", strerror(errno));
            break;
        }
        got += (size_t)r;
    }
    close(fd);
    if (cf->errors.n == 0)
        load(cf, text, got);
    free(text);
    return cf;
}

void oe_conf_free(oe_conf_t *cf)
{
    if (cf == NULL)
        return;
    arena_block_t *b = cf->arena;
    while (b != NULL) {
        arena_block_t *next = b->next;
        free(b);
        b = next;
    }
    free(cf);
}

/* ---- filesystem checks -------------------------------------------------------------------- */

int oe_conf_check_dir(oe_conf_t *cf, const oe_conf_section_t *sec, const char *key,
                      const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        oe_conf_error_key(cf, sec, key, "%s: %s", path, strerror(errno));
        return OE_ECONFIG;
    }
    if (!S_ISDIR(st.st_mode)) {
        oe_conf_error_key(cf, sec, key, "%s: %s", path, strerror(ENOTDIR));
        return OE_ECONFIG;
    }
    return 0;
}

int oe_conf_check_file_folder(oe_conf_t *cf, const oe_conf_section_t *sec, const char *key,
                              const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        snprintf(dir, sizeof(dir), ".");
    else
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash == path ? 1 : slash - path), path);
    struct stat st;
    int err = stat(dir, &st) < 0 ? errno : !S_ISDIR(st.st_mode) ? ENOTDIR : 0;
    if (err != 0) {
        oe_conf_error_key(cf, sec, key, "%s: the folder %s: %s", path, dir, strerror(err));
        return OE_ECONFIG;
    }
    return 0;
}

int oe_conf_check_writable_dir(oe_conf_t *cf, const oe_conf_section_t *sec, const char *key,
                               const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    for (;;) {
        struct stat st;
        if (stat(dir, &st) == 0) {
            int err = !S_ISDIR(st.st_mode) ? ENOTDIR : access(dir, W_OK | X_OK) < 0 ? errno : 0;
            if (err == 0)
                return 0;
            oe_conf_error_key(cf, sec, key, "%s cannot be %s: %s: %s", path,
                              strcmp(dir, path) == 0 ? "written" : "created", dir, strerror(err));
            return OE_ECONFIG;
        }
        if (errno != ENOENT && errno != ENOTDIR) {
            oe_conf_error_key(cf, sec, key, "%s: %s: %s", path, dir, strerror(errno));
            return OE_ECONFIG;
        }
        char *slash = strrchr(dir, '/');
        if (slash == NULL)
            snprintf(dir, sizeof(dir), ".");
        else if (slash == dir)
            dir[1] = '\0';
        else
            *slash = '\0';
    }
}
