/* pull.c - full, delta and listing pulls and body fetching; see pull.h. */
#include "sync/pull.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cache/cache.h"
#include "common/buf.h"
#include "common/strv.h"
#include "common/log.h"
#include "sync/model.h"
#include "sync/notion.h"
#include "sync/pool.h"
#include "common/json.h"

/* Pages stored per cache transaction: one query answer's worth, so that a
 * transaction (SQLite's write lock) never stays open across the request for
 * the next answer, while other slots of the pool write too. */
#define PULL_TX_PAGES NOTION_PAGE_SIZE

/* ---- side by side on the pool (pull_ctx.pool) ---------------------------- */

/* One parallel run of the caller's pull P: each item runs on a context of
 * its own (the slot's client and cache connection), whose counts are added
 * to P's when it ends. */
struct pull_par {
	struct pull_ctx *p;
	int (*item)(struct pull_ctx *sub, size_t i, void *arg);
	void *arg;
	pthread_mutex_t mu;       /* guards p->stats, pages, yielded, the progress calls */
	int64_t pages;            /* pages seen by the run so far */
	int yielded;
	size_t err_at;            /* the first item that failed (SIZE_MAX: none) ... */
	struct notion_error err;  /* ... and its client's error */
};

/* The progress callback of an item: the caller's, with the run's count. */
static void pull_par_progress(void *arg, struct cache *c, const char *db_title, int64_t pages)
{
	struct pull_par *r = arg;

	(void)pages;
	pthread_mutex_lock(&r->mu);
	r->pages++;
	r->p->progress(r->p->progress_arg, c, db_title, r->p->stats.pages_seen + r->pages);
	pthread_mutex_unlock(&r->mu);
}

static int pull_par_job(struct pool_slot *s, size_t i, void *arg)
{
	struct pull_par *r = arg;
	struct pull_ctx sub = { .api = s->api, .cache = s->cache, .stop = r->p->stop,
				.yield = r->p->yield, .ahead_pool = r->p->pool };
	int rc;

	if (r->p->progress) {
		sub.progress = pull_par_progress;
		sub.progress_arg = r;
	}
	rc = r->item(&sub, i, r->arg);
	pthread_mutex_lock(&r->mu);
	r->p->stats.pages_seen += sub.stats.pages_seen;
	r->p->stats.pages_changed += sub.stats.pages_changed;
	r->p->stats.pages_removed += sub.stats.pages_removed;
	r->p->stats.bodies += sub.stats.bodies;
	r->p->stats.sources_listed += sub.stats.sources_listed;
	r->pages -= sub.stats.pages_seen;
	r->yielded |= sub.yielded;
	if (rc < 0 && i < r->err_at) {
		r->err_at = i;
		notion_last_error(s->api, &r->err);
	}
	pthread_mutex_unlock(&r->mu);
	return rc;
}

/* Runs ITEM for i in [0, N): on P's pool, up to WIDTH at once, when it has
 * one, else one after the other on P itself.  Returns 0 or the value of the
 * first item that did not return 0 (see pool_run); sets p->yielded when an
 * item did.  The error of a failed item's client becomes p->api's last
 * error (where callers read it). */
static int pull_par_run(struct pull_ctx *p, size_t n, int width,
			int (*item)(struct pull_ctx *sub, size_t i, void *arg), void *arg)
{
	struct pull_par r = { .p = p, .item = item, .arg = arg, .err_at = SIZE_MAX };
	size_t i;
	int rc = 0;

	if (!p->pool) {
		for (i = 0; i < n && !rc; i++)
			rc = item(p, i, arg);
		return rc;
	}
	pthread_mutex_init(&r.mu, NULL);
	rc = pool_run(p->pool, n, width, pull_par_job, &r, p->stop);
	pthread_mutex_destroy(&r.mu);
	p->yielded |= r.yielded;
	if (rc < 0 && r.err_at != SIZE_MAX && p->api)
		notion_set_last_error(p->api, &r.err);
	return rc;
}

/* ---- reading ahead (sync/notion.h, struct notion_ahead) ------------------ */

/* The next page of a walk goes on a free slot of the pool, one slot left
 * for a first read; none free: the walk asks for it on its own client. */
static struct notion *pull_ahead_take(void *arg, void **token)
{
	struct pool_slot *s = pool_try_acquire(arg, 1);

	*token = s;
	return s ? s->api : NULL;
}

static void pull_ahead_give(void *arg, void *token)
{
	pool_release(arg, token);
}

/* The read-ahead of P's cursor chains, filled into *A: on the slots of its
 * pool (its own, or for an item run on the pool its caller's); NULL
 * without one. */
static const struct notion_ahead *pull_ahead(const struct pull_ctx *p, struct notion_ahead *a)
{
	struct pool *pool = p->pool ? p->pool : p->ahead_pool;

	if (!pool)
		return NULL;
	a->take = pull_ahead_take;
	a->give = pull_ahead_give;
	a->arg = pool;
	return a;
}

/* ---- normalisation ----------------------------------------------------- */

/* Notion-hosted files come as {"type":"file","file":{"url": signed,
 * "expiry_time": ...}}: the signature and expiry change on every fetch.
 * Keep the URL up to '?' (the stable object path) and drop the expiry. */
static void pull_normalize(cJSON *o)
{
	cJSON *it, *file, *url;

	if (!o)
		return;
	if (cJSON_IsObject(o)) {
		const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "type");

		file = cJSON_GetObjectItemCaseSensitive(o, "file");
		if (cJSON_IsString(type) && !strcmp(type->valuestring, "file") && cJSON_IsObject(file)) {
			cJSON_DeleteItemFromObjectCaseSensitive(file, "expiry_time");
			url = cJSON_GetObjectItemCaseSensitive(file, "url");
			if (cJSON_IsString(url) && strchr(url->valuestring, '?'))
				*strchr(url->valuestring, '?') = '\0';
		}
	}
	cJSON_ArrayForEach(it, o)
		pull_normalize(it);
}

/* Replaces a relation or people value whose list was cut at 25 with the
 * complete list from the property-item endpoint. */
static int pull_complete_property(struct notion *api, const char *page_id, cJSON *prop)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(prop, "type");
	const cJSON *pid = cJSON_GetObjectItemCaseSensitive(prop, "id");
	cJSON *items = NULL, *list, *it;
	const char *t;
	int rc;

	if (!json_true(prop, "has_more"))
		return 0;
	if (!cJSON_IsString(type) || !cJSON_IsString(pid))
		return 0;
	t = type->valuestring;
	if (strcmp(t, "relation") && strcmp(t, "people"))
		return 0;
	rc = notion_get_property_items(api, page_id, pid->valuestring, &items);
	if (rc)
		return rc;
	list = cJSON_CreateArray();
	if (!list) {
		rc = -ENOMEM;
		goto out;
	}
	cJSON_ArrayForEach(it, items) {
		cJSON *v = cJSON_GetObjectItemCaseSensitive(it, t);

		if (v)
			cJSON_AddItemToArray(list, cJSON_Duplicate(v, 1));
	}
	cJSON_ReplaceItemInObjectCaseSensitive(prop, t, list);
	cJSON_ReplaceItemInObjectCaseSensitive(prop, "has_more", cJSON_CreateFalse());
	rc = 0;
out:
	cJSON_Delete(items);
	return rc;
}

int pull_prepare_page(struct notion *api, cJSON *page)
{
	const char *id = json_str(page, "id");
	cJSON *props = cJSON_GetObjectItemCaseSensitive(page, "properties"), *prop;
	int rc;

	pull_normalize(page);
	if (!id)
		return -EINVAL;
	cJSON_ArrayForEach(prop, props) {
		rc = pull_complete_property(api, id, prop);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- the workspace tree ------------------------------------------------ */

/* The page whose folder holds an object of parent (kind, id), from the cache
 * alone: a parent page itself, the page a parent block belongs to as
 * pull_block_page resolved it; else NULL (the root).  0 or -errno. */
static int pull_page_parent(struct cache *c, enum model_parent_kind kind, const char *id,
			    char **out)
{
	int rc;

	*out = NULL;
	if (kind == MODEL_PARENT_PAGE && id[0]) {
		*out = strdup(id);
		return *out ? 0 : -ENOMEM;
	}
	if (kind != MODEL_PARENT_BLOCK || !id[0])
		return 0;
	rc = cache_block_page(c, id, out);
	return rc == -ENOENT ? 0 : rc;
}

/* Resolves the page block BLOCK_ID belongs to, walking up its parents
 * (GET /v1/blocks/{id}: a column sits in a column list, which sits in a
 * page), and records it (cache_put_block_page) for pull_page_parent.  A
 * block that is not shared, or that sits nowhere, is recorded as "" (the
 * root). */
#define PULL_BLOCK_DEPTH 16
static int pull_block_page(struct pull_ctx *p, const char *block_id)
{
	char cur[MODEL_ID_SIZE], *known = NULL;
	int depth, rc = 0;

	if (cache_block_page(p->cache, block_id, &known) == 0) {
		free(known);
		return 0;
	}
	snprintf(cur, sizeof(cur), "%s", block_id);
	for (depth = 0; depth < PULL_BLOCK_DEPTH; depth++) {
		struct model_block mb;
		cJSON *obj = NULL;

		rc = notion_get_block(p->api, cur, &obj);
		if (rc == -ENOENT || rc == -EACCES) {
			rc = 0;
			cur[0] = '\0';
			break;
		}
		if (rc)
			return rc;
		rc = model_block_summary(obj, &mb);
		cJSON_Delete(obj);
		if (rc) {
			rc = 0;
			cur[0] = '\0';
			break;
		}
		snprintf(cur, sizeof(cur), "%s", mb.parent_id);
		if (mb.parent_kind != MODEL_PARENT_BLOCK) {
			if (mb.parent_kind != MODEL_PARENT_PAGE)
				cur[0] = '\0';
			break;
		}
	}
	if (depth == PULL_BLOCK_DEPTH)
		cur[0] = '\0';
	return cache_put_block_page(p->cache, block_id, cur);
}

/* pull_block_page for the parent block of object id, never the reason a pull fails: a
 * block that cannot be asked about now (Notion failing, the retries spent) leaves the object
 * where the cache had it (at the root when new), and is asked about again at the next pull. */
static int pull_block_parent(struct pull_ctx *p, const char *block_id, const char *id)
{
	int rc = pull_block_page(p, block_id);

	if (rc && rc != -ENOMEM && rc != -ECANCELED && rc != -EACCES) {
		log_warn("the parent block %s of %s could not be read (%s); it is placed at the next"
			 " pull", block_id, id, strerror(-rc));
		rc = 0;
	}
	return rc;
}

int pull_put_page(struct cache *c, const char *db_id, const cJSON *page, int *changed,
		  struct model_page *mp)
{
	char *json = NULL;
	int rc;

	*changed = 0;
	rc = model_page_summary(page, mp);
	if (rc || mp->archived)
		return rc; /* queries do not return archived pages; be safe if one does */
	json = cJSON_PrintUnformatted(page);
	if (!json)
		return -ENOMEM;
	{
		const char *ct = json_str(page, "created_time");
		const char *et = json_str(page, "last_edited_time");
		char *parent = NULL;
		struct cache_page_in in = {
			.id = mp->id, .database_id = mp->parent_db[0] ? mp->parent_db : (db_id ? db_id : ""),
			.title = mp->title ? mp->title : "",
			.created_time = ct ? ct : "", .last_edited_time = et ? et : "", .json = json,
		};

		if (!in.database_id[0])
			rc = pull_page_parent(c, mp->parent_kind, mp->parent_id, &parent);
		in.parent_id = parent;
		if (!rc)
			rc = cache_put_page(c, &in, changed);
		free(parent);
	}
	free(json);
	return rc;
}

/* ---- pages ------------------------------------------------------------- */

struct pull_db_walk {
	struct pull_ctx *p;
	const char *db_id;
	const char *db_title;
	struct strv seen;     /* ids listed, for removal detection */
	char newest[40];      /* newest last_edited_time listed */
	int in_tx, tx_pages;
	int rc;
};

static int pull_tx_step(struct pull_db_walk *w)
{
	int rc;

	if (!w->in_tx) {
		rc = cache_begin(w->p->cache);
		if (rc)
			return rc;
		w->in_tx = 1;
		w->tx_pages = 0;
	}
	if (++w->tx_pages < PULL_TX_PAGES)
		return 0;
	w->in_tx = 0;
	return cache_commit(w->p->cache);
}

static int pull_tx_end(struct pull_db_walk *w, int rc)
{
	if (!w->in_tx)
		return rc;
	w->in_tx = 0;
	if (rc) {
		cache_rollback(w->p->cache);
		return rc;
	}
	return cache_commit(w->p->cache);
}

/* Names a malformed object of an answer in .notionfs/errors: its id (as sent) and its name or
 * title when it has a plain one. */
static void pull_skip(struct pull_ctx *p, const char *what, const cJSON *obj)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(obj, "id");
	const char *name = json_str(obj, "name");
	char *shown = id ? cJSON_PrintUnformatted(id) : NULL;

	cache_log(p->cache, "error", "%s %s%s%s%s: malformed %s object, skipped", what,
		  shown ? shown : "without an id", name ? " (\"" : "", name ? name : "",
		  name ? "\")" : "", what);
	free(shown);
}

/* Stores one page object (borrowed) of a database query, as every answer is
 * stored (pull_prepare_page, pull_put_page). */
static int pull_store_page(struct pull_ctx *p, const char *db_id, const cJSON *obj,
			   int *changed, struct model_page *mp)
{
	cJSON *page = cJSON_Duplicate(obj, 1);
	int rc;

	*changed = 0;
	if (!page)
		return -ENOMEM;
	rc = pull_prepare_page(p->api, page);
	if (!rc)
		rc = pull_put_page(p->cache, db_id, page, changed, mp);
	cJSON_Delete(page);
	return rc;
}

/* Adds the id of a skipped object to seen (when it is an id at all), so its
 * cached version is kept. */
static int pull_keep_seen(struct strv *seen, const cJSON *obj)
{
	char id[MODEL_ID_SIZE];

	if (model_normalize_id(json_str(obj, "id"),
			       id))
		return 0;
	return strv_push(seen, id);
}

static int pull_page_cb(cJSON *obj, void *arg)
{
	struct pull_db_walk *w = arg;
	struct model_page mp;
	int changed = 0, rc;

	if (w->p->stop && atomic_load(w->p->stop))
		return -ECANCELED;
	memset(&mp, 0, sizeof(mp));
	rc = pull_tx_step(w);
	if (!rc)
		rc = pull_store_page(w->p, w->db_id, obj, &changed, &mp);
	if (rc == -EINVAL) {
		/* Named and skipped, never the reason a pull fails; a cached
		 * version stays (it is not taken for removed). */
		pull_skip(w->p, "page", obj);
		return pull_keep_seen(&w->seen, obj);
	}
	if (!rc && !mp.archived) {
		rc = strv_push(&w->seen, mp.id);
		if (strcmp(json_str_or(obj, "last_edited_time", ""), w->newest) > 0)
			snprintf(w->newest, sizeof(w->newest), "%s", json_str_or(obj, "last_edited_time", ""));
		w->p->stats.pages_seen++;
		w->p->stats.pages_changed += changed;
		if (w->p->progress)
			w->p->progress(w->p->progress_arg, w->in_tx ? w->p->cache : NULL, w->db_title,
				       w->p->stats.pages_seen);
	}
	model_page_release(&mp);
	return rc;
}

struct pull_gone {
	const struct strv *seen;
	struct strv gone;
};

static int pull_gone_cb(void *arg, const struct cache_page_row *r)
{
	struct pull_gone *g = arg;

	return strv_contains(g->seen, r->id) ? 0 : strv_push(&g->gone, r->id);
}

static int pull_meta_newest(struct pull_ctx *p, const char *db_id, const char *newest)
{
	char key[80], *old = NULL;
	int rc;

	if (!newest[0])
		return 0;
	snprintf(key, sizeof(key), "newest:%s", db_id);
	if (cache_meta_get(p->cache, key, &old) == 0 && strcmp(old, newest) >= 0) {
		free(old);
		return 0;
	}
	free(old);
	rc = cache_meta_set(p->cache, key, newest);
	return rc;
}

/* Removes the cached pages of DB_ID ("": the pages outside data sources)
 * that SEEN (sorted) lacks.  Returns 1, removing nothing, when they are
 * more than half of them and not CONFIRMED: the caller lists again. */
static int pull_remove_unseen(struct pull_ctx *p, const char *db_id, const char *title,
			      const struct strv *seen, int confirmed)
{
	struct pull_gone g = { .seen = seen, .gone = STRV_INIT };
	int64_t cached = 0;
	size_t i;
	int rc;

	rc = cache_each_page(p->cache, db_id, 0, pull_gone_cb, &g);
	if (rc || g.gone.n == 0)
		goto out;
	rc = cache_count_pages(p->cache, db_id, &cached);
	if (rc)
		goto out;
	if (!confirmed && cached > 4 && (int64_t)g.gone.n * 2 > cached) {
		log_warn("%s: listing lacks %zu of %lld cached pages; listing again to confirm",
			 title, g.gone.n, (long long)cached);
		cache_log(p->cache, "pull", "%s: listing lacks %zu of %lld pages, confirming",
			  title, g.gone.n, (long long)cached);
		rc = 1;
		goto out;
	}
	rc = cache_begin(p->cache);
	for (i = 0; !rc && i < g.gone.n; i++) {
		rc = cache_delete_page(p->cache, g.gone.v[i]);
		if (rc == -ENOENT)
			rc = 0;
	}
	rc = rc ? (cache_rollback(p->cache), rc) : cache_commit(p->cache);
	if (!rc) {
		p->stats.pages_removed += (int64_t)g.gone.n;
		cache_log(p->cache, "pull", "%s: %zu pages archived or deleted remotely",
			  title, g.gone.n);
	}
out:
	strv_release(&g.gone);
	return rc;
}

/* Lists every page of a database; stores them; removes cached pages the
 * listing lacks (after a confirming second listing when it lacks more than
 * half of them). */
static int pull_list_database(struct pull_ctx *p, const char *db_id, const char *title,
			      int confirmed)
{
	struct pull_db_walk w = { .p = p, .db_id = db_id, .db_title = title };
	struct notion_ahead a;
	char what[300];
	int rc;

	rc = notion_query_data_source_ahead(p->api, pull_ahead(p, &a), db_id, NULL, pull_page_cb, &w);
	rc = pull_tx_end(&w, rc);
	if (!rc)
		rc = pull_meta_newest(p, db_id, w.newest);
	if (rc)
		goto out;
	strv_sort(&w.seen);
	snprintf(what, sizeof(what), "database \"%s\"", title);
	rc = pull_remove_unseen(p, db_id, what, &w.seen, confirmed);
	if (rc == 1) {
		strv_release(&w.seen);
		return pull_list_database(p, db_id, title, 1);
	}
out:
	strv_release(&w.seen);
	return rc;
}

/* ---- pages outside data sources (the workspace tree) ------------------- */

/* L (unsorted) holds S. */
static int pull_has(const struct strv *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return 1;
	return 0;
}

struct pull_dbs;
static int pull_db_cb(cJSON *obj, void *arg);

/* A search walk: the pages outside data sources it stores (their rows are
 * listed by their source's queries), and in a delta poll the data sources
 * too, until the first result edited before `since`. */
struct pull_tree {
	struct pull_db_walk w;      /* batching, seen; db_id "" */
	struct pull_dbs *dbs;       /* delta: data sources shown (pull_db_cb), else NULL */
	time_t since;               /* delta: stop before this edit time; 0: never */
	char newest[40];            /* newest last_edited_time of any result */
	/* a first pull: the data sources (sorted) whose rows are taken from this
	 * search rather than queried, and "source\tnewest edit" of each */
	const struct strv *rows_of;
	struct strv rows_newest;
	/* a delta poll: the data sources of the rows it shows that changed
	 * (pull_row_changed) */
	struct strv *touched;
};

/* A row seen by a delta search may be newer than the cache's copy: absent,
 * edited later, or edited in the last PULL_RECENT_S (its time is cut to the
 * minute, so a later edit in the same minute shows the same time). */
#define PULL_RECENT_S 180
static int pull_row_changed_cb(void *arg, const struct cache_page_row *r)
{
	*(char **)arg = strdup(r->last_edited_time ? r->last_edited_time : "");
	return *(char **)arg ? 0 : -ENOMEM;
}

static int pull_row_changed(struct pull_ctx *p, const cJSON *obj, const char *id)
{
	const char *et = json_str_or(obj, "last_edited_time", "");
	char *cached = NULL;
	time_t when = 0;
	int rc, changed;

	if (iso_time_parse(et, &when, NULL) || when >= time(NULL) - PULL_RECENT_S)
		return 1;
	rc = cache_get_page(p->cache, id, pull_row_changed_cb, &cached);
	if (rc)
		return rc == -ENOENT ? 1 : rc;
	changed = strcmp(et, cached) != 0;
	free(cached);
	return changed;
}

/* A row of a source in t->rows_of, stored as a query would store it. */
static int pull_tree_row(struct pull_tree *t, cJSON *obj, const char *source)
{
	struct pull_db_walk w = t->w;
	const char *et = json_str_or(obj, "last_edited_time", "");
	size_t i, len = strlen(source);
	int rc;

	w.db_id = source;
	w.seen = (struct strv)STRV_INIT;
	w.newest[0] = '\0';
	rc = pull_page_cb(obj, &w);
	t->w.in_tx = w.in_tx;
	t->w.tx_pages = w.tx_pages;
	strv_release(&w.seen);
	if (rc || !et[0] || strlen(et) >= 40)
		return rc;
	for (i = 0; i < t->rows_newest.n; i++) {
		char *l = t->rows_newest.v[i], *n;

		if (strncmp(l, source, len) || l[len] != '\t')
			continue;
		if (strcmp(et, l + len + 1) <= 0)
			return 0;
		n = malloc(len + 1 + strlen(et) + 1);
		if (!n)
			return -ENOMEM;
		sprintf(n, "%s\t%s", source, et);
		free(l);
		t->rows_newest.v[i] = n;
		return 0;
	}
	{
		struct buf line = BUF_INIT;

		rc = buf_printf(&line, "%s\t%s", source, et);
		if (!rc)
			rc = strv_push(&t->rows_newest, line.data);
		buf_release(&line);
	}
	return rc;
}

/* One page of a search answer: stored when it is not a row, its parent
 * block resolved first (outside the batch's transaction: it may ask). */
static int pull_tree_page(struct pull_tree *t, cJSON *obj)
{
	struct pull_ctx *p = t->w.p;
	struct model_page mp;
	char *known = NULL;
	int rc;

	memset(&mp, 0, sizeof(mp));
	rc = model_page_summary(obj, &mp);
	if (rc == -EINVAL) {
		pull_skip(p, "page", obj);
		return pull_keep_seen(&t->w.seen, obj);
	}
	if (rc)
		return rc;
	if (!mp.archived && mp.parent_db[0] && t->rows_of && strv_contains(t->rows_of, mp.parent_db)) {
		rc = pull_tree_row(t, obj, mp.parent_db);
		goto out;
	}
	if (mp.archived || mp.parent_db[0] || mp.parent_kind == MODEL_PARENT_DATABASE ||
	    mp.parent_kind == MODEL_PARENT_DATA_SOURCE) {
		/* a row: its data source's query lists it (this poll, when it changed) */
		if (t->touched && mp.parent_db[0] && !pull_has(t->touched, mp.parent_db)) {
			rc = pull_row_changed(p, obj, mp.id);
			rc = rc == 1 ? strv_push(t->touched, mp.parent_db) : rc;
		}
		goto out;
	}
	if (mp.parent_kind == MODEL_PARENT_BLOCK && mp.parent_id[0] &&
	    cache_block_page(p->cache, mp.parent_id, &known) == -ENOENT) {
		rc = pull_tx_end(&t->w, 0);
		if (!rc)
			rc = pull_block_parent(p, mp.parent_id, mp.id);
	}
	free(known);
	if (!rc)
		rc = pull_page_cb(obj, &t->w);
out:
	model_page_release(&mp);
	return rc;
}

#define PULL_STOP 1
static int pull_search_cb(cJSON *obj, void *arg)
{
	struct pull_tree *t = arg;
	const char *kind = model_object_kind(obj);
	const char *et = json_str_or(obj, "last_edited_time", "");
	time_t when = 0;

	if (t->since && iso_time_parse(et, &when, NULL) == 0 && when < t->since)
		return PULL_STOP;
	if (strcmp(et, t->newest) > 0 && strlen(et) < sizeof(t->newest))
		snprintf(t->newest, sizeof(t->newest), "%s", et);
	if (!strcmp(kind, "data_source"))
		return t->dbs ? pull_db_cb(obj, t->dbs) : 0;
	if (!strcmp(kind, "page"))
		return pull_tree_page(t, obj);
	return 0;
}

/* Every page shared with the integration by search (oldest edit first):
 * those outside data sources stored with the page whose folder holds them,
 * the cached ones the search lacks removed (confirmed as a listing is). */
static int pull_tree(struct pull_ctx *p, int confirmed, const struct strv *rows_of)
{
	struct pull_tree t = { .w = { .p = p, .db_id = "", .db_title = "" }, .rows_of = rows_of };
	struct notion_ahead a;
	size_t i;
	int rc;

	/* read to its end: each next answer is asked for while this one is stored */
	rc = notion_search_ahead(p->api, pull_ahead(p, &a), "page", 0, pull_search_cb, &t);
	rc = pull_tx_end(&t.w, rc);
	if (!rc)
		rc = pull_meta_newest(p, "search", t.newest);
	for (i = 0; !rc && i < t.rows_newest.n; i++) {
		char *tab = strchr(t.rows_newest.v[i], '\t');

		*tab = '\0';
		rc = pull_meta_newest(p, t.rows_newest.v[i], tab + 1);
	}
	if (rc)
		goto out;
	strv_sort(&t.w.seen);
	rc = pull_remove_unseen(p, "", "pages outside databases", &t.w.seen, confirmed);
	if (rc == 1) {
		strv_release(&t.w.seen);
		strv_release(&t.rows_newest);
		return pull_tree(p, 1, NULL);
	}
out:
	strv_release(&t.w.seen);
	strv_release(&t.rows_newest);
	return rc;
}

/* ---- data sources, databases and users ------------------------------------ */

/* What the search found: parallel lists of the data sources (id, its
 * database, title) and the distinct databases (containers) holding them. */
struct pull_dbs {
	struct pull_ctx *p;
	struct strv ids, titles, dbs;   /* one entry per data source */
	struct strv containers;         /* distinct database ids */
	/* a delta poll: the data sources whose stored JSON changed (or new), and
	 * their databases (fetched again: a source is often renamed with it) */
	struct strv changed, refetch;
	int delta;                      /* store search results that changed (delta poll) */
	const struct strv *skip;        /* sources whose rows came with the search (sorted) */
};

/* A malformed data source that the cache knows is kept as cached (its rows
 * are still listed against the cached schema); one it does not know is
 * skipped. */
static int pull_keep_db(struct pull_dbs *d, const cJSON *obj)
{
	char id[MODEL_ID_SIZE], *json = NULL, *db = NULL;
	cJSON *cached;
	struct model_data_source md;
	int rc;

	if (model_normalize_id(json_str(obj, "id"), id))
		return 0;
	rc = cache_get_data_source(d->p->cache, id, &json);
	if (!rc)
		rc = cache_source_database(d->p->cache, id, &db);
	if (rc) {
		free(json);
		return rc == -ENOENT ? 0 : rc;
	}
	cached = cJSON_Parse(json);
	free(json);
	memset(&md, 0, sizeof(md));
	/* a provisional source of a cache made before data sources is a database object */
	rc = !cached ? -ENOMEM : model_data_source_summary(cached, &md);
	cJSON_Delete(cached);
	if (!rc)
		rc = strv_push(&d->ids, id);
	if (!rc)
		rc = strv_push(&d->titles, md.title ? md.title : "");
	if (!rc)
		rc = strv_push(&d->dbs, db);
	if (!rc && !pull_has(&d->containers, db))
		rc = strv_push(&d->containers, db);
	free(db);
	model_data_source_release(&md);
	return rc == -EINVAL ? 0 : rc;
}

/* Stores data source OBJ (borrowed) of database DB. */
static int pull_store_source(struct pull_ctx *p, const struct model_data_source *md, const cJSON *obj,
			     int *changed_out)
{
	cJSON *copy = cJSON_Duplicate(obj, 1);
	char *json = NULL;
	int rc = -ENOMEM, changed = 0;

	if (!copy)
		return -ENOMEM;
	cJSON_DeleteItemFromObjectCaseSensitive(copy, "request_id");
	pull_normalize(copy);
	json = cJSON_PrintUnformatted(copy);
	if (json)
		rc = cache_put_data_source(p->cache, md->id, md->database_id, md->title ? md->title : "",
					   json, &changed);
	if (!rc && changed)
		log_info("data source \"%s\" (%s) stored", md->title ? md->title : "", md->id);
	if (changed_out)
		*changed_out = !rc && changed;
	free(json);
	cJSON_Delete(copy);
	return rc;
}

static int pull_db_cb(cJSON *obj, void *arg)
{
	struct pull_dbs *d = arg;
	struct model_data_source md;
	int rc, changed = 0;

	memset(&md, 0, sizeof(md));
	rc = model_data_source_summary(obj, &md);
	if (rc == 0 && !md.database_id[0])
		rc = -EINVAL;
	if (rc == -EINVAL) {
		model_data_source_release(&md);
		pull_skip(d->p, "data source", obj);
		return pull_keep_db(d, obj);
	}
	if (rc)
		return rc;
	if (md.archived)
		goto out;
	/* a delta poll stores what the search shows (a schema or title changed, a new source);
	 * unchanged bytes write nothing.  Not by last_edited_time: it is cut to the minute */
	if (d->delta)
		rc = pull_store_source(d->p, &md, obj, &changed);
	if (!rc && changed)
		rc = strv_push(&d->changed, md.id);
	if (!rc && changed && !pull_has(&d->refetch, md.database_id))
		rc = strv_push(&d->refetch, md.database_id); /* renamed with its database, maybe */
	if (!rc)
		rc = strv_push(&d->ids, md.id);
	if (!rc)
		rc = strv_push(&d->titles, md.title ? md.title : "");
	if (!rc)
		rc = strv_push(&d->dbs, md.database_id);
	if (!rc && !pull_has(&d->containers, md.database_id))
		rc = strv_push(&d->containers, md.database_id);
out:
	model_data_source_release(&md);
	return rc;
}

/* GET /v1/databases/{id}: stores the container DB_ID; a database whose
 * provisional source (a cache made before data sources) is still cached
 * has everything filed under it moved to its first data source.  -ENOENT:
 * the database is not shared (its sources are skipped). */
static int pull_container(struct pull_ctx *p, const char *db_id)
{
	struct model_database md;
	cJSON *obj = NULL;
	char *json = NULL, *parent = NULL, first[MODEL_ID_SIZE];
	int rc, changed;

	memset(&md, 0, sizeof(md));
	rc = notion_get_database(p->api, db_id, &obj);
	if (rc)
		return rc;
	rc = model_database_summary(obj, &md);
	if (rc == -EINVAL) {
		pull_skip(p, "database", obj);
		rc = 0; /* its sources keep the cached container */
		goto out;
	}
	if (rc)
		goto out;
	cJSON_DeleteItemFromObjectCaseSensitive(obj, "request_id");
	pull_normalize(obj);
	json = cJSON_PrintUnformatted(obj);
	/* a database inside a page (inline, or full page) is shown in that page's folder */
	if (md.parent_kind == MODEL_PARENT_BLOCK && md.parent_id[0])
		rc = pull_block_parent(p, md.parent_id, md.id);
	if (!rc)
		rc = pull_page_parent(p->cache, md.parent_kind, md.parent_id, &parent);
	if (!rc)
		rc = json ? cache_put_database(p->cache, md.id, md.title ? md.title : "", parent, json,
					       &changed) : -ENOMEM;
	if (!rc && model_database_source(obj, 0, first) == 0) {
		char *legacy = NULL;

		if (cache_source_database(p->cache, md.id, &legacy) == 0) {
			log_info("database \"%s\": what the cache filed under the database goes to"
				 " its data source %s", md.title ? md.title : "", first);
			rc = cache_remap_source(p->cache, md.id, first);
			if (!rc)
				cache_log(p->cache, "pull", "database \"%s\": cache upgraded to its"
					  " data source %s", md.title ? md.title : "", first);
		}
		free(legacy);
	}
out:
	free(parent);
	free(json);
	cJSON_Delete(obj);
	model_database_release(&md);
	return rc;
}

/* GET /v1/data_sources/{id}: the schema of source I of D, stored. */
static int pull_schema(struct pull_dbs *d, size_t i)
{
	struct model_data_source md;
	cJSON *obj = NULL;
	int rc;

	memset(&md, 0, sizeof(md));
	rc = notion_get_data_source(d->p->api, d->ids.v[i], &obj);
	if (rc)
		return rc;
	rc = model_data_source_summary(obj, &md);
	if (rc == 0 && !md.database_id[0])
		snprintf(md.database_id, sizeof(md.database_id), "%s", d->dbs.v[i]);
	if (rc == -EINVAL)
		pull_skip(d->p, "data source", obj);
	else if (!rc)
		rc = pull_store_source(d->p, &md, obj, NULL);
	cJSON_Delete(obj);
	model_data_source_release(&md);
	return rc == -EINVAL ? 0 : rc;
}

static void pull_dbs_free(struct pull_dbs *d)
{
	strv_release(&d->ids);
	strv_release(&d->titles);
	strv_release(&d->dbs);
	strv_release(&d->containers);
	strv_release(&d->changed);
	strv_release(&d->refetch);
}

static int pull_user_cb(cJSON *obj, void *arg)
{
	struct pull_ctx *p = arg;
	struct model_user mu;
	char *json;
	int rc;

	memset(&mu, 0, sizeof(mu));
	rc = model_user_summary(obj, &mu);
	if (rc == -EINVAL) {
		/* One malformed object is named and skipped, never the reason a pull fails
		 * (docs/sync.md, "Pull"); people who refer to it show by id. */
		pull_skip(p, "user", obj);
		return 0;
	}
	if (rc)
		return rc;
	json = cJSON_PrintUnformatted(obj);
	rc = json ? cache_put_user(p->cache, mu.id, mu.name ? mu.name : "", json) : -ENOMEM;
	free(json);
	model_user_release(&mu);
	return rc;
}

struct pull_dbgone {
	const struct strv *live;   /* sorted */
	struct strv gone;
};

static int pull_dbgone_cb(void *arg, const struct cache_db_row *r)
{
	struct pull_dbgone *g = arg;

	return strv_contains(g->live, r->id) ? 0 : strv_push(&g->gone, r->id);
}

static int pull_dsgone_cb(void *arg, const struct cache_ds_row *r)
{
	struct pull_dbgone *g = arg;

	return strv_contains(g->live, r->id) ? 0 : strv_push(&g->gone, r->id);
}

/* Removes the data sources the search no longer returns (trashed, no longer
 * shared), then the databases left without one. */
static int pull_drop_databases(struct pull_ctx *p, struct pull_dbs *d)
{
	struct strv live = STRV_INIT;
	struct pull_dbgone g = { .live = &live, .gone = STRV_INIT };
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < d->ids.n; i++)
		rc = strv_push(&live, d->ids.v[i]);
	strv_sort(&live);
	if (!rc)
		rc = cache_each_data_source(p->cache, NULL, pull_dsgone_cb, &g);
	for (i = 0; !rc && i < g.gone.n; i++) {
		rc = cache_delete_data_source(p->cache, g.gone.v[i]);
		if (rc == -ENOENT)
			rc = 0;
		if (!rc)
			cache_log(p->cache, "pull", "data source %s is no longer shared; removed", g.gone.v[i]);
	}
	strv_release(&live);
	strv_release(&g.gone);
	live = (struct strv)STRV_INIT;
	g = (struct pull_dbgone){ .live = &live, .gone = STRV_INIT };
	for (i = 0; !rc && i < d->containers.n; i++)
		rc = strv_push(&live, d->containers.v[i]);
	strv_sort(&live);
	if (!rc)
		rc = cache_each_database(p->cache, pull_dbgone_cb, &g);
	for (i = 0; !rc && i < g.gone.n; i++) {
		rc = cache_delete_database(p->cache, g.gone.v[i]);
		if (rc == -ENOENT)
			rc = 0;
		if (!rc)
			cache_log(p->cache, "pull", "database %s is no longer shared; removed", g.gone.v[i]);
	}
	strv_release(&live);
	strv_release(&g.gone);
	return rc;
}

/* Drops source I from D's lists (its database is not shared). */
static void pull_forget(struct pull_dbs *d, const char *db)
{
	size_t i, o = 0;

	for (i = 0; i < d->ids.n; i++) {
		if (!strcmp(d->dbs.v[i], db)) {
			free(d->ids.v[i]);
			free(d->titles.v[i]);
			free(d->dbs.v[i]);
			continue;
		}
		d->ids.v[o] = d->ids.v[i];
		d->titles.v[o] = d->titles.v[i];
		d->dbs.v[o] = d->dbs.v[i];
		o++;
	}
	d->ids.n = d->titles.n = d->dbs.n = o;
}

/* Lists source I of the discovery ARG (a struct pull_dbs), on SUB. */
static int pull_list_item(struct pull_ctx *sub, size_t i, void *arg)
{
	struct pull_dbs *d = arg;

	int rc;

	if (d->skip && strv_contains(d->skip, d->ids.v[i]))
		return 0; /* its rows came with the search for pages */
	rc = pull_list_database(sub, d->ids.v[i], d->titles.v[i], 0);
	if (!rc)
		sub->stats.sources_listed++;
	return rc;
}

/* Discovery (docs/sync.md, "Pull"): the data sources by search, each
 * database (container) by GET, each schema by GET, then every source's rows. */
static int pull_each_db(struct pull_ctx *p, int full)
{
	struct pull_dbs d = { .p = p };
	struct strv fresh = STRV_INIT;
	size_t i;
	int rc;

	rc = notion_search_data_sources(p->api, 0, pull_db_cb, &d);
	if (rc)
		goto out;
	/* An empty search when data sources are cached is confirmed once, like
	 * a page listing that suddenly lacks most pages. */
	if (d.ids.n == 0) {
		rc = notion_search_data_sources(p->api, 0, pull_db_cb, &d);
		if (rc)
			goto out;
	}
	for (i = 0; !rc && i < d.containers.n; i++) {
		rc = pull_container(p, d.containers.v[i]);
		if (rc == -ENOENT || rc == -EACCES) {
			cache_log(p->cache, "pull", "database %s of a shared data source is not shared;"
				  " its data sources are left out", d.containers.v[i]);
			pull_forget(&d, d.containers.v[i]);
			free(d.containers.v[i]);
			d.containers.v[i] = strdup("");
			rc = d.containers.v[i] ? 0 : -ENOMEM;
		}
	}
	for (i = 0; !rc && i < d.ids.n; i++)
		rc = pull_schema(&d, i);
	if (rc)
		goto out;
	rc = pull_drop_databases(p, &d);
	if (rc)
		goto out;
	p->stats.databases = (int)d.ids.n;
	if (full) {
		rc = notion_list_users(p->api, pull_user_cb, p);
		if (rc)
			goto out;
	}
	/* The search for pages returns every row too: a first pull takes the rows of the data
	 * sources it has none of from it, instead of querying them again (docs/sync.md, "Pull") */
	for (i = 0; full && !rc && i < d.ids.n; i++) {
		int64_t cached = 0;

		rc = cache_count_pages(p->cache, d.ids.v[i], &cached);
		if (!rc && cached == 0)
			rc = strv_push(&fresh, d.ids.v[i]);
	}
	strv_sort(&fresh);
	if (!rc)
		rc = pull_tree(p, 0, &fresh);
	if (!rc && fresh.n) {
		/* their rows came with the search: those sources are listed whole */
		p->stats.sources_listed += (int)fresh.n;
		if (p->progress)
			p->progress(p->progress_arg, p->cache, "", p->stats.pages_seen);
	}
	d.skip = &fresh;
	if (!rc)
		rc = pull_par_run(p, d.ids.n, 0, pull_list_item, &d);
out:
	strv_release(&fresh);
	pull_dbs_free(&d);
	return rc;
}

int pull_full(struct pull_ctx *p)
{
	char now[32];
	int rc;

	rc = pull_each_db(p, 1);
	if (rc)
		return rc;
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	cache_meta_set(p->cache, "last_full_pull", now);
	cache_meta_set(p->cache, "last_pull", now);
	cache_log(p->cache, "pull", "full pull: %d data sources, %lld pages (%lld changed, %lld removed)",
		  p->stats.databases, (long long)p->stats.pages_seen,
		  (long long)p->stats.pages_changed, (long long)p->stats.pages_removed);
	return 0;
}

int pull_listing(struct pull_ctx *p)
{
	char now[32];
	int rc = pull_each_db(p, 0);

	if (rc)
		return rc;
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	cache_meta_set(p->cache, "last_pull", now);
	return 0;
}

/* ---- delta ------------------------------------------------------------- */

static int pull_since(const char *newest, char *out, size_t n)
{
	time_t t;

	if (iso_time_parse(newest, &t, NULL))
		return -EINVAL;
	return iso_time_format(t - PULL_OVERLAP_S, 0, out, n);
}

static int pull_delta_db(void *arg, const struct cache_db_row *r)
{
	struct pull_ctx *p = arg;
	struct pull_db_walk w = { .p = p, .db_id = r->id, .db_title = r->title };
	const struct notion_ahead *ahead;
	struct notion_ahead a;
	char key[80], since[40], *newest = NULL;
	int rc;

	snprintf(key, sizeof(key), "newest:%s", r->id);
	ahead = pull_ahead(p, &a);
	if (cache_meta_get(p->cache, key, &newest) == 0 && pull_since(newest, since, sizeof(since)) == 0)
		rc = notion_query_data_source_ahead(p->api, ahead, r->id, since, pull_page_cb, &w);
	else
		rc = notion_query_data_source_ahead(p->api, ahead, r->id, NULL, pull_page_cb, &w);
	free(newest);
	rc = pull_tx_end(&w, rc);
	if (!rc)
		rc = pull_meta_newest(p, r->id, w.newest);
	strv_release(&w.seen);
	return rc;
}

static int pull_collect_db(void *arg, const struct cache_ds_row *r)
{
	struct pull_dbs *d = arg;
	int rc;

	if (!strcmp(r->id, r->database_id))
		return 1; /* a provisional source (cache made before data sources) */
	rc = strv_push(&d->ids, r->id);
	return rc ? rc : strv_push(&d->titles, r->title);
}

static int pull_delta_search(struct pull_ctx *p, struct pull_dbs *l, struct strv *touched)
{
	struct pull_tree t = { .w = { .p = p, .db_id = "", .db_title = "" }, .dbs = l,
			       .touched = touched };
	char *newest = NULL;
	int rc;

	if (cache_meta_get(p->cache, "newest:search", &newest) == 0 &&
	    iso_time_parse(newest, &t.since, NULL) == 0)
		t.since -= PULL_OVERLAP_S;
	else
		t.since = 0;
	free(newest);
	/* not read ahead: it stops at the first result the last poll saw, and an answer asked for
	 * ahead would be one request more every poll */
	rc = notion_search(p->api, NULL, 1, pull_search_cb, &t);
	if (rc == PULL_STOP)
		rc = 0;
	rc = pull_tx_end(&t.w, rc);
	if (!rc)
		rc = pull_meta_newest(p, "search", t.newest);
	strv_release(&t.w.seen);
	return rc;
}

/* The delta query of source I of ARG (a struct pull_dbs), on SUB. */
static int pull_delta_item(struct pull_ctx *sub, size_t i, void *arg)
{
	struct pull_dbs *l = arg;
	struct cache_db_row r = { .id = l->ids.v[i], .title = l->titles.v[i] };

	if (sub->stop && atomic_load(sub->stop))
		return -ECANCELED;
	return pull_delta_db(sub, &r);
}

/* Keeps in L only the data sources in KEEP (unsorted). */
static void pull_dbs_keep(struct pull_dbs *l, const struct strv *keep)
{
	size_t i, n = 0;

	for (i = 0; i < l->ids.n; i++) {
		if (!pull_has(keep, l->ids.v[i])) {
			free(l->ids.v[i]);
			free(l->titles.v[i]);
			continue;
		}
		l->ids.v[n] = l->ids.v[i];
		l->titles.v[n] = l->titles.v[i];
		n++;
	}
	l->ids.n = l->titles.n = n;
}

int pull_delta(struct pull_ctx *p)
{
	struct pull_dbs l = { .p = p };
	struct strv touched = STRV_INIT;
	char now[32];
	size_t i;
	int rc;

	/* One search of every kind, newest edit first, read down to the newest
	 * edit the last one saw minus the overlap, brings the data sources whose
	 * schema or title changed and new ones, with their schemas, and the
	 * pages outside data sources that changed, were added or moved
	 * (docs/sync.md, "Pull"); a new source's database is fetched. */
	l.delta = 1;
	rc = pull_delta_search(p, &l, &touched);
	for (i = 0; !rc && i < l.changed.n; i++)
		if (!pull_has(&touched, l.changed.v[i]))
			rc = strv_push(&touched, l.changed.v[i]); /* schema or title changed, or new */
	for (i = 0; !rc && i < l.containers.n; i++) {
		char *json = NULL;

		if (cache_get_database(p->cache, l.containers.v[i], &json) == -ENOENT ||
		    pull_has(&l.refetch, l.containers.v[i]))
			rc = pull_container(p, l.containers.v[i]);
		free(json);
		if (rc == -ENOENT || rc == -EACCES)
			rc = 0;
	}
	pull_dbs_free(&l);
	memset(&l, 0, sizeof(l));
	l.p = p;
	if (rc)
		goto out;
	/* Collect first: the walk must not hold the cache while the network
	 * runs (the cache lock would stall the mount's reads). */
	rc = cache_each_data_source(p->cache, NULL, pull_collect_db, &l);
	if (rc == 1) {
		/* a cache made before data sources: discovery maps it first */
		pull_dbs_free(&l);
		strv_release(&touched);
		return pull_listing(p);
	}
	if (!rc && p->hinted)
		pull_dbs_keep(&l, &touched);
	if (!rc)
		rc = pull_par_run(p, l.ids.n, 0, pull_delta_item, &l);
	pull_dbs_free(&l);
out:
	strv_release(&touched);
	if (rc)
		return rc;
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	return cache_meta_set(p->cache, "last_pull", now);
}

/* ---- bodies ------------------------------------------------------------ */

struct pull_edit {
	char *edited;
};

static int pull_edit_cb(void *arg, const struct cache_page_row *r)
{
	struct pull_edit *e = arg;

	e->edited = strdup(r->last_edited_time);
	return e->edited ? 0 : -ENOMEM;
}

int pull_body(struct pull_ctx *p, const char *page_id)
{
	struct pull_edit e = { NULL };
	cJSON *tree = NULL;
	char *json = NULL;
	int rc, changed = 0;

	/* The edit time is read before the fetch: if the page changes while
	 * its blocks are fetched, the body stays older than the page and is
	 * fetched again. */
	rc = cache_get_page(p->cache, page_id, pull_edit_cb, &e);
	if (rc)
		return rc;
	rc = notion_get_block_children_tree(p->api, page_id, &tree);
	if (rc == -ENOENT) {
		/* Gone remotely: the next listing removes it. */
		goto out;
	}
	if (rc)
		goto out;
	pull_normalize(tree);
	json = cJSON_PrintUnformatted(tree);
	if (!json) {
		rc = -ENOMEM;
		goto out;
	}
	rc = cache_put_body(p->cache, page_id, e.edited, json, &changed);
	if (!rc)
		p->stats.bodies++;
out:
	free(json);
	cJSON_Delete(tree);
	free(e.edited);
	return rc;
}

/* The body of page I of ARG (an array of ids), on SUB: 1 (stop) when a
 * first read is fetching (it goes first), 0 when the page is gone. */
static int pull_body_item(struct pull_ctx *sub, size_t i, void *arg)
{
	char **ids = arg;
	int rc;

	if (sub->yield && atomic_load(sub->yield)) {
		sub->yielded = 1;
		return 1;
	}
	rc = pull_body(sub, ids[i]);
	return rc == -ENOENT ? 0 : rc; /* gone remotely: the next listing removes it */
}

int pull_bodies(struct pull_ctx *p, int max, int *fetched)
{
	char **ids = NULL;
	int64_t before = p->stats.bodies;
	int n = 0, i, rc;

	*fetched = 0;
	p->yielded = 0;
	rc = cache_pages_needing_body(p->cache, max, &ids, &n);
	if (!rc && p->pool) {
		rc = pull_par_run(p, (size_t)n, p->pool_width, pull_body_item, ids);
		if (rc > 0)
			rc = 0; /* yielded */
		*fetched = (int)(p->stats.bodies - before);
	}
	for (i = 0; !rc && !p->pool && i < n; i++) {
		if (p->stop && atomic_load(p->stop)) {
			rc = -ECANCELED;
			break;
		}
		if (p->yield && atomic_load(p->yield)) {
			p->yielded = 1; /* a first read is fetching: it goes first */
			break;
		}
		rc = pull_body(p, ids[i]);
		if (!rc)
			(*fetched)++;
		else if (rc == -ENOENT)
			rc = 0; /* gone remotely: the next listing removes it */
	}
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	return rc;
}

/* ---- shared with the push engine ---------------------------------------- */

void pull_normalize_json(cJSON *o)
{
	pull_normalize(o);
}

