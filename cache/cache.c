/* cache.c - SQLite store of the workspace; contracts and invariants in
 * cache.h.  All SQL of the project lives in this file. */
#include "cache/cache.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache/cache_int.h"
#include "common/buf.h"
#include "common/strv.h"
#include "common/vbase.h"

#define CACHE_BUSY_MS 10000

/* How long a statement waits for another process's write lock:
 * CACHE_BUSY_MS, or NOTIONFS_BUSY_MS (for tests that hold the lock). */
static int cache_busy_ms(void)
{
	const char *env = getenv("NOTIONFS_BUSY_MS");
	char *end;
	long v;

	if (!env || !*env)
		return CACHE_BUSY_MS;
	v = strtol(env, &end, 10);
	return *end || v < 0 || v > 600000 ? CACHE_BUSY_MS : (int)v;
}
/* Past versions kept per page (docs/sync.md): always the newest CACHE_VERSIONS_MIN; beyond
 * them those younger than CACHE_VERSIONS_AGE seconds, up to CACHE_VERSIONS_MAX in all. */
#define CACHE_VERSIONS_MIN 20
#define CACHE_VERSIONS_MAX 100
#define CACHE_VERSIONS_AGE (30 * 86400)
#define CACHE_STR2(x) #x
#define CACHE_STR(x) CACHE_STR2(x)

struct cache {
	sqlite3 *db;
	pthread_mutex_t lock;
	int in_tx;
	char *path;
};

/* 5 -> 6: past versions of each page (docs/sync.md, "Past versions"), so a save is merged
 * against the version its writer read (`_notion.base`, docs/format.md). */
static const char cache_migrate_6_versions[] =
	"CREATE TABLE versions(seq INTEGER PRIMARY KEY AUTOINCREMENT, page_id TEXT NOT NULL,"
	"  base TEXT NOT NULL, page_json TEXT NOT NULL, body_json TEXT NOT NULL,"
	"  stored_at INTEGER NOT NULL, UNIQUE(page_id, base));"
	"CREATE INDEX versions_by_page ON versions(page_id, seq);";

/* The pages (where `cond`) whose body was never fetched or is older than the page. */
#define CACHE_PENDING_OF(cond) \
	"SELECT p.id FROM pages p LEFT JOIN bodies b ON b.page_id = p.id WHERE (" cond ")" \
	" AND (b.page_id IS NULL OR b.edited_time < p.last_edited_time)"
/* A trigger keeping `pending` true for the page `id` after `event`. */
#define CACHE_PENDING_TRIGGER(name, event, id) \
	"CREATE TRIGGER pending_" name " AFTER " event " BEGIN" \
	" DELETE FROM pending WHERE page_id = " id ";" \
	" INSERT INTO pending(page_id) " CACHE_PENDING_OF("p.id = " id) "; END;"

/* Migration 14's `pending`: with the order the body prefetch takes them in (missing bodies
 * first, then the newest edit), so that order is an index walk, not a sort of every page
 * waiting for a body at every batch. */
#define CACHE_PENDING2_OF(cond) \
	"SELECT p.id, b.page_id IS NOT NULL, p.last_edited_time FROM pages p" \
	" LEFT JOIN bodies b ON b.page_id = p.id WHERE (" cond ")" \
	" AND (b.page_id IS NULL OR b.edited_time < p.last_edited_time)"
#define CACHE_PENDING2_TRIGGER(name, event, id) \
	"DROP TRIGGER IF EXISTS pending_" name ";" \
	"CREATE TRIGGER pending_" name " AFTER " event " BEGIN" \
	" DELETE FROM pending WHERE page_id = " id ";" \
	" INSERT INTO pending(page_id, has_body, edited) " CACHE_PENDING2_OF("p.id = " id) "; END;"

/* A trigger logging page `id` in page_changes after `event` (migration 12),
 * pruning what is older than the newest CACHE_CHANGES_KEPT entries. */
#define CACHE_CHANGES_KEPT "100000"
#define CACHE_CHANGE_TRIGGER(name, event, id) \
	"CREATE TRIGGER IF NOT EXISTS change_" name " AFTER " event " BEGIN" \
	" INSERT INTO page_changes(page_id) VALUES(" id ");" \
	" DELETE FROM page_changes WHERE seq <= (SELECT max(seq) FROM page_changes) - " \
	CACHE_CHANGES_KEPT "; END;"

/* Each migration takes the schema from version i to i+1; append only. */
static const char *const cache_migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE databases(rowid INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL,"
	"  title TEXT NOT NULL, json TEXT NOT NULL, version INTEGER NOT NULL);"
	"CREATE TABLE pages(rowid INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL,"
	"  database_id TEXT NOT NULL, title TEXT NOT NULL, created_time TEXT NOT NULL,"
	"  last_edited_time TEXT NOT NULL, json TEXT NOT NULL, version INTEGER NOT NULL);"
	"CREATE INDEX pages_by_db ON pages(database_id, created_time, id);"
	"CREATE TABLE bodies(page_id TEXT PRIMARY KEY, edited_time TEXT NOT NULL,"
	"  json TEXT NOT NULL, version INTEGER NOT NULL);"
	"CREATE TABLE users(id TEXT PRIMARY KEY, name TEXT NOT NULL, json TEXT NOT NULL);"
	"CREATE TABLE sync_log(seq INTEGER PRIMARY KEY, time INTEGER NOT NULL,"
	"  kind TEXT NOT NULL, message TEXT NOT NULL);"
	"INSERT INTO meta VALUES('version', '0');",
	/* 1 -> 2: the write queue, local texts and conflicts (cache/queue.c) */
	"CREATE TABLE queue(seq INTEGER PRIMARY KEY AUTOINCREMENT, kind INTEGER NOT NULL,"
	"  state INTEGER NOT NULL DEFAULT 0, page_id TEXT NOT NULL, database_id TEXT, path TEXT,"
	"  props TEXT, ops TEXT, base_edited_time TEXT, base_page TEXT, base_body TEXT,"
	"  saved_text TEXT, saved_at_ms INTEGER NOT NULL, error TEXT,"
	"  ops_done INTEGER NOT NULL DEFAULT 0, results TEXT);"
	"CREATE INDEX queue_by_page ON queue(page_id, seq);"
	"CREATE TABLE local(page_id TEXT PRIMARY KEY, text TEXT NOT NULL, version INTEGER NOT NULL);"
	"CREATE TABLE conflicts(seq INTEGER PRIMARY KEY AUTOINCREMENT, page_id TEXT NOT NULL,"
	"  path TEXT, what TEXT NOT NULL, local_value TEXT, remote_value TEXT, local_time TEXT,"
	"  remote_time TEXT, winner TEXT NOT NULL, created INTEGER NOT NULL);",
	/* 2 -> 3: find stale bodies without reading page JSON (a covering
	 * index for cache_pages_needing_body / cache_count_bodies_pending) */
	"CREATE INDEX pages_by_edit ON pages(id, last_edited_time);",
	/* 3 -> 4: a page's saves form a chain (docs/queue.md): each entry keeps
	 * the body it will leave (result_body, with local ids for the blocks it
	 * creates, listed in local_ids), and the send time of a request that
	 * creates while its outcome is unknown (sent_at_ms) */
	"ALTER TABLE queue ADD COLUMN result_body TEXT;"
	"ALTER TABLE queue ADD COLUMN local_ids TEXT;"
	"ALTER TABLE queue ADD COLUMN sent_at_ms INTEGER NOT NULL DEFAULT 0;",
	/* 4 -> 5: a conflict names who made the remote version (the page's or
	 * block's last_edited_by id when it was detected) */
	"ALTER TABLE conflicts ADD COLUMN remote_editor TEXT;",
	/* 5 -> 6 */
	cache_migrate_6_versions,
	/* 6 -> 7: the last
	 * cached version of pages that left the cache (trashed by the mount or
	 * gone from Notion's listing), so that a copy of such a page put back
	 * restores it (docs/sync.md "Undo"); kept 30 days */
	"CREATE TABLE trash(id TEXT PRIMARY KEY, database_id TEXT NOT NULL, title TEXT NOT NULL,"
	"  created_time TEXT NOT NULL, last_edited_time TEXT NOT NULL, json TEXT NOT NULL,"
	"  body_edited_time TEXT, body_json TEXT, trashed INTEGER NOT NULL);",
	/* 7 -> 8: a base a landed save's writer may still hold names the version it landed as,
	 * with the front-matter that writer saved (cache_alias_version, docs/sync.md) */
	"ALTER TABLE versions ADD COLUMN text TEXT;",
	/* 8 -> 9: the listing a view build walks (cache_each_page without JSON) is read from
	 * covering indexes: `version` lies after the JSON in both rows, so reading it from the
	 * tables read every page's and body's JSON (its overflow pages) at every rebuild */
	"CREATE INDEX pages_list ON pages(database_id, created_time, id, title, last_edited_time,"
	"  version);"
	"DROP INDEX pages_by_db;"
	"CREATE INDEX bodies_list ON bodies(page_id, edited_time, version);"
	/* and the pages whose body is missing or older than the page (`bodies pending` of
	 * status, counted at every save) are kept in `pending` by triggers, not counted by a
	 * join over every page */
	"CREATE TABLE pending(page_id TEXT PRIMARY KEY) WITHOUT ROWID;"
	CACHE_PENDING_TRIGGER("pages_ins", "INSERT ON pages", "NEW.id")
	CACHE_PENDING_TRIGGER("pages_upd", "UPDATE ON pages", "NEW.id")
	CACHE_PENDING_TRIGGER("pages_del", "DELETE ON pages", "OLD.id")
	CACHE_PENDING_TRIGGER("bodies_ins", "INSERT ON bodies", "NEW.page_id")
	CACHE_PENDING_TRIGGER("bodies_upd", "UPDATE ON bodies", "NEW.page_id")
	CACHE_PENDING_TRIGGER("bodies_del", "DELETE ON bodies", "OLD.page_id")
	"INSERT INTO pending(page_id) " CACHE_PENDING_OF("1") ";",
	/* 9 -> 10: what the mount keeps for the user (cache/localfiles.c): local-only
	 * files, and file names kept while a title changes */
	"CREATE TABLE local_files(dir_id TEXT NOT NULL, name TEXT NOT NULL, path TEXT NOT NULL,"
	"  data BLOB NOT NULL, mode INTEGER NOT NULL, mtime REAL NOT NULL,"
	"  PRIMARY KEY(dir_id, name));"
	"CREATE TABLE kept_names(page_id TEXT PRIMARY KEY, name TEXT NOT NULL,"
	"  until_landed INTEGER NOT NULL);",
	/* 10 -> 11: Notion-Version 2026-03-11 (DESIGN.md §0): a database is a container of data
	 * sources, each with its schema and rows.  `databases` holds the containers; pages,
	 * queue entries, trash and local files name their data source in their database_id
	 * column.  A cache of the 2022-06-28 release knows no source: each of its databases
	 * becomes its own provisional source (id = database_id, its old object as the schema),
	 * so the mount shows and validates against it as before, until the first pull learns
	 * the real source and moves everything filed under the database to it
	 * (cache_remap_source) */
	"CREATE TABLE IF NOT EXISTS data_sources(rowid INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL,"
	"  database_id TEXT NOT NULL, title TEXT NOT NULL, json TEXT NOT NULL,"
	"  version INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS data_sources_by_db ON data_sources(database_id);"
	"INSERT OR IGNORE INTO data_sources(id, database_id, title, json, version)"
	"  SELECT id, id, title, json, version FROM databases ORDER BY rowid;",
	/* 11 -> 12: the change log a view refresh reads instead of every page
	 * (cache_each_change): each store or removal of a page or its body
	 * appends the page's id; the newest CACHE_CHANGES_KEPT are kept */
	"CREATE TABLE IF NOT EXISTS page_changes(seq INTEGER PRIMARY KEY AUTOINCREMENT, page_id TEXT NOT NULL);"
	CACHE_CHANGE_TRIGGER("pages_ins", "INSERT ON pages", "NEW.id")
	CACHE_CHANGE_TRIGGER("pages_upd", "UPDATE ON pages", "NEW.id")
	CACHE_CHANGE_TRIGGER("pages_del", "DELETE ON pages", "OLD.id")
	CACHE_CHANGE_TRIGGER("bodies_ins", "INSERT ON bodies", "NEW.page_id")
	CACHE_CHANGE_TRIGGER("bodies_upd", "UPDATE ON bodies", "NEW.page_id")
	CACHE_CHANGE_TRIGGER("bodies_del", "DELETE ON bodies", "OLD.page_id"),
	/* 12 -> 13: the workspace tree (docs/format.md, "The tree of a mount"): a page
	 * outside any data source (database_id '') and a database name the page whose folder
	 * holds them (parent_id: the parent page, or the page holding the parent block; ''
	 * at the root); the listing's covering index carries it */
	"ALTER TABLE pages ADD COLUMN parent_id TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE databases ADD COLUMN parent_id TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE trash ADD COLUMN parent_id TEXT NOT NULL DEFAULT '';"
	"DROP INDEX pages_list;"
	"CREATE INDEX pages_list ON pages(database_id, created_time, id, title, last_edited_time,"
	"  version, parent_id);"
	"CREATE INDEX pages_by_parent ON pages(parent_id) WHERE parent_id != '';"
	/* and the page each block a page or database sits in belongs to (cache_block_page) */
	"CREATE TABLE block_pages(block_id TEXT PRIMARY KEY, page_id TEXT NOT NULL) WITHOUT ROWID;"
	/* and the page folders mkdir made (cache/localfiles.h) */
	"CREATE TABLE kept_folders(page_id TEXT PRIMARY KEY) WITHOUT ROWID;"
	/* and what local ids became (queue_created_id) */
	"CREATE TABLE created_ids(local_id TEXT UNIQUE NOT NULL, real_id TEXT NOT NULL);",
	/* 13 -> 14: `pending` in the prefetch's order (CACHE_PENDING2_OF) */
	"DROP TABLE IF EXISTS pending;"
	"CREATE TABLE pending(page_id TEXT PRIMARY KEY, has_body INTEGER NOT NULL,"
	"  edited TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX pending_order ON pending(has_body, edited DESC, page_id);"
	CACHE_PENDING2_TRIGGER("pages_ins", "INSERT ON pages", "NEW.id")
	CACHE_PENDING2_TRIGGER("pages_upd", "UPDATE ON pages", "NEW.id")
	CACHE_PENDING2_TRIGGER("pages_del", "DELETE ON pages", "OLD.id")
	CACHE_PENDING2_TRIGGER("bodies_ins", "INSERT ON bodies", "NEW.page_id")
	CACHE_PENDING2_TRIGGER("bodies_upd", "UPDATE ON bodies", "NEW.page_id")
	CACHE_PENDING2_TRIGGER("bodies_del", "DELETE ON bodies", "OLD.page_id")
	"INSERT INTO pending(page_id, has_body, edited) " CACHE_PENDING2_OF("1") ";",
	/* 14 -> 15: the pruning of a page's past versions (cache_record_version) reads their
	 * age from an index: `stored_at` lies after the JSON, in overflow pages, so reading it
	 * from the table cost two overflow chains per version at every save that landed */
	"CREATE INDEX IF NOT EXISTS versions_by_age ON versions(page_id, stored_at, seq);",
};
#define CACHE_SCHEMA_VERSION ((int)(sizeof(cache_migrations) / sizeof(cache_migrations[0])))
_Static_assert(CACHE_SCHEMA_VERSION == CACHE_SCHEMA_NEWEST, "cache_int.h names the newest schema");

int cache_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
	case SQLITE_READONLY:
		return -EACCES;
	case SQLITE_FULL:
		return -ENOSPC;
	default:
		return -EIO;
	}
}

/* ---- kept statements ------------------------------------------------------
 * Every statement of cache/ is prepared by cache_stmt_prepare() and given
 * back by cache_stmt_done().  The compiled form of each SQL text is kept (at
 * most CACHE_STMTS per process, the first texts seen) and lent to the next
 * user of the same text on the same connection, reset and with its bindings
 * cleared: parsing the SQL was a quarter of the CPU of an fsync'd save.
 * A kept statement is lent to one user at a time (busy); a second user of
 * the same text meanwhile gets a statement of its own, finalized when done.
 * cache_stmts_lock guards the table (taken before any connection's mutex,
 * never inside SQLite); cache_close() finalizes its connection's entries. */
#define CACHE_STMTS 256

static struct cache_stmt {
	sqlite3 *db;            /* NULL: a free slot */
	uint64_t hash;
	char *sql;
	sqlite3_stmt *st;
	int busy;
} cache_stmts[CACHE_STMTS];
static pthread_mutex_t cache_stmts_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t cache_sql_hash(const char *sql)
{
	uint64_t h = 1469598103934665603ull;

	while (*sql)
		h = (h ^ (unsigned char)*sql++) * 1099511628211ull;
	return h;
}

int cache_stmt_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
	uint64_t h = cache_sql_hash(sql);
	size_t i, free_slot = CACHE_STMTS;
	int rc;

	pthread_mutex_lock(&cache_stmts_lock);
	for (i = 0; i < CACHE_STMTS; i++) {
		struct cache_stmt *k = &cache_stmts[i];

		if (!k->db) {
			if (free_slot == CACHE_STMTS)
				free_slot = i;
		} else if (k->db == db && k->hash == h && !k->busy && !strcmp(k->sql, sql)) {
			k->busy = 1;
			*st = k->st;
			pthread_mutex_unlock(&cache_stmts_lock);
			return 0;
		}
	}
	pthread_mutex_unlock(&cache_stmts_lock);
	rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
	if (rc != SQLITE_OK) {
		*st = NULL;
		return cache_errno(rc);
	}
	if (free_slot == CACHE_STMTS)
		return 0;
	pthread_mutex_lock(&cache_stmts_lock);
	for (i = free_slot; i < CACHE_STMTS && cache_stmts[i].db; i++)
		;
	if (i < CACHE_STMTS) {
		char *copy = strdup(sql);

		if (copy)
			cache_stmts[i] = (struct cache_stmt){ db, h, copy, *st, 1 };
	}
	pthread_mutex_unlock(&cache_stmts_lock);
	return 0;
}

void cache_stmt_done(sqlite3_stmt *st)
{
	size_t i;

	if (!st)
		return;
	pthread_mutex_lock(&cache_stmts_lock);
	for (i = 0; i < CACHE_STMTS && cache_stmts[i].st != st; i++)
		;
	pthread_mutex_unlock(&cache_stmts_lock);
	if (i == CACHE_STMTS) {
		sqlite3_finalize(st);
		return;
	}
	/* the slot stays this statement's while busy: reset outside the lock */
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	pthread_mutex_lock(&cache_stmts_lock);
	cache_stmts[i].busy = 0;
	pthread_mutex_unlock(&cache_stmts_lock);
}

/* Finalizes the kept statements of db (before it is closed). */
static void cache_stmts_forget(sqlite3 *db)
{
	size_t i;

	pthread_mutex_lock(&cache_stmts_lock);
	for (i = 0; i < CACHE_STMTS; i++) {
		struct cache_stmt *k = &cache_stmts[i];

		if (k->db != db)
			continue;
		sqlite3_finalize(k->st);
		free(k->sql);
		memset(k, 0, sizeof(*k));
	}
	pthread_mutex_unlock(&cache_stmts_lock);
}

/* One statement (no ';' in it) runs as a kept statement; several go to sqlite3_exec. */
int cache_exec(struct cache *c, const char *sql)
{
	sqlite3_stmt *st;
	int rc;

	if (strchr(sql, ';'))
		return cache_errno(sqlite3_exec(c->db, sql, NULL, NULL, NULL));
	rc = cache_stmt_prepare(c->db, sql, &st);
	if (rc)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	rc = rc == SQLITE_DONE ? 0 : cache_errno(rc);
	cache_stmt_done(st);
	return rc;
}

/* Creates dir and its missing parents; the last component gets 0700. */
static int cache_mkdirs(const char *dir)
{
	char tmp[PATH_MAX];
	size_t len = strlen(dir);
	char *p;

	if (len == 0 || len >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, dir, len + 1);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

static int cache_check_dir(const char *dir)
{
	struct stat st;

	if (stat(dir, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (st.st_uid != geteuid())
		return -EPERM;
	if (st.st_mode & 077) {
		/* A directory we created is 0700; tighten one left loose by
		 * an umask or an older version, refuse one we cannot fix. */
		if (chmod(dir, 0700))
			return -EPERM;
	}
	return 0;
}

/* Creates the database file with mode 0600 before SQLite opens it (SQLite
 * gives the -wal and -shm files the mode of the database file).  Never
 * opens an existing file: closing any descriptor of a database drops this
 * process's POSIX locks on it, and another process would then take the
 * live WAL for an orphan and delete it. */
static int cache_touch_files(const char *path)
{
	int fd;

	if (access(path, F_OK) == 0)
		return chmod(path, 0600) ? -errno : 0;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == EEXIST ? 0 : -errno;
	close(fd);
	return 0;
}

static int cache_migrate(struct cache *c)
{
	sqlite3_stmt *st = NULL;
	int version = 0, rc, i;
	char sql[64];

	rc = cache_stmt_prepare(c->db, "PRAGMA user_version", &st);
	if (rc)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	cache_stmt_done(st);
	if (version > CACHE_SCHEMA_VERSION)
		return -EPROTO; /* written by a newer notionfs */
	for (i = version; i < CACHE_SCHEMA_VERSION; i++) {
		rc = cache_exec(c, "BEGIN IMMEDIATE");
		if (rc)
			return rc;
		snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", i + 1);
		rc = cache_exec(c, cache_migrations[i]);
		if (!rc)
			rc = cache_exec(c, sql);
		if (rc) {
			cache_exec(c, "ROLLBACK");
			return rc;
		}
		rc = cache_exec(c, "COMMIT");
		if (rc)
			return rc;
	}
	return 0;
}

int cache_prepare_dir(const char *dir)
{
	int rc = cache_mkdirs(dir);

	return rc ? rc : cache_check_dir(dir);
}

int cache_open(const char *dir, struct cache **out)
{
	struct cache *c;
	struct buf path = BUF_INIT;
	char *abs = NULL;
	int rc;

	*out = NULL;
	rc = cache_prepare_dir(dir);
	if (rc)
		return rc;
	abs = realpath(dir, NULL);
	if (!abs)
		return -errno;
	rc = buf_printf(&path, "%s/cache.db", abs);
	free(abs);
	if (rc)
		return rc;
	rc = cache_touch_files(path.data);
	if (rc)
		goto out_path;
	c = calloc(1, sizeof(*c));
	if (!c) {
		rc = -ENOMEM;
		goto out_path;
	}
	{
		pthread_mutexattr_t ma;

		pthread_mutexattr_init(&ma);
		pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
		pthread_mutex_init(&c->lock, &ma);
		pthread_mutexattr_destroy(&ma);
	}
	c->path = buf_detach(&path, NULL);
	rc = cache_errno(sqlite3_open_v2(c->path, &c->db,
			SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL));
	if (rc)
		goto out_close;
	sqlite3_busy_timeout(c->db, cache_busy_ms());
	rc = cache_exec(c, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
			   "PRAGMA foreign_keys=ON;");
	if (!rc)
		rc = cache_migrate(c);
	if (rc)
		goto out_close;
	*out = c;
	return 0;
out_close:
	cache_close(c);
	return rc;
out_path:
	buf_release(&path);
	return rc;
}

void cache_close(struct cache *c)
{
	if (!c)
		return;
	if (c->db) {
		cache_stmts_forget(c->db);
		sqlite3_close(c->db);
	}
	pthread_mutex_destroy(&c->lock);
	free(c->path);
	free(c);
}

const char *cache_path(const struct cache *c)
{
	return c->path;
}

sqlite3 *cache_sqlite(struct cache *c)
{
	return c->db;
}

/* ---- transactions ------------------------------------------------------ */

int cache_begin(struct cache *c)
{
	int rc;

	pthread_mutex_lock(&c->lock);
	if (c->in_tx) {
		pthread_mutex_unlock(&c->lock);
		return -EBUSY;
	}
	rc = cache_exec(c, "BEGIN IMMEDIATE");
	if (rc) {
		pthread_mutex_unlock(&c->lock);
		return rc;
	}
	c->in_tx = 1;
	return 0; /* the lock is held until commit/rollback */
}

static int cache_end(struct cache *c, const char *sql)
{
	int rc;

	if (!c->in_tx)
		return -EINVAL;
	rc = cache_exec(c, sql);
	if (rc && !strcmp(sql, "COMMIT"))
		cache_exec(c, "ROLLBACK");
	c->in_tx = 0;
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int cache_commit(struct cache *c) { return cache_end(c, "COMMIT"); }
int cache_rollback(struct cache *c) { return cache_end(c, "ROLLBACK"); }

/* The mutex is recursive: cache_begin() holds it until commit/rollback, so
 * other threads wait for the whole transaction while this one re-enters. */
void cache_lock(struct cache *c) { pthread_mutex_lock(&c->lock); }
void cache_unlock(struct cache *c) { pthread_mutex_unlock(&c->lock); }

/* Runs a write inside the caller's transaction, or a private one when none
 * is open.  *own tells cache_wend() whether to commit. */
int cache_wbegin(struct cache *c, int *own)
{
	int rc;

	cache_lock(c);
	*own = !c->in_tx;
	if (!*own)
		return 0;
	rc = cache_exec(c, "BEGIN IMMEDIATE");
	if (rc)
		cache_unlock(c);
	return rc;
}

int cache_wend(struct cache *c, int own, int rc)
{
	if (own) {
		if (!rc)
			rc = cache_exec(c, "COMMIT");
		if (rc)
			cache_exec(c, "ROLLBACK");
	}
	cache_unlock(c);
	return rc;
}

/* Prepares sql and binds the NULL-terminated list of text parameters. */
static int cache_vprep(struct cache *c, sqlite3_stmt **st, const char *sql, va_list ap)
{
	const char *v;
	int i = 1, rc;

	rc = cache_stmt_prepare(c->db, sql, st);
	if (rc)
		return rc;
	while ((v = va_arg(ap, const char *)) != NULL) {
		rc = cache_errno(sqlite3_bind_text(*st, i++, v, -1, SQLITE_TRANSIENT));
		if (rc)
			break;
	}
	if (rc) {
		cache_stmt_done(*st);
		*st = NULL;
	}
	return rc;
}

int cache_prep(struct cache *c, sqlite3_stmt **st, const char *sql, ...)
{
	va_list ap;
	int rc;

	va_start(ap, sql);
	rc = cache_vprep(c, st, sql, ap);
	va_end(ap);
	return rc;
}

int cache_do(struct cache *c, const char *sql, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int rc;

	va_start(ap, sql);
	rc = cache_vprep(c, &st, sql, ap);
	va_end(ap);
	return rc ? rc : cache_run(st);
}

/* Steps a statement to completion; returns 0 or -errno. */
int cache_run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	rc = (rc == SQLITE_DONE || rc == SQLITE_ROW) ? 0 : cache_errno(rc);
	cache_stmt_done(st);
	return rc;
}

static int cache_vquery_int(struct cache *c, int64_t *out, const char *sql, va_list ap)
{
	sqlite3_stmt *st;
	const char *v;
	int rc, i = 1;

	rc = cache_stmt_prepare(c->db, sql, &st);
	if (rc)
		return rc;
	while ((v = va_arg(ap, const char *)) != NULL)
		sqlite3_bind_text(st, i++, v, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : cache_errno(rc);
	}
	cache_stmt_done(st);
	return rc;
}

int cache_query_int(struct cache *c, int64_t *out, const char *sql, ...)
{
	va_list ap;
	int rc;

	va_start(ap, sql);
	rc = cache_vquery_int(c, out, sql, ap);
	va_end(ap);
	return rc;
}

int cache_read_int(struct cache *c, int64_t *out, const char *sql, ...)
{
	va_list ap;
	int rc;

	cache_lock(c);
	va_start(ap, sql);
	rc = cache_vquery_int(c, out, sql, ap);
	va_end(ap);
	cache_unlock(c);
	return rc;
}

int cache_rows(struct cache *c, int (*row)(sqlite3_stmt *, void *), void *arg, const char *sql, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int rc;

	cache_lock(c);
	va_start(ap, sql);
	rc = cache_vprep(c, &st, sql, ap);
	va_end(ap);
	if (!rc)
		rc = cache_step_rows(st, row, arg);
	cache_unlock(c);
	return rc;
}

/* Increments the change counter (invariant 1); *v gets the new value. */
int cache_bump(struct cache *c, int64_t *v)
{
	int rc = cache_exec(c, "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key='version'");

	if (rc)
		return rc;
	return cache_query_int(c, v, "SELECT CAST(value AS INTEGER) FROM meta WHERE key='version'", NULL);
}

static int cache_vstr(int64_t v, char *s, size_t n)
{
	snprintf(s, n, "%lld", (long long)v);
	return 0;
}

/* ---- writes ----------------------------------------------------------- */

/* One versioned put (invariant 1): the SQL names its parameters by their
 * place in `param` (nparam of them); `write` may name the new version as the
 * parameter after them. */
struct cache_put {
	const char *same;       /* SELECT 1 when the row already holds what is written */
	const char *unchanged;  /* run instead when it does (NULL: nothing) */
	const char *write;      /* the upsert */
	int record;             /* then cache_record_version(param[0]) */
	const char *param[8];
	int nparam;
};

/* Prepares sql and binds, as cache_prep's list would, the parameters of p
 * it names (up to sqlite3_bind_parameter_count, stopping at a NULL one),
 * then version (when not NULL) as the parameter after them. */
static int cache_put_prep(struct cache *c, sqlite3_stmt **st, const char *sql,
			  const struct cache_put *p, const char *version)
{
	int i, n, rc;

	rc = cache_stmt_prepare(c->db, sql, st);
	if (rc)
		return rc;
	n = sqlite3_bind_parameter_count(*st);
	for (i = 0; !rc && i < n && i <= p->nparam; i++) {
		const char *v = i < p->nparam ? p->param[i] : version;

		if (!v)
			break;
		rc = cache_errno(sqlite3_bind_text(*st, i + 1, v, -1, SQLITE_TRANSIENT));
	}
	if (rc) {
		cache_stmt_done(*st);
		*st = NULL;
	}
	return rc;
}

static int cache_record_version(struct cache *c, const char *page_id);

/* The skeleton every put shares: compare, then bump and upsert, in one
 * write transaction (the caller's or its own).  *changed (may be NULL): 1
 * when the row was written. */
static int cache_put(struct cache *c, const struct cache_put *p, int *changed)
{
	sqlite3_stmt *st = NULL;
	int64_t v;
	char vs[24];
	int own, rc, same = 0;

	if (changed)
		*changed = 0;
	rc = cache_wbegin(c, &own);
	if (rc)
		return rc;
	/* a comparison that fails counts as "not the same": the row is written */
	if (cache_put_prep(c, &st, p->same, p, NULL) == 0) {
		same = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0);
		cache_stmt_done(st);
	}
	if (same) {
		if (p->unchanged) {
			rc = cache_put_prep(c, &st, p->unchanged, p, NULL);
			if (!rc)
				rc = cache_run(st);
		}
		goto out;
	}
	rc = cache_bump(c, &v);
	if (rc)
		goto out;
	cache_vstr(v, vs, sizeof(vs));
	rc = cache_put_prep(c, &st, p->write, p, vs);
	if (!rc)
		rc = cache_run(st);
	if (!rc && p->record)
		rc = cache_record_version(c, p->param[0]);
	if (!rc && changed)
		*changed = 1;
out:
	return cache_wend(c, own, rc);
}

static const char *cache_col(sqlite3_stmt *st, int i);

struct cache_ver {
	char *page, *body;
};

static int cache_ver_row(sqlite3_stmt *st, void *arg)
{
	struct cache_ver *v = arg;

	free(v->page);
	free(v->body);
	v->page = strdup(cache_col(st, 0));
	v->body = strdup(cache_col(st, 1));
	return v->page && v->body ? 0 : -ENOMEM;
}

/* Records the version of page_id the cache holds now (page and body) in `versions`, and
 * prunes that page's old versions (docs/sync.md, "Past versions"): inside the caller's write
 * transaction.  A page without a body has no version yet.  Bounded: at most
 * CACHE_VERSIONS_MAX rows per page are ever kept. */
static int cache_record_version(struct cache *c, const char *page_id)
{
	struct cache_ver v = { NULL, NULL };
	sqlite3_stmt *st = NULL;
	char base[VBASE_LEN + 1], now[24], old[24];
	int rc;

	rc = cache_prep(c, &st, "SELECT p.json, b.json FROM pages p JOIN bodies b ON b.page_id = p.id"
			" WHERE p.id=?1", page_id, NULL);
	if (!rc)
		rc = cache_step_rows(st, cache_ver_row, &v);
	if (rc || !v.page)
		goto out;
	vbase_of(v.page, v.body, base);
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	snprintf(old, sizeof(old), "%lld", (long long)time(NULL) - CACHE_VERSIONS_AGE);
	rc = cache_prep(c, &st, "INSERT INTO versions(page_id, base, page_json, body_json, stored_at)"
			" VALUES(?1, ?2, ?3, ?4, CAST(?5 AS INTEGER)) ON CONFLICT(page_id, base) DO UPDATE"
			" SET stored_at=excluded.stored_at", page_id, base, v.page, v.body, now, NULL);
	if (!rc)
		rc = cache_run(st);
	/* keep the newest CACHE_VERSIONS_MIN, and younger ones up to CACHE_VERSIONS_MAX */
	if (!rc)
		rc = cache_do(c, "DELETE FROM versions WHERE seq IN (SELECT seq FROM versions"
				" INDEXED BY versions_by_age WHERE page_id=?1 AND seq NOT IN"
				" (SELECT seq FROM versions INDEXED BY versions_by_age WHERE page_id=?1"
				"  ORDER BY stored_at DESC, seq DESC LIMIT " CACHE_STR(CACHE_VERSIONS_MIN) ")"
				" AND (stored_at < CAST(?2 AS INTEGER) OR seq NOT IN (SELECT seq FROM versions"
				"  INDEXED BY versions_by_age WHERE page_id=?1"
				"  ORDER BY stored_at DESC, seq DESC LIMIT " CACHE_STR(CACHE_VERSIONS_MAX) ")))",
				page_id, old, NULL);
out:
	free(v.page);
	free(v.body);
	return rc;
}

struct cache_ver_out {
	char **page, **body, **text;
};

static int cache_ver_out_row(sqlite3_stmt *st, void *arg)
{
	struct cache_ver_out *o = arg;

	*o->page = strdup(cache_col(st, 0));
	*o->body = strdup(cache_col(st, 1));
	if (o->text && sqlite3_column_type(st, 2) != SQLITE_NULL &&
	    !(*o->text = strdup(cache_col(st, 2))))
		return -ENOMEM;
	return *o->page && *o->body ? 0 : -ENOMEM;
}

int cache_get_version_text(struct cache *c, const char *page_id, const char *base,
			   char **page_json, char **body_json, char **text)
{
	struct cache_ver_out o = { page_json, body_json, text };
	int rc;

	*page_json = *body_json = NULL;
	if (text)
		*text = NULL;
	rc = cache_rows(c, cache_ver_out_row, &o, "SELECT page_json, body_json, text FROM versions"
			" WHERE page_id=?1 AND base=?2", page_id, base, NULL);
	if (rc) {
		free(*page_json);
		free(*body_json);
		*page_json = *body_json = NULL;
		if (text) {
			free(*text);
			*text = NULL;
		}
		return rc;
	}
	return *page_json ? 0 : -ENOENT;
}

int cache_get_version(struct cache *c, const char *page_id, const char *base, char **page_json,
		      char **body_json)
{
	return cache_get_version_text(c, page_id, base, page_json, body_json, NULL);
}

int cache_alias_version(struct cache *c, const char *page_id, const char *base, const char *text)
{
	sqlite3_stmt *st = NULL;
	char now[24];
	int own, rc;

	if (!vbase_valid(base))
		return -EINVAL;
	rc = cache_wbegin(c, &own);
	if (rc)
		return rc;
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	rc = cache_prep(c, &st, "INSERT INTO versions(page_id, base, page_json, body_json, stored_at,"
			" text) SELECT p.id, ?2, p.json, b.json, CAST(?3 AS INTEGER), ?4 FROM pages p"
			" JOIN bodies b ON b.page_id = p.id WHERE p.id=?1"
			" ON CONFLICT(page_id, base) DO UPDATE SET page_json=excluded.page_json,"
			" body_json=excluded.body_json, stored_at=excluded.stored_at, text=excluded.text",
			page_id, base, now, text, NULL);
	if (!rc)
		rc = cache_run(st);
	return cache_wend(c, own, rc);
}

int cache_put_page(struct cache *c, const struct cache_page_in *p, int *changed)
{
	return cache_put(c, &(struct cache_put){
		.same = "SELECT 1 FROM pages WHERE id=?1 AND json=?6 AND database_id=?2 AND title=?3"
			" AND parent_id=?7",
		.write = "INSERT INTO pages(id, database_id, title, created_time, last_edited_time,"
			 " json, parent_id, version) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7,"
			 " CAST(?8 AS INTEGER))"
			 " ON CONFLICT(id) DO UPDATE SET database_id=excluded.database_id,"
			 " title=excluded.title, created_time=excluded.created_time,"
			 " last_edited_time=excluded.last_edited_time, json=excluded.json,"
			 " parent_id=excluded.parent_id, version=excluded.version",
		.record = 1,
		.param = { p->id, p->database_id, p->title, p->created_time, p->last_edited_time,
			   p->json, p->parent_id ? p->parent_id : "" }, .nparam = 7 }, changed);
}

int cache_delete_page(struct cache *c, const char *id)
{
	int64_t v;
	int own, rc;

	rc = cache_wbegin(c, &own);
	if (rc)
		return rc;
	rc = cache_query_int(c, &v, "SELECT 1 FROM pages WHERE id=?1", id, NULL);
	if (rc)
		goto out;
	rc = cache_bump(c, &v);
	if (!rc)
		rc = cache_exec(c, "DELETE FROM trash WHERE trashed < CAST(strftime('%s','now') AS INTEGER)"
				" - 30 * 86400");
	if (!rc)
		rc = cache_do(c,
			"INSERT OR REPLACE INTO trash(id, database_id, title, created_time, last_edited_time,"
			" json, body_edited_time, body_json, trashed, parent_id)"
			" SELECT p.id, p.database_id, p.title, p.created_time, p.last_edited_time, p.json,"
			" b.edited_time, b.json, CAST(strftime('%s','now') AS INTEGER), p.parent_id"
			" FROM pages p LEFT JOIN bodies b ON b.page_id = p.id WHERE p.id=?1", id, NULL);
	if (!rc)
		rc = cache_do(c, "DELETE FROM pages WHERE id=?1", id, NULL);
	if (!rc)
		rc = cache_do(c, "DELETE FROM bodies WHERE page_id=?1", id, NULL);
	if (!rc)
		rc = cache_do(c, "DELETE FROM versions WHERE page_id=?1", id, NULL);
out:
	return cache_wend(c, own, rc);
}

int cache_untrash_page(struct cache *c, const char *id)
{
	int64_t v;
	char vs[24];
	int own, rc;

	rc = cache_wbegin(c, &own);
	if (rc)
		return rc;
	rc = cache_query_int(c, &v, "SELECT 1 FROM trash WHERE id=?1", id, NULL);
	if (rc)
		goto out;
	rc = cache_bump(c, &v);
	if (rc)
		goto out;
	cache_vstr(v, vs, sizeof(vs));
	rc = cache_do(c,
		"INSERT OR IGNORE INTO pages(id, database_id, title, created_time, last_edited_time,"
		" json, parent_id, version) SELECT id, database_id, title, created_time,"
		" last_edited_time, json, parent_id, CAST(?2 AS INTEGER) FROM trash WHERE id=?1",
		id, vs, NULL);
	if (!rc && sqlite3_changes(c->db) > 0) {
		/* its body too, unless the page was cached again meanwhile */
		rc = cache_do(c,
			"INSERT OR IGNORE INTO bodies(page_id, edited_time, json, version)"
			" SELECT id, body_edited_time, body_json, CAST(?2 AS INTEGER) FROM trash"
			" WHERE id=?1 AND body_json IS NOT NULL AND body_edited_time IS NOT NULL",
			id, vs, NULL);
	}
	if (!rc)
		rc = cache_do(c, "DELETE FROM trash WHERE id=?1", id, NULL);
out:
	return cache_wend(c, own, rc);
}

static int cache_get_text(struct cache *c, const char *sql, const char *key, char **out);

int cache_block_page(struct cache *c, const char *block_id, char **page_id)
{
	return cache_get_text(c, "SELECT page_id FROM block_pages WHERE block_id=?1", block_id, page_id);
}

int cache_put_block_page(struct cache *c, const char *block_id, const char *page_id)
{
	int own, rc;

	rc = cache_wbegin(c, &own);
	if (rc)
		return rc;
	rc = cache_do(c, "INSERT OR REPLACE INTO block_pages(block_id, page_id) VALUES(?1, ?2)",
		      block_id, page_id, NULL);
	return cache_wend(c, own, rc);
}

int cache_put_database(struct cache *c, const char *id, const char *title,
		       const char *parent_id, const char *json, int *changed)
{
	return cache_put(c, &(struct cache_put){
		.same = "SELECT 1 FROM databases WHERE id=?1 AND json=?3 AND title=?2 AND parent_id=?4",
		.write = "INSERT INTO databases(id, title, json, parent_id, version)"
			 " VALUES(?1, ?2, ?3, ?4, CAST(?5 AS INTEGER))"
			 " ON CONFLICT(id) DO UPDATE SET title=excluded.title, json=excluded.json,"
			 " parent_id=excluded.parent_id, version=excluded.version",
		.param = { id, title, json, parent_id ? parent_id : "" }, .nparam = 4 }, changed);
}

/* A row's first column pushed to the strv arg. */
static int cache_strv_row(sqlite3_stmt *st, void *arg)
{
	const char *v = (const char *)sqlite3_column_text(st, 0);

	return strv_push(arg, v ? v : "");
}

/* Drops the pages (bodies, versions) of data source ID and its row; inside the caller's
 * transaction. */
static int cache_drop_source(struct cache *c, const char *id)
{
	int rc;

	rc = cache_do(c, "DELETE FROM versions WHERE page_id IN"
			" (SELECT id FROM pages WHERE database_id=?1)", id, NULL);
	if (!rc)
		rc = cache_do(c, "DELETE FROM bodies WHERE page_id IN"
				" (SELECT id FROM pages WHERE database_id=?1)", id, NULL);
	if (!rc)
		rc = cache_do(c, "DELETE FROM pages WHERE database_id=?1", id, NULL);
	if (!rc)
		rc = cache_do(c, "DELETE FROM data_sources WHERE id=?1", id, NULL);
	return rc;
}

int cache_delete_database(struct cache *c, const char *id)
{
	struct strv ids = STRV_INIT;
	int64_t v;
	size_t i;
	int own, rc;

	rc = cache_wbegin(c, &own);
	if (rc)
		return rc;
	rc = cache_query_int(c, &v, "SELECT 1 FROM databases WHERE id=?1", id, NULL);
	if (!rc)
		rc = cache_bump(c, &v);
	if (!rc)
		rc = cache_rows(c, cache_strv_row, &ids, "SELECT id FROM data_sources WHERE database_id=?1",
				id, NULL);
	for (i = 0; !rc && i < ids.n; i++)
		rc = cache_drop_source(c, ids.v[i]);
	if (!rc)
		rc = cache_do(c, "DELETE FROM databases WHERE id=?1", id, NULL);
	strv_release(&ids);
	return cache_wend(c, own, rc);
}

int cache_put_data_source(struct cache *c, const char *id, const char *database_id,
			  const char *title, const char *json, int *changed)
{
	int own, rc, ch = 0;

	rc = cache_wbegin(c, &own);
	if (rc)
		return rc;
	if (own)
		c->in_tx = 1; /* cache_put joins this transaction */
	rc = cache_put(c, &(struct cache_put){
		.same = "SELECT 1 FROM data_sources WHERE id=?1 AND json=?4 AND title=?3"
			" AND database_id=?2",
		.write = "INSERT INTO data_sources(id, database_id, title, json, version)"
			 " VALUES(?1, ?2, ?3, ?4, CAST(?5 AS INTEGER))"
			 " ON CONFLICT(id) DO UPDATE SET database_id=excluded.database_id,"
			 " title=excluded.title, json=excluded.json, version=excluded.version",
		.param = { id, database_id, title, json }, .nparam = 4 }, &ch);
	/* the schema renders every row (front-matter keys, order, types): its rows
	 * show something else now (invariant 1) */
	if (!rc && ch)
		rc = cache_do(c, "UPDATE pages SET version=(SELECT version FROM data_sources WHERE id=?1)"
			      " WHERE database_id=?1", id, NULL);
	if (changed)
		*changed = ch;
	if (own)
		c->in_tx = 0;
	return cache_wend(c, own, rc);
}

int cache_delete_data_source(struct cache *c, const char *id)
{
	int64_t v;
	int own, rc;

	rc = cache_wbegin(c, &own);
	if (rc)
		return rc;
	rc = cache_query_int(c, &v, "SELECT 1 FROM data_sources WHERE id=?1", id, NULL);
	if (!rc)
		rc = cache_bump(c, &v);
	if (!rc)
		rc = cache_drop_source(c, id);
	return cache_wend(c, own, rc);
}

int cache_remap_source(struct cache *c, const char *from, const char *to)
{
	static const char *const sql[] = {
		"UPDATE pages SET database_id=?2 WHERE database_id=?1",
		"UPDATE queue SET database_id=?2 WHERE database_id=?1",
		"UPDATE trash SET database_id=?2 WHERE database_id=?1",
		"UPDATE OR IGNORE local_files SET dir_id=?2 WHERE dir_id=?1",
		"DELETE FROM meta WHERE key='newest:' || ?1 AND ?2 IS NOT NULL",
		"DELETE FROM data_sources WHERE id=?1 AND database_id=?1 AND ?2 IS NOT NULL",
	};
	int64_t v;
	size_t i;
	int own, rc;

	if (!strcmp(from, to))
		return 0;
	rc = cache_wbegin(c, &own);
	if (!rc)
		rc = cache_bump(c, &v);
	for (i = 0; !rc && i < sizeof(sql) / sizeof(sql[0]); i++)
		rc = cache_do(c, sql[i], from, to, NULL);
	return cache_wend(c, own, rc);
}

int cache_put_body(struct cache *c, const char *page_id, const char *edited_time,
		   const char *json, int *changed)
{
	return cache_put(c, &(struct cache_put){
		.same = "SELECT 1 FROM bodies WHERE page_id=?1 AND json=?3",
		/* same blocks: only record that they are current */
		.unchanged = "UPDATE bodies SET edited_time=?2 WHERE page_id=?1",
		.write = "INSERT INTO bodies(page_id, edited_time, json, version)"
			 " VALUES(?1, ?2, ?3, CAST(?4 AS INTEGER))"
			 " ON CONFLICT(page_id) DO UPDATE SET edited_time=excluded.edited_time,"
			 " json=excluded.json, version=excluded.version",
		.record = 1,
		.param = { page_id, edited_time, json }, .nparam = 3 }, changed);
}

int cache_advance_body(struct cache *c, const char *page_id, const char *from, const char *to)
{
	int own, rc;

	rc = cache_wbegin(c, &own);
	if (rc)
		return rc;
	rc = cache_do(c, "UPDATE bodies SET edited_time=?3 WHERE page_id=?1 AND edited_time >= ?2",
			page_id, from, to, NULL);
	return cache_wend(c, own, rc);
}

int cache_put_user(struct cache *c, const char *id, const char *name, const char *json)
{
	/* a new name bumps: names show in people properties */
	return cache_put(c, &(struct cache_put){
		.same = "SELECT 1 FROM users WHERE id=?1 AND name=?2 AND json=?3",
		.write = "INSERT INTO users(id, name, json) VALUES(?1, ?2, ?3)"
			 " ON CONFLICT(id) DO UPDATE SET name=excluded.name, json=excluded.json",
		.param = { id, name, json }, .nparam = 3 }, NULL);
}

/* ---- reads ------------------------------------------------------------ */

static const char *cache_col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

int cache_step_rows(sqlite3_stmt *st, int (*row)(sqlite3_stmt *, void *), void *arg)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		rc = row(st, arg);
		if (rc)
			goto out;
	}
	rc = rc == SQLITE_DONE ? 0 : cache_errno(rc);
out:
	cache_stmt_done(st);
	return rc;
}

struct cache_cbw {
	void *cb;
	void *arg;
	int with_json;
};

static int cache_db_row(sqlite3_stmt *st, void *arg)
{
	struct cache_cbw *w = arg;
	struct cache_db_row r = {
		.rowid = sqlite3_column_int64(st, 0), .id = cache_col(st, 1),
		.title = cache_col(st, 2), .json = cache_col(st, 3),
		.version = sqlite3_column_int64(st, 4), .parent_id = cache_col(st, 5),
	};

	return ((cache_db_cb)w->cb)(w->arg, &r);
}

static int cache_ds_row(sqlite3_stmt *st, void *arg)
{
	struct cache_cbw *w = arg;
	struct cache_ds_row r = {
		.rowid = sqlite3_column_int64(st, 0), .id = cache_col(st, 1),
		.database_id = cache_col(st, 2), .title = cache_col(st, 3), .json = cache_col(st, 4),
		.version = sqlite3_column_int64(st, 5),
	};

	return ((cache_ds_cb)w->cb)(w->arg, &r);
}

int cache_each_data_source(struct cache *c, const char *database_id, cache_ds_cb cb, void *arg)
{
	struct cache_cbw w = { (void *)cb, arg, 1 };

	if (database_id)
		return cache_rows(c, cache_ds_row, &w, "SELECT rowid, id, database_id, title, json,"
				  " version FROM data_sources WHERE database_id=?1 ORDER BY rowid",
				  database_id, NULL);
	return cache_rows(c, cache_ds_row, &w, "SELECT rowid, id, database_id, title, json, version"
			  " FROM data_sources ORDER BY rowid", NULL);
}

int cache_each_database(struct cache *c, cache_db_cb cb, void *arg)
{
	struct cache_cbw w = { (void *)cb, arg, 1 };
	int rc;

	rc = cache_rows(c, cache_db_row, &w, "SELECT rowid, id, title, json, version, parent_id"
			" FROM databases ORDER BY rowid", NULL);
	return rc;
}

static int cache_page_row(sqlite3_stmt *st, void *arg)
{
	struct cache_cbw *w = arg;
	int64_t bv = sqlite3_column_int64(st, 9);
	struct cache_page_row r = {
		.rowid = sqlite3_column_int64(st, 0), .id = cache_col(st, 1),
		.database_id = cache_col(st, 2), .title = cache_col(st, 3),
		.created_time = cache_col(st, 4), .last_edited_time = cache_col(st, 5),
		.version = sqlite3_column_int64(st, 6),
		.json = w->with_json ? cache_col(st, 7) : NULL,
		.body_json = w->with_json ? cache_col(st, 8) : NULL,
		.body_edited_time = cache_col(st, 10),
		.parent_id = cache_col(st, 11),
	};

	if (bv > r.version)
		r.version = bv;
	return ((cache_page_cb)w->cb)(w->arg, &r);
}

#define CACHE_PAGE_COLS(J) \
	"SELECT p.rowid, p.id, p.database_id, p.title, p.created_time, p.last_edited_time," \
	" p.version, " J ", b.version, b.edited_time, p.parent_id FROM pages p" \
	" LEFT JOIN bodies b INDEXED BY bodies_list ON b.page_id = p.id"

int cache_each_page(struct cache *c, const char *database_id, int with_json,
		    cache_page_cb cb, void *arg)
{
	struct cache_cbw w = { (void *)cb, arg, with_json };
	sqlite3_stmt *st;
	int rc;

	cache_lock(c);
	if (with_json)
		rc = database_id
			? cache_prep(c, &st, CACHE_PAGE_COLS("p.json, b.json") " WHERE p.database_id=?1"
				     " ORDER BY p.created_time, p.id", database_id, NULL)
			: cache_prep(c, &st, CACHE_PAGE_COLS("p.json, b.json")
				     " ORDER BY p.database_id, p.created_time, p.id", NULL);
	else
		rc = database_id
			? cache_prep(c, &st, CACHE_PAGE_COLS("NULL, NULL") " WHERE p.database_id=?1"
				     " ORDER BY p.created_time, p.id", database_id, NULL)
			: cache_prep(c, &st, CACHE_PAGE_COLS("NULL, NULL")
				     " ORDER BY p.database_id, p.created_time, p.id", NULL);
	if (!rc)
		rc = cache_step_rows(st, cache_page_row, &w);
	cache_unlock(c);
	return rc;
}

static int cache_found(void *arg, const struct cache_page_row *r)
{
	(void)r;
	*(int *)arg = 1;
	return 0;
}

struct cache_one {
	cache_page_cb cb;
	void *arg;
	int found;
};

static int cache_one_row(void *arg, const struct cache_page_row *r)
{
	struct cache_one *o = arg;

	cache_found(&o->found, r);
	return o->cb(o->arg, r);
}

int cache_get_page(struct cache *c, const char *id, cache_page_cb cb, void *arg)
{
	struct cache_one one = { cb, arg, 0 };
	struct cache_cbw w = { (void *)cache_one_row, &one, 1 };
	int rc;

	rc = cache_rows(c, cache_page_row, &w, CACHE_PAGE_COLS("p.json, b.json") " WHERE p.id=?1", id, NULL);
	if (!rc && !one.found)
		rc = -ENOENT;
	return rc;
}

int cache_get_page_listing(struct cache *c, const char *id, cache_page_cb cb, void *arg)
{
	struct cache_one one = { cb, arg, 0 };
	struct cache_cbw w = { (void *)cache_one_row, &one, 0 };
	int rc;

	rc = cache_rows(c, cache_page_row, &w, CACHE_PAGE_COLS("NULL, NULL") " WHERE p.id=?1", id, NULL);
	if (!rc && !one.found)
		rc = -ENOENT;
	return rc;
}

int cache_get_trashed(struct cache *c, const char *id, cache_page_cb cb, void *arg)
{
	struct cache_one one = { cb, arg, 0 };
	struct cache_cbw w = { (void *)cache_one_row, &one, 1 };
	int rc;

	/* the columns of CACHE_PAGE_COLS */
	rc = cache_rows(c, cache_page_row, &w, "SELECT 0, id, database_id, title, created_time, last_edited_time,"
			" 0, json, body_json, 0, body_edited_time, parent_id FROM trash WHERE id=?1", id, NULL);
	if (!rc && !one.found)
		rc = -ENOENT;
	return rc;
}

struct cache_idlist {
	char **ids;
	int n;
};

static int cache_id_row(sqlite3_stmt *st, void *arg)
{
	struct cache_idlist *l = arg;
	char *s = strdup(cache_col(st, 0));

	if (!s)
		return -ENOMEM;
	l->ids[l->n++] = s;
	return 0;
}

int cache_pages_needing_body(struct cache *c, int limit, char ***ids, int *n)
{
	struct cache_idlist l = { NULL, 0 };
	char lim[16];
	int rc, i;

	*ids = NULL;
	*n = 0;
	if (limit <= 0)
		return 0;
	l.ids = calloc((size_t)limit, sizeof(char *));
	if (!l.ids)
		return -ENOMEM;
	snprintf(lim, sizeof(lim), "%d", limit);
	/* from `pending` (migrations 9 and 14, kept by triggers), walked in its index's order:
	 * the cost follows the batch, not the pages waiting for a body */
	rc = cache_rows(c, cache_id_row, &l, "SELECT page_id FROM pending INDEXED BY pending_order"
			" ORDER BY has_body, edited DESC, page_id LIMIT CAST(?1 AS INTEGER)", lim, NULL);
	if (rc) {
		for (i = 0; i < l.n; i++)
			free(l.ids[i]);
		free(l.ids);
		return rc;
	}
	*ids = l.ids;
	*n = l.n;
	return 0;
}

int cache_count_pages(struct cache *c, const char *database_id, int64_t *n)
{
	int rc;

	rc = database_id
		? cache_read_int(c, n, "SELECT COUNT(*) FROM pages WHERE database_id=?1", database_id, NULL)
		: cache_read_int(c, n, "SELECT COUNT(*) FROM pages", NULL);
	return rc;
}

int cache_count_bodies_pending(struct cache *c, int64_t *n)
{
	int rc;

	rc = cache_read_int(c, n, "SELECT COUNT(*) FROM pending", NULL); /* migration 9 */
	return rc;
}

struct cache_userw {
	int (*cb)(void *arg, const char *id, const char *name);
	void *arg;
};

static int cache_user_row(sqlite3_stmt *st, void *arg)
{
	struct cache_userw *w = arg;

	return w->cb(w->arg, cache_col(st, 0), cache_col(st, 1));
}

int cache_each_user(struct cache *c, int (*cb)(void *arg, const char *id, const char *name),
		    void *arg)
{
	struct cache_userw w = { cb, arg };
	int rc;

	rc = cache_rows(c, cache_user_row, &w, "SELECT id, name FROM users ORDER BY id", NULL);
	return rc;
}

struct cache_userjw {
	int (*cb)(void *arg, const char *id, const char *name, const char *json);
	void *arg;
};

static int cache_user_json_row(sqlite3_stmt *st, void *arg)
{
	struct cache_userjw *w = arg;

	return w->cb(w->arg, cache_col(st, 0), cache_col(st, 1), cache_col(st, 2));
}

int cache_each_user_json(struct cache *c,
			 int (*cb)(void *arg, const char *id, const char *name, const char *json),
			 void *arg)
{
	struct cache_userjw w = { cb, arg };
	int rc;

	rc = cache_rows(c, cache_user_json_row, &w, "SELECT id, name, json FROM users ORDER BY id", NULL);
	return rc;
}

/* ---- meta and log ----------------------------------------------------- */

static int cache_str_row(sqlite3_stmt *st, void *arg)
{
	char **out = arg;

	*out = strdup(cache_col(st, 0));
	return *out ? 0 : -ENOMEM;
}

/* The text in the first column of SQL's row for KEY into *out (caller
 * frees): 0, -ENOENT when there is none, or -errno. */
static int cache_get_text(struct cache *c, const char *sql, const char *key, char **out)
{
	int rc;

	*out = NULL;
	rc = cache_rows(c, cache_str_row, out, sql, key, NULL);
	if (!rc && !*out)
		rc = -ENOENT;
	return rc;
}

int cache_get_database(struct cache *c, const char *id, char **json)
{
	return cache_get_text(c, "SELECT json FROM databases WHERE id=?1", id, json);
}

int cache_get_data_source(struct cache *c, const char *id, char **json)
{
	return cache_get_text(c, "SELECT json FROM data_sources WHERE id=?1", id, json);
}

int cache_source_database(struct cache *c, const char *id, char **database_id)
{
	return cache_get_text(c, "SELECT database_id FROM data_sources WHERE id=?1", id, database_id);
}

int cache_meta_get(struct cache *c, const char *key, char **value)
{
	return cache_get_text(c, "SELECT value FROM meta WHERE key=?1", key, value);
}

int cache_meta_set(struct cache *c, const char *key, const char *value)
{
	sqlite3_stmt *st;
	int own, rc;

	if (!strcmp(key, "version"))
		return -EINVAL; /* owned by invariant 1 */
	rc = cache_wbegin(c, &own);
	if (rc)
		return rc;
	rc = cache_prep(c, &st, "INSERT INTO meta(key, value) VALUES(?1, ?2)"
			" ON CONFLICT(key) DO UPDATE SET value=excluded.value", key, value, NULL);
	if (!rc)
		rc = cache_run(st);
	return cache_wend(c, own, rc);
}

int cache_change_seq(struct cache *c, int64_t *seq)
{
	return cache_read_int(c, seq, "SELECT coalesce(max(seq), 0) FROM page_changes", NULL);
}

struct cache_changes {
	int (*cb)(void *arg, const char *page_id);
	void *arg;
	int64_t last;
};

static int cache_change_row(sqlite3_stmt *st, void *arg)
{
	struct cache_changes *x = arg;

	x->last = sqlite3_column_int64(st, 0);
	return x->cb(x->arg, cache_col(st, 1));
}

int cache_each_change(struct cache *c, int64_t since, int (*cb)(void *arg, const char *page_id),
		      void *arg, int64_t *last)
{
	struct cache_changes x = { cb, arg, since };
	char buf[24];
	int64_t first = 0;
	int rc;

	*last = since;
	/* seqs are consecutive (AUTOINCREMENT, pruned from the oldest): a gap
	 * after `since` means the entries were pruned */
	rc = cache_read_int(c, &first, "SELECT coalesce(min(seq), 0) FROM page_changes", NULL);
	if (rc)
		return rc;
	snprintf(buf, sizeof(buf), "%lld", (long long)since);
	if (first > since + 1) {
		int64_t newest = 0;

		rc = cache_read_int(c, &newest, "SELECT coalesce(max(seq), 0) FROM page_changes", NULL);
		if (rc)
			return rc;
		if (newest > since)
			return -ERANGE;
	}
	rc = cache_rows(c, cache_change_row, &x, "SELECT seq, page_id FROM page_changes"
			" WHERE seq > CAST(?1 AS INTEGER) ORDER BY seq", buf, NULL);
	if (!rc)
		*last = x.last;
	return rc;
}

int cache_version(struct cache *c, int64_t *version)
{
	int rc;

	rc = cache_read_int(c, version, "SELECT CAST(value AS INTEGER) FROM meta WHERE key='version'", NULL);
	return rc;
}

int cache_log(struct cache *c, const char *kind, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	char now[24];
	va_list ap;
	int own, rc;

	va_start(ap, fmt);
	rc = buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	if (rc)
		return rc;
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	rc = cache_wbegin(c, &own);
	if (rc)
		goto out;
	rc = cache_do(c, "INSERT INTO sync_log(time, kind, message)"
			" VALUES(CAST(?1 AS INTEGER), ?2, ?3)", now, kind, msg.data, NULL);
	/* Keep the log bounded. */
	if (!rc)
		rc = cache_exec(c, "DELETE FROM sync_log WHERE seq <= (SELECT MAX(seq) FROM sync_log) - 5000");
	/* errors are shown by the mount (.notionfs/errors): invariant 1 */
	if (!rc && !strcmp(kind, "error"))
		rc = cache_bump(c, &(int64_t){ 0 });
	rc = cache_wend(c, own, rc);
out:
	buf_release(&msg);
	return rc;
}

struct cache_logw {
	int (*cb)(void *arg, int64_t time, const char *kind, const char *msg);
	void *arg;
};

static int cache_log_row(sqlite3_stmt *st, void *arg)
{
	struct cache_logw *w = arg;

	return w->cb(w->arg, sqlite3_column_int64(st, 0), cache_col(st, 1), cache_col(st, 2));
}

int cache_each_log(struct cache *c, const char *kind, int limit,
		   int (*cb)(void *arg, int64_t time, const char *kind, const char *msg),
		   void *arg)
{
	struct cache_logw w = { cb, arg };
	sqlite3_stmt *st;
	char lim[16];
	int rc;

	snprintf(lim, sizeof(lim), "%d", limit);
	cache_lock(c);
	rc = cache_prep(c, &st, "SELECT time, kind, message FROM (SELECT seq, time, kind, message"
			" FROM sync_log WHERE ?1 IS NULL OR kind = ?1 ORDER BY seq DESC"
			" LIMIT CAST(?2 AS INTEGER)) ORDER BY seq", kind ? kind : "", lim, NULL);
	/* bind NULL explicitly when no kind filter */
	if (!rc && !kind)
		sqlite3_bind_null(st, 1);
	if (!rc)
		rc = cache_step_rows(st, cache_log_row, &w);
	cache_unlock(c);
	return rc;
}
