/* libFuzzer target: HPKE SetupBaseR + Open + Export on arbitrary input. Layout: byte 0 picks the
 * AEAD (low 2 bits) and how much of the rest is info (high 6 bits); then 32 bytes of enc, then
 * info, then the ciphertext. The recipient key is fixed (DeriveKeyPair("fuzz")). An input of
 * exactly 1 + 32 bytes instead compares our X25519 with Everest, and Everest with the generic ECP
 * code, on that point
 * (kept apart because the generic ladder under ASan is slow). */
#include <stdlib.h>

#include "hpke/hpke.h"

static const uint16_t aeads[] = {OE_HPKE_AEAD_AES128GCM, OE_HPKE_AEAD_AES256GCM,
                                 OE_HPKE_AEAD_CHACHA20POLY1305, OE_HPKE_AEAD_EXPORT_ONLY};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static oe_hpke_keypair_t kp;
    static int ready;
    static uint8_t out[65536];
    oe_hpke_suite_t suite = {OE_HPKE_KEM_X25519_SHA256, OE_HPKE_KDF_HKDF_SHA256, 0};
    uint8_t a[32], b[32], exported[64];
    oe_hpke_ctx_t ctx;
    size_t info_len;
    int ra, rb, rc;

    if (!ready) {
        if (oe_hpke_derive_keypair(&kp, (const uint8_t *)"fuzz", 4) != 0)
            abort();
        ready = 1;
    }
    if (size < 1 + OE_HPKE_NENC)
        return 0;
    suite.aead = aeads[data[0] & 3];
    info_len = OE_MIN((size_t)(data[0] >> 2), size - 1 - OE_HPKE_NENC);

    if (size == 1 + OE_HPKE_NENC) {
        /* All X25519 implementations agree wherever they accept the point, and the generic
         * code accepts nothing Everest rejects; ours (the default) equals Everest everywhere. */
        oe_hpke_set_x25519_impl(OE_HPKE_X25519_OWN);
        ra = oe_hpke_x25519(a, kp.sk, data + 1);
        oe_hpke_set_x25519_impl(OE_HPKE_X25519_EVEREST);
        rb = oe_hpke_x25519(b, kp.sk, data + 1);
        if (ra != rb || (ra == 0 && memcmp(a, b, 32) != 0))
            abort();
        oe_hpke_set_x25519_impl(OE_HPKE_X25519_GENERIC);
        rb = oe_hpke_x25519(b, kp.sk, data + 1);
        oe_hpke_set_x25519_impl(OE_HPKE_X25519_OWN);
        if ((ra == 0 && rb == 0 && memcmp(a, b, 32) != 0) || (ra != 0 && rb == 0))
            abort();
        return 0;
    }

    rc = oe_hpke_setup_base_r(&ctx, &suite, data + 1, OE_HPKE_NENC, &kp,
                              OE_SLICE(data + 1 + OE_HPKE_NENC, info_len));
    if (rc != 0)
        return 0;
    const uint8_t *ct = data + 1 + OE_HPKE_NENC + info_len;
    size_t ct_len = size - 1 - OE_HPKE_NENC - info_len;
    rc = oe_hpke_open(&ctx, out, sizeof(out), OE_SLICE(NULL, 0), OE_SLICE(ct, ct_len));
    if (rc >= 0 && (suite.aead == OE_HPKE_AEAD_EXPORT_ONLY || (size_t)rc + OE_HPKE_NT != ct_len))
        abort();
    if (oe_hpke_export(&ctx, exported, sizeof(exported), OE_SLICE(ct, OE_MIN(ct_len, 16))) != 0)
        abort();
    oe_hpke_ctx_wipe(&ctx);
    return 0;
}
