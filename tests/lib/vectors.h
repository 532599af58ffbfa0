/*
 * Test-vector files (tests/vectors/NAME, JSON) for the unit tests: load one, read hex and integer
 * fields. Each helper fails the running test (oe_test_fail) instead of returning an error.
 */
#ifndef OE_TEST_VECTORS_H
#define OE_TEST_VECTORS_H

#include <stdint.h>

#include "lib/json.h"

/* The parsed tests/vectors/NAME; free with oe_json_free. */
oe_json_t *oe_test_vectors_load(const char *name);
/* The bytes of the hex string field key of obj, heap-allocated (free them); *len their count. */
uint8_t *oe_test_vectors_hex(const oe_json_t *obj, const char *key, size_t *len);
/* The integer field key of obj. */
long long oe_test_vectors_int(const oe_json_t *obj, const char *key);

#endif
