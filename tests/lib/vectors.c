/* Test-vector files for the unit tests; see vectors.h. */
#include <stdlib.h>

#include "lib/vectors.h"
#include "unit/test.h"

oe_json_t *oe_test_vectors_load(const char *name)
{
    size_t len;
    char err[128];
    char *text = oe_test_read_file(oe_test_vector_path(name), &len);
    oe_json_t *doc = oe_json_parse(text, len, err, sizeof(err));
    free(text);
    if (doc == NULL)
        oe_test_fail(__FILE__, __LINE__, "vector file %s: %s", name, err);
    return doc;
}

uint8_t *oe_test_vectors_hex(const oe_json_t *obj, const char *key, size_t *len)
{
    const char *hex = oe_json_string(oe_json_get(obj, key));
    if (hex == NULL)
        oe_test_fail(__FILE__, __LINE__, "vector has no string field \"%s\"", key);
    return oe_test_unhex(hex, len);
}

long long oe_test_vectors_int(const oe_json_t *obj, const char *key)
{
    bool ok;
    long long v = oe_json_int(oe_json_get(obj, key), &ok);
    if (!ok)
        oe_test_fail(__FILE__, __LINE__, "vector has no integer field \"%s\"", key);
    return v;
}
