/*
 * A worker's open-file cache (in the manner of nginx's open_file_cache): the descriptors of the
 * document roots and of recently served files, so that a request for a hot file costs an fstat()
 * and a dup() instead of opening the root and walking the path with openat2(); and the bytes of
 * small files (OE_WEBSITE_CACHE_BLOB_MAX, up to OE_WEBSITE_CACHE_BLOB_BUDGET per worker), so that
 * a request for one costs the fstat() alone: no dup(), pread() or close().
 *
 * Coherence. Every hit fstat()s the cached descriptor (once per socket read that brought
 * requests: see oe_req_t.read_seq), so a file rewritten in place is served with its new size,
 * mtime and entity tag at once, and a file deleted or replaced by rename(2) (its old inode has no
 * link left) is opened again at once. What the cache cannot see without walking
 * the path again is served from it for at most OE_WEBSITE_CACHE_MS: a file replaced while
 * another hard link keeps the old one, a symlink pointed elsewhere, a renamed parent directory
 * or root. Each worker has its own cache (no locks); a reload starts new workers with empty ones.
 *
 * A file's bytes are kept only while the fstat() of every hit still shows the inode, size, mtime
 * and ctime they were read with, and only when they were read at least a second after the file's
 * last change: file times advance in clock ticks of a few milliseconds, so a file rewritten twice
 * within one tick with the same size would look unchanged, but any write after the bytes were
 * read moves the times past what they were. A file changed less than a second ago is read from
 * its descriptor on every request, as before.
 */
#ifndef OE_WEBSITE_CACHE_H
#define OE_WEBSITE_CACHE_H

#include <stdint.h>
#include <sys/stat.h>

#include "core/oe.h"

/* How long an entry is used before its path is opened again. */
#define OE_WEBSITE_CACHE_MS 1000
/* Files per worker (a direct-mapped table: a colliding path replaces the entry). */
#define OE_WEBSITE_CACHE_FILES 64
/* Roots per worker. */
#define OE_WEBSITE_CACHE_ROOTS 8
/* Files up to this size are kept in memory, up to the budget per worker in all. */
#define OE_WEBSITE_CACHE_BLOB_MAX    (64 * 1024)
#define OE_WEBSITE_CACHE_BLOB_BUDGET (2 * 1024 * 1024)

/* A file opened through the cache: its descriptor, or for a small unchanged file its bytes. */
typedef struct oe_website_file {
    int fd;          /* the caller's to close; -1 when blob holds the bytes */
    oe_blob_t *blob; /* the whole file, one reference the caller owns; NULL with fd */
    struct stat st;  /* a fresh fstat() */
} oe_website_file_t;

typedef struct oe_website_cache oe_website_cache_t;

oe_website_cache_t *oe_website_cache_new(void);
/* Closes every cached descriptor and frees c (NULL is fine). */
void oe_website_cache_free(oe_website_cache_t *c);
/* Closes every cached descriptor: the process ran out of them, and these can be reopened. */
void oe_website_cache_flush(oe_website_cache_t *c);

/* oe_website_open() of rel beneath root (the site's root path, borrowed: its address and text
 * name the root for the life of the cache) at loop time now_ms, for a request of read_seq seq
 * (a hit fstat()s the file once per seq, see oe_req_t.read_seq; 0 = every time), through the
 * cache. Returns 0 and
 * fills *f: a descriptor the caller owns (a dup of the cached one; both share the file offset,
 * so read it with pread only) or a reference to the file's bytes; or -errno as oe_website_open.
 * Failures are not cached. */
int oe_website_cache_open(oe_website_cache_t *c, const char *root, const char *rel,
                          oe_website_file_t *f, uint64_t now_ms, uint64_t seq);

#endif
