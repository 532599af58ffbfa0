/*
 * ODoH behaviour beyond the vectors: config lists with entries to skip and broken lengths,
 * message and plaintext framing, every truncation, trailing bytes, wrong keys, tampering,
 * small-order enc, non-zero padding, the padding policy.
 */
#include <stdlib.h>

#include "odoh/odoh.h"
#include "unit/test.h"

static const uint8_t dns_query[] = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
                                    0x00, 0x00, 0x07, 'e',  'x',  'a',  'm',  'p',  'l',  'e',
                                    0x03, 'c',  'o',  'm',  0x00, 0x00, 0x01, 0x00, 0x01};

static void make_key(oe_odoh_key_t *k, const char *seed, uint16_t aead)
{
    CHECK_INT(oe_odoh_key_from_seed(k, aead, (const uint8_t *)seed, strlen(seed)), 0);
}

/* Appends one ObliviousDoHConfig (version, contents) to p; returns the new end. */
static uint8_t *put_config(uint8_t *p, uint16_t version, uint16_t kem, uint16_t kdf, uint16_t aead,
                           const uint8_t *pk, size_t pk_len)
{
    p = oe_put16(p, version);
    p = oe_put16(p, (uint16_t)(8 + pk_len));
    p = oe_put16(p, kem);
    p = oe_put16(p, kdf);
    p = oe_put16(p, aead);
    p = oe_put16(p, (uint16_t)pk_len);
    memcpy(p, pk, pk_len);
    return p + pk_len;
}

TEST(odoh_configs_skip_unknown_version_and_suite)
{
    oe_odoh_key_t a, b;
    oe_odoh_config_t out[4];
    uint8_t buf[512], *p = buf + 2;

    make_key(&a, "a", OE_HPKE_AEAD_AES128GCM);
    make_key(&b, "b", OE_HPKE_AEAD_CHACHA20POLY1305);
    p = put_config(p, 0x0002, 0x0020, 1, 1, a.kp.pk, 32);      /* future version */
    p = put_config(p, 0x0001, 0x0010, 1, 1, a.kp.pk, 32);      /* P-256 KEM */
    p = put_config(p, 0x0001, 0x0020, 1, 1, a.kp.pk, 32);      /* usable */
    p = put_config(p, 0x0001, 0x0020, 1, 0xffff, a.kp.pk, 32); /* export-only */
    p = put_config(p, 0x0001, 0x0020, 3, 1, a.kp.pk, 32);      /* HKDF-SHA512 */
    p = put_config(p, 0x0001, 0x0020, 1, 1, a.kp.pk, 31);      /* key too short */
    p = put_config(p, 0xff00, 0x0020, 1, 1, a.kp.pk, 0);       /* opaque future config */
    p = put_config(p, 0x0001, 0x0020, 1, 3, b.kp.pk, 32);      /* usable */
    oe_put16(buf, (uint16_t)(p - buf - 2));
    CHECK_INT(oe_odoh_configs_decode(buf, (size_t)(p - buf), out, 4), 2);
    CHECK_MEM(out[0].key_id, 32, a.config.key_id, 32);
    CHECK_MEM(out[1].key_id, 32, b.config.key_id, 32);
    CHECK_INT(out[1].suite.aead, OE_HPKE_AEAD_CHACHA20POLY1305);
    /* Fewer slots than configs: count all, store what fits. */
    memset(out, 0, sizeof(out));
    CHECK_INT(oe_odoh_configs_decode(buf, (size_t)(p - buf), out, 1), 2);
    CHECK_MEM(out[0].key_id, 32, a.config.key_id, 32);
    CHECK_INT(out[1].suite.kem, 0);
    CHECK_INT(oe_odoh_configs_decode(buf, (size_t)(p - buf), NULL, 0), 2);
}

TEST(odoh_configs_reject_bad_lengths)
{
    oe_odoh_key_t a;
    oe_odoh_config_t out[2];
    uint8_t good[2 * OE_ODOH_CONFIG_LEN + 2], bad[sizeof(good) + 1];
    int n;

    make_key(&a, "a", OE_HPKE_AEAD_AES128GCM);
    oe_odoh_config_t two[2] = {a.config, a.config};
    n = oe_odoh_configs_encode(good, sizeof(good), two, 2);
    CHECK_INT(n, sizeof(good));
    CHECK_INT(oe_odoh_configs_decode(good, sizeof(good), out, 2), 2);

    /* Every proper prefix is an error (never a silently shorter list). */
    for (size_t len = 0; len < sizeof(good); len++) {
        int rc = oe_odoh_configs_decode(good, len, out, 2);
        CHECK(rc < 0);
    }
    CHECK_INT(oe_odoh_configs_decode(good, 1, out, 2), OE_ETRUNC);
    CHECK_INT(oe_odoh_configs_decode(good, 50, out, 2), OE_ETRUNC);
    /* A trailing byte after the list. */
    memcpy(bad, good, sizeof(good));
    bad[sizeof(good)] = 0;
    CHECK_INT(oe_odoh_configs_decode(bad, sizeof(bad), out, 2), OE_ETRAILING);
    /* Outer length covering a partial config header. */
    oe_put16(bad, (uint16_t)(sizeof(good) - 2 + 1));
    CHECK_INT(oe_odoh_configs_decode(bad, sizeof(bad), out, 2), OE_ETRUNC);
    /* Outer length shorter than the data. */
    memcpy(bad, good, sizeof(good));
    oe_put16(bad, (uint16_t)(sizeof(good) - 3));
    CHECK_INT(oe_odoh_configs_decode(bad, sizeof(good), out, 2), OE_ETRAILING);
    /* A config length that disagrees with its contents, longer and shorter. */
    memcpy(bad, good, sizeof(good));
    oe_put16(bad + 4, OE_ODOH_CONTENTS_LEN + 1);
    CHECK_INT(oe_odoh_configs_decode(bad, sizeof(good), out, 2), OE_EFORMAT);
    oe_put16(bad + 4, OE_ODOH_CONTENTS_LEN - 1);
    CHECK(oe_odoh_configs_decode(bad, sizeof(good), out, 2) < 0);
    /* The public key length disagreeing with the config length. */
    memcpy(bad, good, sizeof(good));
    oe_put16(bad + 2 + 4 + 6, 33);
    CHECK_INT(oe_odoh_configs_decode(bad, sizeof(good), out, 2), OE_EFORMAT);
    /* An empty list: configs<1..2^16-1>. */
    CHECK_INT(oe_odoh_configs_decode((const uint8_t *)"\0\0", 2, out, 2), OE_EFORMAT);
}

TEST(odoh_contents_decode_errors)
{
    oe_odoh_key_t a;
    oe_odoh_config_t c;
    uint8_t buf[OE_ODOH_CONTENTS_LEN + 1];

    make_key(&a, "a", OE_HPKE_AEAD_AES256GCM);
    CHECK_INT(oe_odoh_contents_encode(buf, sizeof(buf), &a.config), OE_ODOH_CONTENTS_LEN);
    CHECK_INT(oe_odoh_contents_encode(buf, OE_ODOH_CONTENTS_LEN - 1, &a.config), OE_ESPACE);
    CHECK_INT(oe_odoh_contents_decode(&c, buf, OE_ODOH_CONTENTS_LEN), 0);
    CHECK_MEM(c.key_id, 32, a.config.key_id, 32);
    for (size_t len = 0; len < OE_ODOH_CONTENTS_LEN; len++)
        CHECK_INT(oe_odoh_contents_decode(&c, buf, len), OE_ETRUNC);
    CHECK_INT(oe_odoh_contents_decode(&c, buf, sizeof(buf)), OE_ETRAILING);
    buf[5] = 0x04;
    CHECK_INT(oe_odoh_contents_decode(&c, buf, OE_ODOH_CONTENTS_LEN), OE_EUNSUPPORTED);
}

TEST(odoh_key_id_is_expand_of_extract_over_contents)
{
    oe_odoh_key_t a;
    uint8_t contents[OE_ODOH_CONTENTS_LEN], id[32], prk[32];
    oe_slice_t ikm = OE_SLICE(contents, sizeof(contents)), info = OE_SLICE_STR("odoh key id");

    make_key(&a, "a", OE_HPKE_AEAD_AES128GCM);
    CHECK_INT(oe_odoh_contents_encode(contents, sizeof(contents), &a.config), 40);
    CHECK_INT(oe_crypto_hkdf_extract(prk, OE_SLICE(NULL, 0), &ikm, 1), 0);
    CHECK_INT(oe_crypto_hkdf_expand(id, 32, prk, &info, 1), 0);
    CHECK_MEM(a.config.key_id, 32, id, 32);
}

TEST(odoh_message_framing)
{
    uint8_t buf[64], big[64];
    oe_odoh_message_t m;
    int n = oe_odoh_message_encode(buf, sizeof(buf), OE_ODOH_MSG_QUERY, OE_SLICE_STR("kid"),
                                   OE_SLICE_STR("sealed"));
    CHECK_INT(n, 1 + 2 + 3 + 2 + 6);
    CHECK_MEM(buf, (size_t)n, "\x01\x00\x03kid\x00\x06sealed", (size_t)n);
    CHECK_INT(oe_odoh_message_decode(&m, buf, (size_t)n), 0);
    CHECK_INT(m.type, 1);
    CHECK_MEM(m.key_id.base, m.key_id.len, "kid", 3);
    CHECK_MEM(m.encrypted.base, m.encrypted.len, "sealed", 6);
    for (int len = 0; len < n; len++)
        CHECK_INT(oe_odoh_message_decode(&m, buf, (size_t)len), OE_ETRUNC);
    memcpy(big, buf, (size_t)n);
    big[n] = 0;
    CHECK_INT(oe_odoh_message_decode(&m, big, (size_t)n + 1), OE_ETRAILING);
    big[0] = 3;
    CHECK_INT(oe_odoh_message_decode(&m, big, (size_t)n), OE_EFORMAT);
    /* encrypted_message<1..2^16-1>: empty is malformed. */
    CHECK_INT(oe_odoh_message_decode(&m, (const uint8_t *)"\x02\x00\x00\x00\x00", 5), OE_EFORMAT);
    CHECK_INT(oe_odoh_message_encode(buf, 5, 1, OE_SLICE_STR(""), OE_SLICE_STR("x")), OE_ESPACE);
}

TEST(odoh_plaintext_padding)
{
    uint8_t buf[64];
    oe_slice_t dns;
    int n = oe_odoh_plaintext_encode(buf, sizeof(buf), OE_SLICE_STR("abc"), 5);
    CHECK_INT(n, 2 + 3 + 2 + 5);
    CHECK_MEM(buf, 12,
              "\x00\x03"
              "abc"
              "\x00\x05\x00\x00\x00\x00\x00",
              12);
    CHECK_INT(oe_odoh_plaintext_decode(&dns, buf, 12), 0);
    CHECK_MEM(dns.base, dns.len, "abc", 3);
    for (size_t len = 0; len < 12; len++)
        CHECK_INT(oe_odoh_plaintext_decode(&dns, buf, len), OE_ETRUNC);
    CHECK_INT(oe_odoh_plaintext_decode(&dns, buf, 13), OE_ETRAILING);
    /* Any non-zero padding byte is an error. */
    for (int i = 7; i < 12; i++) {
        buf[i] = 0x80;
        CHECK_INT(oe_odoh_plaintext_decode(&dns, buf, 12), OE_EFORMAT);
        buf[i] = 0;
    }
    CHECK_INT(oe_odoh_plaintext_decode(&dns, (const uint8_t *)"\0\0\0\0", 4), OE_EFORMAT);
    CHECK_INT(oe_odoh_plaintext_encode(buf, 11, OE_SLICE_STR("abc"), 5), OE_ESPACE);
    CHECK_INT(oe_odoh_plaintext_encode(buf, sizeof(buf), OE_SLICE_STR(""), 5), OE_EINVAL);
}

TEST(odoh_padding_policy)
{
    CHECK_INT(oe_odoh_pad_len(29, 128), 99);
    CHECK_INT(oe_odoh_pad_len(128, 128), 0);
    CHECK_INT(oe_odoh_pad_len(129, 128), 127);
    CHECK_INT(oe_odoh_pad_len(300, OE_ODOH_PAD_RESPONSE_BLOCK), 168);
    CHECK_INT(oe_odoh_pad_len(300, 0), 0);
    CHECK_INT(oe_odoh_pad_len(300, 1), 0);
    /* Regression: a 65,400-byte answer padded to a multiple of 468 (65,520) no longer fits the
     * 16-bit encrypted_message; padding stops at the limit. */
    CHECK_INT(oe_odoh_pad_len(65400, OE_ODOH_PAD_RESPONSE_BLOCK), 115);
    CHECK_INT(oe_odoh_pad_len(OE_ODOH_PLAINTEXT_DNS_MAX, 468), 0);
    CHECK_INT(oe_odoh_pad_len(OE_ODOH_PLAINTEXT_DNS_MAX + 1, 468), 0);
    CHECK_INT(OE_ODOH_PLAINTEXT_DNS_MAX, 65515);
}

/* A sealed query for tests below: client state in *ctxn, message in msg. */
static int seal_query(uint8_t *msg, size_t cap, oe_odoh_txn_t *ctxn, const oe_odoh_key_t *k)
{
    return oe_odoh_query_seal(msg, cap, ctxn, &k->config, OE_SLICE(dns_query, sizeof(dns_query)),
                              oe_odoh_pad_len(sizeof(dns_query), OE_ODOH_PAD_QUERY_BLOCK),
                              oe_crypto_random, NULL);
}

TEST(odoh_round_trip_each_aead)
{
    static const uint16_t aeads[] = {OE_HPKE_AEAD_AES128GCM, OE_HPKE_AEAD_AES256GCM,
                                     OE_HPKE_AEAD_CHACHA20POLY1305};
    for (size_t a = 0; a < OE_ARRAY_SIZE(aeads); a++) {
        oe_odoh_key_t k;
        oe_odoh_txn_t c, t;
        uint8_t msg[512], plain[512], ans[1024];
        oe_slice_t dns;
        size_t nr = aeads[a] == OE_HPKE_AEAD_AES128GCM ? 16 : 32;
        int n, m;

        CHECK_INT(oe_odoh_key_generate(&k, aeads[a], oe_crypto_random, NULL), 0);
        n = seal_query(msg, sizeof(msg), &c, &k);
        CHECK_INT(n, 1 + 2 + 32 + 2 + 32 + 4 + 128 + 16);
        CHECK_INT(oe_odoh_query_open(&k, 1, msg, (size_t)n, plain, sizeof(plain), &dns, &t), 0);
        CHECK_MEM(dns.base, dns.len, dns_query, sizeof(dns_query));
        m = oe_odoh_response_seal(ans, sizeof(ans), &t, dns, 468 - dns.len, oe_crypto_random, NULL);
        CHECK_INT(m, 1 + 2 + (int)nr + 2 + 4 + 468 + 16);
        CHECK_INT(oe_odoh_response_open(&c, ans, (size_t)m, plain, sizeof(plain), &dns), 0);
        CHECK_MEM(dns.base, dns.len, dns_query, sizeof(dns_query));
        oe_odoh_key_wipe(&k);
    }
    oe_odoh_key_t k;
    CHECK_INT(oe_odoh_key_generate(&k, OE_HPKE_AEAD_EXPORT_ONLY, oe_crypto_random, NULL),
              OE_EUNSUPPORTED);
}

/* The largest answer that can be sealed, with the padding the policy gives it, seals and opens;
 * one byte more is refused by the sealer (the target truncates such answers itself). */
TEST(odoh_response_at_the_size_limit)
{
    static uint8_t msg[70000], plain[70000], ans[70000];
    oe_odoh_key_t k;
    oe_odoh_txn_t c, t;
    oe_slice_t dns;
    CHECK_INT(oe_odoh_key_generate(&k, OE_HPKE_AEAD_AES128GCM, oe_crypto_random, NULL), 0);
    int n = seal_query(msg, sizeof(msg), &c, &k);
    CHECK(n > 0);
    CHECK_INT(oe_odoh_query_open(&k, 1, msg, (size_t)n, plain, sizeof(plain), &dns, &t), 0);
    memset(ans, 0xab, sizeof(ans));
    size_t len = 65400, pad = oe_odoh_pad_len(len, OE_ODOH_PAD_RESPONSE_BLOCK);
    n = oe_odoh_response_seal(msg, sizeof(msg), &t, OE_SLICE(ans, len), pad, oe_crypto_random,
                              NULL);
    CHECK_INT(n, 1 + 2 + 16 + 2 + 0xffff);
    CHECK_INT(oe_odoh_response_open(&c, msg, (size_t)n, plain, sizeof(plain), &dns), 0);
    CHECK_MEM(dns.base, dns.len, ans, len);
    CHECK(oe_odoh_response_seal(msg, sizeof(msg), &t, OE_SLICE(ans, OE_ODOH_PLAINTEXT_DNS_MAX + 1),
                                0, oe_crypto_random, NULL) < 0);
    oe_odoh_key_wipe(&k);
}

TEST(odoh_query_open_errors)
{
    oe_odoh_key_t keys[2], other;
    oe_odoh_txn_t c, t;
    uint8_t msg[512], bad[513], plain[512];
    oe_slice_t dns;
    int n;

    make_key(&keys[0], "k0", OE_HPKE_AEAD_AES128GCM);
    make_key(&keys[1], "k1", OE_HPKE_AEAD_AES128GCM);
    make_key(&other, "other", OE_HPKE_AEAD_AES128GCM);
    n = seal_query(msg, sizeof(msg), &c, &keys[1]);
    CHECK(n > 0);
    CHECK_INT(oe_odoh_query_open(keys, 2, msg, (size_t)n, plain, sizeof(plain), &dns, &t), 0);

    /* Unknown key id: its own error (HTTP 401), also with no keys or a short id. */
    CHECK_INT(oe_odoh_query_open(&other, 1, msg, (size_t)n, plain, sizeof(plain), &dns, &t),
              OE_EKEYID);
    CHECK_INT(oe_odoh_query_open(keys, 0, msg, (size_t)n, plain, sizeof(plain), &dns, &t),
              OE_EKEYID);
    memcpy(bad, msg, (size_t)n);
    bad[3 + 7] ^= 1;
    CHECK_INT(oe_odoh_query_open(keys, 2, bad, (size_t)n, plain, sizeof(plain), &dns, &t),
              OE_EKEYID);
    CHECK(oe_odoh_key_find(keys, 2, OE_SLICE(keys[1].config.key_id, 31)) == NULL);
    CHECK(oe_odoh_key_find(keys, 2, OE_SLICE(keys[1].config.key_id, 32)) == &keys[1]);

    /* Every truncation fails, none of them with OE_EKEYID once the key id is complete. */
    for (int len = 0; len < n; len++) {
        int rc = oe_odoh_query_open(keys, 2, msg, (size_t)len, plain, sizeof(plain), &dns, &t);
        CHECK_INT(rc, OE_ETRUNC);
    }
    memcpy(bad, msg, (size_t)n);
    bad[n] = 0;
    CHECK_INT(oe_odoh_query_open(keys, 2, bad, (size_t)n + 1, plain, sizeof(plain), &dns, &t),
              OE_ETRAILING);

    /* Every flipped bit in enc, ciphertext and tag. */
    size_t enc_off = 3 + 32 + 2;
    for (size_t bit = enc_off * 8; bit < (size_t)n * 8; bit++) {
        memcpy(bad, msg, (size_t)n);
        bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        int rc = oe_odoh_query_open(keys, 2, bad, (size_t)n, plain, sizeof(plain), &dns, &t);
        if (rc != OE_EAUTH && rc != OE_ECRYPTO)
            CHECK_INT(rc, OE_EAUTH);
    }
    /* A response presented as a query. */
    memcpy(bad, msg, (size_t)n);
    bad[0] = OE_ODOH_MSG_RESPONSE;
    CHECK_INT(oe_odoh_query_open(keys, 2, bad, (size_t)n, plain, sizeof(plain), &dns, &t),
              OE_EFORMAT);
    /* A small-order enc. */
    memcpy(bad, msg, (size_t)n);
    memset(bad + enc_off, 0, 32);
    CHECK_INT(oe_odoh_query_open(keys, 2, bad, (size_t)n, plain, sizeof(plain), &dns, &t),
              OE_ECRYPTO);
    /* Not enough room for the plaintext. */
    CHECK_INT(oe_odoh_query_open(keys, 2, msg, (size_t)n, plain, 10, &dns, &t), OE_ESPACE);
}

/* A query whose plaintext carries non-zero padding, sealed by hand with HPKE. */
TEST(odoh_query_with_nonzero_padding_is_rejected)
{
    oe_odoh_key_t k;
    oe_hpke_ctx_t ctx;
    oe_odoh_txn_t t;
    uint8_t q[16] = {0x00, 0x03, 'a', 'b', 'c', 0x00, 0x02, 0x00, 0x01};
    uint8_t enc[32], aad[35], ct[64], msg[256], plain[64];
    oe_slice_t dns;
    int n;

    make_key(&k, "pad", OE_HPKE_AEAD_AES128GCM);
    CHECK_INT(oe_hpke_setup_base_s(&ctx, enc, &k.config.suite, k.kp.pk, 32,
                                   OE_SLICE_STR("odoh query"), oe_crypto_random, NULL),
              0);
    aad[0] = 1;
    oe_put16(aad + 1, 32);
    memcpy(aad + 3, k.config.key_id, 32);
    CHECK_INT(oe_hpke_seal(&ctx, ct, sizeof(ct), OE_SLICE(aad, 35), OE_SLICE(q, 9)), 25);
    memcpy(msg, enc, 32);
    memcpy(msg + 32, ct, 25);
    uint8_t wire[256];
    n = oe_odoh_message_encode(wire, sizeof(wire), OE_ODOH_MSG_QUERY, OE_SLICE(k.config.key_id, 32),
                               OE_SLICE(msg, 57));
    CHECK(n > 0);
    CHECK_INT(oe_odoh_query_open(&k, 1, wire, (size_t)n, plain, sizeof(plain), &dns, &t),
              OE_EFORMAT);
    CHECK(dns.base == NULL);
}

TEST(odoh_response_open_errors)
{
    oe_odoh_key_t k;
    oe_odoh_txn_t c, t, c2;
    uint8_t msg[512], plain[1024], ans[1024], bad[1025];
    oe_slice_t dns;
    int n, m;

    make_key(&k, "r", OE_HPKE_AEAD_AES128GCM);
    n = seal_query(msg, sizeof(msg), &c, &k);
    CHECK_INT(oe_odoh_query_open(&k, 1, msg, (size_t)n, plain, sizeof(plain), &dns, &t), 0);
    m = oe_odoh_response_seal(ans, sizeof(ans), &t, OE_SLICE(dns_query, sizeof(dns_query)), 0,
                              oe_crypto_random, NULL);
    CHECK(m > 0);
    for (int len = 0; len < m; len++)
        CHECK_INT(oe_odoh_response_open(&c, ans, (size_t)len, plain, sizeof(plain), &dns),
                  OE_ETRUNC);
    memcpy(bad, ans, (size_t)m);
    bad[m] = 0;
    CHECK_INT(oe_odoh_response_open(&c, bad, (size_t)m + 1, plain, sizeof(plain), &dns),
              OE_ETRAILING);
    /* Every flipped bit of nonce, ciphertext and tag fails authentication. */
    for (size_t bit = 3 * 8; bit < (size_t)m * 8; bit++) {
        if (bit / 8 == 3 + 16 || bit / 8 == 3 + 16 + 1)
            continue; /* the length field: a framing error, tested above */
        memcpy(bad, ans, (size_t)m);
        bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        CHECK_INT(oe_odoh_response_open(&c, bad, (size_t)m, plain, sizeof(plain), &dns), OE_EAUTH);
    }
    /* Wrong type, wrong nonce length. */
    memcpy(bad, ans, (size_t)m);
    bad[0] = OE_ODOH_MSG_QUERY;
    CHECK_INT(oe_odoh_response_open(&c, bad, (size_t)m, plain, sizeof(plain), &dns), OE_EFORMAT);
    n = oe_odoh_message_encode(bad, sizeof(bad), OE_ODOH_MSG_RESPONSE, OE_SLICE(ans + 3, 12),
                               OE_SLICE(ans + 3 + 16 + 2, (size_t)m - 21));
    CHECK_INT(oe_odoh_response_open(&c, bad, (size_t)n, plain, sizeof(plain), &dns), OE_EFORMAT);
    /* Another transaction's state cannot open it. */
    n = seal_query(msg, sizeof(msg), &c2, &k);
    CHECK_INT(oe_odoh_response_open(&c2, ans, (size_t)m, plain, sizeof(plain), &dns), OE_EAUTH);
    /* Seal with a nonce of the wrong length. */
    CHECK_INT(oe_odoh_response_seal_nonce(ans, sizeof(ans), &t, OE_SLICE_STR("x"), 0,
                                          OE_SLICE_STR("twelve bytes")),
              OE_EINVAL);
}
