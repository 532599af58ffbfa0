/* libFuzzer target: the config parser against the real module table. Any input must give a
 * conf (possibly with errors) and no crash, leak or undefined behaviour. */
#include <stddef.h>
#include <stdint.h>

#include "core/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    oe_conf_t *cf = oe_conf_load_buffer("fuzz.conf", "/nonexistent", (const char *)data, size);
    for (size_t i = 0; i < oe_conf_nerrors(cf); i++)
        (void)oe_conf_error_at_index(cf, i);
    oe_conf_free(cf);
    return 0;
}
