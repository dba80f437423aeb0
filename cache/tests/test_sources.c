/* test_sources.c - data sources in the cache (cache/cache.h, migration 11):
 * a cache of schema 10 gains each database as its own provisional data
 * source, keeping its pages and queue; cache_remap_source files all of it
 * under the real data source; a schema change bumps its rows' versions;
 * deleting a database takes its data sources and their pages. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache/cache.h"
#include "cache/cache_int.h"
#include "common/check.h"

#define DB "11111111-1111-4111-8111-111111111111"
#define DS "22222222-2222-4222-8222-222222222222"
#define PG "33333333-3333-4333-8333-333333333333"

struct rows {
	int n;
	char ids[256];
	int64_t version;
};

static int ds_cb(void *arg, const struct cache_ds_row *r)
{
	struct rows *s = arg;

	s->n++;
	strcat(s->ids, r->id);
	strcat(s->ids, "<");
	strcat(s->ids, r->database_id);
	strcat(s->ids, ";");
	s->version = r->version;
	return 0;
}

static int page_cb(void *arg, const struct cache_page_row *r)
{
	struct rows *s = arg;

	s->n++;
	snprintf(s->ids, sizeof(s->ids), "%s", r->database_id);
	s->version = r->version;
	return 0;
}

static int64_t count(struct cache *c, const char *sql, const char *p)
{
	int64_t n = -1;

	cache_lock(c);
	CHECK(cache_query_int(c, &n, sql, p, NULL) == 0);
	cache_unlock(c);
	return n;
}

int main(void)
{
	char dir[64], cmd[96], *json = NULL;
	struct cache *c = NULL;
	struct rows s = { 0 };
	struct cache_page_in p = { PG, DB, "Row", "2025-01-01T00:00:00.000Z",
				   "2025-01-02T00:00:00.000Z", "{\"object\":\"page\"}", NULL };
	int changed = -1;
	int64_t ver = -1;

	snprintf(dir, sizeof(dir), "/tmp/nfs-test-sources-%d", (int)getpid());
	CHECK(cache_open(dir, &c) == 0);
	if (!c)
		return check_done();
	/* a cache of the release before: schema 10, a database with its properties, a row, a
	 * queued edit and a delta cursor under the database id */
	CHECK(cache_put_database(c, DB, "Tasks", "", "{\"object\":\"database\",\"properties\":{\"Name\":{}}}",
				 NULL) == 0);
	CHECK(cache_put_page(c, &p, NULL) == 0);
	CHECK(cache_meta_set(c, "newest:" DB, "2025-01-02T00:00:00.000Z") == 0);
	cache_lock(c);
	CHECK(cache_exec(c, "INSERT INTO queue(kind, state, page_id, database_id, saved_at_ms)"
			    " VALUES(1, 0, '" PG "', '" DB "', 1)") == 0);
	CHECK(cache_exec(c, CACHE_UNDO_13 "DROP TABLE data_sources; PRAGMA user_version=10") == 0);
	cache_unlock(c);
	cache_close(c);
	c = NULL;
	CHECK(cache_open(dir, &c) == 0);
	if (!c)
		return check_done();
	cache_lock(c);
	CHECK(cache_query_int(c, &ver, "PRAGMA user_version", NULL) == 0 && ver == CACHE_SCHEMA_NEWEST);
	cache_unlock(c);
	/* the database is its own provisional source, with its old object as the schema */
	CHECK(cache_each_data_source(c, NULL, ds_cb, &s) == 0);
	CHECK(s.n == 1);
	CHECK_STR(s.ids, DB "<" DB ";");
	CHECK(cache_get_data_source(c, DB, &json) == 0 && json && strstr(json, "\"Name\""));
	free(json);
	json = NULL;
	/* the first pull learns the real source and moves everything to it */
	CHECK(cache_put_data_source(c, DS, DB, "Tasks", "{\"object\":\"data_source\",\"properties\":{}}",
				    &changed) == 0 && changed == 1);
	CHECK(cache_remap_source(c, DB, DS) == 0);
	memset(&s, 0, sizeof(s));
	CHECK(cache_each_data_source(c, DB, ds_cb, &s) == 0);
	CHECK(s.n == 1);
	CHECK_STR(s.ids, DS "<" DB ";");
	CHECK(count(c, "SELECT COUNT(*) FROM pages WHERE database_id=?1", DS) == 1);
	CHECK(count(c, "SELECT COUNT(*) FROM queue WHERE database_id=?1", DS) == 1);
	CHECK(count(c, "SELECT COUNT(*) FROM meta WHERE key='newest:' || ?1", DB) == 0);
	CHECK(cache_source_database(c, DS, &json) == 0 && json && !strcmp(json, DB));
	free(json);
	json = NULL;
	CHECK(cache_source_database(c, DB, &json) == -ENOENT);
	/* a schema change: the rows' versions move with it (their files change) */
	memset(&s, 0, sizeof(s));
	CHECK(cache_get_page(c, PG, page_cb, &s) == 0 && s.n == 1);
	ver = s.version;
	CHECK(cache_put_data_source(c, DS, DB, "Tasks", "{\"object\":\"data_source\",\"properties\":{}}",
				    &changed) == 0 && changed == 0);
	CHECK(cache_put_data_source(c, DS, DB, "Tasks",
				    "{\"object\":\"data_source\",\"properties\":{\"Name\":{}}}",
				    &changed) == 0 && changed == 1);
	memset(&s, 0, sizeof(s));
	CHECK(cache_get_page(c, PG, page_cb, &s) == 0 && s.version > ver);
	/* a database that goes takes its sources and their rows */
	CHECK(cache_delete_database(c, DB) == 0);
	CHECK(count(c, "SELECT COUNT(*) FROM data_sources WHERE database_id=?1", DB) == 0);
	CHECK(count(c, "SELECT COUNT(*) FROM pages WHERE database_id=?1", DS) == 0);
	cache_close(c);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
	return check_done();
}
