/* SPDX-License-Identifier: Apache-2.0 */
/* The users file. One line per user, colon-separated (docs/taxii.md):
 *
 *   name:pbkdf2-sha256:ITERATIONS:SALT_HEX:KEY_HEX:READ_LIST:WRITE_LIST
 *
 * where the lists are comma-separated collection aliases, UUIDs or "*".
 * Lines starting with '#' and empty lines are comments. The salt is random
 * per user and per password change, so equal passwords do not show. */
#include <storm/users.h>

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <storm/array.h>
#include <storm/io.h>
#include <storm/codec.h>

#define USERS_FILE_MAX ((size_t)8 << 20)
#define USERS_SALT_LEN 16
#define USERS_SALT_MAX 64
#define USERS_KEY_LEN 32
#define USERS_GRANT_LEN 64
#define USERS_ITERATIONS_MAX 100000000u
#define USERS_SCHEME "pbkdf2-sha256"

typedef struct grant_list {
    char items[STORM_USERS_GRANTS_MAX][USERS_GRANT_LEN];
    size_t n;
} grant_list;

typedef struct user {
    char name[STORM_USERS_NAME_MAX + 1];
    unsigned iterations;
    unsigned char salt[USERS_SALT_MAX];
    size_t salt_len;
    unsigned char key[USERS_KEY_LEN];
    grant_list read, write;
} user;

struct storm_users {
    user *items;
    size_t n, alloc;
    unsigned iterations; /* for new hashes */
};

storm_users *storm_users_new(void)
{
    storm_users *u = calloc(1, sizeof *u);
    if (u)
        u->iterations = STORM_USERS_ITERATIONS_DEFAULT;
    return u;
}

void storm_users_free(storm_users *u)
{
    if (!u)
        return;
    OPENSSL_cleanse(u->items, u->alloc * sizeof *u->items);
    free(u->items);
    free(u);
}

void storm_users_set_iterations(storm_users *u, unsigned iterations)
{
    if (iterations < STORM_USERS_ITERATIONS_MIN)
        iterations = STORM_USERS_ITERATIONS_MIN;
    if (iterations > USERS_ITERATIONS_MAX)
        iterations = USERS_ITERATIONS_MAX;
    u->iterations = iterations;
}

static bool valid_name(const char *name)
{
    size_t n = strlen(name);
    /* A leading '-' would read as an option on every command line that names the user. */
    if (n == 0 || n > STORM_USERS_NAME_MAX || name[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-' || c == '@'))
            return false;
    }
    return true;
}

static bool valid_grant(const char *g)
{
    size_t n = strlen(g);
    if (n == 0 || n >= USERS_GRANT_LEN)
        return false;
    if (strcmp(g, "*") == 0)
        return true;
    for (size_t i = 0; i < n; i++) {
        char c = g[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return false;
    }
    return true;
}

static user *find(const storm_users *u, const char *name)
{
    for (size_t i = 0; i < u->n; i++)
        if (strcmp(u->items[i].name, name) == 0)
            return &u->items[i];
    return NULL;
}

static bool derive(const char *password, size_t len, const unsigned char *salt, size_t salt_len, unsigned iterations,
                   unsigned char key[USERS_KEY_LEN])
{
    return PKCS5_PBKDF2_HMAC(password, (int)len, salt, (int)salt_len, (int)iterations, EVP_sha256(), USERS_KEY_LEN,
                             key) == 1;
}

static storm_rc set_password(storm_users *u, user *usr, const char *password, storm_err *err)
{
    size_t len = strlen(password);
    if (len == 0)
        return storm_err_set(err, STORM_ERR_VALUE, 0, "users: the password is empty");
    if (len > STORM_USERS_PASSWORD_MAX)
        return storm_err_set(err, STORM_ERR_LIMIT, 0, "users: the password is longer than %d bytes",
                             STORM_USERS_PASSWORD_MAX);
    if (RAND_bytes(usr->salt, USERS_SALT_LEN) != 1)
        return storm_err_set(err, STORM_ERR_IO, 0, "users: no random bytes for the salt");
    usr->salt_len = USERS_SALT_LEN;
    usr->iterations = u->iterations;
    if (!derive(password, len, usr->salt, usr->salt_len, usr->iterations, usr->key))
        return storm_err_set(err, STORM_ERR_IO, 0, "users: PBKDF2 failed");
    return STORM_OK;
}

storm_rc storm_users_add(storm_users *u, const char *name, const char *password, storm_err *err)
{
    if (!valid_name(name))
        return storm_err_set(err, STORM_ERR_VALUE, 0,
                             "users: '%s' is not a valid user name (1-%d of A-Z a-z 0-9 . _ - @, not starting with -)",
                             name, STORM_USERS_NAME_MAX);
    if (find(u, name))
        return storm_err_set(err, STORM_ERR_STATE, 0, "users: '%s' exists already (use passwd to change it)", name);
    if (u->n >= STORM_USERS_MAX)
        return storm_err_set(err, STORM_ERR_LIMIT, 0, "users: more than %d users", STORM_USERS_MAX);
    if (STORM_ARRAY_GROW(u->items, u->n + 1, u->alloc, 8))
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "users: out of memory");
    user *usr = &u->items[u->n];
    memset(usr, 0, sizeof *usr);
    snprintf(usr->name, sizeof usr->name, "%s", name);
    storm_rc rc = set_password(u, usr, password, err);
    if (rc)
        return rc;
    u->n++;
    return STORM_OK;
}

static storm_rc need_user(const storm_users *u, const char *name, user **out, storm_err *err)
{
    *out = find(u, name);
    if (!*out)
        return storm_err_set(err, STORM_ERR_NOTFOUND, 0, "users: no user '%s'", name);
    return STORM_OK;
}

storm_rc storm_users_set_password(storm_users *u, const char *name, const char *password, storm_err *err)
{
    user *usr;
    storm_rc rc = need_user(u, name, &usr, err);
    return rc ? rc : set_password(u, usr, password, err);
}

storm_rc storm_users_remove(storm_users *u, const char *name, storm_err *err)
{
    user *usr;
    storm_rc rc = need_user(u, name, &usr, err);
    if (rc)
        return rc;
    size_t i = (size_t)(usr - u->items);
    memmove(&u->items[i], &u->items[i + 1], (u->n - i - 1) * sizeof *u->items);
    u->n--;
    OPENSSL_cleanse(&u->items[u->n], sizeof *u->items);
    return STORM_OK;
}

static grant_list *list_of(user *usr, storm_users_right right)
{
    return right == STORM_USERS_WRITE ? &usr->write : &usr->read;
}

storm_rc storm_users_grant(storm_users *u, const char *name, storm_users_right right, const char *collection,
                           storm_err *err)
{
    user *usr;
    storm_rc rc = need_user(u, name, &usr, err);
    if (rc)
        return rc;
    if (!valid_grant(collection))
        return storm_err_set(err, STORM_ERR_VALUE, 0,
                             "users: '%s' is not a collection alias, UUID or '*' (1-%d of A-Z a-z 0-9 . _ -)",
                             collection, USERS_GRANT_LEN - 1);
    grant_list *l = list_of(usr, right);
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i], collection) == 0)
            return STORM_OK;
    if (l->n >= STORM_USERS_GRANTS_MAX)
        return storm_err_set(err, STORM_ERR_LIMIT, 0, "users: more than %d collections in one right",
                             STORM_USERS_GRANTS_MAX);
    snprintf(l->items[l->n++], USERS_GRANT_LEN, "%s", collection);
    return STORM_OK;
}

storm_rc storm_users_revoke(storm_users *u, const char *name, storm_users_right right, const char *collection,
                            storm_err *err)
{
    user *usr;
    storm_rc rc = need_user(u, name, &usr, err);
    if (rc)
        return rc;
    grant_list *l = list_of(usr, right);
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->items[i], collection) == 0) {
            memmove(l->items[i], l->items[i + 1], (l->n - i - 1) * USERS_GRANT_LEN);
            l->n--;
            return STORM_OK;
        }
    }
    return storm_err_set(err, STORM_ERR_NOTFOUND, 0, "users: '%s' holds no %s right on '%s'", name,
                         right == STORM_USERS_WRITE ? "write" : "read", collection);
}

size_t storm_users_count(const storm_users *u)
{
    return u ? u->n : 0;
}

const char *storm_users_name(const storm_users *u, size_t i)
{
    return u && i < u->n ? u->items[i].name : NULL;
}

bool storm_users_exists(const storm_users *u, const char *name)
{
    return u && name && find(u, name) != NULL;
}

static void put_list(storm_buf *b, const grant_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        storm_buf_printf(b, "%s%s", i ? "," : "", l->items[i]);
}

storm_rc storm_users_describe(const storm_users *u, size_t i, storm_buf *out)
{
    if (!u || i >= u->n)
        return STORM_ERR_NOTFOUND;
    const user *usr = &u->items[i];
    storm_buf_printf(out, "%s  read=", usr->name);
    put_list(out, &usr->read);
    storm_buf_puts(out, "  write=");
    put_list(out, &usr->write);
    return storm_buf_printf(out, "  (%s, %u iterations)", USERS_SCHEME, usr->iterations);
}

static _Atomic unsigned long derivations; /* verify's PBKDF2 runs, for tests */

unsigned long storm_users_derivations(void)
{
    return derivations;
}

/* The cost of an unknown user's dummy derivation: the largest of the known
 * users', so that no answer is faster for a name that does not exist. */
static unsigned dummy_iterations(const storm_users *u)
{
    unsigned it = 0;
    for (size_t i = 0; u && i < u->n; i++)
        if (u->items[i].iterations > it)
            it = u->items[i].iterations;
    return it ? it : STORM_USERS_ITERATIONS_DEFAULT;
}

bool storm_users_verify(const storm_users *u, const char *name, const char *password, size_t password_len)
{
    const user *usr = u && name ? find(u, name) : NULL;
    unsigned char key[USERS_KEY_LEN];
    if (password_len == 0 || password_len > STORM_USERS_PASSWORD_MAX)
        return false; /* the same for every name */
    if (!usr) {
        /* Same work as for a known user, then no: timing must not tell
         * which user names exist. */
        static const unsigned char dummy_salt[USERS_SALT_LEN] = {0};
        derivations++;
        derive(password, password_len, dummy_salt, sizeof dummy_salt, dummy_iterations(u), key);
        OPENSSL_cleanse(key, sizeof key);
        return false;
    }
    derivations++;
    if (!derive(password, password_len, usr->salt, usr->salt_len, usr->iterations, key))
        return false;
    bool ok = CRYPTO_memcmp(key, usr->key, USERS_KEY_LEN) == 0;
    OPENSSL_cleanse(key, sizeof key);
    return ok;
}

bool storm_users_can(const storm_users *u, const char *name, storm_users_right right, const char *collection_id,
                     const char *collection_alias)
{
    user *usr = u && name ? find(u, name) : NULL;
    if (!usr)
        return false;
    const grant_list *l = list_of(usr, right);
    for (size_t i = 0; i < l->n; i++) {
        const char *g = l->items[i];
        if (strcmp(g, "*") == 0 || (collection_id && strcmp(g, collection_id) == 0) ||
            (collection_alias && *collection_alias && strcmp(g, collection_alias) == 0))
            return true;
    }
    return false;
}

/* ---- the file ---------------------------------------------------------- */

static void hex_put(storm_buf *b, const unsigned char *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        storm_buf_putc(b, digits[p[i] >> 4]);
        storm_buf_putc(b, digits[p[i] & 15]);
    }
}

static bool hex_get(const char *s, size_t len, unsigned char *out, size_t cap, size_t *n)
{
    if (len % 2 || len / 2 > cap || len == 0)
        return false;
    for (size_t i = 0; i < len; i += 2) {
        int hi = codec_hex_digit(s[i]), lo = codec_hex_digit(s[i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i / 2] = (unsigned char)(hi << 4 | lo);
    }
    *n = len / 2;
    return true;
}

storm_rc storm_users_save(const storm_users *u, const char *path, storm_err *err)
{
    storm_buf b;
    storm_buf_init(&b, USERS_FILE_MAX);
    storm_buf_puts(&b, "# storm users file (docs/taxii.md); edit with 'storm users'\n"
                       "# name:scheme:iterations:salt:key:read-collections:write-collections\n");
    for (size_t i = 0; i < u->n; i++) {
        const user *usr = &u->items[i];
        storm_buf_printf(&b, "%s:" USERS_SCHEME ":%u:", usr->name, usr->iterations);
        hex_put(&b, usr->salt, usr->salt_len);
        storm_buf_putc(&b, ':');
        hex_put(&b, usr->key, USERS_KEY_LEN);
        storm_buf_putc(&b, ':');
        put_list(&b, &usr->read);
        storm_buf_putc(&b, ':');
        put_list(&b, &usr->write);
        storm_buf_putc(&b, '\n');
    }
    if (!b.data) {
        storm_buf_free(&b);
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "users: out of memory");
    }
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid()) >= sizeof tmp) {
        storm_buf_free(&b);
        return storm_err_set(err, STORM_ERR_LIMIT, 0, "users: path too long");
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        storm_buf_free(&b);
        return storm_err_set(err, STORM_ERR_IO, 0, "users: cannot create %s: %s", tmp, strerror(errno));
    }
    size_t off = 0;
    while (off < b.len) {
        ssize_t w = write(fd, b.data + off, b.len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    bool ok = off == b.len && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    storm_buf_free(&b);
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return storm_err_set(err, STORM_ERR_IO, 0, "users: cannot write %s: %s", path, strerror(e));
    }
    return STORM_OK;
}

static bool parse_list(const char *s, size_t len, grant_list *l)
{
    l->n = 0;
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && s[j] != ',')
            j++;
        if (j == i || j - i >= USERS_GRANT_LEN || l->n >= STORM_USERS_GRANTS_MAX)
            return false;
        memcpy(l->items[l->n], s + i, j - i);
        l->items[l->n][j - i] = '\0';
        if (!valid_grant(l->items[l->n]))
            return false;
        l->n++;
        i = j + 1;
        if (j + 1 == len && s[j] == ',')
            return false; /* trailing comma */
    }
    return true;
}

/* One line: fields split on ':'; exactly 7 of them. */
static const char *parse_line(const char *line, size_t len, user *usr)
{
    const char *f[7];
    size_t fl[7], nf = 0, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || line[i] == ':') {
            if (nf == 7)
                return "more than 7 ':'-separated fields";
            f[nf] = line + start;
            fl[nf++] = i - start;
            start = i + 1;
        }
    }
    if (nf != 7)
        return "expected 7 ':'-separated fields (name:scheme:iterations:salt:key:read:write)";
    memset(usr, 0, sizeof *usr);
    if (fl[0] == 0 || fl[0] > STORM_USERS_NAME_MAX)
        return "bad user name";
    memcpy(usr->name, f[0], fl[0]);
    if (!valid_name(usr->name))
        return "bad user name";
    if (fl[1] != strlen(USERS_SCHEME) || memcmp(f[1], USERS_SCHEME, fl[1]) != 0)
        return "unknown hash scheme (expected " USERS_SCHEME ")";
    unsigned long it = 0;
    if (fl[2] == 0 || fl[2] > 9)
        return "bad iteration count";
    for (size_t i = 0; i < fl[2]; i++) {
        if (f[2][i] < '0' || f[2][i] > '9')
            return "bad iteration count";
        it = it * 10 + (unsigned long)(f[2][i] - '0');
    }
    if (it < 1 || it > USERS_ITERATIONS_MAX)
        return "bad iteration count";
    usr->iterations = (unsigned)it;
    if (!hex_get(f[3], fl[3], usr->salt, USERS_SALT_MAX, &usr->salt_len))
        return "bad salt (hex, at most 64 bytes)";
    size_t kl;
    if (!hex_get(f[4], fl[4], usr->key, USERS_KEY_LEN, &kl) || kl != USERS_KEY_LEN)
        return "bad key (64 hex digits)";
    if (!parse_list(f[5], fl[5], &usr->read))
        return "bad read list (comma-separated aliases, UUIDs or *)";
    if (!parse_list(f[6], fl[6], &usr->write))
        return "bad write list (comma-separated aliases, UUIDs or *)";
    return NULL;
}

storm_rc storm_users_load(const char *path, bool missing_ok, storm_users **out, storm_err *err)
{
    *out = NULL;
    storm_users *u = storm_users_new();
    if (!u)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "users: out of memory");
    if (missing_ok && access(path, F_OK) != 0 && errno == ENOENT) {
        *out = u;
        return STORM_OK;
    }
    char *text = NULL;
    size_t len = 0;
    storm_rc rc = storm_read_file(path, USERS_FILE_MAX, &text, &len, err);
    if (rc) {
        storm_users_free(u);
        return rc;
    }
    size_t pos = 0;
    uint32_t lineno = 0;
    while (pos < len && !rc) {
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        lineno++;
        size_t l = end;
        if (l > pos && text[l - 1] == '\r')
            l--;
        if (l > pos && text[pos] != '#') {
            user usr;
            const char *why = parse_line(text + pos, l - pos, &usr);
            if (!why && find(u, usr.name))
                why = "the user is listed twice";
            if (!why && u->n >= STORM_USERS_MAX)
                why = "too many users";
            if (!why && STORM_ARRAY_GROW(u->items, u->n + 1, u->alloc, 8))
                why = "out of memory";
            if (why) {
                rc = storm_err_set(err, STORM_ERR_SYNTAX, pos, "users: %s, line %u: %s", path, lineno, why);
                if (err) {
                    err->line = lineno;
                    err->col = 1;
                }
            } else {
                u->items[u->n++] = usr;
            }
            OPENSSL_cleanse(&usr, sizeof usr);
        }
        pos = end + 1;
    }
    OPENSSL_cleanse(text, len);
    free(text);
    if (rc) {
        storm_users_free(u);
        return rc;
    }
    *out = u;
    return STORM_OK;
}
