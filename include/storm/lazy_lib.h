/* SPDX-License-Identifier: Apache-2.0 */
/* Shared libraries loaded when a command first needs them (libcurl, libpq,
 * librdkafka, libmicrohttpd, hiredis), so that storm run FILE, storm pattern
 * and the other commands that never use them do not pay at every start for
 * the dynamic loader mapping and relocating them and the ~30 libraries they
 * pull in (about half of a short run's start-up).
 *
 * A user file lists the functions it calls once, as an X-macro, and gets a
 * struct of function pointers typed from the library's own header (which
 * still comes from the -dev package at build time):
 *
 *   #define PQ_FUNCTIONS(X) X(PQconnectdb) X(PQfinish)
 *   typedef struct pq_api { PQ_FUNCTIONS(STORM_LAZY_FIELD) } pq_api;
 *   static pq_api libpq;
 *   #define PQ_SYM(fn) STORM_LAZY_SYM(pq_api, fn)
 *   static const storm_lazy_sym pq_syms[] = {PQ_FUNCTIONS(PQ_SYM)};
 *   static storm_lazy_lib pq_lib = STORM_LAZY_LIB("libpq.so.5", "libpq5", pq_syms, &libpq);
 *   ...
 *   if ((rc = storm_lazy_lib_load(&pq_lib, "--db postgresql://", err)))
 *       return rc;
 *   PGconn *c = libpq.PQconnectdb(conninfo);
 *
 * A variadic function (curl_easy_setopt, MHD_start_daemon) is called through
 * a pointer of its own variadic type, which passes the arguments exactly as a
 * direct call does. */
#ifndef STORM_LAZY_LIB_H
#define STORM_LAZY_LIB_H

#include <stddef.h>
#include <storm/err.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One function to resolve: its name, and where its address goes in the table. */
typedef struct storm_lazy_sym {
    const char *name;
    size_t offset;
} storm_lazy_sym;

/* A field of a table: a pointer typed as the function the header declares. */
#define STORM_LAZY_FIELD(fn) __typeof__(fn) *fn;
/* The entry of a storm_lazy_sym array for field fn of table type T. */
#define STORM_LAZY_SYM(T, fn) {#fn, offsetof(T, fn)},

/* One library and its table; a static object per user file (STORM_LAZY_LIB),
 * filled by storm_lazy_lib_load. */
typedef struct storm_lazy_lib {
    const char *soname;         /* what dlopen loads: the runtime soname, e.g. "libcurl.so.4" */
    const char *package;        /* the Debian package that ships it, for the message */
    const storm_lazy_sym *syms; /* the functions to resolve into table */
    size_t nsyms;
    void *table; /* a struct of function pointers (STORM_LAZY_FIELD) */
    /* Set by storm_lazy_lib_load under its lock: 0 not tried yet, 1 loaded,
     * -1 failed (for good: a later call gives the same error). */
    int state;
    void *handle;    /* from dlopen, never closed: the functions stay valid until exit */
    char error[400]; /* why it failed, without the caller's context */
} storm_lazy_lib;

#define STORM_LAZY_LIB(soname, package, syms, table)                                                                   \
    {                                                                                                                  \
        (soname), (package), (syms), sizeof(syms) / sizeof *(syms), (table), 0, NULL,                                  \
        {                                                                                                              \
            0                                                                                                          \
        }                                                                                                              \
    }

/* Load lib's library (the first call in the process; later calls answer from
 * the first one's result) and resolve every function of its table.
 * Thread-safe. On failure nothing of the table is usable and err says
 * "<what>: cannot load <soname> (install the Debian package <package>): <why>"
 * or "<what>: <soname> has no function <name> (...)": STORM_ERR_UNSUPPORTED.
 * what names what needed the library ("storm run --kafka"). */
storm_rc storm_lazy_lib_load(storm_lazy_lib *lib, const char *what, storm_err *err);

#ifdef __cplusplus
}
#endif
#endif
