/* SPDX-License-Identifier: Apache-2.0 */
/* Passwords for the TAXII client commands: never from argv (it shows in ps). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

char *cli_read_password(const char *cmd, const char *password_file, bool stdin_free)
{
    const char *env = getenv("STORM_TAXII_PASSWORD");
    char line[1024];
    if (password_file) {
        FILE *f = fopen(password_file, "r");
        if (!f) {
            fprintf(stderr, "storm %s: cannot read %s: %s\n", cmd, password_file, strerror(errno));
            return NULL;
        }
        char *ok = fgets(line, sizeof line, f);
        fclose(f);
        if (!ok) {
            fprintf(stderr, "storm %s: %s is empty\n", cmd, password_file);
            return NULL;
        }
    } else if (env) {
        snprintf(line, sizeof line, "%s", env);
    } else if (stdin_free) {
        if (!fgets(line, sizeof line, stdin)) {
            fprintf(stderr,
                    "storm %s: --user needs a password: give --password-file FILE, set "
                    "STORM_TAXII_PASSWORD, or write it on standard input\n",
                    cmd);
            return NULL;
        }
    } else {
        fprintf(stderr,
                "storm %s: --user needs a password: give --password-file FILE or set STORM_TAXII_PASSWORD "
                "(standard input is busy with data)\n",
                cmd);
        return NULL;
    }
    line[strcspn(line, "\r\n")] = '\0';
    char *p = strdup(line);
    memset(line, 0, sizeof line);
    return p;
}
