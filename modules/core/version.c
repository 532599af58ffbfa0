/* Every dependency's version, for `odoh-edge version` (mbedtls' through the crypto module). */
#include <llhttp.h>
#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "core/module.h"
#include "core/oe.h"
#include "core/version.h"
#include "crypto/crypto.h"

void oe_version_print(FILE *out)
{
    char mbed[64];
    oe_crypto_library_version(mbed, sizeof(mbed));
    nghttp2_info *ng = nghttp2_version(0);
    fprintf(out, "odoh-edge %s\n", OE_VERSION);
    fprintf(out, "  mbedtls  %s\n", mbed);
    fprintf(out, "  x25519   %s\n", oe_crypto_x25519_name());
    fprintf(out, "  aes      %s\n", oe_crypto_aes_name());
    fprintf(out, "  aes-gcm  %s\n", oe_crypto_gcm_name());
    fprintf(out, "  libuv    %s\n", uv_version_string());
    fprintf(out, "  nghttp2  %s\n", ng->version_str);
    fprintf(out, "  llhttp   %d.%d.%d\n", LLHTTP_VERSION_MAJOR, LLHTTP_VERSION_MINOR,
            LLHTTP_VERSION_PATCH);
    fprintf(out, "  modules  %s\n", OE_BUILD_MODULES);
}

size_t oe_version_labels(char *out, size_t cap)
{
    char mbed[64];
    oe_crypto_library_version(mbed, sizeof(mbed));
    mbed[strcspn(mbed, " ")] = '\0'; /* "3.6.6 (built with 3.6.6)": the running one */
    nghttp2_info *ng = nghttp2_version(0);
    int n = snprintf(
        out, cap, "version=\"%s\",mbedtls=\"%s\",libuv=\"%s\",nghttp2=\"%s\",llhttp=\"%d.%d.%d\"",
        OE_VERSION, mbed, uv_version_string(), ng->version_str, LLHTTP_VERSION_MAJOR,
        LLHTTP_VERSION_MINOR, LLHTTP_VERSION_PATCH);
    return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
}
