/* libFuzzer target: ObliviousDoHMessage decoding and the target's and client's open paths. The
 * first byte picks the path; the rest is the message. A fixed target key (DeriveKeyPair("fuzz"))
 * and a fixed client transaction make the key-id lookup and the authenticated paths reachable
 * from the seed corpus, which holds real sealed messages for them. */
#include <stdlib.h>

#include "odoh/odoh.h"

#include "fuzz_setup.h"

static oe_odoh_key_t keys[2];
static oe_odoh_txn_t client_txn;

/* Deterministic query sealed to keys[1]: its transaction opens the corpus' response seeds. */
static void setup(void)
{
    static const uint8_t dns[] = {0xab, 0xcd, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1};
    static const uint8_t ikmE[32] = {'e'};
    uint8_t msg[512];

    if (oe_odoh_key_from_seed(&keys[0], OE_HPKE_AEAD_AES128GCM, (const uint8_t *)"other", 5) ||
        oe_odoh_key_from_seed(&keys[1], OE_HPKE_AEAD_AES128GCM, (const uint8_t *)"fuzz", 4) ||
        oe_odoh_query_seal_derand(msg, sizeof(msg), &client_txn, &keys[1].config,
                                  OE_SLICE(dns, sizeof(dns)), 0, ikmE, sizeof(ikmE)) < 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t plain[65536 + 64];
    oe_odoh_message_t m;
    oe_odoh_txn_t txn;
    oe_slice_t dns;
    int rc;
    if (size < 1)
        return 0;
    switch (data[0] % 4) {
    case 0:
        rc = oe_odoh_query_open(keys, 2, data + 1, size - 1, plain, sizeof(plain), &dns, &txn);
        if (rc == 0) {
            uint8_t ans[1024];
            if (dns.len == 0 || dns.base < plain || dns.base + dns.len > plain + sizeof(plain))
                abort();
            rc = oe_odoh_response_seal(ans, sizeof(ans), &txn, OE_SLICE("\x01\x02\x03", 3), 13,
                                       oe_crypto_random, NULL);
            if (rc <= 0)
                abort();
            oe_odoh_txn_wipe(&txn);
        }
        break;
    case 1:
        rc = oe_odoh_response_open(&client_txn, data + 1, size - 1, plain, sizeof(plain), &dns);
        if (rc == 0 && dns.len == 0)
            abort();
        break;
    case 2:
        rc = oe_odoh_plaintext_decode(&dns, data + 1, size - 1);
        if (rc == 0 && (dns.base != data + 3 || dns.len == 0))
            abort();
        break;
    default:
        rc = oe_odoh_message_decode(&m, data + 1, size - 1);
        if (rc == 0 && 5 + m.key_id.len + m.encrypted.len != size - 1)
            abort();
        break;
    }
    return 0;
}
