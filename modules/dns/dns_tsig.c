/*
 * TSIG with HMAC-SHA256 (RFC 8945 §4-§5), on the crypto module's HMAC (no heap) and its
 * constant-time base64 for the secret.
 */
#include <stdio.h>

#include "crypto/crypto.h"
#include "crypto/encode.h"
#include "dns/dns_tsig.h"

/* RFC 8945 §6: "hmac-sha256." in wire form. */
static const uint8_t alg_name[] = "\x0bhmac-sha256";
#define ALG_NAME_LEN sizeof(alg_name) /* the string's NUL is the root label */

int oe_dns_tsig_key_init(oe_dns_tsig_key_t *key, const char *name, const char *secret_b64,
                         char *err, size_t errcap)
{
    memset(key, 0, sizeof(*key));
    int n = oe_dns_name_from_text(name, strlen(name), key->name);
    if (n < 0) {
        snprintf(err, errcap, "bad TSIG key name \"%s\"", name);
        return OE_EFORMAT;
    }
    key->name_len = (size_t)n;
    for (size_t i = 0; i < key->name_len; i++) /* canonical form: lower case (§4.3.3) */
        if (key->name[i] >= 'A' && key->name[i] <= 'Z')
            key->name[i] = (uint8_t)(key->name[i] + 32);
    int olen = oe_base64_decode(key->secret, sizeof(key->secret), secret_b64, strlen(secret_b64));
    if (olen <= 0) {
        oe_dns_tsig_key_wipe(key);
        snprintf(err, errcap, "TSIG secret is not base64 of 1..%d octets", OE_DNS_TSIG_SECRET_MAX);
        return OE_EFORMAT;
    }
    key->secret_len = (size_t)olen;
    return 0;
}

void oe_dns_tsig_key_wipe(oe_dns_tsig_key_t *key)
{
    oe_wipe(key->secret, sizeof(key->secret));
    key->secret_len = 0;
}

/* The TSIG fields that enter the MAC after the message (RFC 8945 §4.3.3). */
typedef struct vars {
    uint64_t time;
    uint16_t fudge, error;
    oe_slice_t other;
} vars_t;

/* HMAC-SHA256 over [u16 len | req_mac] | header (with `id` and `arcount` patched in) | body |
 * TSIG variables. */
static void compute_mac(const oe_dns_tsig_key_t *key, const uint8_t *req_mac, size_t req_mac_len,
                        const uint8_t *msg, size_t msg_len, uint16_t id, uint16_t arcount,
                        const vars_t *v, uint8_t mac[OE_DNS_TSIG_MAC_LEN])
{
    oe_crypto_hmac_t h;
    uint8_t hdr[OE_DNS_HEADER_LEN], b[16], *p;

    oe_crypto_hmac_init(&h, key->secret, key->secret_len);
    if (req_mac) { /* §4.3.1: the request MAC with its length, for a response */
        oe_put16(b, (uint16_t)req_mac_len);
        oe_crypto_hmac_update(&h, b, 2);
        oe_crypto_hmac_update(&h, req_mac, req_mac_len);
    }
    memcpy(hdr, msg, OE_DNS_HEADER_LEN);
    oe_put16(hdr, id);
    oe_put16(hdr + 10, arcount);
    oe_crypto_hmac_update(&h, hdr, sizeof(hdr));
    oe_crypto_hmac_update(&h, msg + OE_DNS_HEADER_LEN, msg_len - OE_DNS_HEADER_LEN);
    /* §4.3.3: NAME, CLASS (ANY), TTL (0), algorithm, time signed (u48), fudge, error, other. */
    p = oe_put16(b, OE_DNS_C_ANY);
    p = oe_put32(p, 0);
    oe_crypto_hmac_update(&h, key->name, key->name_len);
    oe_crypto_hmac_update(&h, b, (size_t)(p - b));
    oe_crypto_hmac_update(&h, alg_name, ALG_NAME_LEN);
    p = oe_put16(b, (uint16_t)(v->time >> 32));
    p = oe_put32(p, (uint32_t)v->time);
    p = oe_put16(p, v->fudge);
    p = oe_put16(p, v->error);
    p = oe_put16(p, (uint16_t)v->other.len);
    oe_crypto_hmac_update(&h, b, (size_t)(p - b));
    oe_crypto_hmac_update(&h, v->other.base, v->other.len);
    oe_crypto_hmac_final(&h, mac);
}

int oe_dns_tsig_sign(uint8_t *buf, size_t *len, size_t cap, const oe_dns_tsig_key_t *key,
                     uint64_t now, uint16_t fudge, const uint8_t *req_mac, size_t req_mac_len,
                     uint8_t mac_out[OE_DNS_TSIG_MAC_LEN])
{
    uint8_t mac[OE_DNS_TSIG_MAC_LEN];
    size_t n = *len;
    if (n < OE_DNS_HEADER_LEN || n > cap)
        return OE_ETRUNC;
    uint16_t id = oe_get16(buf), arcount = oe_get16(buf + 10);
    if (arcount == UINT16_MAX)
        return OE_EOVERFLOW;
    /* §4.2: owner, type, class, TTL, RDLENGTH, then algorithm, time (6), fudge, MAC size, MAC,
     * original ID, error, other len. */
    size_t rdlen = ALG_NAME_LEN + 6 + 2 + 2 + OE_DNS_TSIG_MAC_LEN + 2 + 2 + 2;
    size_t need = key->name_len + 10 + rdlen;
    if (cap - n < need)
        return OE_ESPACE;
    vars_t v = {.time = now & 0xffffffffffffULL, .fudge = fudge};
    compute_mac(key, req_mac, req_mac_len, buf, n, id, arcount, &v, mac);

    uint8_t *p = buf + n;
    memcpy(p, key->name, key->name_len);
    p += key->name_len;
    p = oe_put16(p, OE_DNS_T_TSIG);
    p = oe_put16(p, OE_DNS_C_ANY);
    p = oe_put32(p, 0);
    p = oe_put16(p, (uint16_t)rdlen);
    memcpy(p, alg_name, ALG_NAME_LEN);
    p += ALG_NAME_LEN;
    p = oe_put16(p, (uint16_t)(v.time >> 32));
    p = oe_put32(p, (uint32_t)v.time);
    p = oe_put16(p, fudge);
    p = oe_put16(p, OE_DNS_TSIG_MAC_LEN);
    memcpy(p, mac, OE_DNS_TSIG_MAC_LEN);
    p += OE_DNS_TSIG_MAC_LEN;
    p = oe_put16(p, id);
    p = oe_put16(p, 0); /* error */
    p = oe_put16(p, 0); /* other len */
    oe_put16(buf + 10, (uint16_t)(arcount + 1));
    *len = (size_t)(p - buf);
    if (mac_out)
        memcpy(mac_out, mac, OE_DNS_TSIG_MAC_LEN);
    return 0;
}

int oe_dns_tsig_verify(const oe_dns_msg_t *m, const oe_dns_tsig_key_t *key, const uint8_t *req_mac,
                       size_t req_mac_len, uint64_t now, uint16_t *tsig_error)
{
    oe_dns_rr_t rr;
    size_t off, aend;
    uint8_t mac[OE_DNS_TSIG_MAC_LEN];
    int rc;

    if (!m->has_tsig)
        return OE_DNS_EUNSIGNED;
    off = m->tsig_off;
    if ((rc = oe_dns_rr_read(m->wire, &off, false, &rr)) < 0)
        return rc;
    /* §4.2: the owner and algorithm names are never compressed. */
    if ((rc = oe_dns_name_check(m->wire, m->tsig_off, false, NULL, NULL)) < 0)
        return rc;
    oe_slice_t r = rr.rdata;
    if ((rc = oe_dns_name_check(r, 0, false, &aend, NULL)) < 0)
        return rc;
    if (r.len - aend < 10)
        return OE_ETRUNC;
    const uint8_t *p = r.base + aend;
    vars_t v = {.time = (uint64_t)oe_get16(p) << 32 | oe_get32(p + 2), .fudge = oe_get16(p + 6)};
    size_t mac_len = oe_get16(p + 8);
    p += 10;
    if ((size_t)(r.base + r.len - p) < mac_len + 6)
        return OE_ETRUNC;
    const uint8_t *rmac = p;
    p += mac_len;
    uint16_t orig_id = oe_get16(p);
    v.error = oe_get16(p + 2);
    v.other.len = oe_get16(p + 4);
    p += 6;
    if ((size_t)(r.base + r.len - p) != v.other.len)
        return (size_t)(r.base + r.len - p) < v.other.len ? OE_ETRUNC : OE_ETRAILING;
    v.other.base = p;
    if (tsig_error)
        *tsig_error = v.error;

    if (!oe_dns_name_eq(rr.name, oe_dns_name_wire(key->name, key->name_len)) ||
        !oe_dns_name_eq((oe_dns_name_t){r, 0}, oe_dns_name_wire(alg_name, ALG_NAME_LEN)))
        return OE_DNS_EBADKEY;
    /* §5.3.2: BADKEY and BADSIG come unsigned (empty MAC); report them as such. */
    if (v.error == OE_DNS_R_BADKEY)
        return OE_DNS_EBADKEY;
    if (v.error == OE_DNS_R_BADSIG)
        return OE_DNS_EBADSIG;
    if (mac_len != OE_DNS_TSIG_MAC_LEN) /* §5.2.2.1 truncation: not accepted here */
        return OE_DNS_EMAC;
    compute_mac(key, req_mac, req_mac_len, m->wire.base, m->tsig_off, orig_id,
                (uint16_t)(m->hdr.count[OE_DNS_SEC_ADDITIONAL] - 1), &v, mac);
    if (!oe_ct_eq(mac, rmac, OE_DNS_TSIG_MAC_LEN))
        return OE_DNS_EMAC;
    if (v.error == OE_DNS_R_BADTIME)
        return OE_DNS_EBADTIME;
    if (v.error != 0)
        return OE_DNS_ETSIG;
    /* §5.2.3: time signed within fudge of our clock. */
    if ((now > v.time ? now - v.time : v.time - now) > v.fudge)
        return OE_DNS_EBADTIME;
    return 0;
}
