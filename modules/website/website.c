/*
 * The static-file handler and the module that routes sites with a root to it.
 *
 * Every request is answered synchronously on the worker that received it: the handler opens
 * the file beneath the root (website_open.c), decides the status from the validators and the
 * Range field, and hands the open descriptor to oe_resp_send_file, which streams it (or a small
 * cached file's bytes to oe_resp_send_blob).
 */
#define _GNU_SOURCE /* O_PATH */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/cli.h"
#include "core/log.h"
#include "website/website.h"
#include "website/website_cache.h"
#include "website/website_fields.h"
#include "website/website_log.h"
#include "website/website_open.h"
#include "website/website_path.h"

#define TAG "website"

/* What a route carries: the site, its access-log sink resolved at init (NULL = none), and the
 * key of the workers' open-file caches. */
typedef struct route {
    const oe_site_t *site;
    oe_website_log_t *log;
    int cache_key;
} route_t;

/* One request in flight: what the access log needs before the request is handed back. */
typedef struct job {
    oe_req_t *req;
    const oe_site_t *site;
    oe_website_log_t *log;
    uint64_t t0_us;
    int root_fd;               /* without a cache: the root, opened for this request */
    oe_website_cache_t *cache; /* this worker's, or NULL */
} job_t;

static uint64_t clock_us(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Writes the access-log line; called just before the response is sent, while req is valid. */
static void access_log(const job_t *j, int status, uint64_t bytes)
{
    if (j->log == NULL)
        return;
    char line[2048];
    uint64_t now_ms = clock_us(CLOCK_REALTIME) / 1000u;
    size_t n =
        (j->site->access_log_format == 1 ? oe_website_log_format_json : oe_website_log_format)(
            line, sizeof(line), (int64_t)now_ms, j->site->name, j->req->method, j->req->path,
            status, j->req->head ? 0 : bytes, clock_us(CLOCK_MONOTONIC) - j->t0_us);
    oe_website_log_write(j->log, line, n);
}

static void send_error(const job_t *j, int status)
{
    /* oe_resp_error's page is "STATUS REASON\n". */
    int n = snprintf(NULL, 0, "%d %s\n", status, oe_http_reason(status));
    access_log(j, status, n > 0 ? (uint64_t)n : 0);
    oe_resp_error(j->req, status);
}

static void file_close(oe_website_file_t *f)
{
    if (f->fd >= 0)
        close(f->fd);
    oe_blob_unref(f->blob);
    f->fd = -1;
    f->blob = NULL;
}

/* Sends len bytes of f from off; f is handed over. */
static void send_file(const job_t *j, int status, oe_website_file_t *f, uint64_t off, uint64_t len)
{
    access_log(j, status, len);
    if (f->blob != NULL)
        oe_resp_send_blob(j->req, status, f->blob, off, len);
    else
        oe_resp_send_file(j->req, status, f->fd, off, len);
    f->fd = -1;
    f->blob = NULL;
}

/* An open that failed for want of file descriptors (err is -errno) says nothing about the file:
 * answer 503, never a wrong 404, and say why in the log at most every 10 seconds. */
static bool out_of_files(const job_t *j, int err)
{
    /* CLOCK_MONOTONIC seconds + 1 of the last line; a long, which 32-bit routers update without
     * libatomic (a 64-bit atomic there is a library call). */
    static atomic_ulong logged_at;
    if (err != -EMFILE && err != -ENFILE)
        return false;
    unsigned long now = (unsigned long)(clock_us(CLOCK_MONOTONIC) / 1000000u + 1);
    unsigned long last = atomic_load_explicit(&logged_at, memory_order_relaxed);
    if ((last == 0 || now >= last + 10) &&
        atomic_compare_exchange_strong_explicit(&logged_at, &last, now, memory_order_relaxed,
                                                memory_order_relaxed))
        oe_log_warn(TAG,
                    "out of file descriptors (%s): answering 503; raise the limit (ulimit -n, "
                    "LimitNOFILE=) or lower max-connections",
                    err == -EMFILE ? "EMFILE" : "ENFILE");
    oe_resp_header(j->req, "retry-after", "1");
    send_error(j, 503);
    return true;
}

/* Opens rel beneath the site's root: through the worker's cache when there is one. */
/* Opens rel beneath the site's root into *f: 0, or -errno (then f holds nothing). */
static int open_rel(const job_t *j, const char *rel, oe_website_file_t *f)
{
    if (j->cache == NULL) {
        f->blob = NULL;
        f->fd = j->root_fd >= 0 ? oe_website_open(j->root_fd, j->site->root, rel, &f->st) : -ENOENT;
        return f->fd < 0 ? f->fd : 0;
    }
    int rc =
        oe_website_cache_open(j->cache, j->site->root, rel, f, j->t0_us / 1000u, j->req->read_seq);
    if (rc == -EMFILE || rc == -ENFILE)
        oe_website_cache_flush(j->cache); /* give the process its descriptors back */
    return rc;
}

/* 404: the site's own /404.html when it has one, else the server's page. */
static void not_found(const job_t *j)
{
    oe_website_file_t f;
    int rc = open_rel(j, "404.html", &f);
    if (rc == 0 && !S_ISREG(f.st.st_mode)) {
        file_close(&f);
        rc = -ENOENT;
    }
    if (rc < 0) {
        send_error(j, 404);
        return;
    }
    oe_resp_header(j->req, "content-type", "text/html; charset=utf-8");
    send_file(j, 404, &f, 0, (uint64_t)f.st.st_size);
}

/* 301 to the directory's path with '/', rebuilt from the normalised path (never from the raw
 * one, so "//host" cannot become a scheme-relative redirect), the query kept. */
static void redirect_dir(const job_t *j, const char *rel)
{
    char loc[3 * OE_WEBSITE_PATH_MAX + 8];
    loc[0] = '/';
    int n = oe_website_path_encode(rel, loc + 1, sizeof(loc) - 2);
    if (n < 0) {
        not_found(j);
        return;
    }
    size_t o = 1 + (size_t)n;
    if (o > 1)
        loc[o++] = '/';
    loc[o] = '\0';
    oe_buf_t b = {0};
    oe_buf_append(&b, loc, o);
    oe_slice_t q = j->req->query;
    if (q.len > 0) {
        oe_buf_append(&b, "?", 1);
        for (size_t i = 0; i < q.len; i++) {
            if (q.base[i] > 0x20 && q.base[i] < 0x7f)
                oe_buf_append(&b, &q.base[i], 1);
            else
                oe_buf_printf(&b, "%%%02X", q.base[i]);
        }
    }
    oe_buf_append(&b, "", 1);
    oe_resp_header(j->req, "location", (const char *)b.base);
    oe_buf_free(&b);
    send_error(j, 301);
}

typedef struct variant {
    const char *suffix;   /* ".br" */
    const char *encoding; /* "br" */
    unsigned q;
} variant_t;

/* Swaps *f for the best precompressed sibling the client accepts, if one exists beneath the
 * root as a regular file. Returns the content coding chosen, or NULL for the file itself. */
static const char *pick_precompressed(const job_t *j, const char *rel, oe_website_file_t *f)
{
    unsigned q_br, q_gzip;
    oe_website_accept_encoding(oe_req_header(j->req, "accept-encoding"), &q_br, &q_gzip);
    variant_t v[2] = {{".br", "br", q_br}, {".gz", "gzip", q_gzip}};
    if (q_gzip > q_br) { /* brotli wins ties: it is smaller */
        variant_t t = v[0];
        v[0] = v[1];
        v[1] = t;
    }
    char path[OE_WEBSITE_PATH_MAX + 8];
    for (size_t i = 0; i < 2; i++) {
        if (v[i].q == 0)
            continue;
        int n = snprintf(path, sizeof(path), "%s%s", rel, v[i].suffix);
        if (n < 0 || (size_t)n >= sizeof(path))
            continue;
        oe_website_file_t cf;
        if (open_rel(j, path, &cf) < 0)
            continue;
        if (!S_ISREG(cf.st.st_mode)) {
            file_close(&cf);
            continue;
        }
        file_close(f);
        *f = cf;
        return v[i].encoding;
    }
    return NULL;
}

/* If-Range (RFC 9110 §13.1.5): an entity tag must match strongly; a date must equal
 * Last-Modified exactly and be a strong validator (at least a second in the past). */
static bool if_range_holds(oe_slice_t v, oe_slice_t etag, int64_t mtime)
{
    if (v.len >= 1 && (v.base[0] == '"' || (v.len >= 2 && v.base[0] == 'W' && v.base[1] == '/')))
        return oe_website_etag_match(v, etag, true);
    int64_t now = (int64_t)time(NULL), t;
    if (oe_website_parse_date(v, now, &t) < 0)
        return false;
    return t == mtime && mtime < now;
}

static void serve(job_t *j)
{
    oe_req_t *req = j->req;
    const oe_site_t *site = j->site;
    bool get = oe_req_method_is(req, "GET");
    if (!get && !req->head) {
        oe_resp_header(req, "allow", "GET, HEAD");
        send_error(j, 405);
        return;
    }
    char rel[OE_WEBSITE_PATH_MAX + 1];
    bool want_dir;
    int rc = oe_website_resolve(req->path, rel, sizeof(rel), &want_dir);
    if (rc == OE_EFORMAT) {
        send_error(j, 400);
        return;
    }
    if (site->root == NULL || rc < 0) {
        not_found(j);
        return;
    }

    oe_website_file_t f;
    rc = open_rel(j, rel, &f);
    if (rc < 0) {
        if (!out_of_files(j, rc))
            not_found(j);
        return;
    }
    const char *name = rel;
    char index_rel[OE_WEBSITE_PATH_MAX + 256];
    if (S_ISDIR(f.st.st_mode)) {
        file_close(&f);
        if (!want_dir) {
            redirect_dir(j, rel);
            return;
        }
        const char *index = site->index != NULL ? site->index : "index.html";
        int n = snprintf(index_rel, sizeof(index_rel), "%s%s%s", rel, rel[0] ? "/" : "", index);
        if (n < 0 || (size_t)n >= sizeof(index_rel)) {
            not_found(j);
            return;
        }
        rc = open_rel(j, index_rel, &f);
        if (out_of_files(j, rc))
            return;
        if (rc == 0 && !S_ISREG(f.st.st_mode)) {
            file_close(&f);
            rc = -ENOENT;
        }
        if (rc < 0) {
            not_found(j); /* no directory listings */
            return;
        }
        name = index_rel;
    } else if (want_dir) {
        file_close(&f); /* "/file.txt/" names no directory */
        not_found(j);
        return;
    }

    const char *coding = NULL;
    if (site->precompressed)
        coding = pick_precompressed(j, name, &f);

    /* Validators of the representation served; each coding has its own entity tag. The tag is
     * strong ("<hex mtime in ns>-<hex size>[-coding]"): a file is rewritten with a new mtime,
     * and nanoseconds keep two writes within one second apart where the file system has them. */
    char etag[80], lastmod[OE_WEBSITE_DATE_LEN + 1];
    int64_t mtime = (int64_t)f.st.st_mtim.tv_sec;
    uint64_t mtime_ns = (uint64_t)mtime * 1000000000u + (uint64_t)f.st.st_mtim.tv_nsec;
    uint64_t size = (uint64_t)f.st.st_size;
    size_t k = 0;
    etag[k++] = '"';
    k += oe_fmt_hex(etag + k, mtime_ns);
    etag[k++] = '-';
    k += oe_fmt_hex(etag + k, size);
    if (coding != NULL) { /* "br" or "gzip" */
        etag[k++] = '-';
        memcpy(etag + k, coding, strlen(coding));
        k += strlen(coding);
    }
    etag[k++] = '"';
    etag[k] = '\0';
    oe_website_format_date(mtime, lastmod);
    oe_resp_header(req, "etag", etag);
    oe_resp_header(req, "last-modified", lastmod);
    if (site->precompressed)
        oe_resp_header(req, "vary", "accept-encoding");

    /* RFC 9110 §13.2.2: If-None-Match, else If-Modified-Since; both only for GET and HEAD. */
    oe_slice_t inm = oe_req_header(req, "if-none-match");
    bool not_modified;
    if (inm.base != NULL) {
        not_modified = oe_website_etag_match(inm, OE_SLICE_STR(etag), false);
    } else {
        oe_slice_t ims = oe_req_header(req, "if-modified-since");
        int64_t t;
        not_modified = ims.base != NULL &&
                       oe_website_parse_date(ims, (int64_t)time(NULL), &t) == 0 && mtime <= t;
    }
    if (not_modified) {
        file_close(&f);
        access_log(j, 304, 0);
        oe_resp_send(req, 304, NULL, 0);
        return;
    }

    oe_resp_header(req, "content-type", oe_website_mime(OE_SLICE_STR(name)));
    if (coding != NULL)
        oe_resp_header(req, "content-encoding", coding);
    oe_resp_header(req, "accept-ranges", "bytes");

    /* Range applies to GET only (RFC 9110 §14.2), and If-Range may veto it. */
    oe_slice_t range = oe_req_header(req, "range");
    if (get && range.base != NULL) {
        oe_slice_t ir = oe_req_header(req, "if-range");
        if (ir.base == NULL || if_range_holds(ir, OE_SLICE_STR(etag), mtime)) {
            uint64_t off = 0, len = 0;
            switch (oe_website_parse_range(range, size, &off, &len)) {
            case OE_WEBSITE_RANGE_OK:
                oe_resp_headerf(req, "content-range", "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, off,
                                off + len - 1, size);
                send_file(j, 206, &f, off, len);
                return;
            case OE_WEBSITE_RANGE_UNSATISFIABLE:
                file_close(&f);
                oe_resp_headerf(req, "content-range", "bytes */%" PRIu64, size);
                send_error(j, 416);
                return;
            case OE_WEBSITE_RANGE_IGNORE:
                break;
            }
        }
    }
    send_file(j, 200, &f, 0, size);
}

static void handle(oe_req_t *req, const oe_site_t *site, oe_website_log_t *log,
                   oe_website_cache_t *cache)
{
    job_t j = {
        .req = req,
        .site = site,
        .log = log,
        .t0_us = clock_us(CLOCK_MONOTONIC),
        .root_fd = -1,
        .cache = cache,
    };
    if (site == NULL) {
        oe_resp_error(req, 404);
        return;
    }
    if (site->root != NULL && cache == NULL) {
        j.root_fd = open(site->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (j.root_fd < 0 && out_of_files(&j, -errno))
            return;
    }
    serve(&j);
    if (j.root_fd >= 0)
        close(j.root_fd);
}

void oe_website_handle(oe_req_t *req, void *data)
{
    const oe_site_t *site = data != NULL ? data : req->site;
    oe_website_log_t *log = NULL;
    if (site != NULL && site->access_log != NULL)
        log = oe_website_log_get(site->access_log);
    handle(req, site, log, NULL);
}

static void route_handle(oe_req_t *req, void *data)
{
    const route_t *r = data;
    handle(req, r->site, r->log,
           r->site->open_file_cache ? oe_req_worker_state(req, r->cache_key) : NULL);
}

/* ---- module ------------------------------------------------------------------------------- */

static void *cache_start(struct uv_loop_s *loop, void *data)
{
    (void)loop;
    (void)data;
    return oe_website_cache_new();
}

static void cache_stop(void *state, void *data)
{
    (void)data;
    oe_website_cache_free(state);
}

static int website_init(oe_modctx_t *ctx)
{
    oe_http_t *http = oe_http_of(ctx);
    size_t n = oe_http_site_count(ctx->cf);
    route_t *routes = oe_calloc(n + 1, sizeof(*routes));
    ctx->data = routes;
    int cache_key = -1;
    for (size_t i = 0; i < n; i++) {
        const oe_site_t *site = oe_http_site(ctx->cf, i);
        if (site->root == NULL)
            continue;
        if (http == NULL) {
            oe_log_warn(TAG, "[site \"%s\"] has a root, but no HTTP server runs", site->name);
            continue;
        }
        struct stat st;
        if (stat(site->root, &st) < 0 || !S_ISDIR(st.st_mode))
            oe_log_warn(TAG, "[site \"%s\"] root %s is not a directory: every file is 404",
                        site->name, site->root);
        routes[i].site = site;
        if (cache_key < 0) {
            /* No cache (every hook slot taken) only costs speed: the handler opens uncached. */
            cache_key = oe_http_add_worker_hook(
                http, &(oe_http_worker_hook_t){.start = cache_start, .stop = cache_stop});
        }
        routes[i].cache_key = cache_key;
        /* The log opens now, so that a bad path is reported at start; a relative path is
         * relative to the config file, like every other path in it. */
        if (site->access_log != NULL) {
            const char *path = site->access_log;
            if (strcmp(path, "stderr") != 0)
                path = oe_conf_resolve_path(ctx->cf, path);
            routes[i].log = oe_website_log_get(path);
        }
        int rc = oe_http_route(http, site, OE_M_ANY, "/", route_handle, &routes[i]);
        if (rc < 0) {
            /* The runtime destroys only modules whose init succeeded. */
            free(routes);
            ctx->data = NULL;
            return rc;
        }
    }
    return 0;
}

/* What init would only warn about, or a run would silently skip, is an error for `check`: a
 * root that is not a folder, an access log in a folder that does not exist, and an access log
 * on a site without a root (only static files are logged, so it would stay empty). */
static int website_conf_finish(oe_conf_t *cf)
{
    /* The embedded demo runs from any folder; its root is there only in a checkout. */
    bool embedded = strcmp(oe_conf_path(cf), OE_CLI_EMBEDDED_NAME) == 0;
    int rc = 0;
    for (size_t i = 0; i < oe_http_site_count(cf); i++) {
        const oe_site_t *site = oe_http_site(cf, i);
        oe_conf_section_t *sec = oe_http_site_section(cf, i);
        struct stat st;
        if (site->root != NULL && embedded && (stat(site->root, &st) < 0 || !S_ISDIR(st.st_mode)))
            oe_conf_warn_key(cf, sec, "root", "%s is not a folder here: every file is 404",
                             site->root);
        else if (site->root != NULL && oe_conf_check_dir(cf, sec, "root", site->root) < 0)
            rc = OE_ECONFIG;
        if (site->access_log == NULL)
            continue;
        if (site->root == NULL) {
            oe_conf_error_key(cf, sec, "access-log",
                              "only static files are logged, and this site has no root");
            rc = OE_ECONFIG;
        } else if (strcmp(site->access_log, "stderr") != 0 &&
                   oe_conf_check_file_folder(cf, sec, "access-log",
                                             oe_conf_resolve_path(cf, site->access_log)) < 0) {
            rc = OE_ECONFIG;
        }
    }
    return rc;
}

static void website_destroy(oe_modctx_t *ctx)
{
    free(ctx->data);
    ctx->data = NULL;
}

const oe_module_t oe_website_module = {
    .name = "website",
    .section = NULL,
    .summary = "static files for every [site] with a root",
    .conf_finish = website_conf_finish,
    .init = website_init,
    .destroy = website_destroy,
};
