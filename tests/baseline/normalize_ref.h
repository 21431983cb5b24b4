/* SPDX-License-Identifier: Apache-2.0 */
/* The reference normaliser: the first, straightforward implementation of
 * src/baseline/normalize.c (one predicate per character, one character at a
 * time), kept as the oracle that the optimised one must match byte for byte
 * (test_normalize_ref.c). Profiles store normalised text, so any change in
 * the output would make stored profiles stop matching. */
#ifndef STORM_TEST_BASELINE_NORMALIZE_REF_H
#define STORM_TEST_BASELINE_NORMALIZE_REF_H

#include <stdbool.h>
#include <string.h>

#include "normalize.h"

static bool ref_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool ref_is_alnum(char c)
{
    return ref_is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool ref_is_hex(char c)
{
    return ref_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool ref_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The alphabet Kubernetes uses for pod-template hashes and random name
 * suffixes (k8s.io/apimachinery rand.SafeEncodeString): no vowels, no 0/1/3. */
static bool ref_is_pod_char(char c)
{
    return c && strchr("bcdfghjklmnpqrstvwxz2456789", c) != NULL;
}

/* Length of a run of n chars satisfying pred at s[i..], or 0. */
static size_t ref_run_of(const char *s, size_t len, size_t i, size_t n, bool (*pred)(char))
{
    if (i + n > len)
        return 0;
    for (size_t k = 0; k < n; k++)
        if (!pred(s[i + k]))
            return 0;
    return n;
}

static bool ref_boundary_at(const char *s, size_t len, size_t i)
{
    return i >= len || !ref_is_alnum(s[i]);
}

/* 8-4-4-4-12 hex: returns its length or 0. */
static size_t ref_match_uuid(const char *s, size_t len, size_t i)
{
    static const size_t groups[] = {8, 4, 4, 4, 12};
    size_t p = i;
    for (size_t g = 0; g < 5; g++) {
        if (!ref_run_of(s, len, p, groups[g], ref_is_hex))
            return 0;
        p += groups[g];
        if (g < 4) {
            if (p >= len || s[p] != '-')
                return 0;
            p++;
        }
    }
    return ref_boundary_at(s, len, p) ? p - i : 0;
}

static size_t ref_digits_at(const char *s, size_t len, size_t i)
{
    size_t k = i;
    while (k < len && ref_is_digit(s[k]))
        k++;
    return k - i;
}

static int ref_two_digits(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

/* YYYY[-_]MM[-_]DD, optionally [T _-]HH[:_-]MM[:_-]SS, optionally [.,]fraction,
 * optionally Z or +HH[:]MM. Returns its length or 0. */
static size_t ref_match_timestamp(const char *s, size_t len, size_t i)
{
    if (ref_digits_at(s, len, i) != 4 || i + 10 > len)
        return 0;
    if (!((s[i] == '1' && s[i + 1] == '9') || (s[i] == '2' && s[i + 1] == '0')))
        return 0;
    char sep = s[i + 4];
    if (sep != '-' && sep != '_')
        return 0;
    if (ref_digits_at(s, len, i + 5) != 2 || s[i + 7] != sep || ref_digits_at(s, len, i + 8) != 2)
        return 0;
    int mon = ref_two_digits(s + i + 5), day = ref_two_digits(s + i + 8);
    if (mon < 1 || mon > 12 || day < 1 || day > 31)
        return 0;
    size_t p = i + 10;
    if (p + 9 <= len && (s[p] == 'T' || s[p] == ' ' || s[p] == '_' || s[p] == '-') &&
        ref_digits_at(s, len, p + 1) == 2 && (s[p + 3] == ':' || s[p + 3] == '_' || s[p + 3] == '-') &&
        ref_digits_at(s, len, p + 4) == 2 && s[p + 6] == s[p + 3] && ref_digits_at(s, len, p + 7) == 2) {
        p += 9;
        if (p + 1 < len && (s[p] == '.' || s[p] == ',') && ref_is_digit(s[p + 1]))
            p += 1 + ref_digits_at(s, len, p + 1);
        if (p < len && s[p] == 'Z')
            p++;
        else if (p + 3 <= len && (s[p] == '+' || s[p] == '-') && ref_digits_at(s, len, p + 1) >= 2) {
            size_t q = p + 3;
            if (q < len && s[q] == ':')
                q++;
            if (ref_digits_at(s, len, q) == 2)
                p = q + 2;
        }
    }
    return ref_boundary_at(s, len, p) ? p - i : 0;
}

static size_t ref_word_at(const char *s, size_t len, size_t i)
{
    size_t k = i;
    while (k < len && ref_is_alnum(s[k]))
        k++;
    return k - i;
}

static bool ref_all_pod_chars(const char *s, size_t n, bool *has_digit)
{
    *has_digit = false;
    for (size_t k = 0; k < n; k++) {
        if (!ref_is_pod_char(s[k]))
            return false;
        if (ref_is_digit(s[k]))
            *has_digit = true;
    }
    return true;
}

/* After a '-': "<hash>-<suffix>" (hash 6..10, suffix 5 pod chars) or a
 * single word of 5..10 pod chars holding a digit. */
static size_t ref_match_pod_suffix(const char *s, size_t len, size_t i)
{
    size_t w = ref_word_at(s, len, i);
    bool d1 = false, d2 = false;
    if (w < 5 || w > 10 || !ref_all_pod_chars(s + i, w, &d1))
        return 0;
    if (w >= 6 && i + w < len && s[i + w] == '-') {
        size_t w2 = ref_word_at(s, len, i + w + 1);
        /* no digit needed here: 15 vowel-free characters in this shape do not
         * occur in names people write, and ~1% of real hashes have no digit */
        if (w2 == 5 && ref_all_pod_chars(s + i + w + 1, 5, &d2) && ref_boundary_at(s, len, i + w + 1 + w2))
            return w + 1 + w2;
    }
    return d1 ? w : 0;
}

static void ref_put_word(bl_out *o, const char *s, size_t n)
{
    size_t digits = 0, upper = 0, lower = 0, hex = 0;
    for (size_t k = 0; k < n; k++)
        if (ref_is_digit(s[k]))
            digits++;
    if (!digits) {
        /* letters only: nothing to replace */
        bl_out_putn(o, s, n);
        return;
    }
    digits = 0;
    for (size_t k = 0; k < n; k++) {
        char c = s[k];
        if (ref_is_digit(c))
            digits++;
        else if (c >= 'A' && c <= 'Z')
            upper++;
        else
            lower++;
        if (ref_is_hex(c))
            hex++;
    }
    if (digits == n) {
        bl_out_puts(o, "<n>");
        return;
    }
    if (hex == n && digits && n >= 8) {
        bl_out_puts(o, n >= 24 ? "<id>" : "<hex>");
        return;
    }
    if (n >= 16 && digits && upper && lower) {
        bl_out_puts(o, "<b64>");
        return;
    }
    /* letters stay; digit runs of 3+ inside the word become <n> (so "x86",
     * "python3" and "h2" stay, "build3518135900" does not) */
    size_t k = 0;
    while (k < n) {
        size_t d = 0;
        while (k + d < n && ref_is_digit(s[k + d]))
            d++;
        if (d >= 3) {
            bl_out_puts(o, "<n>");
            k += d;
        } else if (d) {
            bl_out_putn(o, s + k, d);
            k += d;
        } else {
            size_t a = 0;
            while (k + a < n && !ref_is_digit(s[k + a]))
                a++;
            bl_out_putn(o, s + k, a);
            k += a;
        }
    }
}

static void ref_normalize(bl_out *o, const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        char c = s[i];
        if (ref_is_space(c)) {
            while (i < len && ref_is_space(s[i]))
                i++;
            bl_out_putc(o, ' ');
            continue;
        }
        if (!ref_is_alnum(c)) {
            bl_out_putc(o, c);
            i++;
            continue;
        }
        size_t m;
        if ((m = ref_match_uuid(s, len, i))) {
            bl_out_puts(o, "<uuid>");
        } else if ((m = ref_match_timestamp(s, len, i))) {
            bl_out_puts(o, "<ts>");
        } else if (i > 0 && s[i - 1] == '-' && (m = ref_match_pod_suffix(s, len, i))) {
            bl_out_puts(o, "<pod>");
        } else {
            m = ref_word_at(s, len, i);
            ref_put_word(o, s + i, m);
        }
        i += m;
    }
}

static size_t ref_pod_workload(const char *name, const char **kind)
{
    size_t n = strlen(name);
    *kind = "Pod";
    const char *dash = memrchr(name, '-', n);
    if (!dash || dash == name)
        return n;
    size_t last = (size_t)(dash - name), w = n - last - 1;
    bool d;
    if (w >= 1 && ref_digits_at(name, n, last + 1) == w) {
        *kind = "StatefulSet";
        return last;
    }
    if (w != 5 || !ref_all_pod_chars(name + last + 1, 5, &d))
        return n;
    const char *dash2 = last ? memrchr(name, '-', last) : NULL;
    if (dash2 && dash2 != name) {
        size_t h = last - (size_t)(dash2 - name) - 1;
        if (h >= 6 && h <= 10 && ref_all_pod_chars(dash2 + 1, h, &d)) {
            *kind = "Deployment";
            return (size_t)(dash2 - name);
        }
    }
    *kind = "DaemonSet";
    return last;
}

static void ref_arg_shape(bl_out *o, const char *args, size_t max_tokens)
{
    char tok[512];
    size_t ntok = 0, i = 0, len = strlen(args);
    while (i < len) {
        while (i < len && ref_is_space(args[i]))
            i++;
        if (i >= len)
            break;
        size_t tl = 0;
        char quote = 0;
        while (i < len && (quote || !ref_is_space(args[i]))) {
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
        if (ntok == max_tokens) {
            bl_out_puts(o, " \xe2\x80\xa6"); /* " …": more tokens followed */
            return;
        }
        if (ntok++)
            bl_out_putc(o, ' ');
        ref_normalize(o, tok, tl);
    }
}

#endif
