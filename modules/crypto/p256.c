/*
 * ECDSA P-256 signing of our own for 64-bit targets with 128-bit products (issue 17: mbedtls'
 * generic ECP was a fifth of a full TLS 1.3 handshake's server CPU). Field elements mod p and
 * scalars mod n are four 64-bit limbs in Montgomery form (R = 2^256), multiplied with the
 * word-by-word (CIOS) reduction and reduced with a masked final subtraction. Points are
 * projective (X:Y:Z) and added with the complete formulas of Renes, Costello and Batina (2016,
 * algorithm 4, a = -3): the same code adds equal points, opposite points and the point at
 * infinity, so no case depends on the scalar. k*G sums 64 entries of a fixed-base table of
 * j * 16^i * G (i < 64, j < 16, affine), one per 4-bit digit of k; each lookup reads all 15
 * entries of its row and keeps one with masks. The table is computed at first use (about 2 ms,
 * once per process; one inversion per row). Inversions are Fermat exponentiations with public
 * exponents (p-2, n-2). The nonce is RFC 6979's (HMAC-SHA256), as mbedtls' deterministic ECDSA, so
 * the signatures are byte for byte mbedtls'. No branch and no memory index depends on the private
 * key, the nonce or the hash; the one exception is RFC 6979's rejection of a candidate nonce
 * >= n, which happens with probability below 2^-32 and reveals only that a candidate was
 * rejected.
 */
#include "crypto/p256.h"

#include <pthread.h>
#include <string.h>

#include "core/oe.h"
#include "crypto/crypto.h"

#if defined(OE_P256_OWN)

typedef unsigned __int128 u128;
typedef uint64_t limbs[4];

typedef struct {
    limbs m;     /* the modulus */
    uint64_t n0; /* -m^-1 mod 2^64 */
    limbs rr;    /* R^2 mod m */
    limbs one;   /* R mod m */
} modulus_t;

static const modulus_t P = {
    {0xffffffffffffffff, 0x00000000ffffffff, 0x0000000000000000, 0xffffffff00000001},
    1,
    {0x0000000000000003, 0xfffffffbffffffff, 0xfffffffffffffffe, 0x00000004fffffffd},
    {0x0000000000000001, 0xffffffff00000000, 0xffffffffffffffff, 0x00000000fffffffe},
};

static const modulus_t N = {
    {0xf3b9cac2fc632551, 0xbce6faada7179e84, 0xffffffffffffffff, 0xffffffff00000000},
    0xccd1c8aaee00bc4f,
    {0x83244c95be79eea2, 0x4699799c49bd6fa6, 0x2845b2392b6bec59, 0x66e12d94f3d95620},
    {0x0c46353d039cdaaf, 0x4319055258e8617b, 0x0000000000000000, 0x00000000ffffffff},
};

/* b * R mod p: the curve's b in Montgomery form. */
static const limbs B_MONT = {0xd89cdf6229c4bddf, 0xacf005cd78843090, 0xe5a220abf7212ed6,
                             0xdc30061d04874834};

static const limbs GX = {0xf4a13945d898c296, 0x77037d812deb33a0, 0xf8bce6e563a440f2,
                         0x6b17d1f2e12c4247};
static const limbs GY = {0xcbb6406837bf51f5, 0x2bce33576b315ece, 0x8ee7eb4a7c0f9e16,
                         0x4fe342e2fe1a7f9b};

#define P_INLINE static inline __attribute__((always_inline))

/* r = a - b over 256 bits; returns the borrow (0 or 1). */
P_INLINE uint64_t sub4(limbs r, const limbs a, const limbs b)
{
    u128 t = 0;
    uint64_t borrow = 0;
    for (int i = 0; i < 4; i++) {
        t = (u128)a[i] - b[i] - borrow;
        r[i] = (uint64_t)t;
        borrow = (uint64_t)(t >> 64) & 1;
    }
    return borrow;
}

/* r = a + b over 256 bits; returns the carry. */
P_INLINE uint64_t add4(limbs r, const limbs a, const limbs b)
{
    u128 t = 0;
    for (int i = 0; i < 4; i++) {
        t += (u128)a[i] + b[i];
        r[i] = (uint64_t)t;
        t >>= 64;
    }
    return (uint64_t)t;
}

/* r = mask ? a : b (mask all ones or zero). */
P_INLINE void sel4(limbs r, uint64_t mask, const limbs a, const limbs b)
{
    for (int i = 0; i < 4; i++)
        r[i] = (a[i] & mask) | (b[i] & ~mask);
}

/* r = (a + b) mod m, for a, b < m. */
P_INLINE void mod_add(limbs r, const limbs a, const limbs b, const modulus_t *m)
{
    limbs s, t;
    uint64_t carry = add4(s, a, b);
    uint64_t borrow = sub4(t, s, m->m);
    /* s - m is the answer when it did not borrow, or when the sum overflowed 2^256. */
    uint64_t use_t = 0 - ((carry | (borrow ^ 1)) & 1);
    sel4(r, use_t, t, s);
}

/* r = (a - b) mod m, for a, b < m. */
P_INLINE void mod_sub(limbs r, const limbs a, const limbs b, const modulus_t *m)
{
    limbs d, t;
    uint64_t borrow = sub4(d, a, b);
    add4(t, d, m->m);
    sel4(r, 0 - borrow, t, d);
}

/* r = a * b / R mod m (Montgomery product, CIOS), for a, b < m. */
P_INLINE void mod_mul(limbs r, const limbs a, const limbs b, const modulus_t *m)
{
    uint64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0, t5;
    for (int i = 0; i < 4; i++) {
        u128 c;
        c = (u128)a[0] * b[i] + t0, t0 = (uint64_t)c;
        c = (u128)a[1] * b[i] + t1 + (c >> 64), t1 = (uint64_t)c;
        c = (u128)a[2] * b[i] + t2 + (c >> 64), t2 = (uint64_t)c;
        c = (u128)a[3] * b[i] + t3 + (c >> 64), t3 = (uint64_t)c;
        c = (u128)t4 + (c >> 64), t4 = (uint64_t)c, t5 = (uint64_t)(c >> 64);
        uint64_t q = t0 * m->n0;
        c = (u128)q * m->m[0] + t0;
        c = (u128)q * m->m[1] + t1 + (c >> 64), t0 = (uint64_t)c;
        c = (u128)q * m->m[2] + t2 + (c >> 64), t1 = (uint64_t)c;
        c = (u128)q * m->m[3] + t3 + (c >> 64), t2 = (uint64_t)c;
        c = (u128)t4 + (c >> 64), t3 = (uint64_t)c;
        t4 = t5 + (uint64_t)(c >> 64);
    }
    limbs t = {t0, t1, t2, t3}, s;
    uint64_t borrow = sub4(s, t, m->m);
    uint64_t use_s = 0 - ((t4 | (borrow ^ 1)) & 1);
    sel4(r, use_s, s, t);
}

/* r = a^e (Montgomery form in and out), 4-bit fixed window; e is public, so its digits may steer
 * the loop and index the window table. */
P_INLINE void mod_pow(limbs r, const limbs a, const limbs e, const modulus_t *m)
{
    limbs w[16], acc;
    memcpy(w[0], m->one, sizeof(limbs));
    memcpy(w[1], a, sizeof(limbs));
    for (int i = 2; i < 16; i++)
        mod_mul(w[i], w[i - 1], a, m);
    memcpy(acc, w[(e[3] >> 60) & 15], sizeof(limbs));
    for (int i = 62; i >= 0; i--) {
        for (int j = 0; j < 4; j++)
            mod_mul(acc, acc, acc, m);
        uint64_t digit = (e[i / 16] >> (4 * (i % 16))) & 15;
        if (digit)
            mod_mul(acc, acc, w[digit], m);
    }
    memcpy(r, acc, sizeof(acc));
    oe_wipe(w, sizeof(w));
    oe_wipe(acc, sizeof(acc));
}

/* Inversions by Fermat, a^(m-2), each with its modulus folded into the code. */
static void inv_p(limbs r, const limbs a)
{
    static const limbs e = {0xfffffffffffffffd, 0x00000000ffffffff, 0x0000000000000000,
                            0xffffffff00000001};
    mod_pow(r, a, e, &P);
}

static void inv_n(limbs r, const limbs a)
{
    static const limbs e = {0xf3b9cac2fc63254f, 0xbce6faada7179e84, 0xffffffffffffffff,
                            0xffffffff00000000};
    mod_pow(r, a, e, &N);
}

P_INLINE void to_mont(limbs r, const limbs a, const modulus_t *m)
{
    mod_mul(r, a, m->rr, m);
}

P_INLINE void from_mont(limbs r, const limbs a, const modulus_t *m)
{
    static const limbs one = {1, 0, 0, 0};
    mod_mul(r, a, one, m);
}

static void load_be(limbs r, const uint8_t b[32])
{
    for (int i = 0; i < 4; i++) {
        uint64_t v = 0;
        for (int j = 0; j < 8; j++)
            v = v << 8 | b[(3 - i) * 8 + j];
        r[i] = v;
    }
}

static void store_be(uint8_t b[32], const limbs a)
{
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++)
            b[(3 - i) * 8 + j] = (uint8_t)(a[i] >> (56 - 8 * j));
}

/* All ones when a is zero, else 0. */
P_INLINE uint64_t is_zero(const limbs a)
{
    uint64_t z = a[0] | a[1] | a[2] | a[3];
    return ((z | (0 - z)) >> 63) - 1;
}

/* a mod m for a < 2^256 (one masked subtraction suffices for p and n). */
P_INLINE void reduce_once(limbs r, const limbs a, const modulus_t *m)
{
    limbs t;
    uint64_t borrow = sub4(t, a, m->m);
    sel4(r, 0 - borrow, a, t);
}

/* The field operations of the point formulas, each one function with p folded in: inlined into
 * the formulas they made the compiler spill most temporaries to the stack. */
static __attribute__((noinline)) void fe_mul(limbs r, const limbs a, const limbs b)
{
    mod_mul(r, a, b, &P);
}

static inline void fe_add(limbs r, const limbs a, const limbs b)
{
    mod_add(r, a, b, &P);
}

static inline void fe_sub(limbs r, const limbs a, const limbs b)
{
    mod_sub(r, a, b, &P);
}

/* ---- points: projective (X:Y:Z) in Montgomery form; affine table entries ---- */

typedef struct {
    limbs x, y, z;
} point_t;

typedef struct {
    limbs x, y;
} affine_t;

/* The common end of algorithms 4 and 5 below (from b * Z1Z2 on), line for line with the paper:
 * t0 = X1X2, t1 = Y1Y2, zz = Z1Z2 (Z1 when Z2 = 1), t3, t4 and y3 as both leave them. r is
 * written last, so it may alias an input point (zz may be one's z). */
static void add_finish(point_t *r, limbs t0, limbs t1, const limbs zz, const limbs t3,
                       const limbs t4, limbs y3)
{
    limbs t2, x3, z3;
    fe_mul(z3, B_MONT, zz);
    fe_sub(x3, y3, z3);
    fe_add(z3, x3, x3);
    fe_add(x3, x3, z3);
    fe_sub(z3, t1, x3);
    fe_add(x3, t1, x3);
    fe_mul(y3, B_MONT, y3);
    fe_add(t1, zz, zz);
    fe_add(t2, t1, zz);
    fe_sub(y3, y3, t2);
    fe_sub(y3, y3, t0);
    fe_add(t1, y3, y3);
    fe_add(y3, t1, y3);
    fe_add(t1, t0, t0);
    fe_add(t0, t1, t0);
    fe_sub(t0, t0, t2);
    fe_mul(t1, t4, y3);
    fe_mul(t2, t0, y3);
    fe_mul(y3, x3, z3);
    fe_add(y3, y3, t2);
    fe_mul(x3, t3, x3);
    fe_sub(x3, x3, t1);
    fe_mul(z3, t4, z3);
    fe_mul(t1, t3, t0);
    fe_add(z3, z3, t1);
    memcpy(r->x, x3, sizeof(limbs));
    memcpy(r->y, y3, sizeof(limbs));
    memcpy(r->z, z3, sizeof(limbs));
}

/* r = p + q: Renes-Costello-Batina algorithm 4 (complete, a = -3). r may alias p or q. */
static void point_add(point_t *r, const point_t *p, const point_t *q)
{
    limbs t0, t1, t2, t3, t4, x3, y3;
    fe_mul(t0, p->x, q->x);
    fe_mul(t1, p->y, q->y);
    fe_mul(t2, p->z, q->z);
    fe_add(t3, p->x, p->y);
    fe_add(t4, q->x, q->y);
    fe_mul(t3, t3, t4);
    fe_add(t4, t0, t1);
    fe_sub(t3, t3, t4);
    fe_add(t4, p->y, p->z);
    fe_add(x3, q->y, q->z);
    fe_mul(t4, t4, x3);
    fe_add(x3, t1, t2);
    fe_sub(t4, t4, x3);
    fe_add(x3, p->x, p->z);
    fe_add(y3, q->x, q->z);
    fe_mul(x3, x3, y3);
    fe_add(y3, t0, t2);
    fe_sub(y3, x3, y3);
    add_finish(r, t0, t1, t2, t3, t4, y3);
}

/* r = p + (x2, y2): algorithm 4 with Z2 = 1 (the paper's algorithm 5), one multiplication and
 * three additions fewer. Complete except that q cannot be the point at infinity. */
static void point_add_affine(point_t *r, const point_t *p, const limbs x2, const limbs y2)
{
    limbs t0, t1, t3, t4, y3;
    fe_mul(t0, p->x, x2);
    fe_mul(t1, p->y, y2);
    fe_add(t3, x2, y2);
    fe_add(t4, p->x, p->y);
    fe_mul(t3, t3, t4);
    fe_add(t4, t0, t1);
    fe_sub(t3, t3, t4);
    fe_mul(t4, y2, p->z);
    fe_add(t4, t4, p->y);
    fe_mul(y3, x2, p->z);
    fe_add(y3, y3, p->x);
    add_finish(r, t0, t1, p->z, t3, t4, y3);
}

/* Affine x and y (Montgomery form) of a point that is not at infinity. */
static void point_affine(affine_t *a, const point_t *p)
{
    limbs zi;
    inv_p(zi, p->z);
    mod_mul(a->x, p->x, zi, &P);
    mod_mul(a->y, p->y, zi, &P);
}

/* table[i][j - 1] = j * 16^i * G, j = 1..15. Public values, computed once. */
static affine_t table[64][15];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void table_init(void)
{
    point_t base, row[15];
    limbs prefix[15], inv, zi;
    to_mont(base.x, GX, &P);
    to_mont(base.y, GY, &P);
    memcpy(base.z, P.one, sizeof(limbs));
    for (int i = 0; i < 64; i++) {
        /* row[j - 1] = j * base; then base = 16 * base, left projective. */
        row[0] = base;
        for (int j = 1; j < 15; j++)
            point_add(&row[j], &row[j - 1], &base);
        point_add(&base, &row[14], &base);
        /* The row's 15 Z are inverted with one inversion (Montgomery's trick). */
        memcpy(prefix[0], row[0].z, sizeof(limbs));
        for (int j = 1; j < 15; j++)
            mod_mul(prefix[j], prefix[j - 1], row[j].z, &P);
        inv_p(inv, prefix[14]);
        for (int j = 14; j >= 0; j--) {
            if (j > 0) {
                mod_mul(zi, inv, prefix[j - 1], &P);
                mod_mul(inv, inv, row[j].z, &P);
            } else {
                memcpy(zi, inv, sizeof(limbs));
            }
            mod_mul(table[i][j].x, row[j].x, zi, &P);
            mod_mul(table[i][j].y, row[j].y, zi, &P);
        }
    }
}

/* e = digit * 16^row * G (affine) for digit 1..15; for digit 0 e is all zeros. Reads every entry of
 * the row. Returns an all-ones mask when digit is 0. */
static uint64_t table_lookup(affine_t *e, int row, uint64_t digit)
{
    memset(e, 0, sizeof(*e));
    for (uint64_t j = 1; j <= 15; j++) {
        uint64_t d = digit ^ j;
        uint64_t mask = ((d | (0 - d)) >> 63) - 1; /* all ones iff digit == j */
        const affine_t *t = &table[row][j - 1];
        for (int i = 0; i < 4; i++) {
            e->x[i] |= t->x[i] & mask;
            e->y[i] |= t->y[i] & mask;
        }
    }
    return ((digit | (0 - digit)) >> 63) - 1;
}

/* r = k * G for k < 2^256 (normal form), projective. A zero digit adds nothing: the sum with the
 * (meaningless) zero entry is computed all the same and masked away. */
static void base_mul(point_t *r, const limbs k)
{
    pthread_once(&table_once, table_init);
    point_t acc, sum;
    affine_t e;
    memset(&acc, 0, sizeof(acc));
    memcpy(acc.y, P.one, sizeof(limbs));
    for (int i = 0; i < 64; i++) {
        uint64_t zero = table_lookup(&e, i, (k[i / 16] >> (4 * (i % 16))) & 15);
        point_add_affine(&sum, &acc, e.x, e.y);
        sel4(acc.x, zero, acc.x, sum.x);
        sel4(acc.y, zero, acc.y, sum.y);
        sel4(acc.z, zero, acc.z, sum.z);
    }
    *r = acc;
    oe_wipe(&e, sizeof(e));
    oe_wipe(&acc, sizeof(acc));
    oe_wipe(&sum, sizeof(sum));
}

int oe_p256_base_mul(uint8_t out[65], const uint8_t kb[32])
{
    limbs k;
    point_t r;
    affine_t a;
    load_be(k, kb);
    base_mul(&r, k);
    if (is_zero(r.z))
        return -1;
    point_affine(&a, &r);
    from_mont(a.x, a.x, &P);
    from_mont(a.y, a.y, &P);
    out[0] = 0x04;
    store_be(out + 1, a.x);
    store_be(out + 33, a.y);
    return 0;
}

/* All ones when 1 <= a < n, else 0. */
static uint64_t scalar_valid(const limbs a)
{
    limbs t;
    uint64_t borrow = sub4(t, a, N.m);
    return (0 - borrow) & ~is_zero(a);
}

uint64_t oe_p256_sign_k(uint8_t sig[64], const uint8_t db[32], const uint8_t hash[32],
                        const uint8_t kb[32])
{
    limbs d, k, e, r, s, t, u;
    point_t rp;
    load_be(d, db);
    load_be(k, kb);
    load_be(e, hash);
    uint64_t ok = scalar_valid(d) & scalar_valid(k);
    reduce_once(e, e, &N);

    /* r = x(k*G) mod n. k*G is never infinity for 1 <= k < n; for an invalid k the result is
     * thrown away, and Z = 0 just makes the inverse 0. */
    base_mul(&rp, k);
    inv_p(t, rp.z);
    mod_mul(t, rp.x, t, &P);
    from_mont(t, t, &P);
    reduce_once(r, t, &N);

    /* s = k^-1 (e + r d) mod n. */
    to_mont(u, r, &N);    /* r R */
    mod_mul(u, u, d, &N); /* r d (d < n when valid) */
    mod_add(u, u, e, &N); /* e + r d */
    to_mont(t, k, &N);    /* k R */
    inv_n(t, t);          /* k^-1 R */
    mod_mul(s, t, u, &N); /* k^-1 (e + r d) */
    ok &= ~is_zero(r) & ~is_zero(s);
    store_be(sig, r);
    store_be(sig + 32, s);
    oe_wipe(d, sizeof(d));
    oe_wipe(k, sizeof(k));
    oe_wipe(t, sizeof(t));
    oe_wipe(u, sizeof(u));
    oe_wipe(&rp, sizeof(rp));
    return ok;
}

int oe_p256_sign(uint8_t sig[64], const uint8_t db[32], const uint8_t hash[32])
{
    limbs d, e;
    load_be(d, db);
    /* The key's validity is not secret in the sense that matters here: an invalid key is refused
     * before anything is derived from it. */
    if (!scalar_valid(d))
        return -1;
    /* RFC 6979 §3.2 with HMAC-SHA256: int2octets(d) = d, bits2octets(h) = h mod n. */
    uint8_t h1[32], K[32], V[32], k[32];
    load_be(e, hash);
    reduce_once(e, e, &N);
    store_be(h1, e);
    memset(K, 0, sizeof(K));
    memset(V, 1, sizeof(V));
    oe_crypto_hmac_t h;
    for (uint8_t round = 0; round < 2; round++) {
        oe_crypto_hmac_init(&h, K, sizeof(K));
        oe_crypto_hmac_update(&h, V, sizeof(V));
        oe_crypto_hmac_update(&h, &round, 1);
        oe_crypto_hmac_update(&h, db, 32);
        oe_crypto_hmac_update(&h, h1, 32);
        oe_crypto_hmac_final(&h, K);
        oe_crypto_hmac(V, K, sizeof(K), V, sizeof(V));
    }
    for (;;) {
        oe_crypto_hmac(V, K, sizeof(K), V, sizeof(V));
        memcpy(k, V, sizeof(k));
        if (oe_p256_sign_k(sig, db, hash, k))
            break;
        /* k was 0 or >= n (or r or s came out 0): next candidate, as RFC 6979 §3.2 h.3. */
        static const uint8_t zero = 0;
        oe_crypto_hmac_init(&h, K, sizeof(K));
        oe_crypto_hmac_update(&h, V, sizeof(V));
        oe_crypto_hmac_update(&h, &zero, 1);
        oe_crypto_hmac_final(&h, K);
        oe_crypto_hmac(V, K, sizeof(K), V, sizeof(V));
    }
    oe_crypto_hmac_wipe(&h);
    oe_wipe(K, sizeof(K));
    oe_wipe(V, sizeof(V));
    oe_wipe(k, sizeof(k));
    oe_wipe(d, sizeof(d));
    return 0;
}

#endif
