/* Request paths to files and the MIME table; see website_path.h. */
#include <string.h>

#include "website/website_path.h"

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int oe_website_resolve(oe_slice_t path, char *out, size_t cap, bool *dir)
{
    if (cap == 0 || path.len == 0 || path.base[0] != '/')
        return OE_EFORMAT;
    size_t olen = 0;      /* bytes of out in use */
    bool last_dir = true; /* the last segment seen asks for a directory */
    size_t i = 0;
    int err = 0;

    /* Every segment is decoded in full before a 404 is decided, so that a malformed escape or a
     * NUL anywhere in the path gives 400 whatever comes first. */
    while (i < path.len) {
        /* path.base[i] == '/': one segment runs to the next '/' or the end. */
        i++;
        size_t start = olen; /* the segment is decoded in place after a separator */
        bool has_sep = olen > 0;
        if (has_sep) {
            if (olen + 1 >= cap) {
                err = err ? err : -ENOENT;
                has_sep = false;
            } else {
                out[olen++] = '/';
            }
        }
        size_t seg = olen;
        bool bad = false;
        while (i < path.len && path.base[i] != '/') {
            uint8_t c = path.base[i];
            if (c == '%') {
                if (i + 2 >= path.len)
                    return OE_EFORMAT;
                int h = hexval(path.base[i + 1]), l = hexval(path.base[i + 2]);
                if (h < 0 || l < 0)
                    return OE_EFORMAT;
                c = (uint8_t)(h << 4 | l);
                i += 3;
            } else {
                i++;
            }
            if (c == 0)
                return OE_EFORMAT;
            if (c == '/' || c == '\\')
                bad = true;
            if (olen + 1 < cap)
                out[olen++] = (char)c;
            else
                bad = true; /* too long: keep scanning for 400s, then 404 */
        }
        size_t n = olen - seg;
        if (bad) {
            err = err ? err : -ENOENT;
            olen = start;
            continue;
        }
        if (n == 0 || (n == 1 && out[seg] == '.')) {
            /* "//" and "/./" name the directory so far. */
            olen = start;
            last_dir = true;
            continue;
        }
        if (n == 2 && out[seg] == '.' && out[seg + 1] == '.') {
            if (start == 0 && !has_sep) {
                /* At the root: ".." would climb out. */
                err = err ? err : -ENOENT;
                olen = 0;
                continue;
            }
            /* Drop the previous segment and its separator. */
            size_t k = start;
            while (k > 0 && out[k - 1] != '/')
                k--;
            olen = k > 0 ? k - 1 : 0;
            last_dir = true;
            continue;
        }
        if (out[seg] == '.' && !(n == 11 && memcmp(out + seg, ".well-known", 11) == 0))
            err = err ? err : -ENOENT;
        last_dir = false;
    }
    if (err != 0)
        return err;
    out[olen] = '\0';
    *dir = last_dir;
    return 0;
}

int oe_website_path_encode(const char *rel, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)rel; *p != '\0'; p++) {
        unsigned char c = *p;
        bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    strchr("-._~!$&'()*+,;=:@/", c) != NULL;
        if (o + (keep ? 1 : 3) >= cap)
            return OE_ESPACE;
        if (keep) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    if (o >= cap)
        return OE_ESPACE;
    out[o] = '\0';
    return (int)o;
}

/* Sorted by extension (lower case) for bsearch. Text types carry a charset: pages on this server
 * are UTF-8 unless they say otherwise in-band. */
static const struct mime {
    const char *ext;
    const char *type;
} mimes[] = {
    {"7z", "application/x-7z-compressed"},
    {"apng", "image/apng"},
    {"avif", "image/avif"},
    {"bin", "application/octet-stream"},
    {"bmp", "image/bmp"},
    {"css", "text/css; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},
    {"eot", "application/vnd.ms-fontobject"},
    {"flac", "audio/flac"},
    {"gif", "image/gif"},
    {"gz", "application/gzip"},
    {"htm", "text/html; charset=utf-8"},
    {"html", "text/html; charset=utf-8"},
    {"ico", "image/vnd.microsoft.icon"},
    {"ics", "text/calendar; charset=utf-8"},
    {"jpeg", "image/jpeg"},
    {"jpg", "image/jpeg"},
    {"js", "text/javascript; charset=utf-8"},
    {"json", "application/json"},
    {"jsonld", "application/ld+json"},
    {"m4a", "audio/mp4"},
    {"manifest", "application/manifest+json"},
    {"map", "application/json"},
    {"md", "text/markdown; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"mp3", "audio/mpeg"},
    {"mp4", "video/mp4"},
    {"oga", "audio/ogg"},
    {"ogg", "audio/ogg"},
    {"ogv", "video/ogg"},
    {"opus", "audio/ogg"},
    {"otf", "font/otf"},
    {"pdf", "application/pdf"},
    {"pem", "application/x-pem-file"},
    {"png", "image/png"},
    {"rss", "application/rss+xml"},
    {"svg", "image/svg+xml"},
    {"tar", "application/x-tar"},
    {"tif", "image/tiff"},
    {"tiff", "image/tiff"},
    {"ttf", "font/ttf"},
    {"txt", "text/plain; charset=utf-8"},
    {"wasm", "application/wasm"},
    {"wav", "audio/wav"},
    {"webm", "video/webm"},
    {"webmanifest", "application/manifest+json"},
    {"webp", "image/webp"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"xhtml", "application/xhtml+xml"},
    {"xml", "application/xml"},
    {"zip", "application/zip"},
};

const char *oe_website_mime(oe_slice_t name)
{
    static const char dflt[] = "application/octet-stream";
    size_t dot = name.len;
    while (dot > 0 && name.base[dot - 1] != '.' && name.base[dot - 1] != '/')
        dot--;
    if (dot == 0 || name.base[dot - 1] != '.')
        return dflt;
    size_t n = name.len - dot;
    char ext[16];
    if (n == 0 || n >= sizeof(ext))
        return dflt;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = name.base[dot + i];
        ext[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    ext[n] = '\0';
    size_t lo = 0, hi = OE_ARRAY_SIZE(mimes);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(ext, mimes[mid].ext);
        if (c == 0)
            return mimes[mid].type;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return dflt;
}
