/* queue.c - the durable write queue, local texts and conflicts; contract
 * and invariants in queue.h, the algorithm around it in docs/queue.md.
 *
 * Owns: the SQL of the `queue`, `local` and `conflicts` tables (created by
 * migration 1 -> 2 of cache.c).  Uses cache.c's connection, lock and
 * transaction helpers through cache_int.h, so a queue change can share a
 * transaction with a cache_put_page() (queue.h invariant 2).
 * Memory: queue_entry strings are malloc'd and freed by
 * queue_entry_release(); rows handed to callbacks are borrowed.
 */
#include "cache/queue.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache/cache_int.h"

#define QUEUE_COLS \
	"seq, kind, state, page_id, database_id, path, props, ops, base_edited_time," \
	" base_page, base_body, saved_text, saved_at_ms, error, ops_done, results," \
	" result_body, local_ids, sent_at_ms"

int queue_is_local_id(const char *id)
{
	return id && !strncmp(id, QUEUE_LOCAL_PREFIX, strlen(QUEUE_LOCAL_PREFIX));
}

int queue_is_local_block_id(const char *id)
{
	return id && !strncmp(id, QUEUE_LOCAL_BLOCK_PREFIX, strlen(QUEUE_LOCAL_BLOCK_PREFIX));
}

void queue_entry_release(struct queue_entry *e)
{
	if (!e)
		return;
	free(e->page_id);
	free(e->database_id);
	free(e->path);
	free(e->props);
	free(e->ops);
	free(e->base_edited_time);
	free(e->base_page);
	free(e->base_body);
	free(e->saved_text);
	free(e->error);
	free(e->results);
	free(e->result_body);
	free(e->local_ids);
	memset(e, 0, sizeof(*e));
}

/* ---- small statement helpers ------------------------------------------ */

static int queue_prepare(struct cache *c, sqlite3_stmt **st, const char *sql)
{
	return cache_stmt_prepare(cache_sqlite(c), sql, st);
}

static int queue_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (!v)
		return cache_errno(sqlite3_bind_null(st, i));
	return cache_errno(sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT));
}

static int queue_bind_int(sqlite3_stmt *st, int i, int64_t v)
{
	return cache_errno(sqlite3_bind_int64(st, i, v));
}

/* A malloc'd copy of a text column, NULL for SQL NULL; *rc = -ENOMEM on
 * allocation failure. */
static char *queue_col_dup(sqlite3_stmt *st, int i, int *rc)
{
	const char *s = (const char *)sqlite3_column_text(st, i);
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*rc = -ENOMEM;
	return d;
}

static int queue_read_row(sqlite3_stmt *st, struct queue_entry *e)
{
	int rc = 0;

	memset(e, 0, sizeof(*e));
	e->seq = sqlite3_column_int64(st, 0);
	e->kind = (enum queue_kind)sqlite3_column_int(st, 1);
	e->state = (enum queue_state)sqlite3_column_int(st, 2);
	e->page_id = queue_col_dup(st, 3, &rc);
	e->database_id = queue_col_dup(st, 4, &rc);
	e->path = queue_col_dup(st, 5, &rc);
	e->props = queue_col_dup(st, 6, &rc);
	e->ops = queue_col_dup(st, 7, &rc);
	e->base_edited_time = queue_col_dup(st, 8, &rc);
	e->base_page = queue_col_dup(st, 9, &rc);
	e->base_body = queue_col_dup(st, 10, &rc);
	e->saved_text = queue_col_dup(st, 11, &rc);
	e->saved_at_ms = sqlite3_column_int64(st, 12);
	e->error = queue_col_dup(st, 13, &rc);
	e->ops_done = sqlite3_column_int(st, 14);
	e->results = queue_col_dup(st, 15, &rc);
	e->result_body = queue_col_dup(st, 16, &rc);
	e->local_ids = queue_col_dup(st, 17, &rc);
	e->sent_at_ms = sqlite3_column_int64(st, 18);
	if (rc)
		queue_entry_release(e);
	return rc;
}

/* Steps st once into *out: 0, -ENOENT when no row, or an error.  Finalizes. */
static int queue_step_one(sqlite3_stmt *st, struct queue_entry *out)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		rc = queue_read_row(st, out);
	else
		rc = rc == SQLITE_DONE ? -ENOENT : cache_errno(rc);
	cache_stmt_done(st);
	return rc;
}

/* Runs a one-parameter (seq) write statement. */
static int queue_exec_seq(struct cache *c, const char *sql, int64_t seq)
{
	sqlite3_stmt *st;
	int rc = queue_prepare(c, &st, sql);

	if (rc)
		return rc;
	rc = queue_bind_int(st, 1, seq);
	if (rc) {
		cache_stmt_done(st);
		return rc;
	}
	return cache_run(st);
}

/* ---- adding ------------------------------------------------------------ */

static int queue_insert(struct cache *c, const struct queue_entry *e, int64_t *seq)
{
	sqlite3_stmt *st;
	int rc;

	rc = queue_prepare(c, &st,
		"INSERT INTO queue(kind, state, page_id, database_id, path, props, ops,"
		" base_edited_time, base_page, base_body, saved_text, saved_at_ms, result_body,"
		" local_ids) VALUES(?1, 0, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
	if (rc)
		return rc;
	rc = queue_bind_int(st, 1, e->kind);
	if (!rc) rc = queue_bind_text(st, 2, e->page_id);
	if (!rc) rc = queue_bind_text(st, 3, e->database_id);
	if (!rc) rc = queue_bind_text(st, 4, e->path);
	if (!rc) rc = queue_bind_text(st, 5, e->props);
	if (!rc) rc = queue_bind_text(st, 6, e->ops);
	if (!rc) rc = queue_bind_text(st, 7, e->base_edited_time);
	if (!rc) rc = queue_bind_text(st, 8, e->base_page);
	if (!rc) rc = queue_bind_text(st, 9, e->base_body);
	if (!rc) rc = queue_bind_text(st, 10, e->saved_text);
	if (!rc) rc = queue_bind_int(st, 11, e->saved_at_ms);
	if (!rc) rc = queue_bind_text(st, 12, e->result_body);
	if (!rc) rc = queue_bind_text(st, 13, e->local_ids);
	if (rc) {
		cache_stmt_done(st);
		return rc;
	}
	rc = cache_run(st);
	if (!rc && seq)
		*seq = sqlite3_last_insert_rowid(cache_sqlite(c));
	return rc;
}

/* Sets (text != NULL) or removes the local text of a page, bumping the
 * change counter. */
static int queue_set_local(struct cache *c, const char *page_id, const char *text)
{
	sqlite3_stmt *st;
	char vs[24];
	int64_t v;
	int rc;

	rc = cache_bump(c, &v);
	if (rc)
		return rc;
	snprintf(vs, sizeof(vs), "%lld", (long long)v);
	if (text)
		rc = cache_prep(c, &st, "INSERT INTO local(page_id, text, version)"
				" VALUES(?1, ?2, CAST(?3 AS INTEGER)) ON CONFLICT(page_id) DO UPDATE"
				" SET text=excluded.text, version=excluded.version",
				page_id, text, vs, NULL);
	else
		rc = cache_prep(c, &st, "DELETE FROM local WHERE page_id=?1", page_id, NULL);
	if (rc)
		return rc;
	return cache_run(st);
}

int queue_add(struct cache *c, const struct queue_entry *e, const char *local_text, int64_t *seq)
{
	sqlite3_stmt *st;
	int own, rc;

	if (!e->page_id || !e->kind)
		return -EINVAL;
	rc = cache_wbegin(c, &own);
	if (rc)
		return rc;
	/* invariant 3: a new save supersedes the page's rejected entries */
	rc = cache_prep(c, &st, "DELETE FROM queue WHERE page_id=?1 AND state=2", e->page_id, NULL);
	if (!rc)
		rc = cache_run(st);
	if (!rc)
		rc = queue_insert(c, e, seq);
	if (!rc)
		rc = local_text ? queue_set_local(c, e->page_id, local_text) : cache_bump(c, &(int64_t){ 0 });
	return cache_wend(c, own, rc);
}

/* ---- reading ----------------------------------------------------------- */

int queue_next(struct cache *c, struct queue_entry *out)
{
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	cache_lock(c);
	rc = queue_prepare(c, &st, "SELECT " QUEUE_COLS " FROM queue q WHERE q.state IN (0, 1)"
			   " AND NOT EXISTS (SELECT 1 FROM queue r WHERE r.page_id = q.page_id"
			   " AND r.seq < q.seq AND r.state IN (2, 3)) ORDER BY q.seq LIMIT 1");
	if (!rc)
		rc = queue_step_one(st, out);
	cache_unlock(c);
	return rc;
}

int queue_get(struct cache *c, int64_t seq, struct queue_entry *out)
{
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	cache_lock(c);
	rc = queue_prepare(c, &st, "SELECT " QUEUE_COLS " FROM queue WHERE seq=?1");
	if (!rc) {
		rc = queue_bind_int(st, 1, seq);
		if (rc)
			cache_stmt_done(st);
		else
			rc = queue_step_one(st, out);
	}
	cache_unlock(c);
	return rc;
}

struct queue_each_w {
	int (*cb)(void *arg, const struct queue_entry *e);
	void *arg;
};

static int queue_each_row(sqlite3_stmt *st, void *arg)
{
	struct queue_each_w *w = arg;
	struct queue_entry e;
	int rc = queue_read_row(st, &e);

	if (!rc) {
		rc = w->cb(w->arg, &e);
		queue_entry_release(&e);
	}
	return rc;
}

/* queue_each and queue_each_page: every entry, or a page's (page_id). */
static int queue_each_of(struct cache *c, const char *page_id,
			 int (*cb)(void *arg, const struct queue_entry *e), void *arg)
{
	struct queue_each_w w = { cb, arg };
	sqlite3_stmt *st;
	int rc;

	cache_lock(c);
	rc = queue_prepare(c, &st, page_id ? "SELECT " QUEUE_COLS " FROM queue WHERE page_id=?1 ORDER BY seq"
					   : "SELECT " QUEUE_COLS " FROM queue ORDER BY seq");
	if (!rc && page_id && (rc = queue_bind_text(st, 1, page_id)))
		cache_stmt_done(st);
	else if (!rc)
		rc = cache_step_rows(st, queue_each_row, &w);
	cache_unlock(c);
	return rc;
}

int queue_each(struct cache *c, int (*cb)(void *arg, const struct queue_entry *e), void *arg)
{
	return queue_each_of(c, NULL, cb, arg);
}

int queue_each_page(struct cache *c, const char *page_id,
		    int (*cb)(void *arg, const struct queue_entry *e), void *arg)
{
	return queue_each_of(c, page_id, cb, arg);
}

int queue_local_text(struct cache *c, const char *page_id, char **text)
{
	sqlite3_stmt *st;
	int rc;

	*text = NULL;
	cache_lock(c);
	rc = cache_prep(c, &st, "SELECT text FROM local WHERE page_id=?1", page_id, NULL);
	if (rc)
		goto out;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		rc = 0;
		*text = queue_col_dup(st, 0, &rc);
		if (!rc && !*text)
			rc = -ENOENT;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : cache_errno(rc);
	}
	cache_stmt_done(st);
out:
	cache_unlock(c);
	return rc;
}

static int queue_count_state(struct cache *c, const char *states, int64_t *n)
{
	char sql[96];

	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM queue WHERE state IN (%s)", states);
	return cache_query_int(c, n, sql, NULL);
}

int queue_counts(struct cache *c, int64_t *queued, int64_t *rejected, int64_t *held)
{
	int64_t q = 0, r = 0, h = 0;
	int rc;

	cache_lock(c);
	rc = queue_count_state(c, "0, 1", &q);
	if (!rc)
		rc = queue_count_state(c, "2", &r);
	if (!rc)
		rc = queue_count_state(c, "3", &h);
	cache_unlock(c);
	if (queued)
		*queued = q;
	if (rejected)
		*rejected = r;
	if (held)
		*held = h;
	return rc;
}

/* ---- state changes ----------------------------------------------------- */

/* What queue_update() writes into one entry: `sql` is an UPDATE ... WHERE
 * seq=?1; ?2 is `ival` when `with_int`, the texts follow (NULL binds SQL
 * NULL, so COALESCE(?N, col) keeps a column). */
struct queue_update {
	const char *sql;
	int with_int;
	int64_t ival;
	const char *text[3];
	int ntext;
	int must_exist;   /* -ENOENT when no entry matched */
	int bump;         /* also move the change counter (what status shows changed) */
};

/* The one "update these columns of an entry" routine, in the caller's
 * transaction or its own. */
static int queue_update(struct cache *c, int64_t seq, const struct queue_update *u)
{
	sqlite3_stmt *st;
	int own, rc, i, k = 1;

	rc = cache_wbegin(c, &own);
	if (rc)
		return rc;
	rc = queue_prepare(c, &st, u->sql);
	if (rc)
		goto out;
	rc = queue_bind_int(st, k++, seq);
	if (!rc && u->with_int)
		rc = queue_bind_int(st, k++, u->ival);
	for (i = 0; !rc && i < u->ntext; i++)
		rc = queue_bind_text(st, k++, u->text[i]);
	if (rc) {
		cache_stmt_done(st);
		goto out;
	}
	rc = cache_run(st);
	if (!rc && u->must_exist && sqlite3_changes(cache_sqlite(c)) == 0)
		rc = -ENOENT;
	if (!rc && u->bump)
		rc = cache_bump(c, &(int64_t){ 0 });
out:
	return cache_wend(c, own, rc);
}

int queue_set_state(struct cache *c, int64_t seq, enum queue_state st_, const char *error)
{
	/* states show in `status` and .notionfs/errors: bump */
	return queue_update(c, seq, &(struct queue_update){
		.sql = "UPDATE queue SET state=?2, error=?3 WHERE seq=?1",
		.with_int = 1, .ival = st_, .text = { error }, .ntext = 1,
		.must_exist = 1, .bump = 1 });
}

int queue_set_progress(struct cache *c, int64_t seq, int ops_done, const char *results)
{
	return queue_update(c, seq, &(struct queue_update){
		.sql = "UPDATE queue SET ops_done=?2, results=?3, sent_at_ms=0 WHERE seq=?1",
		.with_int = 1, .ival = ops_done, .text = { results }, .ntext = 1,
		.must_exist = 1 });
}

int queue_set_sent(struct cache *c, int64_t seq, int64_t sent_at_ms)
{
	return queue_update(c, seq, &(struct queue_update){
		.sql = "UPDATE queue SET sent_at_ms=?2, error=COALESCE(?3, error) WHERE seq=?1",
		.with_int = 1, .ival = sent_at_ms, .text = { NULL }, .ntext = 1,
		.must_exist = 1 });
}

int queue_head(struct cache *c, const char *page_id, struct queue_entry *out)
{
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	cache_lock(c);
	rc = cache_prep(c, &st, "SELECT " QUEUE_COLS " FROM queue WHERE page_id=?1 AND kind=1"
			" AND state IN (0, 1) AND saved_text IS NOT NULL AND result_body IS NOT NULL"
			" ORDER BY seq DESC LIMIT 1", page_id, NULL);
	if (!rc)
		rc = queue_step_one(st, out);
	cache_unlock(c);
	return rc;
}

int queue_set_chain(struct cache *c, int64_t seq, const char *ops, const char *base_body,
		    const char *result_body)
{
	/* an entry dropped meanwhile is no error: nothing is left to rewrite */
	return queue_update(c, seq, &(struct queue_update){
		.sql = "UPDATE queue SET ops=COALESCE(?2, ops), base_body=COALESCE(?3, base_body),"
		       " result_body=COALESCE(?4, result_body) WHERE seq=?1",
		.text = { ops, base_body, result_body }, .ntext = 3 });
}

/* Runs one UPDATE or DELETE over many entries (parameters A, B, C as
 * cache_prep's list: the first NULL ends it) and bumps, in one transaction;
 * *n (may be NULL) gets how many rows it changed. */
static int queue_change_rows(struct cache *c, int64_t *n, const char *sql, const char *a,
			     const char *b, const char *d)
{
	int own, rc;

	if (n)
		*n = 0;
	rc = cache_wbegin(c, &own);
	if (rc)
		return rc;
	rc = cache_do(c, sql, a, b, d, NULL);
	if (!rc && n)
		*n = sqlite3_changes(cache_sqlite(c));
	if (!rc)
		rc = cache_bump(c, &(int64_t){ 0 });
	return cache_wend(c, own, rc);
}

int queue_reject_later(struct cache *c, const char *page_id, int64_t seq, const char *error,
		       int64_t *n)
{
	char ss[24];

	snprintf(ss, sizeof(ss), "%lld", (long long)seq);
	return queue_change_rows(c, n, "UPDATE queue SET state=2, error=?3 WHERE page_id=?1"
				 " AND seq > CAST(?2 AS INTEGER) AND state IN (0, 1)", page_id, ss, error);
}

/* Removes entry seq and, when it was its page's last, the local text. */
static int queue_remove(struct cache *c, int64_t seq)
{
	sqlite3_stmt *st;
	char *page = NULL;
	int64_t left = 0;
	int rc;

	rc = queue_prepare(c, &st, "SELECT page_id FROM queue WHERE seq=?1");
	if (rc)
		return rc;
	queue_bind_int(st, 1, seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		rc = 0;
		page = queue_col_dup(st, 0, &rc);
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : cache_errno(rc);
	}
	cache_stmt_done(st);
	if (rc)
		goto out;
	rc = queue_exec_seq(c, "DELETE FROM queue WHERE seq=?1", seq);
	if (!rc)
		rc = cache_query_int(c, &left, "SELECT COUNT(*) FROM queue WHERE page_id=?1", page, NULL);
	if (!rc && left == 0)
		rc = queue_set_local(c, page, NULL);
	else if (!rc)
		rc = cache_bump(c, &(int64_t){ 0 });
out:
	free(page);
	return rc;
}

int queue_done(struct cache *c, int64_t seq)
{
	int own, rc;

	rc = cache_wbegin(c, &own);
	if (rc)
		return rc;
	rc = queue_remove(c, seq);
	return cache_wend(c, own, rc);
}

int queue_drop(struct cache *c, int64_t seq)
{
	return queue_done(c, seq);
}

int queue_rename_page(struct cache *c, const char *local_id, const char *real_id)
{
	static const char *const sql[] = {
		"UPDATE queue SET page_id=?2 WHERE page_id=?1",
		"UPDATE local SET page_id=?2 WHERE page_id=?1",
		"UPDATE conflicts SET page_id=?2 WHERE page_id=?1",
		"UPDATE kept_names SET page_id=?2 WHERE page_id=?1", /* cache/localfiles.h */
		/* a view built before this still names the local id (queue_created_id) */
		"INSERT OR REPLACE INTO created_ids(local_id, real_id) VALUES(?1, ?2)",
	};
	sqlite3_stmt *st;
	size_t i;
	int own, rc;

	rc = cache_wbegin(c, &own);
	if (rc)
		return rc;
	for (i = 0; !rc && i < sizeof(sql) / sizeof(sql[0]); i++) {
		rc = cache_prep(c, &st, sql[i], local_id, real_id, NULL);
		if (!rc)
			rc = cache_run(st);
	}
	if (!rc)
		rc = cache_exec(c, "DELETE FROM created_ids WHERE rowid <="
				" (SELECT MAX(rowid) FROM created_ids) - 1000");
	if (!rc)
		rc = cache_bump(c, &(int64_t){ 0 });
	return cache_wend(c, own, rc);
}

int queue_created_id(struct cache *c, const char *local_id, char **real_id)
{
	sqlite3_stmt *st;
	int rc;

	*real_id = NULL;
	cache_lock(c);
	rc = cache_prep(c, &st, "SELECT real_id FROM created_ids WHERE local_id=?1", local_id, NULL);
	if (!rc) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			rc = 0;
			*real_id = queue_col_dup(st, 0, &rc);
			if (!rc && !*real_id)
				rc = -ENOENT;
		} else {
			rc = rc == SQLITE_DONE ? -ENOENT : cache_errno(rc);
		}
		cache_stmt_done(st);
	}
	cache_unlock(c);
	return rc;
}

int queue_set_base(struct cache *c, int64_t seq, const char *base_edited_time,
		   const char *base_page, const char *base_body)
{
	return queue_update(c, seq, &(struct queue_update){
		.sql = "UPDATE queue SET base_edited_time=COALESCE(?2, base_edited_time),"
		       " base_page=COALESCE(?3, base_page), base_body=COALESCE(?4, base_body)"
		       " WHERE seq=?1",
		.text = { base_edited_time, base_page, base_body }, .ntext = 3,
		.must_exist = 1 });
}

int queue_release_held(struct cache *c, const char *database_id, int64_t *n)
{
	if (database_id)
		return queue_change_rows(c, n, "UPDATE queue SET state=0, error=NULL WHERE state=3"
					 " AND database_id=?1", database_id, NULL, NULL);
	return queue_change_rows(c, n, "UPDATE queue SET state=0, error=NULL WHERE state=3",
				 NULL, NULL, NULL);
}

const char *queue_kind_name(enum queue_kind k)
{
	switch (k) {
	case QUEUE_UPDATE: return "edit";
	case QUEUE_CREATE: return "create";
	case QUEUE_ARCHIVE: return "archive";
	case QUEUE_RESTORE: return "restore";
	case QUEUE_MOVE: return "move";
	}
	return "?";
}

const char *queue_state_name(enum queue_state s)
{
	switch (s) {
	case QUEUE_QUEUED: return "queued";
	case QUEUE_PUSHING: return "pushing";
	case QUEUE_REJECTED: return "rejected";
	case QUEUE_HELD: return "held";
	}
	return "?";
}

int queue_cancel_archives(struct cache *c, const char *page_id, int64_t *n)
{
	if (page_id)
		return queue_change_rows(c, n, "DELETE FROM queue WHERE kind=3 AND state IN (0, 3)"
					 " AND page_id=?1", page_id, NULL, NULL);
	return queue_change_rows(c, n, "DELETE FROM queue WHERE kind=3 AND state=3",
				 NULL, NULL, NULL);
}

/* ---- conflicts --------------------------------------------------------- */

int queue_add_conflict(struct cache *c, const struct queue_conflict *k)
{
	const char *vals[9] = { k->page_id, k->path, k->what, k->local_value, k->remote_value,
				k->local_time, k->remote_time, k->winner ? k->winner : "local",
				k->remote_editor };
	sqlite3_stmt *st;
	int own, rc, i;

	if (!k->page_id || !k->what)
		return -EINVAL;
	rc = cache_wbegin(c, &own);
	if (rc)
		return rc;
	rc = queue_prepare(c, &st, "INSERT INTO conflicts(page_id, path, what, local_value,"
			   " remote_value, local_time, remote_time, winner, remote_editor, created)"
			   " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
	if (rc)
		goto out;
	for (i = 0; !rc && i < 9; i++)
		rc = queue_bind_text(st, i + 1, vals[i]);
	if (!rc)
		rc = queue_bind_int(st, 10, (int64_t)time(NULL));
	if (rc) {
		cache_stmt_done(st);
		goto out;
	}
	rc = cache_run(st);
	if (!rc)
		rc = cache_bump(c, &(int64_t){ 0 }); /* .notionfs/conflicts/ changed */
out:
	return cache_wend(c, own, rc);
}

static const char *queue_col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

struct queue_conflict_w {
	int (*cb)(void *arg, const struct queue_conflict *k);
	void *arg;
};

static int queue_conflict_row(sqlite3_stmt *st, void *arg)
{
	struct queue_conflict_w *w = arg;
	struct queue_conflict k = {
		.seq = sqlite3_column_int64(st, 0), .page_id = queue_col(st, 1),
		.path = queue_col(st, 2), .what = queue_col(st, 3),
		.local_value = queue_col(st, 4), .remote_value = queue_col(st, 5),
		.local_time = queue_col(st, 6), .remote_time = queue_col(st, 7),
		.winner = queue_col(st, 8), .created = sqlite3_column_int64(st, 9),
		.remote_editor = queue_col(st, 10),
	};

	return w->cb(w->arg, &k);
}

int queue_each_conflict(struct cache *c,
			int (*cb)(void *arg, const struct queue_conflict *k), void *arg)
{
	struct queue_conflict_w w = { cb, arg };
	sqlite3_stmt *st;
	int rc;

	cache_lock(c);
	rc = queue_prepare(c, &st, "SELECT seq, page_id, path, what, local_value, remote_value,"
			   " local_time, remote_time, winner, created, remote_editor FROM conflicts"
			   " ORDER BY seq");
	if (!rc)
		rc = cache_step_rows(st, queue_conflict_row, &w);
	cache_unlock(c);
	return rc;
}

int queue_count_conflicts(struct cache *c, int64_t *n)
{
	return cache_read_int(c, n, "SELECT COUNT(*) FROM conflicts", NULL);
}

int queue_drop_conflict(struct cache *c, int64_t seq)
{
	char ss[24];
	int own, rc;

	snprintf(ss, sizeof(ss), "%lld", (long long)seq);
	rc = cache_wbegin(c, &own);
	if (rc)
		return rc;
	rc = cache_do(c, "DELETE FROM conflicts WHERE seq=CAST(?1 AS INTEGER)", ss, NULL);
	if (!rc && sqlite3_changes(cache_sqlite(c)) == 0)
		rc = -ENOENT;
	if (!rc)
		rc = cache_bump(c, &(int64_t){ 0 });
	return cache_wend(c, own, rc);
}
