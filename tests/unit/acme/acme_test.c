/* ACME: the strict JSON reader (valid and malformed input), JWK thumbprints (RFC 7638 vector and
 * an EC key cross-checked with python3-cryptography), key authorizations, the JWS (decoded back
 * and its ES256 signature verified), the certificate request, and the renewal time. */
#include <stdio.h>
#include <stdlib.h>

#include "acme/acme_int.h"
#include "acme/acme_json.h"
#include "acme/acme_jws.h"
#include "crypto/encode.h"
#include "unit/test.h"
#include "tls/tls.h"

#define S(x) OE_SLICE_STR(x)

TEST(acme_json_accepts_valid_documents)
{
    static const char *const ok[] = {
        "{}",
        "[]",
        " {\"a\" : [1, -2.5e+3, 0, 0.1E-2, true, false, null, \"x\", {}]} ",
        "\"\\u00e9\\ud83d\\ude00\\n\"",
        "0",
        "-0",
        "[[[[]]]]",
        "{\"a\":{\"b\":{\"c\":[]}}}",
        "\"caf\xc3\xa9\"",
    };
    for (size_t i = 0; i < OE_ARRAY_SIZE(ok); i++)
        if (oe_acme_json_check(S(ok[i])) != 0)
            oe_test_fail(__FILE__, __LINE__, "refused: %s", ok[i]);
}

TEST(acme_json_refuses_malformed_documents)
{
    static const char *const bad[] = {
        "",
        " ",
        "{",
        "}",
        "[1,]",
        "{\"a\":1,}",
        "{\"a\" 1}",
        "{a:1}",
        "[01]",
        "[1.]",
        "[.5]",
        "[1e]",
        "[+1]",
        "[-]",
        "tru",
        "nul",
        "[true false]",
        "\"abc",
        "\"\\x\"",
        "\"\\u12\"",
        "\"\\ud800\"",
        "\"\\udc00\"",
        "\"\\ud800\\u0041\"",
        "\"\\u0000\"",
        "\"a\tb\"",
        "\"\xc3\"",
        "\"\xc0\xaf\"",
        "\"\xed\xa0\x80\"",
        "\"\xf5\x80\x80\x80\"",
        "{} {}",
        "[1] x",
        "{\"a\":1}}",
        "'a'",
        "[NaN]",
        "[Infinity]",
    };
    for (size_t i = 0; i < OE_ARRAY_SIZE(bad); i++)
        if (oe_acme_json_check(S(bad[i])) != OE_EFORMAT)
            oe_test_fail(__FILE__, __LINE__, "accepted: %s", bad[i]);
    /* A NUL byte inside a document is malformed, not an end. */
    CHECK_INT(oe_acme_json_check(OE_SLICE("{\"a\":\"b\0\"}", 10)), OE_EFORMAT);
}

TEST(acme_json_nesting_is_bounded)
{
    char deep[2 * (OE_ACME_JSON_MAX_DEPTH + 2) + 1];
    size_t n = OE_ACME_JSON_MAX_DEPTH + 2;
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    deep[2 * n] = '\0';
    CHECK_INT(oe_acme_json_check(S(deep)), OE_EFORMAT);
    n = OE_ACME_JSON_MAX_DEPTH + 1; /* depth 0 .. MAX */
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    deep[2 * n] = '\0';
    CHECK_INT(oe_acme_json_check(S(deep)), 0);
}

TEST(acme_json_members_and_strings)
{
    const char *doc = "{\"status\":\"pending\",\"n\":12,\"esc\":\"a\\\"b\\\\c\\/d\\u0041\","
                      "\"status\":\"second\",\"list\":[\"x\",{\"y\":1},[]],\"o\":{\"k\":\"v\"}}";
    char out[64];
    oe_slice_t v;
    CHECK_INT(oe_acme_json_member_string(S(doc), "status", out, sizeof(out)), 7);
    CHECK_STR(out, "pending"); /* the first of duplicate keys */
    CHECK_INT(oe_acme_json_member_string(S(doc), "esc", out, sizeof(out)), 8);
    CHECK_STR(out, "a\"b\\c/dA");
    CHECK_INT(oe_acme_json_member(S(doc), "n", &v), 0);
    CHECK_MEM(v.base, v.len, "12", 2);
    CHECK_INT(oe_acme_json_member_string(S(doc), "n", out, sizeof(out)), OE_EFORMAT);
    CHECK_INT(oe_acme_json_member(S(doc), "missing", &v), -ENOENT);
    CHECK_INT(oe_acme_json_member_string(S(doc), "status", out, 7), OE_ESPACE);
    CHECK_INT(oe_acme_json_member(S(doc), "o", &v), 0);
    CHECK_INT(oe_acme_json_member_string(v, "k", out, sizeof(out)), 1);
    CHECK_INT(oe_acme_json_member(S("[1]"), "a", &v), OE_EFORMAT);
    CHECK_INT(oe_acme_json_member(S("{\"a\":1"), "a", &v), OE_EFORMAT);
    CHECK_INT(oe_acme_json_member(S("{\"a\":1} x"), "a", &v), OE_EFORMAT);
    CHECK_INT(oe_acme_json_string(S("\"\\ud83d\\ude00\""), out, sizeof(out)), 4);
    CHECK_MEM(out, 4, "\xf0\x9f\x98\x80", 4);
    /* Arrays. */
    CHECK_INT(oe_acme_json_member(S(doc), "list", &v), 0);
    size_t pos = 0;
    oe_slice_t e;
    CHECK_INT(oe_acme_json_array_next(v, &pos, &e), 1);
    CHECK_MEM(e.base, e.len, "\"x\"", 3);
    CHECK_INT(oe_acme_json_array_next(v, &pos, &e), 1);
    CHECK_MEM(e.base, e.len, "{\"y\":1}", 7);
    CHECK_INT(oe_acme_json_array_next(v, &pos, &e), 1);
    CHECK_MEM(e.base, e.len, "[]", 2);
    CHECK_INT(oe_acme_json_array_next(v, &pos, &e), 0);
    pos = 0;
    CHECK_INT(oe_acme_json_array_next(S("[]"), &pos, &e), 0);
    pos = 0;
    CHECK_INT(oe_acme_json_array_next(S("{}"), &pos, &e), OE_EFORMAT);
    pos = 0;
    CHECK_INT(oe_acme_json_array_next(S("[1 2]"), &pos, &e), OE_EFORMAT);
}

TEST(acme_json_writes_escaped_strings)
{
    oe_buf_t b = {0};
    oe_acme_json_append_string(&b, "a\"b\\c\n\x01");
    CHECK_MEM(b.base, b.len, "\"a\\\"b\\\\c\\u000a\\u0001\"", 21);
    CHECK_INT(oe_acme_json_check(OE_SLICE(b.base, b.len)), 0);
    oe_buf_free(&b);
}

TEST(acme_thumbprint_rfc7638_rsa_example)
{
    /* RFC 7638 §3.1: the RSA key of RFC 7517 Appendix A.1, canonical members. */
    const char *jwk =
        "{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78"
        "LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9"
        "yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQv"
        "RL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF"
        "44-csFCur-kEgU8awapJzKnqDKgw\"}";
    char t[OE_ACME_THUMBPRINT_LEN + 1];
    oe_acme_thumbprint_of(t, S(jwk));
    CHECK_STR(t, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

/* The private key of RFC 6979 A.2.5 (P-256). JWK and thumbprint computed independently with
 * python3-cryptography (ec.derive_private_key, then the RFC 7638 canonical form). */
static void test_key(oe_acme_key_t *k)
{
    uint8_t d[32];
    memset(k, 0, sizeof(*k));
    k->alg = OE_ACME_ES256;
    CHECK_INT(oe_hex_decode(d, sizeof(d),
                            "C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721", 64),
              32);
    CHECK_INT(oe_crypto_p256_from_private(&k->ec, d, sizeof(d)), 0);
}

TEST(acme_jwk_and_thumbprint_of_an_ec_key)
{
    oe_acme_key_t k;
    test_key(&k);
    oe_buf_t b = {0};
    oe_acme_jwk(&b, &k);
    const char *want =
        "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"YP7UuiVanTHJYet0xjVtaMBJuJI7Yfps5m"
        "liLmDyn7Y\",\"y\":\"eQP-EAi4vJmkGunpVii8ZPLxsgwtfp9Rd6PClNRGIpk\"}";
    CHECK_MEM(b.base, b.len, want, strlen(want));
    char t[OE_ACME_THUMBPRINT_LEN + 1];
    oe_acme_thumbprint(t, &k);
    CHECK_STR(t, "DOvxvJiAdIqVWIkFt5hDtCunXLF0BV4-JGv4f-ALSm0");
    /* RFC 8555 §8.1: token "." thumbprint. */
    char *ka = oe_acme_key_authorization("evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA", &k);
    CHECK_STR(ka, "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA."
                  "DOvxvJiAdIqVWIkFt5hDtCunXLF0BV4-JGv4f-ALSm0");
    free(ka);
    oe_buf_free(&b);
}

/* Decodes member key of a flattened JWS (base64url) into out. */
static size_t b64_member(oe_slice_t jws, const char *key, uint8_t *out, size_t cap)
{
    char text[2048];
    int n = oe_acme_json_member_string(jws, key, text, sizeof(text));
    CHECK(n >= 0);
    int len = oe_base64url_decode(out, cap, text, (size_t)n);
    CHECK(len >= 0);
    return (size_t)len;
}

TEST(acme_jws_es256_with_jwk_and_kid)
{
    oe_acme_key_t k;
    test_key(&k);
    oe_buf_t out = {0};
    CHECK_INT(oe_acme_jws(&out, &k, NULL, "nonce-1", "https://ca.test/new-acct",
                          S("{\"termsOfServiceAgreed\":true}")),
              0);
    oe_slice_t jws = OE_SLICE(out.base, out.len);
    CHECK_INT(oe_acme_json_check(jws), 0);
    uint8_t prot[1024], payload[256], sig[128];
    size_t pl = b64_member(jws, "protected", prot, sizeof(prot));
    const char *want =
        "{\"alg\":\"ES256\",\"jwk\":{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"YP7UuiVa"
        "nTHJYet0xjVtaMBJuJI7Yfps5mliLmDyn7Y\",\"y\":\"eQP-EAi4vJmkGunpVii8ZPLxsgwtfp"
        "9Rd6PClNRGIpk\"},\"nonce\":\"nonce-1\",\"url\":\"https://ca.test/new-acct\"}";
    CHECK_MEM(prot, pl, want, strlen(want));
    size_t yl = b64_member(jws, "payload", payload, sizeof(payload));
    CHECK_MEM(payload, yl, "{\"termsOfServiceAgreed\":true}", 29);
    CHECK_INT(b64_member(jws, "signature", sig, sizeof(sig)), 64);
    /* The signing input is protected "." payload, as sent (RFC 7515 §5.2). */
    char p64[1024], y64[256], input[1400];
    oe_acme_json_member_string(jws, "protected", p64, sizeof(p64));
    oe_acme_json_member_string(jws, "payload", y64, sizeof(y64));
    snprintf(input, sizeof(input), "%s.%s", p64, y64);
    CHECK_INT(oe_crypto_p256_verify(k.ec.pub, (const uint8_t *)input, strlen(input), sig), 0);
    input[0] ^= 1;
    CHECK_INT(oe_crypto_p256_verify(k.ec.pub, (const uint8_t *)input, strlen(input), sig),
              OE_EAUTH);

    /* POST-as-GET with a kid: empty payload; strings escaped. */
    out.len = 0;
    CHECK_INT(oe_acme_jws(&out, &k, "https://ca.test/acct/1", "n\"2", "https://ca.test/o/1",
                          OE_SLICE(NULL, 0)),
              0);
    jws = OE_SLICE(out.base, out.len);
    pl = b64_member(jws, "protected", prot, sizeof(prot));
    want = "{\"alg\":\"ES256\",\"kid\":\"https://ca.test/acct/1\",\"nonce\":\"n\\\"2\",\"url\":"
           "\"https://ca.test/o/1\"}";
    CHECK_MEM(prot, pl, want, strlen(want));
    char empty[8];
    CHECK_INT(oe_acme_json_member_string(jws, "payload", empty, sizeof(empty)), 0);
    oe_buf_free(&out);
}

TEST(acme_csr_has_the_names_and_key_type)
{
    static const char *const names[] = {"a.acme.test", "www.acme.test"};
    static const oe_tls_key_type_t types[] = {OE_TLS_KEY_P256, OE_TLS_KEY_P384, OE_TLS_KEY_RSA2048};
    static const char *const want_key[] = {"EC PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY"};
    for (size_t t = 0; t < OE_ARRAY_SIZE(types); t++) {
        char *key = NULL, *err = NULL;
        oe_buf_t der = {0};
        CHECK_INT(oe_tls_acme_csr(types[t], names, 2, &key, &der, &err), 0);
        CHECK(strstr(key, want_key[t]) != NULL);
        /* openssl reads it back: subject, SANs and a valid self-signature. */
        char path[512], cmd[1200];
        snprintf(path, sizeof(path), "%s/req.der", oe_test_tmpdir());
        FILE *f = fopen(path, "wb");
        CHECK(f != NULL);
        CHECK_INT(fwrite(der.base, 1, der.len, f), der.len);
        fclose(f);
        snprintf(cmd, sizeof(cmd),
                 "openssl req -inform DER -in %s -noout -verify -text 2>&1 | "
                 "grep -E 'verify OK|Subject: CN|DNS:' | tr -d ' ' > %s.txt",
                 path, path);
        CHECK_INT(system(cmd), 0);
        snprintf(cmd, sizeof(cmd), "%s.txt", path);
        char *txt = oe_test_read_file(cmd, NULL);
        CHECK(strstr(txt, "Subject:CN=a.acme.test") != NULL);
        CHECK(strstr(txt, "DNS:a.acme.test,DNS:www.acme.test") != NULL);
        CHECK(strstr(txt, "verifyOK") != NULL || strstr(txt, "Certificaterequestselfsignature"
                                                             "verifyOK") != NULL);
        free(txt);
        oe_wipe(key, strlen(key));
        free(key);
        oe_buf_free(&der);
    }
}

TEST(acme_renewal_time)
{
    acme_conf_t c = {0};
    /* Default: a third of the lifetime before expiry. */
    CHECK_INT(oe_acme__renew_at(&c, 1000, 1000 + 90 * 86400), 1000 + 60 * 86400);
    c.renew_before = 86400ULL * 1000 * 10;
    CHECK_INT(oe_acme__renew_at(&c, 1000, 1000 + 90 * 86400), 1000 + 80 * 86400);
}

TEST(acme_json_member_after_a_key_longer_than_its_buffer)
{
    /* Found by fuzz-acme_json: a key over 255 bytes made the lookup re-read it from its middle
     * and call a valid document malformed. */
    char doc[700];
    char key[300];
    memset(key, 'k', sizeof(key) - 1);
    key[sizeof(key) - 1] = '\0';
    snprintf(doc, sizeof(doc), "{\"%s\":1,\"type\":\"x\"}", key);
    CHECK_INT(oe_acme_json_check(S(doc)), 0);
    char out[8];
    CHECK_INT(oe_acme_json_member_string(S(doc), "type", out, sizeof(out)), 1);
    CHECK_STR(out, "x");
}

TEST(acme_rfc3339_times)
{
    CHECK_INT(oe_acme__rfc3339("1970-01-01T00:00:00Z"), 0);
    CHECK_INT(oe_acme__rfc3339("2026-11-30T02:02:12Z"), 1796004132);
    CHECK_INT(oe_acme__rfc3339("2026-11-30T02:02:12.123456Z"), 1796004132);
    CHECK_INT(oe_acme__rfc3339("2026-11-30T04:02:12+02:00"), 1796004132);
    CHECK_INT(oe_acme__rfc3339("2026-11-29T23:02:12-03:00"), 1796004132);
    CHECK_INT(oe_acme__rfc3339("2026-11-30t02:02:12z"), 1796004132);
    static const char *const bad[] = {"",
                                      "2026-11-30",
                                      "2026-11-30T02:02:12",
                                      "2026-11-30T02:02:12Zx",
                                      "2026-13-30T02:02:12Z",
                                      "2026-11-30T24:00:00Z",
                                      "2026-11-30T02:02:12.Z",
                                      "2026-11-30T02:02:12+0200",
                                      "26-11-30T02:02:12Z",
                                      " 2026-11-30T02:02:12Z"};
    for (size_t i = 0; i < OE_ARRAY_SIZE(bad); i++)
        if (oe_acme__rfc3339(bad[i]) != -1)
            oe_test_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
}

TEST(acme_times_print_as_rfc3339_utc)
{
    /* acme status and the log print times with oe_acme__fmt_time; renewalInfo reads them back. */
    char t[32];
    oe_acme__fmt_time(1796004132, t, sizeof(t));
    CHECK_STR(t, "2026-11-30T02:02:12Z");
    CHECK_INT(oe_acme__rfc3339(t), 1796004132);
    oe_acme__fmt_time(0, t, sizeof(t));
    CHECK_STR(t, "1970-01-01T00:00:00Z");
}

TEST(acme_url_host_port_and_path)
{
    char host[32];
    unsigned port = 0;
    const char *path = NULL;
    CHECK(oe_acme__parse_url("https://acme.test/dir", host, sizeof(host), &port, &path));
    CHECK_STR(host, "acme.test");
    CHECK_INT(port, 443);
    CHECK_STR(path, "/dir");
    CHECK(oe_acme__parse_url("https://acme.test:14000/a/b?x=1", host, sizeof(host), &port, &path));
    CHECK_STR(host, "acme.test");
    CHECK_INT(port, 14000);
    CHECK_STR(path, "/a/b?x=1");
    CHECK(oe_acme__parse_url("https://[::1]:14000/dir", host, sizeof(host), &port, &path));
    CHECK_STR(host, "::1");
    CHECK_INT(port, 14000);
    CHECK_STR(path, "/dir");
    CHECK(oe_acme__parse_url("https://[::1]", host, sizeof(host), &port, &path));
    CHECK_STR(host, "::1");
    CHECK_INT(port, 443);
    CHECK_STR(path, "/");
    CHECK(oe_acme__parse_url("https://127.0.0.1:1", host, sizeof(host), &port, &path));
    CHECK_STR(host, "127.0.0.1");
    CHECK_INT(port, 1);
    CHECK_STR(path, "/");
    static const char *const bad[] = {"http://acme.test/",
                                      "https:///dir",
                                      "https://:443/",
                                      "https://acme.test:0/",
                                      "https://acme.test:65536/",
                                      "https://acme.test:44x/",
                                      "https://acme.test:/",
                                      "https://acme.test?x=1",
                                      "https://acme.test#f",
                                      "https://[::1/",
                                      "https://[::1]x/",
                                      "https://a-host-name-longer-than-the-buffer.test/"};
    for (size_t i = 0; i < OE_ARRAY_SIZE(bad); i++)
        if (oe_acme__parse_url(bad[i], host, sizeof(host), &port, &path))
            oe_test_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
    CHECK(!oe_acme__parse_url(NULL, host, sizeof(host), &port, &path));
}

TEST(acme_ari_pick_stays_in_the_window)
{
    CHECK_INT(oe_acme__ari_pick(100, 100, 12345), 100);
    CHECK_INT(oe_acme__ari_pick(100, 50, 7), 100); /* a backwards window: its start */
    for (uint32_t r = 0; r < 100000; r += 7) {
        int64_t t = oe_acme__ari_pick(1000, 1010, r * 2654435761u);
        CHECK(t >= 1000 && t <= 1010);
    }
    CHECK_INT(oe_acme__ari_pick(0, 10, 10), 10);
    CHECK_INT(oe_acme__ari_pick(0, 10, 11), 0);
}

TEST(acme_rs256_jws_and_jwk_cross_checked_with_python)
{
    /* An RSA account key: our JWK thumbprint and RS256 JWS, checked by python3-cryptography
     * (an independent JWK encoding and PKCS#1 v1.5 verification). */
    oe_acme_key_t k = {.alg = OE_ACME_RS256, .rsa = oe_crypto_rsa_generate(2048)};
    CHECK(k.rsa != NULL);
    oe_buf_t pem = {0}, jws = {0};
    CHECK_INT(oe_crypto_rsa_write_pem(k.rsa, &pem), 0);
    oe_buf_append(&pem, "", 1);
    char path[512], out[600], cmd[4096];
    snprintf(path, sizeof(path), "%s/rsa.pem", oe_test_tmpdir());
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fputs((const char *)pem.base, f);
    fclose(f);
    /* The key parses back to the same public key. */
    oe_crypto_rsa_key_t *again = oe_crypto_rsa_parse(pem.base, pem.len - 1);
    CHECK(again != NULL);
    oe_acme_key_t k2 = {.alg = OE_ACME_RS256, .rsa = again};
    char t1[OE_ACME_THUMBPRINT_LEN + 1], t2[OE_ACME_THUMBPRINT_LEN + 1];
    oe_acme_thumbprint(t1, &k);
    oe_acme_thumbprint(t2, &k2);
    CHECK_STR(t1, t2);
    CHECK_INT(oe_acme_jws(&jws, &k, NULL, "n1", "https://ca.test/new-acct", S("{}")), 0);
    snprintf(out, sizeof(out), "%s/jws.json", oe_test_tmpdir());
    f = fopen(out, "w");
    CHECK(f != NULL);
    fwrite(jws.base, 1, jws.len, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd),
             "/usr/bin/python3 -c '\n"
             "import base64, hashlib, json, sys\n"
             "from cryptography.hazmat.primitives import hashes, serialization\n"
             "from cryptography.hazmat.primitives.asymmetric import padding\n"
             "key = serialization.load_pem_private_key(open(sys.argv[1], \"rb\").read(), None)\n"
             "pn = key.public_key().public_numbers()\n"
             "b = lambda x: base64.urlsafe_b64encode(x).rstrip(b\"=\").decode()\n"
             "i = lambda v: v.to_bytes((v.bit_length() + 7) // 8, \"big\")\n"
             "jwk = {\"e\": b(i(pn.e)), \"kty\": \"RSA\", \"n\": b(i(pn.n))}\n"
             "c = json.dumps(jwk, separators=(\",\", \":\"), sort_keys=True)\n"
             "j = json.load(open(sys.argv[2]))\n"
             "u = lambda s: base64.urlsafe_b64decode(s + \"=\" * (-len(s) %% 4))\n"
             "prot = json.loads(u(j[\"protected\"]))\n"
             "assert prot[\"alg\"] == \"RS256\" and prot[\"jwk\"] == jwk, prot\n"
             "key.public_key().verify(u(j[\"signature\"]), (j[\"protected\"] + \".\" + "
             "j[\"payload\"]).encode(), padding.PKCS1v15(), hashes.SHA256())\n"
             "print(b(hashlib.sha256(c.encode()).digest()))\n"
             "' %s %s > %s.out 2>&1",
             path, out, out);
    CHECK_INT(system(cmd), 0);
    snprintf(cmd, sizeof(cmd), "%s.out", out);
    char *got = oe_test_read_file(cmd, NULL);
    got[strcspn(got, "\n")] = '\0';
    CHECK_STR(got, t1);
    free(got);
    oe_wipe(pem.base, pem.len);
    oe_buf_free(&pem);
    oe_buf_free(&jws);
    oe_crypto_rsa_free(k.rsa);
    oe_crypto_rsa_free(again);
}
