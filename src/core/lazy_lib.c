/* SPDX-License-Identifier: Apache-2.0 */
#include <storm/lazy_lib.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* dlsym answers a void *; POSIX guarantees a function's address fits one. */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)), "function pointers are as wide as void *");

/* One lock for every library: loading happens a few times per process, at
 * the start of the command that needs it, never on a hot path. */
static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;

/* dlerror's text, or a fallback (it is NULL when nothing was recorded). */
static const char *dl_reason(void)
{
    const char *e = dlerror();
    return e ? e : "no reason given";
}

static void load_locked(storm_lazy_lib *lib)
{
    /* RTLD_NOW: a missing function or dependency fails here, with the
     * message, not at the first call; RTLD_LOCAL: its symbols stay its own. */
    void *h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(lib->error, sizeof lib->error, "cannot load %s (install the Debian package %s): %s", lib->soname,
                 lib->package, dl_reason());
        lib->state = -1;
        return;
    }
    for (size_t i = 0; i < lib->nsyms; i++) {
        dlerror();
        void *fn = dlsym(h, lib->syms[i].name);
        if (!fn) {
            snprintf(lib->error, sizeof lib->error,
                     "%s has no function %s (Storm was built against a newer %s: upgrade the Debian package %s): %s",
                     lib->soname, lib->syms[i].name, lib->soname, lib->package, dl_reason());
            void *none = NULL;
            for (size_t j = 0; j < i; j++) /* no dangling pointer into the closed library */
                memcpy((char *)lib->table + lib->syms[j].offset, &none, sizeof none);
            dlclose(h);
            lib->state = -1;
            return;
        }
        memcpy((char *)lib->table + lib->syms[i].offset, &fn, sizeof fn);
    }
    lib->handle = h;
    lib->state = 1;
}

storm_rc storm_lazy_lib_load(storm_lazy_lib *lib, const char *what, storm_err *err)
{
    pthread_mutex_lock(&load_lock);
    if (lib->state == 0)
        load_locked(lib);
    int state = lib->state;
    pthread_mutex_unlock(&load_lock);
    if (state > 0)
        return STORM_OK;
    /* lib->error is written once, before state leaves 0, under the lock above */
    return storm_err_set(err, STORM_ERR_UNSUPPORTED, 0, "%s: %s", what, lib->error);
}
