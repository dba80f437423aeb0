/* cache_int.h - helpers of cache.c shared with the other files of cache/
 * (queue.c, lock.c).  Internal: nothing outside cache/ includes this header.
 *
 * Owns nothing.  The connection returned by cache_sqlite() belongs to the
 * struct cache; use it only between cache_lock()/cache_unlock() (or
 * cache_wbegin()/cache_wend() for writes), as cache.c does.
 * Errors: 0 or a negative errno as in cache.h.
 */
#ifndef NFS_CACHE_INT_H
#define NFS_CACHE_INT_H

#include <sqlite3.h>
#include <stdint.h>

#include "cache/cache.h"

/* Creates the cache directory (0700, parents too) or checks an existing
 * one as cache_open() does (ours; group/other access removed). */
int cache_prepare_dir(const char *dir);
/* The SQLite connection of c (borrowed). */
sqlite3 *cache_sqlite(struct cache *c);
/* SQLite result code -> 0 or negative errno. */
int cache_errno(int rc);
int cache_exec(struct cache *c, const char *sql);
/* The recursive connection mutex. */
void cache_lock(struct cache *c);
void cache_unlock(struct cache *c);
/* A write inside the caller's transaction, or a private one (see cache.c). */
int cache_wbegin(struct cache *c, int *own);
int cache_wend(struct cache *c, int own, int rc);
/* Every statement of cache/ (cache.c, "kept statements"): prepared by
 * cache_stmt_prepare (0 or -errno; a compiled statement may be reused) and
 * given back by cache_stmt_done (never sqlite3_finalize). */
int cache_stmt_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st);
void cache_stmt_done(sqlite3_stmt *st);
/* Prepares sql, binding the NULL-terminated list of text parameters. */
int cache_prep(struct cache *c, sqlite3_stmt **st, const char *sql, ...);
/* Steps to completion and finalizes. */
int cache_run(sqlite3_stmt *st);
/* Calls row(st, arg) for each row of st until one returns non-zero (that
 * value is returned), then finalizes st.  0 or -errno. */
int cache_step_rows(sqlite3_stmt *st, int (*row)(sqlite3_stmt *, void *), void *arg);
/* cache_prep() and cache_run() in one: a statement that returns nothing. */
int cache_do(struct cache *c, const char *sql, ...);
/* First column of the first row as an integer; -ENOENT when no row. */
int cache_query_int(struct cache *c, int64_t *out, const char *sql, ...);
/* cache_query_int() under the connection's mutex. */
int cache_read_int(struct cache *c, int64_t *out, const char *sql, ...);
/* Under the connection's mutex: prepares sql with the NULL-terminated text
 * parameters and steps its rows through cache_step_rows(row, arg). */
int cache_rows(struct cache *c, int (*row)(sqlite3_stmt *, void *), void *arg, const char *sql, ...);
/* Bumps the change counter (cache.h invariant 1); *v gets the new value. */
int cache_bump(struct cache *c, int64_t *v);

/* The newest schema version, and SQL undoing migration 12 -> 13 (the tree's parent_id
 * columns), for the tests that make a cache of an older release out of a new one. */
#define CACHE_SCHEMA_NEWEST 15
#define CACHE_UNDO_13 \
	"DROP TABLE created_ids; DROP TABLE kept_folders; DROP TABLE block_pages; DROP INDEX pages_by_parent; DROP INDEX pages_list;" \
	"ALTER TABLE pages DROP COLUMN parent_id; ALTER TABLE databases DROP COLUMN parent_id;" \
	"ALTER TABLE trash DROP COLUMN parent_id;" \
	"CREATE INDEX pages_list ON pages(database_id, created_time, id, title, last_edited_time," \
	" version);"

#endif
