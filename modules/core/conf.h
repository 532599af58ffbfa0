/*
 * Configuration: one INI/git-config style file.
 *
 *     # comment                  ; comment
 *     [section]                  single-instance section, e.g. [global]
 *     [section "name"]           named instance, e.g. [site "demo"]
 *     key = value                value may be "quoted" (escapes \" \\ \t \n); " #" starts a comment
 *     key = a                    keys flagged OE_CONF_LIST may repeat; each line appends
 *
 * Every problem is collected (the parser never stops at the first one) as a line
 *     FILE:LINE: [section "name"] key: message
 * and the caller prints them all and exits with OE_EXIT_CONFIG (78, EX_CONFIG).
 *
 * Directives are data: a module lists {key, setter, offsetof(field), arg, flags, help} and the
 * generic setters below do the parsing. Everything a parse allocates lives in the oe_conf_t
 * (an arena) and is released by oe_conf_free; module confs therefore hold borrowed pointers.
 */
#ifndef OE_CONF_H
#define OE_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#define OE_EXIT_CONFIG 78

typedef struct oe_conf oe_conf_t;
typedef struct oe_conf_section oe_conf_section_t;
typedef struct oe_directive oe_directive_t;
struct oe_module;

/* A setter parses value into field (conf struct + directive offset). On a bad value it reports
 * with oe_conf_error() and returns OE_ECONFIG; the field is then left as it was. */
typedef int (*oe_conf_setter_t)(oe_conf_t *cf, const oe_directive_t *d, void *field,
                                const char *value);

#define OE_CONF_LIST 0x1u /* the key may repeat; the setter appends */

struct oe_directive {
    const char *key;
    oe_conf_setter_t set;
    size_t offset;
    const void *arg; /* setter-specific, see each setter */
    unsigned flags;
    const char *help; /* one line, for `odoh-edge help-config` */
};

/* Setter arguments. */
typedef struct oe_conf_range {
    long long min, max;
    bool allow_auto; /* "auto" is accepted and stored as 0 */
} oe_conf_range_t;

typedef struct oe_conf_enum {
    const char *name; /* NULL ends the table */
    int value;
} oe_conf_enum_t;

/* Field types the setters write. */
/* Lists grow by doubling their capacity (cap); code that builds one by hand may leave cap 0. */
typedef struct oe_strlist {
    const char **v; /* arena strings */
    size_t n, cap;
} oe_strlist_t;

typedef struct oe_sockaddr {
    struct sockaddr_storage ss;
    socklen_t len;
    const char *text; /* as written in the config, for messages */
    unsigned line;    /* config line it was set on (0 outside a config) */
} oe_sockaddr_t;

typedef struct oe_addrlist {
    oe_sockaddr_t *v;
    size_t n, cap;
} oe_addrlist_t;

/* Generic setters. Field types: string/path → const char *; int → long long (arg: range or
 * NULL); size → uint64_t bytes (units B, K/KiB, M/MiB, G/GiB; arg: range or NULL); duration →
 * uint64_t milliseconds (units ms, s, m, h, d, combinable as 1h30m; arg: range in ms or NULL);
 * bool → bool (yes/no, on/off, true/false, 1/0); addr → oe_sockaddr_t (IPv4:port, [IPv6]:port,
 * *:port for any IPv4 address); enum → int (arg: oe_conf_enum_t table); strlist → oe_strlist_t,
 * addrlist → oe_addrlist_t (OE_CONF_LIST; one line may also carry several space-separated
 * items). path resolves a relative value against the config file's directory. */
int oe_conf_set_string(oe_conf_t *cf, const oe_directive_t *d, void *field, const char *value);
int oe_conf_set_path(oe_conf_t *cf, const oe_directive_t *d, void *field, const char *value);
int oe_conf_set_int(oe_conf_t *cf, const oe_directive_t *d, void *field, const char *value);
int oe_conf_set_size(oe_conf_t *cf, const oe_directive_t *d, void *field, const char *value);
int oe_conf_set_duration(oe_conf_t *cf, const oe_directive_t *d, void *field, const char *value);
int oe_conf_set_bool(oe_conf_t *cf, const oe_directive_t *d, void *field, const char *value);
int oe_conf_set_addr(oe_conf_t *cf, const oe_directive_t *d, void *field, const char *value);
int oe_conf_set_enum(oe_conf_t *cf, const oe_directive_t *d, void *field, const char *value);
int oe_conf_set_strlist(oe_conf_t *cf, const oe_directive_t *d, void *field, const char *value);
int oe_conf_set_addrlist(oe_conf_t *cf, const oe_directive_t *d, void *field, const char *value);
/* OE_CONF_LIST of whole values (not split on spaces), e.g. DNS records: oe_strlist_t. Each
 * entry's config line is kept in the parallel array `lines` of an oe_linelist_t. */
typedef struct oe_linelist {
    oe_strlist_t values;
    unsigned *lines;
    size_t lines_cap;
} oe_linelist_t;
int oe_conf_set_linelist(oe_conf_t *cf, const oe_directive_t *d, void *field, const char *value);

/* Pure value parsers behind the setters, for command-line flags and tests. 0 or OE_EFORMAT /
 * OE_EOVERFLOW. */
int oe_parse_size(const char *s, uint64_t *out);
int oe_parse_duration(const char *s, uint64_t *out_ms);
int oe_parse_addr(const char *s, oe_sockaddr_t *out);

/* One section instance in file order. */
struct oe_conf_section {
    const struct oe_module *module;
    const char *name; /* instance name of [section "name"], NULL otherwise */
    unsigned line;    /* line of the header; 0 for an implicit section */
    void *conf;       /* the module's conf struct, conf_size bytes */
    struct oe_conf_key {
        const char *key;
        unsigned line;
    } * keys; /* keys set in this section, in order */
    size_t nkeys, keys_cap;
};

/* Parses and checks a file or a buffer. Always returns a conf (NULL only on allocation failure,
 * which aborts); oe_conf_nerrors() tells whether it is usable. name is used in messages. */
oe_conf_t *oe_conf_load_file(const char *path);
oe_conf_t *oe_conf_load_buffer(const char *name, const char *dir, const char *text, size_t len);
void oe_conf_free(oe_conf_t *cf);
/* The same against another module table (NULL-terminated), for tests and fuzzing. */
oe_conf_t *oe_conf_load_buffer_with(const char *name, const char *dir, const char *text, size_t len,
                                    const struct oe_module *const *modules);

const char *oe_conf_path(const oe_conf_t *cf);
size_t oe_conf_nerrors(const oe_conf_t *cf);
const char *oe_conf_error_at_index(const oe_conf_t *cf, size_t i);
/* Prints every error (and warning) as one line each. */
void oe_conf_print_errors(const oe_conf_t *cf, FILE *out);
size_t oe_conf_nwarnings(const oe_conf_t *cf);
const char *oe_conf_warning_at_index(const oe_conf_t *cf, size_t i);

/* Section instances of a module, in file order. */
size_t oe_conf_count(const oe_conf_t *cf, const struct oe_module *m);
oe_conf_section_t *oe_conf_section(const oe_conf_t *cf, const struct oe_module *m, size_t i);
/* The conf struct of a single-instance module (its section, or the defaults when absent and
 * implicit), NULL when the section is absent. */
void *oe_conf_get(const oe_conf_t *cf, const struct oe_module *m);

/* Reporting. During parsing the context (line, section, key) is the current line; from
 * conf_check hooks use oe_conf_error_key(), which finds the line where KEY was set (or the
 * section header when it was not). */
void oe_conf_error(oe_conf_t *cf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void oe_conf_error_key(oe_conf_t *cf, const oe_conf_section_t *sec, const char *key,
                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void oe_conf_warn_key(oe_conf_t *cf, const oe_conf_section_t *sec, const char *key, const char *fmt,
                      ...) __attribute__((format(printf, 4, 5)));
/* The same at a given line (e.g. one entry of a repeated key). */
void oe_conf_error_line(oe_conf_t *cf, const oe_conf_section_t *sec, const char *key, unsigned line,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));
unsigned oe_conf_key_line(const oe_conf_section_t *sec, const char *key);
bool oe_conf_key_set(const oe_conf_section_t *sec, const char *key);

/* Arena allocation owned by cf (zeroed; aborts on exhaustion). */
void *oe_conf_alloc(oe_conf_t *cf, size_t n);
/* Bytes the arena holds (blocks), for tests that bound a config's memory. */
size_t oe_conf_arena_bytes(const oe_conf_t *cf);
char *oe_conf_strdup(oe_conf_t *cf, const char *s);

/* PATH made absolute against the config file's directory (arena string). */
const char *oe_conf_resolve_path(oe_conf_t *cf, const char *path);

/* Filesystem checks for `check`, so that a run does not fail on what a check could see. Each
 * reports an error at KEY of sec and returns OE_ECONFIG, or returns 0; neither creates anything.
 *   oe_conf_check_file_folder  the folder that file PATH would be created in exists
 *   oe_conf_check_dir          PATH is a folder (it must exist: e.g. a document root)
 *   oe_conf_check_writable_dir PATH is a writable folder, or the nearest existing folder above
 *                              it is writable (so that it can be created) */
int oe_conf_check_file_folder(oe_conf_t *cf, const oe_conf_section_t *sec, const char *key,
                              const char *path);
int oe_conf_check_dir(oe_conf_t *cf, const oe_conf_section_t *sec, const char *key,
                      const char *path);
int oe_conf_check_writable_dir(oe_conf_t *cf, const oe_conf_section_t *sec, const char *key,
                               const char *path);

/* The "did you mean" helper: the candidate closest to word within a small edit distance. */
const char *oe_conf_suggest(const char *word, const char *const *candidates, size_t n);

#endif
