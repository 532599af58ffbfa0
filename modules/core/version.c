/* The one unit that reads every dependency's version macros, for `odoh-edge version`. */
#include <llhttp.h>
#include <mbedtls/build_info.h>
#include <mbedtls/version.h>
#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <uv.h>

#include "core/module.h"
#include "core/oe.h"
#include "core/version.h"

void oe_version_print(FILE *out)
{
    char mbed[32];
    mbedtls_version_get_string(mbed);
    nghttp2_info *ng = nghttp2_version(0);
    fprintf(out, "odoh-edge %s\n", OE_VERSION);
    fprintf(out, "  mbedtls  %s (built with %s)\n", mbed, MBEDTLS_VERSION_STRING);
#ifdef MBEDTLS_ECDH_VARIANT_EVEREST_ENABLED
    fprintf(out, "  x25519   everest (HACL*)\n");
#else
    fprintf(out, "  x25519   mbedtls ecp (generic)\n");
#endif
    fprintf(out, "  libuv    %s\n", uv_version_string());
    fprintf(out, "  nghttp2  %s\n", ng->version_str);
    fprintf(out, "  llhttp   %d.%d.%d\n", LLHTTP_VERSION_MAJOR, LLHTTP_VERSION_MINOR,
            LLHTTP_VERSION_PATCH);
    fprintf(out, "  modules  %s\n", OE_BUILD_MODULES);
}
