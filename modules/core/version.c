/* The one unit that reads every dependency's version macros, for `odoh-edge version`. */
#include <llhttp.h>
#include <mbedtls/build_info.h>
#include <mbedtls/version.h>
#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <uv.h>
#if defined(__aarch64__) && defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

#include "core/module.h"
#include "core/oe.h"
#include "core/version.h"

/* Which AES (and GCM) code mbedtls runs here: the CPU's instructions where the build carries
 * them and the CPU has them (mbedtls asks the CPU the same way, once, at run time), the portable
 * table code otherwise. */
static const char *aes_impl(void)
{
#if defined(MBEDTLS_AESNI_C) && defined(__x86_64__)
    return __builtin_cpu_supports("aes") ? "aesni (AES-NI and PCLMULQDQ)"
                                         : "portable (built with AES-NI, this CPU has none)";
#elif defined(MBEDTLS_AESCE_C) && defined(__aarch64__) && defined(__linux__)
    return (getauxval(AT_HWCAP) & HWCAP_AES) ? "aesce (ARMv8 Crypto Extensions, PMULL)"
                                             : "portable (built with AESCE, this CPU has none)";
#else
    return "portable (this target has no AES instructions)";
#endif
}

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
    fprintf(out, "  aes      %s\n", aes_impl());
    fprintf(out, "  libuv    %s\n", uv_version_string());
    fprintf(out, "  nghttp2  %s\n", ng->version_str);
    fprintf(out, "  llhttp   %d.%d.%d\n", LLHTTP_VERSION_MAJOR, LLHTTP_VERSION_MINOR,
            LLHTTP_VERSION_PATCH);
    fprintf(out, "  modules  %s\n", OE_BUILD_MODULES);
}
