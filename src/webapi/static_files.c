/* SPDX-License-Identifier: Apache-2.0 */
/* The front end's files (GET /ui/...): from the one directory, names of
 * safe characters only (no "..", no hidden files), by extension a known
 * content type, each at most WEBAPI_STATIC_MAX bytes. */
#include "webapi_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <storm/io.h>

#include "storm_config.h"

static const char *content_type(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".json", "application/json"},
        {".map", "application/json"},
        {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof *types; i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return NULL;
}

static bool safe_name(const char *rel)
{
    if (strlen(rel) > 200)
        return false;
    bool segment_start = true;
    for (const char *p = rel; *p; p++) {
        char ch = *p;
        if (segment_start && ch == '.')
            return false; /* "..", hidden files */
        segment_start = ch == '/';
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
              ch == '_' || ch == '.' || ch == '/'))
            return false;
    }
    return !strstr(rel, "//");
}

void webapi_get_static(webapi_call *c, const char *rel)
{
    if (!*rel)
        rel = "index.html";
    const char *type = content_type(rel);
    if (!safe_name(rel) || !type) {
        webapi_error(c, 404, "no such file of the UI");
        return;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", c->w->static_dir, rel);
    char *data = NULL;
    size_t len = 0;
    storm_err err = {0};
    if (storm_read_file(path, WEBAPI_STATIC_MAX, &data, &len, &err)) {
        webapi_error(c, 404, "no such file of the UI");
        return;
    }
    c->rs->status = 200;
    c->rs->content_type = type;
    c->rs->cacheable = strcmp(rel, "index.html") != 0;
    storm_buf_reset(&c->rs->body);
    storm_buf_append(&c->rs->body, data, len);
    free(data);
}

static bool has_index(const char *dir)
{
    char p[4096];
    struct stat st;
    snprintf(p, sizeof p, "%s/index.html", dir);
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

const char *storm_webapi_default_dir(char *buf, size_t cap)
{
    const char *env = getenv("STORM_UI_DIR");
    if (env && has_index(env))
        return env;
    snprintf(buf, cap, "%s/ui", STORM_DATADIR);
    if (has_index(buf))
        return buf;
    if (has_index(STORM_SOURCE_UI))
        return STORM_SOURCE_UI;
    return NULL;
}
