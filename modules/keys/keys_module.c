/*
 * The [keys] section and the lifecycle's place in the process: at init the key set is brought
 * in line with the schedule and handed to the target before any worker starts; then a timer
 * re-reads the store every check-interval, applies the schedule, swaps the target's key set
 * (atomically, queries in flight keep theirs) and publishes when the published list changed.
 * The section is implicit: every [odoh-target] rotates its keys, with the defaults when [keys]
 * is not written.
 */
#include <stdlib.h>
#include <string.h>

#include "core/stats.h"
#include "core/core.h"
#include "core/log.h"
#include "dns/dns_wire.h"
#include "http/http.h"
#include "keys/keys_int.h"
#include "crypto/encode.h"

extern const oe_module_t oe_keys_module;
extern const oe_module_t oe_odoh_target_module;

static const oe_conf_range_t rotate_range = {2000, 365LL * 86400 * 1000, false};
static const oe_conf_range_t ahead_range = {0, 30LL * 86400 * 1000, false};
static const oe_conf_range_t grace_range = {1000, 30LL * 86400 * 1000, false};
static const oe_conf_range_t ttl_range = {0, 86400LL * 1000, false};
static const oe_conf_range_t check_range = {100, 60000, false};
static const oe_conf_range_t update_timeout_range = {100, 60000, false};
static const oe_conf_enum_t aeads[] = {
    {"aes-128-gcm", 1}, {"aes-256-gcm", 2}, {"chacha20-poly1305", 3}, {NULL, 0}};

#define K(f) offsetof(keys_conf_t, f)
static const oe_directive_t directives[] = {
    {"rotate", oe_conf_set_duration, K(rotate), &rotate_range, 0,
     "lifetime of a key as the current one (default 24h, as RFC 9230 suggests)"},
    {"publish-ahead", oe_conf_set_duration, K(publish_ahead), &ahead_range, 0,
     "how long a key is published as next before it becomes current (default 1h, at most "
     "rotate / 2)"},
    {"grace", oe_conf_set_duration, K(grace), &grace_range, 0,
     "how long a retired key is still accepted; must outlast every cache (default 2h, at most "
     "8 x rotate, at least record-ttl)"},
    {"aead", oe_conf_set_enum, K(aead), aeads, 0,
     "aes-128-gcm (default), aes-256-gcm, chacha20-poly1305"},
    {"key-seed", oe_conf_set_path, K(seed_file), NULL, 0,
     "fleet mode: derive each epoch's key from this secret file (>= 32 bytes, mode 0600)"},
    {"zone-file", oe_conf_set_path, K(zone_file), NULL, 0,
     "write the HTTPS record here after each change"},
    {"on-change", oe_conf_set_string, K(on_change), NULL, 0,
     "shell command run after each change (env ODOH_CONFIGS_HEX, ODOH_ZONE_FILE)"},
    {"record-name", oe_conf_set_string, K(record_name), NULL, 0,
     "owner of the HTTPS record (default: the target's host name)"},
    {"record-ttl", oe_conf_set_duration, K(record_ttl), &ttl_range, 0,
     "TTL of the HTTPS record (default 5m, at most publish-ahead and grace)"},
    {"update-server", oe_conf_set_addr, K(update_server), NULL, 0,
     "authoritative server IP:port for DNS UPDATE"},
    {"update-zone", oe_conf_set_string, K(update_zone), NULL, 0, "the zone to update"},
    {"tsig-name", oe_conf_set_string, K(tsig_name), NULL, 0, "TSIG key name (hmac-sha256)"},
    {"tsig-secret", oe_conf_set_string, K(tsig_secret), NULL, 0, "TSIG secret, base64"},
    {"tsig-secret-file", oe_conf_set_path, K(tsig_secret_file), NULL, 0,
     "file holding the TSIG secret (base64), instead of tsig-secret"},
    {"update-tcp", oe_conf_set_bool, K(update_tcp), NULL, 0,
     "send DNS UPDATEs over TCP always (default: UDP, TCP for large or truncated ones)"},
    {"update-timeout", oe_conf_set_duration, K(update_timeout), &update_timeout_range, 0,
     "time to wait for the server's answer (default 3s)"},
    {"check-interval", oe_conf_set_duration, K(check_interval), &check_range, 0,
     "how often the store and the schedule are checked (default 1s)"},
    {NULL, NULL, 0, NULL, 0, NULL},
};
#undef K

static void conf_init(void *conf)
{
    keys_conf_t *c = conf;
    c->rotate = 24 * 3600 * 1000ULL;
    c->publish_ahead = 3600 * 1000ULL;
    c->grace = 2 * 3600 * 1000ULL;
    c->aead = 1;
    c->record_ttl = 300 * 1000ULL;
    c->check_interval = 1000;
    c->update_timeout = 3000;
}

/* The defaults of publish-ahead, record-ttl and grace follow rotate (and each other) so that
 * any rotate alone makes a working schedule: publish-ahead = min(1h, rotate / 2), record-ttl =
 * min(5m, publish-ahead, grace), grace = max(record-ttl, min(2h, 8 x rotate)). A value written
 * in the file is never changed. */
static void derive_defaults(oe_conf_section_t *sec, keys_conf_t *c)
{
    bool ahead = oe_conf_key_set(sec, "publish-ahead"), ttl = oe_conf_key_set(sec, "record-ttl");
    bool grace = oe_conf_key_set(sec, "grace");
    if (!ahead)
        c->publish_ahead = OE_MIN(c->publish_ahead, c->rotate / 2);
    if (!ttl)
        c->record_ttl =
            OE_MIN(c->record_ttl, grace ? OE_MIN(c->publish_ahead, c->grace) : c->publish_ahead);
    if (!grace)
        c->grace = OE_MAX(c->record_ttl, OE_MIN(c->grace, 8 * c->rotate));
}

/* ", the default" after a value the file did not set, for messages about a conflict. */
static const char *dflt(const oe_conf_section_t *sec, const char *key)
{
    return oe_conf_key_set(sec, key) ? "" : ", the default";
}

static int conf_check(oe_conf_t *cf, oe_conf_section_t *sec, void *conf)
{
    keys_conf_t *c = conf;
    int rc = 0;
    c->line = sec->line;
    c->has_update_server = oe_conf_key_set(sec, "update-server");
    derive_defaults(sec, c);
    if (c->publish_ahead >= c->rotate) {
        if (oe_conf_key_set(sec, "rotate"))
            oe_conf_error_key(cf, sec, "publish-ahead", "must be shorter than rotate");
        else
            oe_conf_error_key(cf, sec, "publish-ahead",
                              "must be shorter than rotate (%llus, the default)",
                              (unsigned long long)(c->rotate / 1000));
        rc = OE_ECONFIG;
    }
    if (c->grace < c->record_ttl) {
        oe_conf_error_key(cf, sec, "grace",
                          "must outlast the HTTPS record's TTL (record-ttl = %llus%s), or "
                          "resolvers could hand out a key the target no longer accepts",
                          (unsigned long long)(c->record_ttl / 1000), dflt(sec, "record-ttl"));
        rc = OE_ECONFIG;
    }
    oe_key_schedule_t s = {(int64_t)c->rotate, (int64_t)c->publish_ahead, (int64_t)c->grace};
    if (rc == 0 && oe_keys__schedule_need(&s) > KEYS_SCHEDULE_MAX) {
        oe_conf_error_key(cf, sec, oe_conf_key_set(sec, "grace") ? "grace" : "rotate",
                          "keeps up to %llu keys at once (one per rotate = %llums%s within grace "
                          "= %llums%s, plus the current and the next); at most %d work: lengthen "
                          "rotate or shorten grace",
                          (unsigned long long)oe_keys__schedule_need(&s),
                          (unsigned long long)c->rotate, dflt(sec, "rotate"),
                          (unsigned long long)c->grace, dflt(sec, "grace"), KEYS_SCHEDULE_MAX);
        rc = OE_ECONFIG;
    }
    if (c->zone_file != NULL && oe_conf_check_file_folder(cf, sec, "zone-file", c->zone_file) < 0)
        rc = OE_ECONFIG;
    if (c->has_update_server && (c->update_zone == NULL || c->tsig_name == NULL ||
                                 (c->tsig_secret == NULL && c->tsig_secret_file == NULL))) {
        oe_conf_error_key(cf, sec, "update-server",
                          "needs update-zone, tsig-name and tsig-secret (or tsig-secret-file)");
        rc = OE_ECONFIG;
    }
    return rc;
}

/* The target's configs-max-age must fit in the grace too; the record name defaults to the
 * target's host. */
static int conf_finish(oe_conf_t *cf)
{
    oe_conf_section_t *sec = oe_conf_section(cf, &oe_keys_module, 0);
    if (sec == NULL || sec->line == 0)
        return 0; /* implicit: it has work only where there is a target */
    oe_conf_section_t *ts = oe_conf_section(cf, &oe_odoh_target_module, 0);
    if (ts == NULL) {
        oe_conf_error_key(cf, sec, NULL, "the key lifecycle needs an [odoh-target] section");
        return OE_ECONFIG;
    }
    return 0;
}

/* ---- the lifecycle ------------------------------------------------------------------------------
 */

static bool same_ids(const uint8_t (*a)[OE_ODOH_KEY_ID_LEN], size_t na,
                     const uint8_t (*b)[OE_ODOH_KEY_ID_LEN], size_t nb)
{
    return na == nb && (na == 0 || memcmp(a, b, na * OE_ODOH_KEY_ID_LEN) == 0);
}

/* Applies the schedule at now; swaps the target's key set and publishes when anything changed. */
/* For the metrics: how many keys are in each state, when the next one activates and the
 * current one retires. */
static void export_states(const keys_t *k, int64_t now)
{
    int64_t count[OE_KEY_EXPIRED + 1] = {0}, next_at = 0, retire_at = 0;
    for (size_t i = 0; i < k->n; i++) {
        oe_key_state_t st = oe_key_state(&k->entries[i], &k->sched, now);
        if ((int)st <= (int)OE_KEY_EXPIRED)
            count[st]++;
        if (st == OE_KEY_NEXT && (next_at == 0 || k->entries[i].activate < next_at))
            next_at = k->entries[i].activate;
        if (st == OE_KEY_CURRENT)
            retire_at = k->entries[i].retire;
    }
    oe_gauge_set(OE_GAUGE_KEYS_ACTIVE, 1);
    oe_gauge_set(OE_GAUGE_KEYS_NEXT, (long)count[OE_KEY_NEXT]);
    oe_gauge_set(OE_GAUGE_KEYS_CURRENT, (long)count[OE_KEY_CURRENT]);
    oe_gauge_set(OE_GAUGE_KEYS_PREVIOUS, (long)count[OE_KEY_PREVIOUS]);
    oe_gauge_set(OE_GAUGE_KEY_NEXT_ACTIVATE, (long)(next_at / 1000));
    oe_gauge_set(OE_GAUGE_KEY_CURRENT_RETIRE, (long)(retire_at / 1000));
}

/* Tells the listener (the OHTTP gateway) the entries in force at now, in the order apply()
 * gives them to the target: current, next, then previous. */
static void notify(keys_t *k, int64_t now)
{
    if (k->listener == NULL)
        return;
    const oe_key_entry_t **sel = oe_calloc(KEYS_STORE_MAX, sizeof(*sel));
    size_t n = 0, npub = 0;
    for (int want = OE_KEY_CURRENT; want >= OE_KEY_NEXT; want--)
        for (size_t i = 0; i < k->n && npub < 4; i++)
            if ((int)oe_key_state(&k->entries[i], &k->sched, now) == want) {
                sel[n++] = &k->entries[i];
                npub++;
            }
    for (size_t i = 0; i < k->n && n < KEYS_STORE_MAX; i++)
        if (oe_key_state(&k->entries[i], &k->sched, now) == OE_KEY_PREVIOUS)
            sel[n++] = &k->entries[i];
    if (n > 0)
        k->listener(k->listener_arg, sel, n, npub, k->max_age);
    free(sel);
}

void oe_keys_listen(void *keys, oe_keys_listener_fn fn, void *arg)
{
    keys_t *k = keys;
    k->listener = fn;
    k->listener_arg = arg;
    notify(k, oe_keys__now());
}

static void apply(keys_t *k, int64_t now)
{
    int rc = oe_keys__load(k, now);
    bool changed = false;
    if (rc == 0)
        rc = oe_keys__maintain(k, now, &changed);
    if (rc < 0) {
        if (!k->store_failed)
            oe_log_error(TAG, "key store %s: %s; the keys in force stay in force", k->dir,
                         oe_strerror(rc));
        k->store_failed = true;
    }
    if (rc < 0 && k->fleet_seed_len == 0)
        oe_keys__hold_newest(k, now);
    export_states(k, now);
    if (rc >= 0 && k->store_failed) {
        oe_log_info(TAG, "key store %s writable again", k->dir);
        k->store_failed = false;
    }

    /* Accepted: next, current, previous; published: current then next. */
    oe_odoh_key_t *keys = oe_calloc(KEYS_STORE_MAX, sizeof(*keys));
    uint8_t(*acc)[OE_ODOH_KEY_ID_LEN] = oe_calloc(KEYS_STORE_MAX, sizeof(*acc));
    uint8_t pub[4][OE_ODOH_KEY_ID_LEN];
    size_t n = 0, npub = 0;
    for (int want = OE_KEY_CURRENT; want >= OE_KEY_NEXT; want--)
        for (size_t i = 0; i < k->n && npub < 4; i++)
            if ((int)oe_key_state(&k->entries[i], &k->sched, now) == want) {
                keys[n] = k->entries[i].key;
                memcpy(pub[npub++], keys[n].config.key_id, OE_ODOH_KEY_ID_LEN);
                memcpy(acc[n], keys[n].config.key_id, OE_ODOH_KEY_ID_LEN);
                n++;
            }
    for (size_t i = 0; i < k->n && n < KEYS_STORE_MAX; i++)
        if (oe_key_state(&k->entries[i], &k->sched, now) == OE_KEY_PREVIOUS) {
            keys[n] = k->entries[i].key;
            memcpy(acc[n], keys[n].config.key_id, OE_ODOH_KEY_ID_LEN);
            n++;
        }
    if (n == 0 || (same_ids(acc, n, k->accepted_ids, k->naccepted) &&
                   same_ids(pub, npub, k->published_ids, k->npublished))) {
        oe_wipe(keys, KEYS_STORE_MAX * sizeof(*keys));
        free(keys);
        free(acc);
        return;
    }
    bool pub_changed = !same_ids(pub, npub, k->published_ids, k->npublished);
    memcpy(k->accepted_ids, acc, n * OE_ODOH_KEY_ID_LEN);
    k->naccepted = n;
    free(acc);
    memcpy(k->published_ids, pub, npub * OE_ODOH_KEY_ID_LEN);
    k->npublished = npub;

    /* Caches of /.well-known/odohconfigs must end within the grace, and should pick up a next
     * key before it is used: max-age = min(configs-max-age, publish-ahead, grace / 2). */
    uint64_t max_age = OE_MIN(oe_odoh_target_max_age(k->target),
                              OE_MIN(k->conf->publish_ahead, k->conf->grace / 2) / 1000);
    k->max_age = max_age;
    oe_odoh_keyset_t *ks = oe_odoh_keyset_new(keys, n, npub, max_age);
    oe_wipe(keys, KEYS_STORE_MAX * sizeof(*keys));
    free(keys);
    const char *name = oe_keys__record_name(k);
    int ol = oe_dns_name_from_text(name, strlen(name), ks->owner);
    uint8_t rdata[1024];
    int rl = oe_keys__https_rdata(k, ks->configs, ks->configs_len, rdata, sizeof(rdata));
    if (ol > 0 && rl > 0) {
        ks->owner_len = (size_t)ol;
        ks->https = oe_malloc((size_t)rl);
        memcpy(ks->https, rdata, (size_t)rl);
        ks->https_len = (size_t)rl;
        ks->https_ttl = (uint32_t)(k->conf->record_ttl / 1000);
    }
    char id[17];
    oe_hex_encode(id, pub[0], 8);
    oe_log_info(TAG, "key set: %zu accepted, %zu published, current %s", n, npub, id);
    if (pub_changed && k->loop != NULL)
        oe_keys__publish_changed(k, ks->configs, ks->configs_len);
    oe_odoh_target_set_keys(k->target, ks);
    notify(k, now);
}

static void on_tick(uv_timer_t *t)
{
    apply(t->data, oe_keys__now());
}

static void destroy(oe_modctx_t *ctx);

/* A failed init frees what it made (the runtime destroys only the modules whose init worked). */
static int init(oe_modctx_t *ctx)
{
    keys_conf_t *c = oe_conf_get(ctx->cf, &oe_keys_module);
    if (oe_conf_count(ctx->cf, &oe_odoh_target_module) == 0)
        return 0; /* the implicit section without a target: nothing to do */
    keys_t *k = oe_calloc(1, sizeof(*k));
    ctx->data = k;
    int rc = oe_keys__setup(k, ctx->cf, c, oe_core_conf(ctx->cf)->state_dir);
    if (rc < 0)
        goto fail;
    k->target = oe_modctx_peer(ctx, &oe_odoh_target_module);
    rc = OE_ECONFIG;
    if (k->target == NULL)
        goto fail;
    if (c->record_name == NULL)
        ((keys_conf_t *)c)->record_name =
            oe_conf_strdup(ctx->cf, oe_odoh_target_host(k->target)); /* conf is ours */
    k->port = oe_http_tls_port(ctx->cf);
    apply(k, oe_keys__now()); /* the target has keys before the first connection */
    if (k->naccepted == 0) {
        oe_log_error(TAG, "no usable key: refusing to start");
        goto fail;
    }
    if (k->fleet_seed_len > 0)
        oe_log_info(TAG, "fleet mode: keys derived from %s (rotate every %llus)", c->seed_file,
                    (unsigned long long)(c->rotate / 1000));
    return 0;
fail:
    destroy(ctx);
    return rc;
}

static int start(oe_modctx_t *ctx)
{
    keys_t *k = ctx->data;
    if (k == NULL)
        return 0;
    k->loop = ctx->loop;
    k->pub = oe_keys__publisher_new(k);
    uv_timer_init(ctx->loop, &k->tick);
    k->tick.data = k;
    uv_timer_start(&k->tick, on_tick, k->conf->check_interval, k->conf->check_interval);
    /* Publish what init put in force, unless a previous configuration of this process did. */
    uint8_t configs[512];
    size_t len = oe_keys__configs(k, oe_keys__now(), configs, sizeof(configs));
    if (len > 0)
        oe_keys__publish_resume(k, configs, len);
    return 0;
}

static void on_noop_close(uv_handle_t *h)
{
}

static void stop(oe_modctx_t *ctx)
{
    keys_t *k = ctx->data;
    if (k == NULL || k->loop == NULL)
        return;
    uv_timer_stop(&k->tick);
    uv_close((uv_handle_t *)&k->tick, on_noop_close);
    oe_keys__publisher_free(k->pub);
    k->pub = NULL;
}

static void destroy(oe_modctx_t *ctx)
{
    keys_t *k = ctx->data;
    if (k == NULL)
        return;
    oe_wipe(k, sizeof(*k));
    free(k);
    ctx->data = NULL;
}

static const oe_command_t commands[] = {
    {"keys", "keys list|rotate|export [-c FILE]",
     "the target's HPKE keys: list them, rotate now, export the published configs",
     oe_keys__command},
    {NULL, NULL, NULL, NULL},
};

const oe_module_t oe_keys_module = {
    .name = "keys",
    .section = "keys",
    .flags = OE_MODULE_IMPLICIT,
    .conf_size = sizeof(keys_conf_t),
    .directives = directives,
    .summary = "HPKE key rotation with overlap, and publication of the configs",
    .commands = commands,
    .conf_init = conf_init,
    .conf_check = conf_check,
    .conf_finish = conf_finish,
    .init = init,
    .start = start,
    .stop = stop,
    .destroy = destroy,
};
