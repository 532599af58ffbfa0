/*
 * A worker's open-file cache (in the manner of nginx's open_file_cache): the descriptors of the
 * document roots and of recently served files, so that a request for a hot file costs an fstat()
 * and a dup() instead of opening the root and walking the path with openat2().
 *
 * Coherence. Every hit fstat()s the cached descriptor: a file rewritten in place is served with
 * its new size, mtime and entity tag at once, and a file deleted or replaced by rename(2) (its
 * old inode has no link left) is opened again at once. What the cache cannot see without walking
 * the path again is served from it for at most OE_WEBSITE_CACHE_MS: a file replaced while
 * another hard link keeps the old one, a symlink pointed elsewhere, a renamed parent directory
 * or root. Each worker has its own cache (no locks); a reload starts new workers with empty ones.
 */
#ifndef OE_WEBSITE_CACHE_H
#define OE_WEBSITE_CACHE_H

#include <stdint.h>
#include <sys/stat.h>

/* How long an entry is used before its path is opened again. */
#define OE_WEBSITE_CACHE_MS 1000
/* Files per worker (a direct-mapped table: a colliding path replaces the entry). */
#define OE_WEBSITE_CACHE_FILES 64
/* Roots per worker. */
#define OE_WEBSITE_CACHE_ROOTS 8

typedef struct oe_website_cache oe_website_cache_t;

oe_website_cache_t *oe_website_cache_new(void);
/* Closes every cached descriptor and frees c (NULL is fine). */
void oe_website_cache_free(oe_website_cache_t *c);
/* Closes every cached descriptor: the process ran out of them, and these can be reopened. */
void oe_website_cache_flush(oe_website_cache_t *c);

/* oe_website_open() of rel beneath root (the site's root path, borrowed: its address and text
 * name the root for the life of the cache) at loop time now_ms, through the cache. Returns a
 * descriptor the caller owns (a dup of the cached one; both share the file offset, so read it
 * with pread only) and fills *st with a fresh fstat(), or -errno as oe_website_open. Failures are
 * not cached. */
int oe_website_cache_open(oe_website_cache_t *c, const char *root, const char *rel, struct stat *st,
                          uint64_t now_ms);

#endif
