/* cache.h - the local SQLite store of a Notion workspace.  Only cache/
 * speaks SQL: cache.c, and queue.c, lock.c and drafts.c through
 * cache_int.h.
 *
 * Owns: one SQLite connection to DIR/cache.db.  The directory is created
 * 0700 and the file (with its -wal/-shm companions) 0600; WAL journaling and
 * a busy timeout make it safe for a mount and a `notionfs sync` to use the
 * same cache at once (which one of them talks to Notion is cache/lock.h's
 * business).  The schema is versioned by PRAGMA user_version and migrated
 * forward on open.
 *
 * What it stores (API objects are kept as their JSON text, so nothing the
 * API sends is lost and the renderer can be improved without a re-pull):
 *   databases  id, title, the database object: a container (Notion-Version
 *              2025-09-03 on: title, parent, data_sources) of data sources
 *   data_sources  id, its database (container), title, the data source
 *              object (its schema: `properties`).  A cache made before
 *              migration 11 (2022-06-28) gets each of its databases as its
 *              own provisional source (id == database_id, the old database
 *              object, properties included), replaced at the first pull by
 *              the real one (cache_remap_source)
 *   pages      id, data source (column and fields database_id, a name kept
 *              from before data sources), title, times, the page object (relation and
 *              people lists already completed past 25 references)
 *   bodies     per page: the block tree (blocks with their "children"
 *              arrays) and the page edit time it was fetched for
 *   users      id, name, the user object
 *   meta       key/value: sync cursors, last pull times, the change counter
 *   sync_log   one row per notable sync event (errors included)
 *   versions   per page: past versions (page and body JSON) by their base,
 *              recorded whenever the page or its body is stored, pruned
 *              there (invariant 4)
 *
 * Invariants:
 *  1. Every write that changes what a file shows bumps meta 'version' (the
 *     change counter) in the same transaction, and stamps the changed row
 *     with it; readers compare counters to find what changed.
 *  2. A page row's json and its title/database/time columns always agree
 *     (written together by cache_put_page).
 *  3. The token is never written here.
 *  4. Every stored (page, body) pair is in `versions` under its base, in the
 *     transaction that stored it; per page at most 100 versions are kept
 *     (the newest 20 always, older ones only while younger than 30 days).
 *
 * Threads: a struct cache serialises its own use with a mutex, so one may be
 * shared; for concurrency open one per thread (WAL lets readers run while a
 * writer commits).  Strings returned to callers are malloc'd copies the
 * caller frees; strings passed in are borrowed.
 * Errors: functions return 0 or a negative errno (-EIO for SQLite errors,
 * -ENOENT for a missing row, -ENOMEM, -EBUSY when the database stayed
 * locked past the timeout).
 */
#ifndef NFS_CACHE_H
#define NFS_CACHE_H

#include <stdint.h>

struct cache;

/* Opens (creating if needed) DIR/cache.db.  dir is created with mode 0700
 * (parents too); an existing dir with group/other access is chmod-ed to
 * 0700, and one that belongs to another user (or cannot be chmod-ed) is
 * refused with -EPERM, so a shared cache is never used by accident.  *out
 * is freed with cache_close(). */
int cache_open(const char *dir, struct cache **out);
void cache_close(struct cache *c);
/* The absolute path of the database file (borrowed). */
const char *cache_path(const struct cache *c);

/* Explicit write transaction (BEGIN IMMEDIATE).  Nesting is not allowed.
 * Single put/delete calls outside a transaction commit on their own. */
int cache_begin(struct cache *c);
int cache_commit(struct cache *c);
int cache_rollback(struct cache *c);

/* ---- writes ----------------------------------------------------------- */
struct cache_page_in {
	const char *id;             /* hyphenated lowercase uuid */
	const char *database_id;
	const char *title;          /* plain text */
	const char *created_time;   /* ISO 8601 as the API gave it */
	const char *last_edited_time;
	const char *json;           /* the page object */
	const char *parent_id;      /* a page outside any data source (database_id ""): the page
				     * whose folder holds it (its parent page, or the page holding
				     * its parent block), "" at the root; NULL = "" */
};
/* Inserts or updates a page.  When the stored row is byte-identical nothing
 * is written and *changed (if given) is 0; otherwise the version is bumped
 * and *changed is 1. */
int cache_put_page(struct cache *c, const struct cache_page_in *p, int *changed);
/* Removes a page (archived, trashed or deleted remotely) and its body;
 * -ENOENT if it was not cached. */
int cache_delete_page(struct cache *c, const char *id);
/* The page a block belongs to (the parent block of a page or database: a column, a
 * toggle), as the pull resolved it: 0 and *page_id (malloc'd), or -ENOENT. */
int cache_block_page(struct cache *c, const char *block_id, char **page_id);
int cache_put_block_page(struct cache *c, const char *block_id, const char *page_id);
/* A database (container); parent_id as for a page (cache_page_in), NULL = "". */
int cache_put_database(struct cache *c, const char *id, const char *title,
		       const char *parent_id, const char *json, int *changed);
/* Removes a database (container) with its data sources and their pages. */
int cache_delete_database(struct cache *c, const char *id);
/* Inserts or updates data source id of database (container) database_id;
 * *changed as for pages. */
int cache_put_data_source(struct cache *c, const char *id, const char *database_id,
			  const char *title, const char *json, int *changed);
/* Removes a data source and its pages; -ENOENT if it was not cached. */
int cache_delete_data_source(struct cache *c, const char *id);
/* Everything filed under `from` (pages, queue entries, trash, local files: a database id
 * of a cache made before data sources) is filed under data source `to` from now on; the
 * provisional source `from` (id == its database_id) goes, and its delta cursor with it. */
int cache_remap_source(struct cache *c, const char *from, const char *to);
/* Stores the block tree of a page, fetched while the page's
 * last_edited_time was edited_time. */
int cache_put_body(struct cache *c, const char *page_id, const char *edited_time,
		   const char *json, int *changed);
/* A change that did not touch a page's blocks moved its last_edited_time
 * from `from` to `to`: a body current as of `from` is current as of `to`
 * (so it is not fetched again).  No-op otherwise. */
int cache_advance_body(struct cache *c, const char *page_id, const char *from, const char *to);
int cache_put_user(struct cache *c, const char *id, const char *name, const char *json);

/* ---- reads ------------------------------------------------------------ */
struct cache_db_row {
	int64_t rowid;              /* stable for the life of the database */
	const char *id, *title, *json;
	int64_t version;
	const char *parent_id;      /* the page whose folder holds it, "" at the root */
};
struct cache_page_row {
	int64_t rowid;              /* stable for the life of the page */
	const char *id, *database_id, *title, *created_time, *last_edited_time;
	const char *json;           /* NULL unless asked for */
	const char *body_json;      /* NULL when never fetched (or not asked for) */
	const char *body_edited_time; /* NULL when never fetched */
	int64_t version;            /* max of the page's and its body's */
	const char *parent_id;      /* see cache_page_in; "" for a row */
};
/* Row callbacks get borrowed rows valid during the call only; a non-zero
 * return stops the walk and is returned. */
struct cache_ds_row {
	int64_t rowid;              /* stable for the life of the data source */
	const char *id, *database_id, *title, *json;
	int64_t version;
};
typedef int (*cache_db_cb)(void *arg, const struct cache_db_row *row);
typedef int (*cache_ds_cb)(void *arg, const struct cache_ds_row *row);
typedef int (*cache_page_cb)(void *arg, const struct cache_page_row *row);

int cache_each_database(struct cache *c, cache_db_cb cb, void *arg);
/* The data sources (of one database when database_id is non-NULL), oldest row first. */
int cache_each_data_source(struct cache *c, const char *database_id, cache_ds_cb cb, void *arg);
/* Walks the pages (of one database when database_id is non-NULL) ordered
 * by created_time, id.  with_json: also fill json and body_json. */
int cache_each_page(struct cache *c, const char *database_id, int with_json,
		    cache_page_cb cb, void *arg);
/* One page with json and body (cb called once), -ENOENT if absent. */
int cache_get_page(struct cache *c, const char *id, cache_page_cb cb, void *arg);
/* The listing row of one page, as cache_each_page() without JSON gives it
 * (cb called once); -ENOENT if absent. */
int cache_get_page_listing(struct cache *c, const char *id, cache_page_cb cb, void *arg);
/* cache_delete_page() keeps the page's last version (and body) in the
 * trash table for 30 days: cache_get_trashed() reads it (the row as
 * cache_get_page() gives it, rowid and version 0), cache_untrash_page()
 * puts it back among the pages (-ENOENT when it is not there; a page
 * cached again meanwhile keeps its newer version) and out of the trash. */
int cache_get_trashed(struct cache *c, const char *id, cache_page_cb cb, void *arg);
int cache_untrash_page(struct cache *c, const char *id);
/* Ids (malloc'd array of malloc'd strings, *n entries) of pages whose body
 * is missing or older than the page, oldest first; at most limit. */
int cache_pages_needing_body(struct cache *c, int limit, char ***ids, int *n);
int cache_count_pages(struct cache *c, const char *database_id, int64_t *n);
/* The database object of id (malloc'd JSON), -ENOENT if not cached. */
int cache_get_database(struct cache *c, const char *id, char **json);
/* The data source object of id (its schema; malloc'd JSON), -ENOENT if not cached. */
int cache_get_data_source(struct cache *c, const char *id, char **json);
/* The database (container) id of data source id (malloc'd), -ENOENT if not cached. */
int cache_source_database(struct cache *c, const char *id, char **database_id);
/* Pages whose body is missing or older than the page. */
int cache_count_bodies_pending(struct cache *c, int64_t *n);
/* Users: cb gets (id, name) borrowed. */
int cache_each_user(struct cache *c, int (*cb)(void *arg, const char *id, const char *name),
		    void *arg);
/* The same with each user's stored API object (JSON text). */
int cache_each_user_json(struct cache *c,
			 int (*cb)(void *arg, const char *id, const char *name, const char *json),
			 void *arg);

/* A past version of a page by its base (`_notion.base`, common/vbase.h): the page and body
 * JSON (malloc'd) as stored then; -ENOENT when unknown (never stored, or pruned).  Versions
 * are recorded by cache_put_page and cache_put_body in their transaction (migration 6). */
int cache_get_version(struct cache *c, const char *page_id, const char *base, char **page_json,
		      char **body_json);
/* The same, and *text (malloc'd, or NULL) the front-matter text recorded with an alias. */
int cache_get_version_text(struct cache *c, const char *page_id, const char *base,
			   char **page_json, char **body_json, char **text);
/* From now on base names the page's current version (page and body as cached), with text
 * (the saved file, or NULL) as the front-matter its writer holds: called when a save read
 * from base (or showing base) has landed, so a writer still holding that text is based on
 * what its own save made (docs/sync.md, "A stale save").  Replaces what base named before;
 * nothing when the page has no body.  Inside the caller's transaction if one is open. */
int cache_alias_version(struct cache *c, const char *page_id, const char *base, const char *text);

/* ---- meta and log ----------------------------------------------------- */
/* *value is malloc'd, -ENOENT when unset. */
int cache_meta_get(struct cache *c, const char *key, char **value);
int cache_meta_set(struct cache *c, const char *key, const char *value);
/* The change counter (invariant 1); 0 for a new cache. */
int cache_version(struct cache *c, int64_t *version);
/* The change log (migration 12): every insert, update or delete of a page
 * or of its body appends the page's id, under a consecutive seq; the newest
 * 100,000 entries are kept.  cache_change_seq() gives the newest seq (0:
 * none).  cache_each_change() calls cb for every entry after `since`, in
 * order (a page may come several times), and sets *last to the newest seq
 * it read; -ERANGE when entries after `since` were pruned (the caller must
 * read everything again).  A reader takes the seq *before* it reads the
 * pages: what changes meanwhile is then read once more, never missed. */
int cache_change_seq(struct cache *c, int64_t *seq);
int cache_each_change(struct cache *c, int64_t since, int (*cb)(void *arg, const char *page_id),
		      void *arg, int64_t *last);
/* Appends a row to sync_log; kind is a short word ("pull", "error", ...).
 * An "error" row bumps the change counter: the mount shows it in
 * .notionfs/errors. */
int cache_log(struct cache *c, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Walks the newest `limit` log rows of a kind (all kinds when NULL),
 * oldest first: cb(arg, unix_time, kind, message). */
int cache_each_log(struct cache *c, const char *kind, int limit,
		   int (*cb)(void *arg, int64_t time, const char *kind, const char *msg),
		   void *arg);

#endif
