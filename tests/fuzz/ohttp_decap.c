/* libFuzzer target: the gateway's decapsulation (RFC 9458 §4.3) and the client's response
 * opening (§4.4), and key configuration lists (§3.2). The first byte picks the path. Fixed keys
 * (ids 1 and 2) and a fixed client transaction make the authenticated paths reachable from the
 * seed corpus, which holds real encapsulations. */
#include <stdlib.h>

#include "ohttp/bhttp.h"
#include "ohttp/ohttp.h"

#include "fuzz_setup.h"

static oe_ohttp_key_t keys[2];
static oe_ohttp_txn_t client_txn;

static int fixed_rng(void *arg, unsigned char *out, size_t len)
{
    memset(out, 'e', len);
    return 0;
}

static void setup(void)
{
    uint8_t buf[128], msg[256];
    oe_ohttp_config_t c;
    if (oe_ohttp_key_from_seed(&keys[0], 1, OE_HPKE_AEAD_AES128GCM, (const uint8_t *)"x", 1) ||
        oe_ohttp_key_from_seed(&keys[1], 2, OE_HPKE_AEAD_CHACHA20POLY1305, (const uint8_t *)"fuzz",
                               4) ||
        oe_ohttp_config_encode(buf, sizeof(buf), &keys[1]) < 0 ||
        oe_ohttp_config_decode(&c, buf, OE_OHTTP_CONFIG_LEN) < 0 ||
        oe_ohttp_request_seal(msg, sizeof(msg), &client_txn, &c, OE_SLICE("\x00\x03GET", 5),
                              fixed_rng, NULL) < 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t plain[65536];
    oe_ohttp_txn_t txn;
    oe_ohttp_config_t cfgs[4];
    int rc;
    if (size < 1)
        return 0;
    switch (data[0] % 3) {
    case 0:
        rc = oe_ohttp_request_open(keys, 2, data + 1, size - 1, plain, sizeof(plain), &txn);
        if (rc >= 0) {
            uint8_t res[128];
            oe_bhttp_field_t f[8];
            oe_bhttp_msg_t m;
            (void)oe_bhttp_decode(&m, plain, (size_t)rc, f, 8, NULL, 0);
            if (oe_ohttp_response_seal(res, sizeof(res), &txn, OE_SLICE("\x01\x40\xc8", 3),
                                       oe_crypto_random, NULL) <= 0)
                abort();
        }
        break;
    case 1:
        rc = oe_ohttp_response_open(&client_txn, data + 1, size - 1, plain, sizeof(plain));
        if (rc > (int)size)
            abort();
        break;
    default:
        rc = oe_ohttp_configs_decode(data + 1, size - 1, cfgs, 4);
        if (rc > (int)(size / 2))
            abort();
        break;
    }
    return 0;
}
