/* libFuzzer target: ObliviousDoHConfigs and ObliviousDoHConfigContents decoding. Any input must
 * decode or fail cleanly; whatever decodes must re-encode to a list that decodes to the same
 * configs (same suites, keys and key ids). */
#include <stdlib.h>

#include "odoh/odoh.h"

#define MAX_CONFIGS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    oe_odoh_config_t a[MAX_CONFIGS], b[MAX_CONFIGS], one;
    uint8_t enc[2 + MAX_CONFIGS * OE_ODOH_CONFIG_LEN];
    int n, m, len;

    if (oe_odoh_contents_decode(&one, data, size) == 0) {
        len = oe_odoh_contents_encode(enc, sizeof(enc), &one);
        if (len != (int)size || memcmp(enc, data, size) != 0)
            abort();
    }
    n = oe_odoh_configs_decode(data, size, a, MAX_CONFIGS);
    if (n <= 0)
        return 0;
    if (n > MAX_CONFIGS)
        n = MAX_CONFIGS;
    len = oe_odoh_configs_encode(enc, sizeof(enc), a, (size_t)n);
    if (len <= 0)
        abort();
    m = oe_odoh_configs_decode(enc, (size_t)len, b, MAX_CONFIGS);
    if (m != n || memcmp(a, b, (size_t)n * sizeof(a[0])) != 0)
        abort();
    return 0;
}
