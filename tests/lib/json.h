/*
 * A small strict JSON reader (RFC 8259) for tests: parses a whole document into a tree. It
 * rejects what RFC 8259 rejects (trailing commas, comments, leading zeros, bare control
 * characters, lone surrogates, bytes after the value) and also duplicate object keys and nesting
 * deeper than 64. Strings are decoded to UTF-8 and NUL-terminated (an embedded \u0000 is
 * rejected, so C string functions are safe). Numbers keep their text; oe_json_int reads integers.
 */
#ifndef OE_TEST_JSON_H
#define OE_TEST_JSON_H

#include <stdbool.h>
#include <stddef.h>

typedef enum oe_json_type {
    OE_JSON_NULL,
    OE_JSON_FALSE,
    OE_JSON_TRUE,
    OE_JSON_NUMBER,
    OE_JSON_STRING,
    OE_JSON_ARRAY,
    OE_JSON_OBJECT,
} oe_json_type_t;

typedef struct oe_json oe_json_t;
struct oe_json {
    oe_json_type_t type;
    char *str;        /* STRING: decoded text; NUMBER: the literal as written */
    size_t len;       /* STRING/NUMBER: bytes in str; ARRAY/OBJECT: member count */
    oe_json_t *items; /* ARRAY/OBJECT members, in document order */
    char **keys;      /* OBJECT: keys[i] names items[i] */
};

/* Parses text[0..len). Returns a tree owned by the caller (free with oe_json_free), or NULL with
 * a message "offset N: what" in err (when err is not NULL). */
oe_json_t *oe_json_parse(const char *text, size_t len, char *err, size_t err_len);
void oe_json_free(oe_json_t *v);

/* Lookups borrow from the tree; they return NULL on a missing key, an index out of range or a
 * value of another type. */
const oe_json_t *oe_json_get(const oe_json_t *obj, const char *key);
const oe_json_t *oe_json_at(const oe_json_t *arr, size_t i);
const char *oe_json_string(const oe_json_t *v);
/* Integer value of a NUMBER without fraction or exponent that fits in a long long; *ok says
 * whether it did (ok may be NULL, then 0 is returned on failure). */
long long oe_json_int(const oe_json_t *v, bool *ok);

#endif
