/*
 * The key store and the schedule (see keys.h). Keys live in STATE/keys/, one file per key
 * (NAME.key, mode 0600, written to a temporary file, fsynced, renamed, and the folder fsynced),
 * with the key's seed and its creation, activation and retirement times. Every check-interval
 * the store is read again and brought in line with the schedule, so a restart, a crash or
 * `odoh-edge keys rotate` from another process all converge on the same key set. A store that
 * cannot be written leaves the keys in force untouched and says why.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"
#include "core/fs.h"
#include "core/log.h"
#include "crypto/crypto.h"
#include "crypto/encode.h"
#include "dns/dns_svcb.h"
#include "dns/dns_wire.h"
#include "hpke/hpke.h"
#include "keys/keys_int.h"

int64_t oe_keys__now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

oe_key_state_t oe_key_state(const oe_key_entry_t *e, const oe_key_schedule_t *s, int64_t now)
{
    if (now >= e->retire + s->grace)
        return OE_KEY_EXPIRED;
    if (now >= e->retire)
        return OE_KEY_PREVIOUS;
    if (now >= e->activate)
        return OE_KEY_CURRENT;
    if (now >= e->activate - s->publish_ahead)
        return OE_KEY_NEXT;
    return OE_KEY_FUTURE;
}

uint64_t oe_keys__schedule_need(const oe_key_schedule_t *s)
{
    uint64_t r = (uint64_t)s->rotate, g = (uint64_t)s->grace;
    return (g + r - 1) / r + 2;
}

const char *oe_key_state_name(oe_key_state_t st)
{
    static const char *const names[] = {"future", "next", "current", "previous", "expired"};
    return names[st];
}

static int derive(oe_key_entry_t *e)
{
    return oe_odoh_key_from_seed(&e->key, e->aead, e->seed, sizeof(e->seed));
}

int oe_key_derive_epoch(oe_key_entry_t *e, const uint8_t *seed, size_t seed_len, uint16_t aead,
                        int64_t epoch, const oe_key_schedule_t *s)
{
    static const char salt[] = "odoh-edge key-seed";
    uint8_t prk[32], info[22];
    memcpy(info, "odoh-edge epoch", 14);
    for (int i = 0; i < 8; i++)
        info[14 + i] = (uint8_t)((uint64_t)epoch >> (56 - 8 * i));
    memset(e, 0, sizeof(*e));
    oe_slice_t ikm = OE_SLICE(seed, seed_len), in = OE_SLICE(info, sizeof(info));
    int rc = oe_crypto_hkdf_extract(prk, OE_SLICE(salt, sizeof(salt) - 1), &ikm, 1);
    if (rc == 0)
        rc = oe_crypto_hkdf_expand(e->seed, sizeof(e->seed), prk, &in, 1);
    oe_wipe(prk, sizeof(prk));
    if (rc != 0)
        return OE_ECRYPTO;
    e->aead = aead;
    e->activate = epoch * s->rotate;
    e->retire = e->activate + s->rotate;
    e->created = e->activate;
    e->ohttp_id = (uint8_t)epoch; /* consecutive epochs, consecutive ids */
    return derive(e);
}

int oe_key_ohttp_ikm(uint8_t ikm[32], const oe_key_entry_t *e)
{
    static const char salt[] = "odoh-edge ohttp";
    uint8_t prk[32];
    oe_slice_t in = OE_SLICE(e->seed, sizeof(e->seed)), info = OE_SLICE("ohttp key", 9);
    int rc = oe_crypto_hkdf_extract(prk, OE_SLICE(salt, sizeof(salt) - 1), &in, 1);
    if (rc == 0)
        rc = oe_crypto_hkdf_expand(ikm, 32, prk, &info, 1);
    oe_wipe(prk, sizeof(prk));
    return rc == 0 ? 0 : OE_ECRYPTO;
}

/* ---- files ------------------------------------------------------------------------------------
 */

static void file_name(const keys_t *k, const oe_key_entry_t *e, char *out, size_t cap)
{
    char hex[2 * OE_ODOH_KEY_ID_LEN + 1];
    oe_hex_encode(hex, e->key.config.key_id, OE_ODOH_KEY_ID_LEN);
    snprintf(out, cap, "%s/%.16s.key", k->dir, hex);
}

/* Writes one key file atomically (mode 0600). */
static int write_entry(const keys_t *k, const oe_key_entry_t *e)
{
    char path[4096], seed[65], id[2 * OE_ODOH_KEY_ID_LEN + 1], text[512];
    file_name(k, e, path, sizeof(path));
    oe_hex_encode(seed, e->seed, sizeof(e->seed));
    oe_hex_encode(id, e->key.config.key_id, OE_ODOH_KEY_ID_LEN);
    int n = snprintf(text, sizeof(text),
                     "# odoh-edge ODoH target key: secret, keep it mode 0600\n"
                     "key-id = %s\naead = %u\nseed = %s\ncreated-ms = %lld\n"
                     "activate-ms = %lld\nretire-ms = %lld\nohttp-key-id = %u\n",
                     id, e->aead, seed, (long long)e->created, (long long)e->activate,
                     (long long)e->retire, (unsigned)e->ohttp_id);
    oe_wipe(seed, sizeof(seed));
    int rc = oe_file_write_atomic(path, text, (size_t)n, 0600);
    oe_wipe(text, sizeof(text));
    return rc;
}

/* Reads one key file; quiet: the previous load reported its problems already. */
/* Reads one key file into e. The key pair comes from the entry of the previous load with the
 * same seed when there is one (old, nold), so a check derives only the keys that are new. */
static int parse_entry(const char *path, oe_key_entry_t *e, bool quiet, const oe_key_entry_t *old,
                       size_t nold)
{
    char text[1024];
    int n = oe_file_read_secret(path, (uint8_t *)text, sizeof(text) - 1);
    if (n == -EPERM && !quiet)
        oe_log_error(TAG, "%s is readable by group or others; refusing it (chmod 600 %s)", path,
                     path);
    if (n < 0)
        return n == OE_ESPACE ? OE_EFORMAT : n;
    text[n] = '\0';
    memset(e, 0, sizeof(*e));
    char seed[80] = "";
    unsigned aead = 0, ohttp_id = 256;
    long long created = -1, activate = -1, retire = -1;
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        sscanf(line, "aead = %u", &aead);
        sscanf(line, "seed = %79s", seed);
        sscanf(line, "created-ms = %lld", &created);
        sscanf(line, "activate-ms = %lld", &activate);
        sscanf(line, "retire-ms = %lld", &retire);
        sscanf(line, "ohttp-key-id = %u", &ohttp_id);
    }
    int rc = oe_hex_decode(e->seed, sizeof(e->seed), seed, strlen(seed));
    oe_wipe(seed, sizeof(seed));
    oe_wipe(text, sizeof(text));
    if (rc != 32 || aead == 0 || created < 0 || activate < 0 || retire <= activate ||
        (ohttp_id > 255 && ohttp_id != 256)) {
        oe_wipe(e, sizeof(*e));
        if (!quiet)
            oe_log_error(TAG, "%s is not a valid key file", path);
        return OE_EFORMAT;
    }
    e->aead = (uint16_t)aead;
    e->created = created;
    e->activate = activate;
    e->retire = retire;
    e->ohttp_id = (uint8_t)ohttp_id;
    for (size_t i = 0; i < nold; i++)
        if (old[i].aead == e->aead && oe_ct_eq(old[i].seed, e->seed, sizeof(e->seed))) {
            e->key = old[i].key;
            break;
        }
    rc = e->key.config.suite.kem != 0 ? 0 : derive(e);
    if (rc < 0)
        oe_wipe(e, sizeof(*e));
    /* A key file from before OHTTP: its id comes from its ODoH key_id (ids of such keys may
     * collide; the gateway then keeps only the first, see modules/ohttp_gateway). */
    if (rc == 0 && ohttp_id == 256)
        e->ohttp_id = e->key.config.key_id[0];
    return rc;
}

static int cmp_activate(const void *a, const void *b)
{
    const oe_key_entry_t *x = a, *y = b;
    return x->activate < y->activate ? -1 : x->activate > y->activate;
}

int oe_keys__load(keys_t *k, int64_t now)
{
    if (k->fleet_seed_len > 0) {
        for (size_t i = 0; i < k->n; i++)
            oe_wipe(&k->entries[i], sizeof(k->entries[i]));
        k->n = 0;
        /* Every epoch that is next, current or previous now. */
        int64_t r = k->sched.rotate;
        int64_t first = (now - k->sched.grace) / r - 1, last = (now + k->sched.publish_ahead) / r;
        for (int64_t ep = first; ep <= last && k->n < KEYS_STORE_MAX; ep++) {
            oe_key_entry_t *e = &k->entries[k->n];
            if (oe_key_derive_epoch(e, k->fleet_seed, k->fleet_seed_len, (uint16_t)k->conf->aead,
                                    ep, &k->sched) < 0)
                return OE_ECRYPTO;
            if (oe_key_state(e, &k->sched, now) != OE_KEY_EXPIRED &&
                oe_key_state(e, &k->sched, now) != OE_KEY_FUTURE)
                k->n++;
        }
        return 0;
    }
    DIR *d = opendir(k->dir);
    if (d == NULL)
        return -errno;
    struct dirent *de;
    int rc = 0;
    size_t nold = k->n;
    oe_key_entry_t *old = oe_malloc((nold ? nold : 1) * sizeof(*old));
    memcpy(old, k->entries, nold * sizeof(*old));
    for (size_t i = 0; i < nold; i++)
        oe_wipe(&k->entries[i], sizeof(k->entries[i]));
    k->n = 0;
    while ((de = readdir(d)) != NULL && k->n < KEYS_STORE_MAX) {
        size_t len = strlen(de->d_name);
        char path[4200];
        snprintf(path, sizeof(path), "%s/%s", k->dir, de->d_name);
        if (oe_file_is_stale_temp(de->d_name, ".key")) {
            unlink(path); /* left over by a crash during a write: the rename never happened */
            continue;
        }
        if (len < 5 || strcmp(de->d_name + len - 4, ".key") != 0)
            continue;
        int r = parse_entry(path, &k->entries[k->n], k->load_failed, old, nold);
        if (r == 0)
            k->n++;
        else if (r != -ENOENT) /* gone since readdir: another process deleted an expired key */
            rc = r;
    }
    closedir(d);
    oe_wipe(old, (nold ? nold : 1) * sizeof(*old));
    free(old);
    k->load_failed = rc < 0; /* report a refused file once, not at every check */
    qsort(k->entries, k->n, sizeof(k->entries[0]), cmp_activate);
    return rc;
}

/* ---- the schedule -----------------------------------------------------------------------------
 */

static int new_entry(keys_t *k, int64_t now, int64_t activate)
{
    if (k->n == KEYS_STORE_MAX)
        return OE_ESPACE;
    oe_key_entry_t e = {.aead = (uint16_t)k->conf->aead,
                        .created = now,
                        .activate = activate,
                        .retire = activate + k->sched.rotate};
    int rc = oe_crypto_random(NULL, e.seed, sizeof(e.seed)) == 0 ? derive(&e) : OE_ECRYPTO;
    /* The OHTTP key id follows the newest key's (the first one starts from a random byte). */
    const oe_key_entry_t *newest = NULL;
    for (size_t i = 0; i < k->n; i++)
        if (newest == NULL || k->entries[i].created >= newest->created)
            newest = &k->entries[i];
    e.ohttp_id = newest != NULL ? (uint8_t)(newest->ohttp_id + 1) : e.seed[31];
    if (rc == 0)
        rc = write_entry(k, &e);
    if (rc == 0)
        k->entries[k->n++] = e;
    oe_wipe(&e, sizeof(e));
    return rc;
}

/* The current key (the one with the latest activation not after now, still before retirement). */
static oe_key_entry_t *current(keys_t *k, int64_t now)
{
    oe_key_entry_t *cur = NULL;
    for (size_t i = 0; i < k->n; i++)
        if (oe_key_state(&k->entries[i], &k->sched, now) == OE_KEY_CURRENT)
            cur = &k->entries[i];
    return cur;
}

/* Deletes the expired keys: they are neither published nor accepted, so they go before any new
 * key is made (a store full of expired keys must never stop the rotation). The one exception is
 * a key oe_keys__hold_newest kept in force past its times: it goes only after its successor took
 * over (see oe_keys__maintain). */
static int delete_expired(keys_t *k, int64_t now, bool *changed)
{
    int rc = 0;
    bool deleted = false;
    for (size_t i = 0; i < k->n;) {
        if (oe_key_state(&k->entries[i], &k->sched, now) != OE_KEY_EXPIRED ||
            (k->holding &&
             memcmp(k->entries[i].key.config.key_id, k->held_id, OE_ODOH_KEY_ID_LEN) == 0)) {
            i++;
            continue;
        }
        char path[4096];
        file_name(k, &k->entries[i], path, sizeof(path));
        if (unlink(path) < 0 && errno != ENOENT) {
            rc = -errno;
            i++;
            continue;
        }
        oe_wipe(&k->entries[i], sizeof(k->entries[i]));
        memmove(&k->entries[i], &k->entries[i + 1], (k->n - i - 1) * sizeof(k->entries[0]));
        k->n--;
        deleted = true;
    }
    if (deleted) {
        oe_file_sync_dir(k->dir);
        *changed = true;
    }
    return rc;
}

/* The most recently retired key, or NULL. */
static oe_key_entry_t *last_retired(keys_t *k, int64_t now)
{
    oe_key_entry_t *last = NULL;
    for (size_t i = 0; i < k->n; i++)
        if (k->entries[i].retire <= now && (last == NULL || k->entries[i].retire > last->retire))
            last = &k->entries[i];
    return last;
}

int oe_keys__maintain(keys_t *k, int64_t now, bool *changed)
{
    *changed = false;
    if (k->fleet_seed_len > 0)
        return 0; /* derived keys: nothing to write */
    /* First the expired keys go (they make room), then a current key, then a next one. */
    int rc = delete_expired(k, now, changed);
    if (rc < 0)
        return rc;
    oe_key_entry_t *cur = current(k, now);
    if (cur == NULL) {
        /* A published next key takes over (clients may hold it already). Only an interrupted
         * `keys rotate` leaves one behind a retired current key: starting a new key beside it
         * would make two keys current once the next one's activation comes. */
        oe_key_entry_t *nx = NULL;
        for (size_t i = 0; i < k->n && nx == NULL; i++)
            if (oe_key_state(&k->entries[i], &k->sched, now) == OE_KEY_NEXT)
                nx = &k->entries[i];
        /* A key that retired while no successor could be written (a read-only or full store)
         * was kept in force meanwhile: it now gets a full grace, from the moment its successor
         * takes over. */
        oe_key_entry_t *old = last_retired(k, now);
        bool held = old != NULL && k->holding &&
                    memcmp(old->key.config.key_id, k->held_id, OE_ODOH_KEY_ID_LEN) == 0;
        if (old != NULL && (held || now < old->retire + k->sched.grace)) {
            old->retire = now;
            write_entry(k, old); /* best effort: failing, it simply expires on its own times */
        }
        int r;
        if (nx != NULL) {
            nx->activate = now;
            nx->retire = now + k->sched.rotate;
            r = write_entry(k, nx);
        } else {
            r = new_entry(k, now, now);
        }
        if (r < 0)
            return r;
        *changed = true;
        qsort(k->entries, k->n, sizeof(k->entries[0]), cmp_activate);
        cur = current(k, now);
    }
    /* The next key exists from publish-ahead before the current one retires. */
    if (cur != NULL && now >= cur->retire - k->sched.publish_ahead) {
        int64_t at = cur->retire;
        bool have = false;
        for (size_t i = 0; i < k->n; i++)
            have |= k->entries[i].activate >= at;
        if (!have) {
            int r = new_entry(k, now, at);
            if (r < 0)
                return r;
            *changed = true;
        }
    }
    qsort(k->entries, k->n, sizeof(k->entries[0]), cmp_activate);
    k->holding = false;
    return delete_expired(k, now, changed);
}

/* When the store cannot be brought in line (no successor could be written, or a key file is
 * refused), the newest key stays current in memory: clients keep a key they can use and the
 * published list is never empty. The files keep their times; oe_keys__maintain settles them once
 * the store is writable again. */
void oe_keys__hold_newest(keys_t *k, int64_t now)
{
    oe_key_entry_t *newest = NULL;
    for (size_t i = 0; i < k->n; i++) {
        oe_key_state_t st = oe_key_state(&k->entries[i], &k->sched, now);
        if (st == OE_KEY_CURRENT)
            return;
        if (k->entries[i].activate <= now &&
            (newest == NULL || k->entries[i].activate > newest->activate))
            newest = &k->entries[i];
    }
    if (newest != NULL) {
        newest->retire = now + k->conf->check_interval + 1;
        memcpy(k->held_id, newest->key.config.key_id, OE_ODOH_KEY_ID_LEN);
        k->holding = true;
    }
}

int oe_keys__rotate_now(keys_t *k, int64_t now)
{
    bool changed;
    int rc = delete_expired(k, now, &changed);
    if (rc < 0)
        return rc;
    /* Each rotation by hand leaves one more previous key until its grace ends; the schedule's
     * own share of the store stays free. */
    if (k->n + oe_keys__schedule_need(&k->sched) >= KEYS_STORE_MAX)
        return OE_ESPACE;
    oe_key_entry_t *cur = current(k, now), *next = NULL;
    for (size_t i = 0; i < k->n; i++)
        if (cur != NULL && k->entries[i].activate >= cur->retire && next == NULL)
            next = &k->entries[i];
    /* The rotation takes effect at t: now, or 1 ms after the current key's activation when that
     * is now (a key file needs retire > activate, or the whole store would be refused). */
    int64_t t = cur != NULL ? OE_MAX(now, cur->activate + 1) : now;
    if (cur != NULL) {
        cur->retire = t;
        rc = write_entry(k, cur);
        if (rc < 0)
            return rc;
    }
    if (next != NULL) { /* promote the published next key: clients may hold it already */
        next->activate = t;
        next->retire = t + k->sched.rotate;
        return write_entry(k, next);
    }
    return new_entry(k, now, t);
}

size_t oe_keys__configs(const keys_t *k, int64_t now, uint8_t *out, size_t cap)
{
    oe_odoh_config_t cfgs[4];
    size_t n = 0;
    for (int want = OE_KEY_CURRENT; want >= OE_KEY_NEXT; want--) /* current first, then next */
        for (size_t i = 0; i < k->n && n < OE_ARRAY_SIZE(cfgs); i++)
            if ((int)oe_key_state(&k->entries[i], &k->sched, now) == want)
                cfgs[n++] = k->entries[i].key.config;
    int len = n ? oe_odoh_configs_encode(out, cap, cfgs, n) : 0;
    return len > 0 ? (size_t)len : 0;
}

const char *oe_keys__record_name(const keys_t *k)
{
    return k->conf->record_name;
}

int oe_keys__https_rdata(const keys_t *k, const uint8_t *configs, size_t configs_len, uint8_t *out,
                         size_t cap)
{
    static const char *const alpn[] = {"h2"};
    char dohpath[1100];
    oe_dns_svcb_writer_t w;
    size_t len;
    snprintf(dohpath, sizeof(dohpath), "%s{?dns}",
             k->target ? oe_odoh_target_path(k->target) : "/dns-query");
    /* RFC 9460 §2.2: priority 1 (service mode), target "." (the owner itself); params in
     * increasing key order: 1 alpn, 3 port, 7 dohpath (RFC 9461), 8 ohttp (RFC 9540), 32769
     * odohconfig. */
    oe_dns_svcb_begin(&w, out, cap, 1, oe_dns_name_wire((const uint8_t *)"", 1));
    oe_dns_svcb_add_alpn(&w, alpn, 1);
    if (k->port != 0 && k->port != 443)
        oe_dns_svcb_add_port(&w, (uint16_t)k->port);
    oe_dns_svcb_add(&w, OE_SVCB_DOHPATH, OE_SLICE_STR(dohpath));
    if (k->ohttp_param)
        oe_dns_svcb_add(&w, OE_SVCB_OHTTP, OE_SLICE(NULL, 0));
    oe_dns_svcb_add(&w, OE_SVCB_ODOHCONFIG, OE_SLICE(configs, configs_len));
    int rc = oe_dns_svcb_end(&w, &len);
    return rc < 0 ? rc : (int)len;
}

/* The fleet seed: its mode is checked before a byte is read, and it is wiped on every failure. */
static int read_fleet_seed(keys_t *k, const char *path)
{
    int n = oe_file_read_secret(path, k->fleet_seed, sizeof(k->fleet_seed));
    if (n == -EPERM)
        oe_log_error(TAG, "key-seed %s is readable by group or others; chmod 600 it", path);
    else if (n >= 0 && n < 32)
        oe_log_error(TAG, "key-seed %s: needs at least 32 bytes of secret", path);
    else if (n == OE_ESPACE)
        oe_log_error(TAG, "key-seed %s: holds more than %zu bytes", path, sizeof(k->fleet_seed));
    else if (n < 0)
        oe_log_error(TAG, "key-seed %s: %s", path, oe_strerror(n));
    if (n < 32) {
        oe_wipe(k->fleet_seed, sizeof(k->fleet_seed));
        return n < 0 && n != OE_ESPACE ? n : OE_EFORMAT;
    }
    k->fleet_seed_len = (size_t)n;
    return 0;
}

int oe_keys__setup(keys_t *k, oe_conf_t *cf, const keys_conf_t *c, const char *state_dir)
{
    memset(k, 0, sizeof(*k));
    k->conf = c;
    k->cf = cf;
    /* RFC 9540 §4: the "ohttp" SvcParam says that the DoH origin itself has an OHTTP gateway at
     * /.well-known/ohttp-gateway, so it is published only when [ohttp-gateway] shares the
     * target's [site]. By section name: a build without the gateway has nothing to announce. */
    const oe_module_t *gm = oe_module_by_section("ohttp-gateway"),
                      *tm = oe_module_by_section("odoh-target");
    const char *gs = gm && gm->site_name ? gm->site_name(cf) : NULL;
    const char *ts = tm && tm->site_name ? tm->site_name(cf) : NULL;
    k->ohttp_param = gs != NULL && ts != NULL && strcmp(gs, ts) == 0;
    k->sched =
        (oe_key_schedule_t){(int64_t)c->rotate, (int64_t)c->publish_ahead, (int64_t)c->grace};
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/keys", state_dir);
    k->dir = oe_conf_strdup(cf, dir);
    if (c->seed_file != NULL)
        return read_fleet_seed(k, c->seed_file);
    int rc = oe_mkdir_p(k->dir, 0700);
    if (rc < 0)
        oe_log_error(TAG, "%s: %s", k->dir, oe_strerror(rc));
    return rc;
}
