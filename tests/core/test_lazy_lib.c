/* SPDX-License-Identifier: Apache-2.0 */
/* storm_lazy_lib_load (storm/lazy_lib.h): a present library (zlib, which
 * every Debian system has) loads and its functions answer through the
 * table; a missing soname and a missing function are errors that name the
 * library, the package and the caller's context, the same at every later
 * call; threads loading one library at once all see it loaded. */
#include <pthread.h>
#include <string.h>

#include <storm/lazy_lib.h>

#include "test.h"

/* zlib's own declarations (its header need not be installed): only their
 * types are used, the program does not link zlib. */
const char *zlibVersion(void);
unsigned long crc32(unsigned long crc, const unsigned char *buf, unsigned len);

#define Z_FUNCTIONS(X) X(zlibVersion) X(crc32)
typedef struct z_api {
    Z_FUNCTIONS(STORM_LAZY_FIELD)
} z_api;
#define Z_SYM(fn) STORM_LAZY_SYM(z_api, fn)
static const storm_lazy_sym z_syms[] = {Z_FUNCTIONS(Z_SYM)};

static void loads_present_library(void)
{
    static z_api z;
    static storm_lazy_lib lib = STORM_LAZY_LIB("libz.so.1", "zlib1g", z_syms, &z);
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_lazy_lib_load(&lib, "test", &err) == STORM_OK);
    CHECK(err.rc == STORM_OK);
    CHECK(z.zlibVersion && z.crc32);
    if (z.zlibVersion && z.crc32) {
        CHECK(strncmp(z.zlibVersion(), "1.", 2) == 0);
        CHECK(z.crc32(0, (const unsigned char *)"abc", 3) == 0x352441c2ul);
    }
    /* a second call answers from the first */
    CHECK(storm_lazy_lib_load(&lib, "test", &err) == STORM_OK);
}

static void missing_library_is_an_error(void)
{
    static z_api z;
    static storm_lazy_lib lib = STORM_LAZY_LIB("libstorm-no-such-library.so.7", "libstorm-no-such7", z_syms, &z);
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_lazy_lib_load(&lib, "storm run --thing", &err) == STORM_ERR_UNSUPPORTED);
    CHECK(err.rc == STORM_ERR_UNSUPPORTED);
    CHECK(strncmp(err.msg,
                  "storm run --thing: cannot load libstorm-no-such-library.so.7 (install the Debian package "
                  "libstorm-no-such7): ",
                  strlen("storm run --thing: cannot load libstorm-no-such-library.so.7 (install the Debian package "
                         "libstorm-no-such7): ")) == 0);
    CHECK(strstr(err.msg, "libstorm-no-such-library.so.7: cannot open shared object file") != NULL); /* dlerror */
    CHECK(!z.zlibVersion && !z.crc32);
    /* failed for good: the next caller gets the same reason, in its own context */
    storm_err_clear(&err);
    CHECK(storm_lazy_lib_load(&lib, "storm serve", &err) == STORM_ERR_UNSUPPORTED);
    CHECK(strncmp(err.msg, "storm serve: cannot load libstorm-no-such-library.so.7 ", 55) == 0);
    /* NULL err is fine */
    CHECK(storm_lazy_lib_load(&lib, "x", NULL) == STORM_ERR_UNSUPPORTED);
}

typedef struct z_missing_api {
    __typeof__(zlibVersion) *zlibVersion;
    __typeof__(zlibVersion) *storm_no_such_function;
} z_missing_api;

static void missing_function_is_an_error(void)
{
    static z_missing_api z;
    static const storm_lazy_sym syms[] = {STORM_LAZY_SYM(z_missing_api, zlibVersion)
                                              STORM_LAZY_SYM(z_missing_api, storm_no_such_function)};
    static storm_lazy_lib lib = STORM_LAZY_LIB("libz.so.1", "zlib1g", syms, &z);
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_lazy_lib_load(&lib, "storm pull", &err) == STORM_ERR_UNSUPPORTED);
    CHECK(strstr(err.msg, "storm pull: libz.so.1 has no function storm_no_such_function (") == err.msg);
    CHECK(strstr(err.msg, "zlib1g") != NULL);
    /* nothing of the table is left pointing into the closed library */
    CHECK(!z.zlibVersion && !z.storm_no_such_function);
}

static z_api threaded_z;
static storm_lazy_lib threaded_lib = STORM_LAZY_LIB("libz.so.1", "zlib1g", z_syms, &threaded_z);

static void *load_in_thread(void *arg)
{
    storm_rc *rc = arg;
    *rc = storm_lazy_lib_load(&threaded_lib, "thread", NULL);
    return NULL;
}

static void threads_load_once(void)
{
    enum { N = 8 };
    pthread_t t[N];
    storm_rc rc[N];
    int started = 0;
    for (int i = 0; i < N; i++) {
        rc[i] = STORM_ERR_STATE;
        if (pthread_create(&t[i], NULL, load_in_thread, &rc[i]) == 0)
            started++;
        else
            break;
    }
    CHECK(started == N);
    for (int i = 0; i < started; i++) {
        pthread_join(t[i], NULL);
        CHECK(rc[i] == STORM_OK);
    }
    CHECK(threaded_z.crc32 && threaded_z.crc32(0, (const unsigned char *)"abc", 3) == 0x352441c2ul);
}

int main(void)
{
    RUN(loads_present_library);
    RUN(missing_library_is_an_error);
    RUN(missing_function_is_an_error);
    RUN(threads_load_once);
    printf("test_lazy_lib: %d passed, %d failed\n", test_passed, test_failed);
    return test_failed ? 1 : 0;
}
