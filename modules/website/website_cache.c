/* The per-worker open-file cache; see website_cache.h. */
#define _GNU_SOURCE /* O_PATH */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/oe.h"
#include "website/website_cache.h"
#include "website/website_open.h"

typedef struct file_entry {
    const char *root; /* borrowed: the site's root; NULL = free slot */
    char *rel;
    int fd;
    uint64_t opened_ms;
    oe_blob_t *blob; /* the file's bytes, read when it looked as read_as says; or NULL */
    struct stat read_as;
    uint64_t seen_seq; /* the read_seq of the last fstat(), which gave seen; 0 = none */
    struct stat seen;
} file_entry_t;

typedef struct root_entry {
    const char *root; /* borrowed; NULL = free slot */
    int fd;           /* O_PATH descriptor of the directory */
    uint64_t opened_ms;
} root_entry_t;

struct oe_website_cache {
    file_entry_t files[OE_WEBSITE_CACHE_FILES];
    root_entry_t roots[OE_WEBSITE_CACHE_ROOTS];
    unsigned next_root; /* round-robin replacement when every root slot is taken */
    unsigned sweep;     /* the next file slot to look at for expiry */
    size_t blob_bytes;  /* held by the entries' blobs */
};

oe_website_cache_t *oe_website_cache_new(void)
{
    return oe_calloc(1, sizeof(oe_website_cache_t));
}

static void drop_blob(oe_website_cache_t *c, file_entry_t *e)
{
    if (e->blob == NULL)
        return;
    c->blob_bytes -= e->blob->len;
    oe_blob_unref(e->blob); /* streams still sending it hold their own references */
    e->blob = NULL;
}

static void drop_file(oe_website_cache_t *c, file_entry_t *e)
{
    if (e->root == NULL)
        return;
    drop_blob(c, e);
    close(e->fd);
    free(e->rel);
    *e = (file_entry_t){0};
}

static void drop_root(root_entry_t *r)
{
    if (r->root == NULL)
        return;
    close(r->fd);
    *r = (root_entry_t){0};
}

void oe_website_cache_flush(oe_website_cache_t *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < OE_WEBSITE_CACHE_FILES; i++)
        drop_file(c, &c->files[i]);
    for (size_t i = 0; i < OE_WEBSITE_CACHE_ROOTS; i++)
        drop_root(&c->roots[i]);
}

void oe_website_cache_free(oe_website_cache_t *c)
{
    oe_website_cache_flush(c);
    free(c);
}

static bool fresh(uint64_t opened_ms, uint64_t now_ms)
{
    return now_ms >= opened_ms && now_ms - opened_ms < OE_WEBSITE_CACHE_MS;
}

/* The root's descriptor (borrowed from the cache), or -errno. */
static int root_fd(oe_website_cache_t *c, const char *root, uint64_t now_ms)
{
    root_entry_t *slot = NULL;
    for (size_t i = 0; i < OE_WEBSITE_CACHE_ROOTS; i++) {
        root_entry_t *r = &c->roots[i];
        if (r->root == root) {
            if (fresh(r->opened_ms, now_ms))
                return r->fd;
            drop_root(r);
        }
        if (r->root == NULL && slot == NULL)
            slot = r;
    }
    if (slot == NULL) {
        slot = &c->roots[c->next_root++ % OE_WEBSITE_CACHE_ROOTS];
        drop_root(slot);
    }
    int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    *slot = (root_entry_t){.root = root, .fd = fd, .opened_ms = now_ms};
    return fd;
}

static size_t slot_of(const char *root, const char *rel)
{
    uint64_t h = 14695981039346656037u ^ (uint64_t)(uintptr_t)root; /* FNV-1a */
    for (const char *p = rel; *p != '\0'; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211u;
    return (size_t)(h % OE_WEBSITE_CACHE_FILES);
}

static int dup_of(int fd)
{
    int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    return d >= 0 ? d : -errno;
}

static bool same_time(struct timespec a, struct timespec b)
{
    return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

/* Does st show the file as it was when its bytes were read? */
static bool unchanged(const struct stat *st, const struct stat *was)
{
    return st->st_ino == was->st_ino && st->st_dev == was->st_dev && st->st_size == was->st_size &&
           same_time(st->st_mtim, was->st_mtim) && same_time(st->st_ctim, was->st_ctim);
}

/* Reads a small regular file of e's into memory, if it is one and it has been left alone for a
 * second (see website_cache.h); e->blob stays NULL otherwise. */
static void fill_blob(oe_website_cache_t *c, file_entry_t *e, const struct stat *st)
{
    if (!S_ISREG(st->st_mode) || st->st_size > OE_WEBSITE_CACHE_BLOB_MAX ||
        c->blob_bytes + (size_t)st->st_size > OE_WEBSITE_CACHE_BLOB_BUDGET)
        return;
    time_t now = time(NULL);
    if (now - st->st_mtim.tv_sec < 1 || now - st->st_ctim.tv_sec < 1)
        return;
    oe_blob_t *b = oe_blob_new((size_t)st->st_size);
    size_t got = 0;
    while (got < b->len) {
        ssize_t r = pread(e->fd, b->data + got, b->len - got, (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) { /* shrank or failed: the descriptor path will say so */
            oe_blob_unref(b);
            return;
        }
        got += (size_t)r;
    }
    e->blob = b;
    e->read_as = *st;
    c->blob_bytes += b->len;
}

/* Gives the caller e's file: its bytes when they are still right, else a dup of the descriptor. */
static int give(oe_website_cache_t *c, file_entry_t *e, oe_website_file_t *f)
{
    if (e->blob != NULL && !unchanged(&f->st, &e->read_as))
        drop_blob(c, e);
    if (e->blob == NULL)
        fill_blob(c, e, &f->st);
    if (e->blob != NULL) {
        f->fd = -1;
        f->blob = oe_blob_ref(e->blob);
        return 0;
    }
    f->fd = dup_of(e->fd);
    return f->fd >= 0 ? 0 : f->fd;
}

/* fstat() of e's descriptor, once per read_seq (see oe_req_t.read_seq). */
static int stat_entry(file_entry_t *e, struct stat *st, uint64_t seq)
{
    if (seq == 0 || e->seen_seq != seq) {
        if (fstat(e->fd, &e->seen) < 0) {
            e->seen_seq = 0;
            return -errno;
        }
        e->seen_seq = seq;
    }
    *st = e->seen;
    return 0;
}

int oe_website_cache_open(oe_website_cache_t *c, const char *root, const char *rel,
                          oe_website_file_t *f, uint64_t now_ms, uint64_t seq)
{
    f->fd = -1;
    f->blob = NULL;
    /* Each call also closes one expired entry, so that descriptors of files nobody asks for
     * (a deleted file's blocks among them) do not stay open while requests keep coming. */
    file_entry_t *old = &c->files[c->sweep++ % OE_WEBSITE_CACHE_FILES];
    if (old->root != NULL && !fresh(old->opened_ms, now_ms))
        drop_file(c, old);
    file_entry_t *e = &c->files[slot_of(root, rel)];
    if (e->root == root && strcmp(e->rel, rel) == 0) {
        /* No link left: deleted, or replaced by a rename. Open the path again. */
        if (fresh(e->opened_ms, now_ms) && stat_entry(e, &f->st, seq) == 0 && f->st.st_nlink > 0)
            return give(c, e, f);
        drop_file(c, e);
    }
    int rfd = root_fd(c, root, now_ms);
    if (rfd < 0)
        return rfd;
    int fd = oe_website_open(rfd, root, rel, &f->st);
    if (fd < 0)
        return fd;
    drop_file(c, e);
    *e = (file_entry_t){.root = root, .rel = oe_strdup(rel), .fd = fd, .opened_ms = now_ms};
    if (give(c, e, f) < 0) { /* no descriptor to spare for the cache: serve uncached */
        free(e->rel);
        *e = (file_entry_t){0};
        f->fd = fd;
    }
    return 0;
}
