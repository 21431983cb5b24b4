/* SPDX-License-Identifier: Apache-2.0 */
/* storm users: manage the TAXII server's users file. Passwords are read
 * from standard input (never from the command line, where ps would show
 * them); on a terminal the echo is turned off. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <storm/buf.h>
#include <storm/uuid.h>
#include <storm/store.h>
#include <storm/users.h>

#include "cli.h"

#define USERS_DEFAULT_FILE "storm.users"
#define USERS_USAGE "usage: storm users [--file FILE] [--iterations N] [--db FILE] [-q] COMMAND"
/* Basic authentication sends the password with every request and the users
 * file keeps a PBKDF2 hash that an attacker who reads it can try guesses
 * against offline: a short password falls to that quickly. */
#define USERS_PASSWORD_MIN 12

static void users_help(FILE *out)
{
    fprintf(out,
            USERS_USAGE
            "\n\n"
            "Manage the users of storm serve --users FILE (default file: " USERS_DEFAULT_FILE ").\n\n"
            "commands:\n"
            "  add NAME                        add a user; the password (at least %d characters) is read\n"
            "                                  from standard input\n"
            "  passwd NAME                     change a password (read from standard input)\n"
            "  remove NAME                     remove a user\n"
            "  list                            list users and their rights\n"
            "  grant NAME RIGHT COLLECTION...  give read, write or rw on collections (alias, UUID or '*')\n"
            "  revoke NAME RIGHT COLLECTION... take them back\n\n"
            "options:\n"
            "  --file FILE       the users file (written atomically, mode 0600)\n"
            "  --iterations N    PBKDF2-HMAC-SHA256 iterations for new passwords (default %d)\n"
            "  --db FILE         with grant: every COLLECTION must exist in this store (else exit 1);\n"
            "                    without it, names other than '*', a UUID or a default alias get a warning\n"
            "  -q, --quiet       no confirmation line on standard error when a command succeeds\n\n"
            "example:\n"
            "  printf '%%s\\n' \"$PASSWORD\" | storm users --file users add alice\n"
            "  storm users --file users grant alice rw indicators\n",
            USERS_PASSWORD_MIN, STORM_USERS_ITERATIONS_DEFAULT);
}

/* One line from stdin into buf (no newline). Returns false on EOF/too long. */
static bool read_line(char *buf, size_t cap)
{
    if (!fgets(buf, (int)cap, stdin))
        return false;
    size_t n = strlen(buf);
    bool complete = n && buf[n - 1] == '\n';
    if (!complete && !feof(stdin))
        return false; /* longer than the cap */
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    return true;
}

static bool read_password(const char *prompt, char *buf, size_t cap)
{
    bool tty = isatty(STDIN_FILENO);
    struct termios old, quiet;
    if (tty) {
        fprintf(stderr, "%s", prompt);
        fflush(stderr);
        tcgetattr(STDIN_FILENO, &old);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    bool ok = read_line(buf, cap);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    return ok;
}

static int get_new_password(char *pw, size_t cap)
{
    if (!read_password("password: ", pw, cap)) {
        fprintf(stderr, "storm users: no password on standard input (one line, at most %d bytes)\n",
                STORM_USERS_PASSWORD_MAX);
        return CLI_FAIL;
    }
    if (strlen(pw) < USERS_PASSWORD_MIN) {
        fprintf(stderr,
                "storm users: the password has %zu characters, at least %d are needed: the users file keeps a "
                "hash that can be attacked offline, and short passwords are guessed quickly\n",
                strlen(pw), USERS_PASSWORD_MIN);
        return CLI_FAIL;
    }
    if (isatty(STDIN_FILENO)) {
        char again[STORM_USERS_PASSWORD_MAX + 2];
        bool same = read_password("again: ", again, sizeof again) && strcmp(pw, again) == 0;
        memset(again, 0, sizeof again);
        if (!same) {
            fprintf(stderr, "storm users: the passwords differ\n");
            return CLI_FAIL;
        }
    }
    return CLI_OK;
}

/* A grant on a collection that does not exist is most likely a typo, which
 * would leave the user without the right they were meant to have. With
 * --db the collections are checked (unknown: exit 1, nothing written);
 * without it only '*', UUIDs and the default aliases pass silently: other
 * names may be collections created later (storm publish --to-db ...
 * --collection NAME), so they are kept with a warning. */
static int check_collections(const char *db, char **names, int n)
{
    storm_store *st = NULL;
    storm_err err = {0};
    if (db && storm_store_open(db, STORM_STORE_READONLY, &st, &err)) {
        fprintf(stderr, "storm users: --db %s: %s\n", db, err.msg);
        return CLI_FAIL;
    }
    int rc = CLI_OK;
    for (int k = 0; k < n; k++) {
        const char *c = names[k];
        if (strcmp(c, "*") == 0)
            continue;
        if (st) {
            storm_store_collection col;
            storm_rc r = storm_store_collection_find(st, c, &col, &err);
            if (r == STORM_ERR_NOTFOUND) {
                fprintf(stderr, "storm users: no collection '%s' in %s (nothing changed)\n", c, db);
                rc = CLI_FAIL;
            } else if (r) {
                fprintf(stderr, "storm users: --db %s: %s\n", db, err.msg);
                rc = CLI_FAIL;
            }
        } else if (!storm_uuid_parse(c, strlen(c), NULL) && strcmp(c, STORM_COLLECTION_INDICATORS) != 0 &&
                   strcmp(c, STORM_COLLECTION_SIGHTINGS) != 0 && strcmp(c, STORM_COLLECTION_OBSERVATIONS) != 0) {
            fprintf(stderr,
                    "storm users: warning: '%s' is not '*', a UUID or a default collection (indicators, sightings, "
                    "observations); granted anyway for a collection of that alias (check with --db FILE)\n",
                    c);
        }
    }
    storm_store_close(st);
    return rc;
}

static bool parse_rights(const char *s, bool *r, bool *w)
{
    *r = strcmp(s, "read") == 0 || strcmp(s, "rw") == 0 || strcmp(s, "read,write") == 0;
    *w = strcmp(s, "write") == 0 || strcmp(s, "rw") == 0 || strcmp(s, "read,write") == 0;
    return *r || *w;
}

int cmd_users(int argc, char **argv)
{
    const char *file = USERS_DEFAULT_FILE;
    unsigned long iterations = 0;
    const char *db = NULL;
    bool quiet = false;
    static const struct option opts[] = {
        {"file", required_argument, 0, 'f'},
        {"db", required_argument, 0, 'd'},
        {"iterations", required_argument, 0, 'i'},
        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    optind = 1;
    int ch;
    /* '+': options come before COMMAND, whose arguments are names. */
    while ((ch = cli_getopt("users", USERS_USAGE, argc, argv, "+qh", opts)) != -1) {
        switch (ch) {
        case 'f': file = optarg; break;
        case 'd': db = optarg; break;
        case 'q': quiet = true; break;
        case 'i': {
            unsigned long long v = 0;
            if (!cli_parse_number(optarg, STORM_USERS_ITERATIONS_MIN, 100000000, &v))
                return cli_usage_error("users", "--iterations needs a number from %d to 100000000",
                                       STORM_USERS_ITERATIONS_MIN);
            iterations = (unsigned long)v;
            break;
        }
        case 'h': users_help(stdout); return CLI_OK;
        default: return CLI_USAGE;
        }
    }
    int i = optind;
    if (i >= argc)
        return cli_usage_error("users", "no command (add, passwd, remove, list, grant, revoke)");
    const char *cmd = argv[i++];
    int nargs = argc - i;
    char **args = argv + i;
    bool is_list = strcmp(cmd, "list") == 0;
    bool one_name = strcmp(cmd, "add") == 0 || strcmp(cmd, "passwd") == 0 || strcmp(cmd, "remove") == 0;
    bool rights = strcmp(cmd, "grant") == 0 || strcmp(cmd, "revoke") == 0;
    if (!is_list && !one_name && !rights)
        return cli_usage_error("users", "unknown command '%s'", cmd);
    for (int k = 0; k < nargs; k++)
        if (args[k][0] == '-')
            return cli_usage_error("users", "options go before the command ('%s' after '%s')", args[k], cmd);
    if ((is_list && nargs != 0) || (one_name && nargs != 1) || (rights && nargs < 3))
        return cli_usage_error("users", "wrong arguments for '%s'", cmd);
    if (one_name && strlen(args[0]) > STORM_USERS_NAME_MAX)
        return cli_usage_error("users", "user names have at most %d bytes", STORM_USERS_NAME_MAX);

    storm_err err = {0};
    storm_users *u = NULL;
    bool may_create = strcmp(cmd, "add") == 0;
    if (storm_users_load(file, may_create, &u, &err)) {
        fprintf(stderr, "storm %s\n", err.msg); /* err.msg starts with "users: " */
        return CLI_FAIL;
    }
    if (iterations)
        storm_users_set_iterations(u, (unsigned)iterations);
    int rc = CLI_OK;
    storm_rc src = STORM_OK;
    if (is_list) {
        for (size_t k = 0; k < storm_users_count(u); k++) {
            storm_buf line;
            storm_buf_init(&line, 65536);
            storm_users_describe(u, k, &line);
            printf("%s\n", line.data ? line.data : "");
            storm_buf_free(&line);
        }
        storm_users_free(u);
        return CLI_OK;
    }
    if (strcmp(cmd, "add") == 0 || strcmp(cmd, "passwd") == 0) {
        bool add = strcmp(cmd, "add") == 0;
        /* Refuse early, before asking for a password. */
        if (add == storm_users_exists(u, args[0])) {
            fprintf(stderr, "storm users: %s '%s'\n", add ? "there is already a user" : "there is no user", args[0]);
            storm_users_free(u);
            return CLI_FAIL;
        }
        char pw[STORM_USERS_PASSWORD_MAX + 2];
        rc = get_new_password(pw, sizeof pw);
        if (rc == CLI_OK)
            src = add ? storm_users_add(u, args[0], pw, &err) : storm_users_set_password(u, args[0], pw, &err);
        memset(pw, 0, sizeof pw);
    } else if (strcmp(cmd, "remove") == 0) {
        src = storm_users_remove(u, args[0], &err);
    } else {
        bool r, w;
        if (!parse_rights(args[1], &r, &w)) {
            storm_users_free(u);
            return cli_usage_error("users", "RIGHT is read, write or rw, not '%s'", args[1]);
        }
        bool grant = strcmp(cmd, "grant") == 0;
        if (grant && check_collections(db, args + 2, nargs - 2) != CLI_OK) {
            storm_users_free(u);
            return CLI_FAIL;
        }
        for (int k = 2; k < nargs && !src; k++) {
            if (r)
                src = grant ? storm_users_grant(u, args[0], STORM_USERS_READ, args[k], &err)
                            : storm_users_revoke(u, args[0], STORM_USERS_READ, args[k], &err);
            if (w && !src)
                src = grant ? storm_users_grant(u, args[0], STORM_USERS_WRITE, args[k], &err)
                            : storm_users_revoke(u, args[0], STORM_USERS_WRITE, args[k], &err);
        }
    }
    if (rc == CLI_OK && src) {
        fprintf(stderr, "storm %s\n", err.msg); /* err.msg starts with "users: " */
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK && storm_users_save(u, file, &err)) {
        fprintf(stderr, "storm %s\n", err.msg); /* err.msg starts with "users: " */
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK && !quiet) {
        if (rights)
            fprintf(stderr, "storm users: %s: %s %s %s on %d collection%s\n", file,
                    strcmp(cmd, "grant") == 0 ? "granted" : "revoked", args[0], args[1], nargs - 2,
                    nargs - 2 == 1 ? "" : "s");
        else
            fprintf(stderr, "storm users: %s: %s %s\n", file,
                    strcmp(cmd, "add") == 0      ? "added"
                    : strcmp(cmd, "passwd") == 0 ? "changed the password of"
                                                 : "removed",
                    args[0]);
    }
    storm_users_free(u);
    return rc;
}
