/* Range, entity tags, HTTP dates, Accept-Encoding; see website_fields.h. */
#include <string.h>

#include "website/website_fields.h"

/* A cursor over a field value; every reader checks p < end before it reads. */
typedef struct cur {
    const uint8_t *p, *end;
} cur_t;

static bool at_end(const cur_t *c)
{
    return c->p >= c->end;
}

static bool peek(const cur_t *c, uint8_t ch)
{
    return c->p < c->end && *c->p == ch;
}

static bool take(cur_t *c, uint8_t ch)
{
    if (!peek(c, ch))
        return false;
    c->p++;
    return true;
}

static void ows(cur_t *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
        c->p++;
}

static bool is_digit(uint8_t ch)
{
    return ch >= '0' && ch <= '9';
}

static uint8_t lower(uint8_t ch)
{
    return ch >= 'A' && ch <= 'Z' ? (uint8_t)(ch + 32) : ch;
}

/* Reads 1*DIGIT, saturating at UINT64_MAX. False when there is no digit. */
static bool number(cur_t *c, uint64_t *v)
{
    if (at_end(c) || !is_digit(*c->p))
        return false;
    uint64_t n = 0;
    while (c->p < c->end && is_digit(*c->p)) {
        unsigned d = (unsigned)(*c->p++ - '0');
        n = n > (UINT64_MAX - d) / 10 ? UINT64_MAX : n * 10 + d;
    }
    *v = n;
    return true;
}

/* ---- Range --------------------------------------------------------------------------------- */

oe_website_range_t oe_website_parse_range(oe_slice_t header, uint64_t size, uint64_t *off,
                                          uint64_t *len)
{
    cur_t c = {header.base, header.base + header.len};
    static const char unit[] = "bytes=";
    ows(&c);
    for (size_t i = 0; i < sizeof(unit) - 1; i++)
        if (at_end(&c) || lower(*c.p++) != (uint8_t)unit[i])
            return OE_WEBSITE_RANGE_IGNORE;

    /* range-set = 1#range-spec; a recipient accepts empty list elements (RFC 9110 §5.6.1.2). */
    int nspecs = 0;
    bool suffix = false, has_last = false;
    uint64_t first = 0, last = 0;
    for (;;) {
        ows(&c);
        if (take(&c, ','))
            continue;
        if (at_end(&c))
            break;
        if (++nspecs > 1)
            return OE_WEBSITE_RANGE_IGNORE; /* no multipart/byteranges: the whole file */
        if (take(&c, '-')) {
            suffix = true;
            if (!number(&c, &last))
                return OE_WEBSITE_RANGE_IGNORE;
        } else {
            if (!number(&c, &first) || !take(&c, '-'))
                return OE_WEBSITE_RANGE_IGNORE;
            has_last = number(&c, &last);
        }
        ows(&c);
        if (!at_end(&c) && !peek(&c, ','))
            return OE_WEBSITE_RANGE_IGNORE;
    }
    if (nspecs == 0)
        return OE_WEBSITE_RANGE_IGNORE;

    if (suffix) {
        /* suffix-range: the last n bytes; n = 0 selects nothing (§14.1.3). */
        if (last == 0 || size == 0)
            return OE_WEBSITE_RANGE_UNSATISFIABLE;
        *len = last < size ? last : size;
        *off = size - *len;
        return OE_WEBSITE_RANGE_OK;
    }
    if (has_last && last < first)
        return OE_WEBSITE_RANGE_IGNORE; /* invalid int-range (§14.1.1) */
    if (first >= size)
        return OE_WEBSITE_RANGE_UNSATISFIABLE;
    if (!has_last || last >= size)
        last = size - 1;
    *off = first;
    *len = last - first + 1;
    return OE_WEBSITE_RANGE_OK;
}

/* ---- entity tags --------------------------------------------------------------------------- */

/* entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; etagc = %x21 / %x23-7E / obs-text. Sets *opaque to
 * the quoted part, quotes included. */
static bool entity_tag(cur_t *c, bool *weak, oe_slice_t *opaque)
{
    *weak = false;
    if (c->end - c->p >= 2 && c->p[0] == 'W' && c->p[1] == '/') {
        *weak = true;
        c->p += 2;
    }
    const uint8_t *start = c->p;
    if (!take(c, '"'))
        return false;
    while (c->p < c->end && *c->p != '"') {
        uint8_t ch = *c->p;
        if (ch < 0x21 || ch == 0x7f)
            return false;
        c->p++;
    }
    if (!take(c, '"'))
        return false;
    *opaque = OE_SLICE(start, (size_t)(c->p - start));
    return true;
}

bool oe_website_etag_match(oe_slice_t header, oe_slice_t etag, bool strong)
{
    cur_t e = {etag.base, etag.base + etag.len};
    bool our_weak;
    oe_slice_t ours;
    if (!entity_tag(&e, &our_weak, &ours) || !at_end(&e))
        return false;

    cur_t c = {header.base, header.base + header.len};
    ows(&c);
    if (take(&c, '*')) {
        ows(&c);
        return at_end(&c);
    }
    for (;;) {
        ows(&c);
        if (take(&c, ','))
            continue;
        if (at_end(&c))
            return false;
        bool weak;
        oe_slice_t theirs;
        if (!entity_tag(&c, &weak, &theirs))
            return false;
        if (oe_slice_eq(theirs, ours) && (!strong || (!weak && !our_weak)))
            return true;
        ows(&c);
        if (!at_end(&c) && !peek(&c, ','))
            return false;
    }
}

/* ---- dates --------------------------------------------------------------------------------- */

static const char days3[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const days_long[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                         "Thursday", "Friday", "Saturday"};
static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned n[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : n[m - 1];
}

#define MIN_TIME (-62135596800LL) /* 0001-01-01T00:00:00Z */
#define MAX_TIME 253402300799LL   /* 9999-12-31T23:59:59Z */

void oe_website_format_date(int64_t t, char out[OE_WEBSITE_DATE_LEN + 1])
{
    if (t < MIN_TIME)
        t = MIN_TIME;
    if (t > MAX_TIME)
        t = MAX_TIME;
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t secs = t - days * 86400;
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    unsigned wd = (unsigned)(days >= -4 ? (days + 4) % 7 : (days + 5) % 7 + 6);
    /* Every field has a fixed width, so the result is exactly OE_WEBSITE_DATE_LEN bytes. */
    static const char digits[] = "0123456789";
    char *p = out;
    memcpy(p, days3[wd], 3);
    p += 3;
    *p++ = ',';
    *p++ = ' ';
    *p++ = digits[d / 10];
    *p++ = digits[d % 10];
    *p++ = ' ';
    memcpy(p, months[m - 1], 3);
    p += 3;
    *p++ = ' ';
    *p++ = digits[y / 1000];
    *p++ = digits[y / 100 % 10];
    *p++ = digits[y / 10 % 10];
    *p++ = digits[y % 10];
    *p++ = ' ';
    unsigned hh = (unsigned)(secs / 3600), mm = (unsigned)(secs / 60 % 60),
             ss = (unsigned)(secs % 60);
    *p++ = digits[hh / 10];
    *p++ = digits[hh % 10];
    *p++ = ':';
    *p++ = digits[mm / 10];
    *p++ = digits[mm % 10];
    *p++ = ':';
    *p++ = digits[ss / 10];
    *p++ = digits[ss % 10];
    memcpy(p, " GMT", 4);
    p += 4;
    *p = '\0';
}

/* Exactly n digits. */
static bool fixed_digits(cur_t *c, unsigned n, unsigned *v)
{
    if ((size_t)(c->end - c->p) < n)
        return false;
    unsigned r = 0;
    for (unsigned i = 0; i < n; i++) {
        if (!is_digit(c->p[i]))
            return false;
        r = r * 10 + (unsigned)(c->p[i] - '0');
    }
    c->p += n;
    *v = r;
    return true;
}

static bool word(cur_t *c, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0)
        return false;
    c->p += n;
    return true;
}

static bool month(cur_t *c, unsigned *m)
{
    for (unsigned i = 0; i < 12; i++) {
        if (word(c, months[i])) {
            *m = i + 1;
            return true;
        }
    }
    return false;
}

/* time-of-day = hour ":" minute ":" second; second may be 60 (a leap second, §5.6.7). */
static bool time_of_day(cur_t *c, unsigned *hh, unsigned *mm, unsigned *ss)
{
    return fixed_digits(c, 2, hh) && take(c, ':') && fixed_digits(c, 2, mm) && take(c, ':') &&
           fixed_digits(c, 2, ss) && *hh < 24 && *mm < 60 && *ss <= 60;
}

int oe_website_parse_date(oe_slice_t s, int64_t now, int64_t *t)
{
    cur_t c = {s.base, s.base + s.len};
    unsigned d = 0, m = 0, y = 0, hh = 0, mm = 0, ss = 0;
    int64_t year;
    ows(&c);
    int wd = -1;
    for (int i = 0; i < 7 && wd < 0; i++)
        if (word(&c, days_long[i]))
            wd = i + 7; /* long name: RFC 850 */
    for (int i = 0; i < 7 && wd < 0; i++)
        if (word(&c, days3[i]))
            wd = i;
    if (wd < 0)
        return OE_EFORMAT;
    if (wd >= 7) {
        /* rfc850-date = day-name-l "," SP date2 SP time-of-day SP GMT; date2 = DD-Mon-YY */
        if (!(take(&c, ',') && take(&c, ' ') && fixed_digits(&c, 2, &d) && take(&c, '-') &&
              month(&c, &m) && take(&c, '-') && fixed_digits(&c, 2, &y) && take(&c, ' ') &&
              time_of_day(&c, &hh, &mm, &ss) && word(&c, " GMT")))
            return OE_EFORMAT;
        int64_t now_days = now >= 0 ? now / 86400 : -((-now + 86399) / 86400);
        int64_t ny;
        unsigned nm, nd;
        civil_from_days(now_days, &ny, &nm, &nd);
        year = ny - ((ny % 100) + 100) % 100 + y;
        if (year > ny + 50)
            year -= 100;
    } else if (take(&c, ',')) {
        /* IMF-fixdate = day-name "," SP DD SP Mon SP YYYY SP time-of-day SP GMT */
        if (!(take(&c, ' ') && fixed_digits(&c, 2, &d) && take(&c, ' ') && month(&c, &m) &&
              take(&c, ' ') && fixed_digits(&c, 4, &y) && take(&c, ' ') &&
              time_of_day(&c, &hh, &mm, &ss) && word(&c, " GMT")))
            return OE_EFORMAT;
        year = y;
    } else {
        /* asctime-date = day-name SP Mon SP ( 2DIGIT / ( SP DIGIT ) ) SP time-of-day SP YYYY */
        if (!(take(&c, ' ') && month(&c, &m) && take(&c, ' ')))
            return OE_EFORMAT;
        if (take(&c, ' ')) {
            if (!fixed_digits(&c, 1, &d))
                return OE_EFORMAT;
        } else if (!fixed_digits(&c, 2, &d)) {
            return OE_EFORMAT;
        }
        if (!(take(&c, ' ') && time_of_day(&c, &hh, &mm, &ss) && take(&c, ' ') &&
              fixed_digits(&c, 4, &y)))
            return OE_EFORMAT;
        year = y;
    }
    ows(&c);
    if (!at_end(&c) || year < 1 || d < 1 || d > days_in_month(year, m))
        return OE_EFORMAT;
    *t = days_from_civil(year, m, d) * 86400 + hh * 3600 + mm * 60 + ss;
    return 0;
}

/* ---- Accept-Encoding ----------------------------------------------------------------------- */

static bool tchar(uint8_t ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || is_digit(ch) ||
           (ch != 0 && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

static oe_slice_t token(cur_t *c)
{
    const uint8_t *start = c->p;
    while (c->p < c->end && tchar(*c->p))
        c->p++;
    return OE_SLICE(start, (size_t)(c->p - start));
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in thousandths; -1 if bad. */
static int qvalue(oe_slice_t v)
{
    if (v.len == 0 || v.len > 5 || (v.base[0] != '0' && v.base[0] != '1'))
        return -1;
    int q = (v.base[0] - '0') * 1000;
    if (v.len == 1)
        return q;
    if (v.base[1] != '.')
        return -1;
    int scale = 100;
    for (size_t i = 2; i < v.len; i++, scale /= 10) {
        if (!is_digit(v.base[i]) || (q == 1000 && v.base[i] != '0'))
            return -1;
        q += (v.base[i] - '0') * scale;
    }
    return q;
}

static bool token_is(oe_slice_t t, const char *s)
{
    return oe_slice_eq_nocase(t, OE_SLICE_STR(s));
}

void oe_website_accept_encoding(oe_slice_t header, unsigned *q_br, unsigned *q_gzip)
{
    int br = -1, gz = -1, star = -1;
    if (header.base == NULL) { /* no header: nothing but identity (no arithmetic on NULL) */
        *q_br = *q_gzip = 0;
        return;
    }
    cur_t c = {header.base, header.base + header.len};
    while (!at_end(&c)) {
        ows(&c);
        if (take(&c, ','))
            continue;
        if (at_end(&c))
            break;
        oe_slice_t coding = token(&c);
        int q = coding.len > 0 ? 1000 : -1;
        /* weight = OWS ";" OWS "q=" qvalue; other parameters are not defined for codings, but
         * are skipped rather than treated as errors. */
        for (;;) {
            ows(&c);
            if (!take(&c, ';'))
                break;
            ows(&c);
            oe_slice_t name = token(&c);
            if (!take(&c, '=')) {
                q = -1;
                break;
            }
            oe_slice_t value = token(&c);
            if (token_is(name, "q"))
                q = qvalue(value);
        }
        ows(&c);
        if (!at_end(&c) && !peek(&c, ',')) {
            /* Malformed element: refuse it and resynchronise at the next comma. */
            q = -1;
            while (!at_end(&c) && !peek(&c, ','))
                c.p++;
        }
        if (q < 0)
            q = 0;
        if (token_is(coding, "br"))
            br = q;
        else if (token_is(coding, "gzip") || token_is(coding, "x-gzip"))
            gz = q;
        else if (token_is(coding, "*"))
            star = q;
    }
    *q_br = (unsigned)(br >= 0 ? br : star >= 0 ? star : 0);
    *q_gzip = (unsigned)(gz >= 0 ? gz : star >= 0 ? star : 0);
}
