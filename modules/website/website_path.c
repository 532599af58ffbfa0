/* Request paths to files and the MIME table; see website_path.h. */
#include <string.h>

#include "crypto/encode.h"
#include "website/website_path.h"

/* Classifies a raw segment: 0 for "" and "." (also as "%2e"), 1 for ".." (in any mix of '.'
 * and "%2e"), -1 for anything else. */
static int dot_segment(const uint8_t *p, size_t n)
{
    int dots = 0;
    size_t j = 0;
    while (j < n && dots <= 2) {
        if (p[j] == '.') {
            j++;
        } else if (n - j >= 3 && p[j] == '%' && p[j + 1] == '2' &&
                   (p[j + 2] == 'e' || p[j + 2] == 'E')) {
            j += 3;
        } else {
            return -1;
        }
        dots++;
    }
    return dots <= 1 ? 0 : dots == 2 ? 1 : -1;
}

int oe_website_resolve(oe_slice_t path, char *out, size_t cap, bool *dir)
{
    if (cap == 0 || path.len == 0 || path.base[0] != '/')
        return OE_EFORMAT;
    size_t olen = 0;      /* bytes of out in use; 0 is the root itself */
    bool last_dir = true; /* the last segment asks for a directory */
    int err = 0;          /* the first 404 reason; every segment is still decoded, so that a
                           * malformed escape or a NUL anywhere gives 400 whatever comes first */
    size_t i = 1;
    for (;;) {
        size_t end = i;
        while (end < path.len && path.base[end] != '/')
            end++;
        int dots = dot_segment(path.base + i, end - i);
        if (dots == 0) {
            last_dir = true; /* "//" and "/./" name the directory so far */
        } else if (dots == 1) {
            if (olen == 0) {
                err = err ? err : -ENOENT; /* ".." at the root would climb out */
            } else {
                while (olen > 0 && out[olen - 1] != '/')
                    olen--;
                if (olen > 0)
                    olen--; /* and its separator */
            }
            last_dir = true;
        } else {
            size_t seg_start = olen;
            bool bad = false;
            if (olen > 0) {
                if (olen + 1 < cap)
                    out[olen++] = '/';
                else
                    bad = true;
            }
            size_t first = olen;
            for (size_t k = i; k < end;) {
                uint8_t c = path.base[k];
                if (c == '%') {
                    if (k + 2 >= end)
                        return OE_EFORMAT;
                    int h = oe_hex_digit(path.base[k + 1]), l = oe_hex_digit(path.base[k + 2]);
                    if (h < 0 || l < 0)
                        return OE_EFORMAT;
                    c = (uint8_t)(h << 4 | l);
                    k += 3;
                } else {
                    k++;
                }
                if (c == 0)
                    return OE_EFORMAT;
                if (c == '/' || c == '\\')
                    bad = true; /* an encoded "/" is never a separator */
                if (!bad && olen + 1 < cap)
                    out[olen++] = (char)c;
                else
                    bad = true; /* too long: no such file */
            }
            if (!bad && out[first] == '.' &&
                !(olen - first == 11 && memcmp(out + first, ".well-known", 11) == 0))
                bad = true; /* hidden files (.git, .htaccess) are not published */
            if (bad) {
                err = err ? err : -ENOENT;
                olen = seg_start;
            }
            last_dir = false;
        }
        if (end >= path.len)
            break;
        i = end + 1;
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
