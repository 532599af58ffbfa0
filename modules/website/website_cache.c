/* The per-worker open-file cache; see website_cache.h. */
#define _GNU_SOURCE /* O_PATH */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/oe.h"
#include "website/website_cache.h"
#include "website/website_open.h"

typedef struct file_entry {
    const char *root; /* borrowed: the site's root; NULL = free slot */
    char *rel;
    int fd;
    uint64_t opened_ms;
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
};

oe_website_cache_t *oe_website_cache_new(void)
{
    return oe_calloc(1, sizeof(oe_website_cache_t));
}

static void drop_file(file_entry_t *e)
{
    if (e->root == NULL)
        return;
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
        drop_file(&c->files[i]);
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

int oe_website_cache_open(oe_website_cache_t *c, const char *root, const char *rel, struct stat *st,
                          uint64_t now_ms)
{
    /* Each call also closes one expired entry, so that descriptors of files nobody asks for
     * (a deleted file's blocks among them) do not stay open while requests keep coming. */
    file_entry_t *old = &c->files[c->sweep++ % OE_WEBSITE_CACHE_FILES];
    if (old->root != NULL && !fresh(old->opened_ms, now_ms))
        drop_file(old);
    file_entry_t *e = &c->files[slot_of(root, rel)];
    if (e->root == root && strcmp(e->rel, rel) == 0) {
        /* No link left: deleted, or replaced by a rename. Open the path again. */
        if (fresh(e->opened_ms, now_ms) && fstat(e->fd, st) == 0 && st->st_nlink > 0)
            return dup_of(e->fd);
        drop_file(e);
    }
    int rfd = root_fd(c, root, now_ms);
    if (rfd < 0)
        return rfd;
    int fd = oe_website_open(rfd, root, rel, st);
    if (fd < 0)
        return fd;
    int mine = dup_of(fd);
    if (mine < 0) /* no descriptor to spare for the cache: serve uncached */
        return fd;
    drop_file(e);
    *e = (file_entry_t){.root = root, .rel = oe_strdup(rel), .fd = mine, .opened_ms = now_ms};
    return fd;
}
