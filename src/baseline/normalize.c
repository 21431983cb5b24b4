/* SPDX-License-Identifier: Apache-2.0 */
/* Volatile-text normalisation (see normalize.h and docs/baseline.md). The
 * scanner looks at "words" (maximal runs of ASCII letters and digits); the
 * placeholders replace whole words or fixed shapes that span several words
 * (UUIDs, timestamps, pod suffixes), so "python3" or "eth0" stay as they are
 * while "/proc/4242/root" becomes "/proc/<n>/root". */
#include "normalize.h"

#include <stdint.h>
#include <string.h>

void bl_out_init(bl_out *o, char *buf, size_t cap)
{
    o->buf = buf;
    o->len = 0;
    o->cap = cap;
    o->truncated = false;
    if (cap)
        buf[0] = '\0';
}

/* Character classes, one table lookup per byte: the normaliser runs on
 * every feature of every event checked, so it must not test characters one
 * predicate at a time. CC_POD is the alphabet Kubernetes uses for
 * pod-template hashes and random name suffixes (k8s.io/apimachinery
 * rand.SafeEncodeString): no vowels, no 0/1/3. */
enum {
    CC_DIGIT = 1,
    CC_UPPER = 2,
    CC_LOWER = 4,
    CC_HEX = 8, /* 0-9 a-f A-F */
    CC_POD = 16,
    CC_SPACE = 32,
    CC_ALNUM = CC_DIGIT | CC_UPPER | CC_LOWER,
};
#define D CC_DIGIT
#define U CC_UPPER
#define L CC_LOWER
#define H CC_HEX
#define P CC_POD
static const unsigned char char_class[256] = {
    ['\t'] = CC_SPACE, ['\n'] = CC_SPACE, ['\r'] = CC_SPACE, [' '] = CC_SPACE,  ['0'] = D | H,     ['1'] = D | H,
    ['2'] = D | H | P, ['3'] = D | H,     ['4'] = D | H | P, ['5'] = D | H | P, ['6'] = D | H | P, ['7'] = D | H | P,
    ['8'] = D | H | P, ['9'] = D | H | P, ['a'] = L | H,     ['b'] = L | H | P, ['c'] = L | H | P, ['d'] = L | H | P,
    ['e'] = L | H,     ['f'] = L | H | P, ['g'] = L | P,     ['h'] = L | P,     ['i'] = L,         ['j'] = L | P,
    ['k'] = L | P,     ['l'] = L | P,     ['m'] = L | P,     ['n'] = L | P,     ['o'] = L,         ['p'] = L | P,
    ['q'] = L | P,     ['r'] = L | P,     ['s'] = L | P,     ['t'] = L | P,     ['u'] = L,         ['v'] = L | P,
    ['w'] = L | P,     ['x'] = L | P,     ['y'] = L,         ['z'] = L | P,     ['A'] = U | H,     ['B'] = U | H,
    ['C'] = U | H,     ['D'] = U | H,     ['E'] = U | H,     ['F'] = U | H,     ['G'] = U,         ['H'] = U,
    ['I'] = U,         ['J'] = U,         ['K'] = U,         ['L'] = U,         ['M'] = U,         ['N'] = U,
    ['O'] = U,         ['P'] = U,         ['Q'] = U,         ['R'] = U,         ['S'] = U,         ['T'] = U,
    ['U'] = U,         ['V'] = U,         ['W'] = U,         ['X'] = U,         ['Y'] = U,         ['Z'] = U,
};
#undef D
#undef U
#undef L
#undef H
#undef P

static inline unsigned cls(char c)
{
    return char_class[(unsigned char)c];
}

static inline bool is_digit(char c)
{
    return cls(c) & CC_DIGIT;
}

static inline bool is_alnum(char c)
{
    return cls(c) & CC_ALNUM;
}

static inline bool is_space(char c)
{
    return cls(c) & CC_SPACE;
}

/* Length of a run of n chars of class k at s[i..], or 0. */
static size_t run_of(const char *s, size_t len, size_t i, size_t n, unsigned k)
{
    if (i + n > len)
        return 0;
    for (size_t j = 0; j < n; j++)
        if (!(cls(s[i + j]) & k))
            return 0;
    return n;
}

static bool boundary_at(const char *s, size_t len, size_t i)
{
    return i >= len || !is_alnum(s[i]);
}

/* 8-4-4-4-12 hex: returns its length or 0. */
static size_t match_uuid(const char *s, size_t len, size_t i)
{
    static const size_t groups[] = {8, 4, 4, 4, 12};
    size_t p = i;
    for (size_t g = 0; g < 5; g++) {
        if (!run_of(s, len, p, groups[g], CC_HEX))
            return 0;
        p += groups[g];
        if (g < 4) {
            if (p >= len || s[p] != '-')
                return 0;
            p++;
        }
    }
    return boundary_at(s, len, p) ? p - i : 0;
}

static size_t digits_at(const char *s, size_t len, size_t i)
{
    size_t k = i;
    while (k < len && is_digit(s[k]))
        k++;
    return k - i;
}

static int two_digits(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

/* YYYY[-_]MM[-_]DD, optionally [T _-]HH[:_-]MM[:_-]SS, optionally [.,]fraction,
 * optionally Z or +HH[:]MM. Returns its length or 0. */
static size_t match_timestamp(const char *s, size_t len, size_t i)
{
    if (digits_at(s, len, i) != 4 || i + 10 > len)
        return 0;
    if (!((s[i] == '1' && s[i + 1] == '9') || (s[i] == '2' && s[i + 1] == '0')))
        return 0;
    char sep = s[i + 4];
    if (sep != '-' && sep != '_')
        return 0;
    if (digits_at(s, len, i + 5) != 2 || s[i + 7] != sep || digits_at(s, len, i + 8) != 2)
        return 0;
    int mon = two_digits(s + i + 5), day = two_digits(s + i + 8);
    if (mon < 1 || mon > 12 || day < 1 || day > 31)
        return 0;
    size_t p = i + 10;
    if (p + 9 <= len && (s[p] == 'T' || s[p] == ' ' || s[p] == '_' || s[p] == '-') && digits_at(s, len, p + 1) == 2 &&
        (s[p + 3] == ':' || s[p + 3] == '_' || s[p + 3] == '-') && digits_at(s, len, p + 4) == 2 &&
        s[p + 6] == s[p + 3] && digits_at(s, len, p + 7) == 2) {
        p += 9;
        if (p + 1 < len && (s[p] == '.' || s[p] == ',') && is_digit(s[p + 1]))
            p += 1 + digits_at(s, len, p + 1);
        if (p < len && s[p] == 'Z')
            p++;
        else if (p + 3 <= len && (s[p] == '+' || s[p] == '-') && digits_at(s, len, p + 1) >= 2) {
            size_t q = p + 3;
            if (q < len && s[q] == ':')
                q++;
            if (digits_at(s, len, q) == 2)
                p = q + 2;
        }
    }
    return boundary_at(s, len, p) ? p - i : 0;
}

/* The word (maximal run of ASCII letters and digits) at s[i..]: its length,
 * and the classes every one of its characters has (*all) and some have (*any). */
static size_t scan_word(const char *s, size_t len, size_t i, unsigned *all, unsigned *any)
{
    unsigned a = ~0u, y = 0;
    size_t k = i;
    while (k < len) {
        unsigned c = cls(s[k]);
        if (!(c & CC_ALNUM))
            break;
        a &= c;
        y |= c;
        k++;
    }
    *all = a;
    *any = y;
    return k - i;
}

/* After a '-': "<hash>-<suffix>" (hash 6..10, suffix 5 pod chars) or a
 * single word of 5..10 pod chars holding a digit. w, all and any describe
 * the word at i (scan_word). */
static size_t match_pod_suffix(const char *s, size_t len, size_t i, size_t w, unsigned all, unsigned any)
{
    if (w < 5 || w > 10 || !(all & CC_POD))
        return 0;
    if (w >= 6 && i + w < len && s[i + w] == '-') {
        unsigned all2, any2;
        size_t w2 = scan_word(s, len, i + w + 1, &all2, &any2);
        /* no digit needed here: 15 vowel-free characters in this shape do not
         * occur in names people write, and ~1% of real hashes have no digit */
        if (w2 == 5 && (all2 & CC_POD))
            return w + 1 + w2;
    }
    return (any & CC_DIGIT) ? w : 0;
}

/* A word that is not part of a larger shape; all/any as scan_word. */
static void put_word(bl_out *o, const char *s, size_t n, unsigned all, unsigned any)
{
    if (!(any & CC_DIGIT)) {
        /* letters only: nothing to replace */
        bl_out_putn(o, s, n);
        return;
    }
    if (all & CC_DIGIT) {
        bl_out_putn(o, "<n>", 3);
        return;
    }
    if ((all & CC_HEX) && n >= 8) {
        if (n >= 24)
            bl_out_putn(o, "<id>", 4);
        else
            bl_out_putn(o, "<hex>", 5);
        return;
    }
    if (n >= 16 && (any & CC_UPPER) && (any & CC_LOWER)) {
        bl_out_putn(o, "<b64>", 5);
        return;
    }
    /* letters stay; digit runs of 3+ inside the word become <n> (so "x86",
     * "python3" and "h2" stay, "build3518135900" does not) */
    size_t k = 0;
    while (k < n) {
        size_t d = 0;
        while (k + d < n && is_digit(s[k + d]))
            d++;
        if (d >= 3) {
            bl_out_putn(o, "<n>", 3);
            k += d;
        } else if (d) {
            bl_out_putn(o, s + k, d);
            k += d;
        } else {
            size_t a = 0;
            while (k + a < n && !is_digit(s[k + a]))
                a++;
            bl_out_putn(o, s + k, a);
            k += a;
        }
    }
}

/* The bytes where a change can begin: digits (every number-like shape holds
 * one), '-' (UUIDs and pod suffixes) and whitespace or control bytes (<=
 * 0x20). Text without any of them is kept as it is. */
static inline bool is_special(char c)
{
    unsigned char u = (unsigned char)c;
    return u <= 0x20 || u == '-' || (u >= '0' && u <= '9');
}

#define BYTES_01 0x0101010101010101ULL
#define BYTES_80 0x8080808080808080ULL

/* The first special byte at or after i (len when none), eight bytes a step:
 * per byte, the low seven bits plus a constant carry into the high bit
 * exactly when the byte is at or above a bound (no carry reaches the next
 * byte), and bytes >= 0x80 (UTF-8) are never special. */
static size_t plain_until(const char *s, size_t len, size_t i)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (; i + 8 <= len; i += 8) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        uint64_t lo = x & ~BYTES_80, ascii = ~x & BYTES_80;
        uint64_t digit = (lo + BYTES_01 * (0x80 - '0')) & ~(lo + BYTES_01 * (0x80 - '9' - 1));
        uint64_t t = lo ^ (BYTES_01 * '-');
        uint64_t dash = ~((t + BYTES_01 * 0x7f) | t);
        uint64_t low = ~(lo + BYTES_01 * (0x80 - 0x21));
        uint64_t m = (digit | dash | low) & ascii;
        if (m)
            return i + ((size_t)__builtin_ctzll(m) >> 3);
    }
#endif
    while (i < len && !is_special(s[i]))
        i++;
    return i;
}

void bl_normalize(bl_out *o, const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        /* fast path: copy up to the word that holds (or ends at) the next
         * special byte. Not right after a '-', where a letters-only word may
         * be a pod suffix. */
        if (i == 0 || s[i - 1] != '-') {
            size_t j = plain_until(s, len, i);
            if (j == len) {
                bl_out_putn(o, s + i, len - i);
                return;
            }
            while (j > i && is_alnum(s[j - 1]))
                j--;
            if (j > i) {
                bl_out_putn(o, s + i, j - i);
                i = j;
            }
        }
        unsigned c = cls(s[i]);
        if (c & CC_SPACE) {
            while (i < len && is_space(s[i]))
                i++;
            bl_out_putc(o, ' ');
            continue;
        }
        if (!(c & CC_ALNUM)) {
            /* punctuation and non-ASCII bytes are kept: copy the whole run */
            size_t j = i + 1;
            while (j < len && !(cls(s[j]) & (CC_ALNUM | CC_SPACE)))
                j++;
            bl_out_putn(o, s + i, j - i);
            i = j;
            continue;
        }
        /* a word; the multi-word shapes can only start at words of one exact
         * shape, so they are tried only then */
        unsigned all, any;
        size_t w = scan_word(s, len, i, &all, &any), m = 0;
        if (w == 8 && (all & CC_HEX) && (m = match_uuid(s, len, i))) {
            bl_out_putn(o, "<uuid>", 6);
        } else if (w == 4 && (all & CC_DIGIT) && (m = match_timestamp(s, len, i))) {
            bl_out_putn(o, "<ts>", 4);
        } else if (i > 0 && s[i - 1] == '-' && (m = match_pod_suffix(s, len, i, w, all, any))) {
            bl_out_putn(o, "<pod>", 5);
        } else {
            m = w;
            put_word(o, s + i, w, all, any);
        }
        i += m;
    }
}

static bool all_pod_chars(const char *s, size_t n)
{
    return run_of(s, n, 0, n, CC_POD) == n;
}

size_t bl_pod_workload(const char *name, const char **kind)
{
    size_t n = strlen(name);
    *kind = "Pod";
    const char *dash = memrchr(name, '-', n);
    if (!dash || dash == name)
        return n;
    size_t last = (size_t)(dash - name), w = n - last - 1;
    if (w >= 1 && digits_at(name, n, last + 1) == w) {
        *kind = "StatefulSet";
        return last;
    }
    if (w != 5 || !all_pod_chars(name + last + 1, 5))
        return n;
    const char *dash2 = last ? memrchr(name, '-', last) : NULL;
    if (dash2 && dash2 != name) {
        size_t h = last - (size_t)(dash2 - name) - 1;
        if (h >= 6 && h <= 10 && all_pod_chars(dash2 + 1, h)) {
            *kind = "Deployment";
            return (size_t)(dash2 - name);
        }
    }
    *kind = "DaemonSet";
    return last;
}

void bl_arg_shape(bl_out *o, const char *args, size_t max_tokens)
{
    char tok[512];
    size_t ntok = 0, i = 0, len = strlen(args);
    while (i < len) {
        while (i < len && is_space(args[i]))
            i++;
        if (i >= len)
            break;
        /* most tokens hold no quote or backslash: normalised in place, no copy */
        size_t start = i;
        while (i < len && !is_space(args[i]) && args[i] != '"' && args[i] != '\'' && args[i] != '\\')
            i++;
        const char *t = args + start;
        size_t tl = i - start;
        if (i < len && !is_space(args[i])) {
            /* quotes or escapes: unquote into tok (kept to its size, as before) */
            tl = tl < sizeof tok - 1 ? tl : sizeof tok - 1;
            memcpy(tok, t, tl);
            t = tok;
            char quote = 0;
            while (i < len && (quote || !is_space(args[i]))) {
                char c = args[i++];
                if (quote) {
                    if (c == quote) {
                        quote = 0;
                        continue;
                    }
                    if (c == '\\' && quote == '"' && i < len && (args[i] == '"' || args[i] == '\\'))
                        c = args[i++];
                } else if (c == '"' || c == '\'') {
                    quote = c;
                    continue;
                } else if (c == '\\' && i < len) {
                    c = args[i++];
                }
                if (tl < sizeof tok - 1)
                    tok[tl++] = c;
            }
        } else if (tl > sizeof tok - 1) {
            tl = sizeof tok - 1;
        }
        if (ntok == max_tokens) {
            bl_out_puts(o, " \xe2\x80\xa6"); /* " …": more tokens followed */
            return;
        }
        if (ntok++)
            bl_out_putc(o, ' ');
        bl_normalize(o, t, tl);
    }
}

void bl_arg_shape_argv(bl_out *o, const char *const *argv, size_t argc, size_t max_tokens)
{
    for (size_t i = 0; i < argc; i++) {
        if (i == max_tokens) {
            bl_out_puts(o, " \xe2\x80\xa6");
            return;
        }
        if (i)
            bl_out_putc(o, ' ');
        bl_normalize(o, argv[i], strlen(argv[i]));
    }
}
