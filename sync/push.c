/* push.c - the push engine; contract in push.h, algorithm and conflict
 * rule in docs/queue.md.
 *
 * Owns: the per-entry push state (struct push_run: parsed base, remote
 * page, op results) for the duration of one push_one(); every cJSON tree
 * and string it allocates is freed before push_one() returns.
 * Invariants: see push.h.  Requests: UPDATE = 1 GET + (1 PATCH if any
 * property is sent) + per block op 1 request (+1 GET for UPDATE/DELETE
 * targets) + after block ops 1 GET of the page and the body tree.
 */
#include "sync/push.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cache/cache.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/strv.h"
#include "common/vbase.h"
#include "sync/blockops.h"
#include "sync/model.h"
#include "sync/pull.h"
#include "common/json.h"

#define PUSH_MAX_CHILDREN 100
/* sent_at_ms of a request that creates whose answer was a 5xx: its outcome
 * is unknown, but it can no longer land later */
#define PUSH_SENT_ANSWERED 1

/* A growable list of queue seqs (no cap: nothing is dropped, docs/operations.md,
 * "Undoing a delete, a refused save, a conflict"). */
struct push_seqs {
	int64_t *v;
	size_t n, cap;
};

static int push_seqs_add(struct push_seqs *s, int64_t seq)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		int64_t *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = seq;
	return 0;
}

/* The state of one push. */
struct push_run {
	struct push_ctx *p;
	const struct queue_entry *e;
	struct push_result *r;
	cJSON *base_page;      /* parsed e->base_page (may be NULL) */
	cJSON *base_body;      /* parsed e->base_body (may be NULL) */
	cJSON *remote;         /* the page as GET answered (normalised) */
	cJSON *answer;         /* the newest page object (new base) */
	cJSON *results;        /* per op: array of created ids, or null */
	char local_time[MODEL_TIME_SIZE];
	struct notion_error err;
	/* The new body built from the base and the PATCH answers, when every op
	 * was an update of a page untouched remotely (no re-fetch needed). */
	cJSON *local_body;
	char local_edited[MODEL_TIME_SIZE];
	int n_ops;             /* block ops of the entry (0: none) */
	char ds[MODEL_ID_SIZE];  /* a create's data source (push_source) */
};

/* ---- small helpers ------------------------------------------------------ */

static cJSON *push_parse(const char *json)
{
	return json ? cJSON_Parse(json) : NULL;
}

static void push_local_time(int64_t ms, char *out, size_t n)
{
	if (iso_time_format((time_t)(ms / 1000), (int)(ms % 1000), out, n))
		snprintf(out, n, "%lld", (long long)ms);
}

/* The later-write rule (docs/queue.md): Notion's last_edited_time is cut to
 * the minute T, so the remote edit happened in [T, T+60 s).  The local save
 * wins when saved at or after T (a save within the minute is a tie, which
 * the local side wins); the remote edit wins when the save was before T. */
static int push_local_wins(int64_t saved_at_ms, const char *remote_time)
{
	time_t t;

	if (iso_time_parse(remote_time, &t, NULL))
		return 1;
	return saved_at_ms >= (int64_t)t * 1000;
}

static int push_stopped(struct push_ctx *p)
{
	return p->stop && atomic_load(p->stop);
}

/* Concatenated text of a rich-text array in request or answer shape. */
static void push_rich_plain(const cJSON *a, struct buf *out)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, a) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(it, "plain_text");
		const cJSON *text = cJSON_GetObjectItemCaseSensitive(it, "text");
		const cJSON *eq = cJSON_GetObjectItemCaseSensitive(it, "equation");

		if (cJSON_IsString(t))
			buf_puts(out, t->valuestring);
		else if (text)
			buf_puts(out, json_str_or(text, "content", ""));
		else if (eq)
			buf_puts(out, json_str_or(eq, "expression", ""));
	}
}

static int push_is_rich_key(const char *k)
{
	return k && (!strcmp(k, "rich_text") || !strcmp(k, "title") || !strcmp(k, "caption"));
}

static int push_rich_equal(const cJSON *a, const cJSON *b)
{
	struct buf x = BUF_INIT, y = BUF_INIT;
	int eq;

	push_rich_plain(a, &x);
	push_rich_plain(b, &y);
	eq = !strcmp(buf_str(&x), buf_str(&y));
	buf_release(&x);
	buf_release(&y);
	return eq;
}

/* 1 when the value a request sends (req) is already what an answer shows
 * (resp): every key of req is in resp with a matching value, arrays match
 * element-wise, rich text by its plain text.  Used to recognise a change
 * that already landed (a push repeated after a crash). */
static int push_match(const cJSON *req, const cJSON *resp, const char *key)
{
	const cJSON *a, *b;

	if (!req)
		return 1;
	if (!resp)
		return cJSON_IsNull(req);
	if (cJSON_IsArray(req) && push_is_rich_key(key))
		return cJSON_IsArray(resp) && push_rich_equal(req, resp);
	if (cJSON_IsObject(req)) {
		if (!cJSON_IsObject(resp))
			return 0;
		cJSON_ArrayForEach(a, req) {
			if (!strcmp(a->string, "children") || !strcmp(a->string, "object"))
				continue;
			if (!push_match(a, cJSON_GetObjectItemCaseSensitive(resp, a->string), a->string))
				return 0;
		}
		return 1;
	}
	if (cJSON_IsArray(req)) {
		if (!cJSON_IsArray(resp) || cJSON_GetArraySize(req) != cJSON_GetArraySize(resp))
			return 0;
		for (a = req->child, b = resp->child; a && b; a = a->next, b = b->next)
			if (!push_match(a, b, key))
				return 0;
		return 1;
	}
	return cJSON_Compare(req, resp, 1);
}

/* The block with this id anywhere in a block tree (borrowed), or NULL. */
static const cJSON *push_find_block(const cJSON *tree, const char *id)
{
	const cJSON *b, *hit;

	cJSON_ArrayForEach(b, tree) {
		if (!strcmp(json_str_or(b, "id", ""), id))
			return b;
		hit = push_find_block(cJSON_GetObjectItemCaseSensitive(b, "children"), id);
		if (hit)
			return hit;
	}
	return NULL;
}

/* The original a synced block reference shows (its synced_from.block_id,
 * borrowed), or NULL for any other block. */
static const char *push_synced_from(const cJSON *b)
{
	if (strcmp(json_str_or(b, "type", ""), "synced_block"))
		return NULL;
	return json_str(json_obj(json_obj(b, "synced_block"), "synced_from"), "block_id");
}

/* 1 when the first block with this id in tree sits inside a synced block
 * reference (under != 0: tree itself does): the block lives on the page of
 * the original, so this page's last_edited_time says nothing about it. */
static int push_in_reference(const cJSON *tree, const char *id, int under)
{
	const cJSON *b;
	int hit;

	cJSON_ArrayForEach(b, tree) {
		if (!strcmp(json_str_or(b, "id", ""), id))
			return under ? 1 : 0;
		hit = push_in_reference(cJSON_GetObjectItemCaseSensitive(b, "children"), id,
					under || push_synced_from(b));
		if (hit >= 0)
			return hit;
	}
	return -1;
}

/* How many blocks of tree carry this id (a synced original and a reference
 * to it on one page show the same children). */
static int push_count_block(const cJSON *tree, const char *id)
{
	const cJSON *b;
	int n = 0;

	cJSON_ArrayForEach(b, tree) {
		n += !strcmp(json_str_or(b, "id", ""), id);
		n += push_count_block(cJSON_GetObjectItemCaseSensitive(b, "children"), id);
	}
	return n;
}

/* The content of a block: its type object (borrowed), or NULL. */
static const cJSON *push_block_content(const cJSON *b)
{
	return b ? cJSON_GetObjectItemCaseSensitive(b, json_str_or(b, "type", "")) : NULL;
}

/* ---- errors and conflicts ----------------------------------------------- */

static int push_permanent(int rc, const struct notion_error *err)
{
	return err->kind == NOTION_ERR_VALIDATION || err->kind == NOTION_ERR_NOT_FOUND ||
	       (rc == -EINVAL && err->kind == NOTION_OK);
}

/* Records a failed request: a permanent one rejects the entry (returns 0),
 * anything else leaves it queued (returns a negative errno). */
static int push_fail(struct push_run *x, int rc)
{
	struct push_ctx *p = x->p;
	const struct queue_entry *e = x->e;
	const char *path = e->path ? e->path : e->page_id;
	char msg[600];

	if (rc == -ENOMEM)
		return rc;
	if (x->err.message[0])	/* "HTTP 400 validation_error: Notion's message" */
		notion_error_describe(&x->err, msg, sizeof(msg));
	else
		snprintf(msg, sizeof(msg), "%s", strerror(-rc));
	if (push_permanent(rc, &x->err)) {
		x->r->rejected = 1;
		log_warn("%s: rejected by Notion: %s", path, msg);
		cache_log(p->cache, "error", "%s: rejected by Notion: %s", path, msg);
		rc = queue_set_state(p->cache, e->seq, QUEUE_REJECTED, msg);
		if (!rc && (e->kind == QUEUE_UPDATE || e->kind == QUEUE_RESTORE)) {
			/* later saves of the page build on this one (queue.h
			 * invariant 6): kept with it, never pushed without it */
			char why[700];
			int64_t n = 0;

			snprintf(why, sizeof(why), "an earlier save of this file was rejected: %s", msg);
			rc = queue_reject_later(p->cache, e->page_id, e->seq, why, &n);
			if (!rc && n)
				cache_log(p->cache, "error", "%s: %lld later save(s) kept with the rejected one",
					  path, (long long)n);
		}
		return rc;
	}
	queue_set_state(p->cache, e->seq, QUEUE_PUSHING, msg);
	if (rc == -EACCES || rc == -ECANCELED)
		return rc;
	cache_log(p->cache, "push", "%s: will retry: %s", path, msg);
	return -EAGAIN;
}

static int push_request(struct push_run *x, const char *method, const char *path,
			const cJSON *body, cJSON **out)
{
	if (push_stopped(x->p))
		return -ECANCELED;
	return notion_request(x->p->api, method, path, body, out, &x->err);
}

static int64_t push_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A request that creates (a page, appended blocks): never retried blindly
 * (docs/queue.md, "Lost answers and requests that create").  Its send time
 * is made durable first (queue.h invariant 7); an answer that proves Notion did not act clears it, any
 * other failure leaves it, so the next attempt checks Notion first. */
static int push_request_create(struct push_run *x, const char *method, const char *path,
			       const cJSON *body, cJSON **out)
{
	int rc;

	if (push_stopped(x->p))
		return -ECANCELED;
	rc = queue_set_sent(x->p->cache, x->e->seq, push_now_ms());
	if (rc)
		return rc;
	rc = notion_request_ex(x->p->api, method, path, body, out, &x->err, NOTION_RETRY_UNSENT);
	if (rc && rc != -ENOMEM && notion_error_unsent(&x->err))
		queue_set_sent(x->p->cache, x->e->seq, 0);
	else if (rc && x->err.http_status >= 500)
		/* Notion answered: it will not act on the request later, so
		 * the check may run at once (PUSH_SENT_ANSWERED) */
		queue_set_sent(x->p->cache, x->e->seq, PUSH_SENT_ANSWERED);
	return rc;
}

/* How long a request that creates may still land after it was sent. */
static int64_t push_settle_ms(const struct push_ctx *p)
{
	const char *env;

	if (p->settle_ms > 0)
		return p->settle_ms;
	env = getenv("NOTIONFS_SETTLE_MS");
	if (env && atoll(env) > 0)
		return atoll(env);
	return PUSH_SETTLE_MS;
}

static int push_conflict(struct push_run *x, const char *what, const cJSON *local,
			 const cJSON *remote, const char *remote_time, int local_won)
{
	char *lv = local ? cJSON_PrintUnformatted(local) : NULL;
	char *rv = remote ? cJSON_PrintUnformatted(remote) : NULL;
	struct queue_conflict k = {
		.page_id = x->e->page_id, .path = x->e->path, .what = what,
		.local_value = lv ? lv : "null", .remote_value = rv ? rv : "null",
		.local_time = x->local_time, .remote_time = remote_time,
		.winner = local_won ? "local" : "remote",
	};
	int rc;

	/* who made the remote version: the block's editor, else the page's */
	k.remote_editor = json_str(cJSON_GetObjectItemCaseSensitive(remote, "last_edited_by"), "id");
	if (!k.remote_editor)
		k.remote_editor = json_str(cJSON_GetObjectItemCaseSensitive(x->remote, "last_edited_by"), "id");
	rc = queue_add_conflict(x->p->cache, &k);

	if (!rc) {
		x->r->conflicts++;
		cache_log(x->p->cache, "conflict", "%s: %s changed on both sides; the %s version won,"
			  " the other is kept in .notionfs/conflicts/", x->e->path ? x->e->path : "",
			  what, k.winner);
	}
	free(lv);
	free(rv);
	return rc;
}

/* ---- properties --------------------------------------------------------- */

/* The stored value of property NAME of a page object (its type object, e.g.
 * the "select" member), borrowed, or NULL. */
static const cJSON *push_prop_value(const cJSON *page, const char *name)
{
	const cJSON *prop = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(page, "properties"), name);

	return prop ? cJSON_GetObjectItemCaseSensitive(prop, json_str_or(prop, "type", "")) : NULL;
}

/* Decides one property: 1 to send it, 0 to leave it (already there, or the
 * remote edit won and the local value went to the conflicts). */
static int push_merge_prop(struct push_run *x, const cJSON *local)
{
	const char *name = local->string;
	const cJSON *base = push_prop_value(x->base_page, name);
	const cJSON *remote = push_prop_value(x->remote, name);
	const cJSON *rprop = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(x->remote, "properties"), name);
	const char *rtime = json_str_or(x->remote, "last_edited_time", "");
	char what[300];
	int won, rc;

	if (rprop && push_match(local, rprop, NULL))
		return 0; /* already there (a repeated push) */
	if (!x->base_page || !rprop || cJSON_Compare(base, remote, 1))
		return 1; /* not changed remotely */
	won = push_local_wins(x->e->saved_at_ms, rtime);
	snprintf(what, sizeof(what), "property %s", name);
	rc = push_conflict(x, what, local, remote, rtime, won);
	return rc ? rc : won;
}

/* Builds the PATCH body of the properties to send (*out NULL: none). */
/* 1 when the status value names an option of the schema (or is empty). */
static int push_status_known(const cJSON *def, const cJSON *value)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(value, "status"), *o;
	const char *name = json_str_or(st, "name", "");

	if (!cJSON_IsObject(st) || !name[0])
		return 1;
	cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(
				      cJSON_GetObjectItemCaseSensitive(def, "status"), "options"))
		if (!strcmp(json_str_or(o, "name", ""), name))
			return 1;
	return 0;
}

/* Validation against the CURRENT schema before pushing (docs/sync.md,
 * "Validation at save time"): a property removed or retyped since the save
 * rejects the entry with a message naming it.  0, or -EINVAL with x->err filled. */
static int push_check_schema(struct push_run *x)
{
	cJSON *patch = push_parse(x->e->props), *db = NULL;
	const cJSON *props, *it, *schema;
	char *json = NULL;
	int rc = 0;

	if (!patch || !x->e->database_id ||
	    cache_get_data_source(x->p->cache, x->e->database_id, &json) != 0)
		goto out;
	db = cJSON_Parse(json);
	schema = cJSON_GetObjectItemCaseSensitive(db, "properties");
	props = cJSON_GetObjectItemCaseSensitive(patch, "properties");
	cJSON_ArrayForEach(it, props) {
		const cJSON *def = cJSON_GetObjectItemCaseSensitive(schema, it->string);
		const char *type = json_str_or(def, "type", "");

		if (!def) {
			snprintf(x->err.message, sizeof(x->err.message),
				 "property \"%s\" is no longer in the database's schema", it->string);
		} else if (!cJSON_GetObjectItemCaseSensitive(it, type)) {
			snprintf(x->err.message, sizeof(x->err.message),
				 "property \"%s\" is now of type %s", it->string, type);
		} else if (!strcmp(type, "status") && !push_status_known(def, it)) {
			snprintf(x->err.message, sizeof(x->err.message),
				 "property \"%s\": status \"%s\" is not an option of the database",
				 it->string, json_str_or(cJSON_GetObjectItemCaseSensitive(it, "status"), "name", ""));
		} else {
			continue;
		}
		x->err.kind = NOTION_ERR_VALIDATION;
		rc = -EINVAL;
		break;
	}
out:
	cJSON_Delete(patch);
	cJSON_Delete(db);
	free(json);
	return rc;
}

static int push_merge_props(struct push_run *x, cJSON **out)
{
	cJSON *patch = push_parse(x->e->props), *send = NULL, *props, *it;
	int rc = 0, n = 0;

	*out = NULL;
	if (!patch)
		return x->e->props ? -EINVAL : 0;
	props = cJSON_GetObjectItemCaseSensitive(patch, "properties");
	send = cJSON_CreateObject();
	if (!send) {
		rc = -ENOMEM;
		goto out;
	}
	cJSON_ArrayForEach(it, props) {
		rc = push_merge_prop(x, it);
		if (rc < 0)
			goto out;
		if (rc == 1) {
			cJSON_AddItemToObject(send, it->string, cJSON_Duplicate(it, 1));
			n++;
		}
		rc = 0;
	}
	if (n) {
		cJSON *body = cJSON_CreateObject();

		if (!body) {
			rc = -ENOMEM;
			goto out;
		}
		cJSON_AddItemToObject(body, "properties", send);
		send = NULL;
		*out = body;
	}
	x->r->props_sent = n;
out:
	cJSON_Delete(send);
	cJSON_Delete(patch);
	return rc;
}

/* ---- block operations --------------------------------------------------- */

/* An op names a block an earlier save created that Notion never gave an id
 * for (it cannot be found): the save is rejected, its text kept. */
static int push_unmapped(struct push_run *x, const char *id)
{
	snprintf(x->err.message, sizeof(x->err.message),
		 "the save refers to block %s of an earlier save, which Notion has no id for", id);
	x->err.kind = NOTION_ERR_VALIDATION;
	return -EINVAL;
}

/* Resolves a REF of the ops JSON to a block id (borrowed); NULL for none.
 * -EINVAL (via *rc) for a reference to an op that created nothing. */
static const char *push_ref(struct push_run *x, const cJSON *ref, int *rc)
{
	const cJSON *op, *ids;
	int i;

	if (!ref || cJSON_IsNull(ref))
		return NULL;
	if (cJSON_GetObjectItemCaseSensitive(ref, "id")) {
		if (queue_is_local_block_id(json_str_or(ref, "id", "")))
			*rc = push_unmapped(x, json_str_or(ref, "id", ""));
		return json_str_or(ref, "id", "");
	}
	op = cJSON_GetObjectItemCaseSensitive(ref, "op");
	i = cJSON_GetObjectItemCaseSensitive(ref, "index")
		? cJSON_GetObjectItemCaseSensitive(ref, "index")->valueint : 0;
	ids = cJSON_IsNumber(op) ? cJSON_GetArrayItem(x->results, op->valueint) : NULL;
	if (!cJSON_IsString(cJSON_GetArrayItem(ids, i))) {
		*rc = -EINVAL;
		return NULL;
	}
	return cJSON_GetArrayItem(ids, i)->valuestring;
}

/* 1 when a block's content in the base (bc, of block base) is what Notion
 * holds now (rc_).  A base block that came from Notion is compared exactly;
 * one that an earlier queued save of the page wrote (the chain, in request
 * shape: no last_edited_time) is compared as a request with an answer, so
 * the mount's own earlier save never counts as a remote edit. */
static int push_base_same(const cJSON *base, const cJSON *bc, const cJSON *rc_)
{
	if (cJSON_GetObjectItemCaseSensitive(base, "last_edited_time"))
		return cJSON_Compare(bc, rc_, 1);
	return push_match(bc, rc_, NULL);
}

/* Checks an UPDATE/DELETE target against the remote: 1 apply, 0 skip
 * (already done or the remote version won), or a negative errno. */
/* 1 when the page provably did not change remotely since the base: the
 * conflict check's GET shows the base's last_edited_time, and that minute
 * is over by more than a minute (an edit within the base's own minute
 * would not have moved the time: Notion truncates it to the minute). */
static int push_page_untouched(struct push_run *x)
{
	const char *remote = json_str_or(x->remote, "last_edited_time", "");
	time_t base;

	if (!x->e->base_edited_time || strcmp(remote, x->e->base_edited_time) ||
	    x->e->state == QUEUE_PUSHING)
		return 0;
	if (iso_time_parse(x->e->base_edited_time, &base, NULL))
		return 0;
	return time(NULL) - base >= 120;
}

static int push_block_check(struct push_run *x, const char *id, const cJSON *payload, int del)
{
	const cJSON *base = push_find_block(x->base_body, id);
	const cJSON *rc_, *bc;
	cJSON *remote = NULL;
	char path[96], what[96];
	const char *rtime;
	int rc, won;

	if (push_page_untouched(x) && push_in_reference(x->base_body, id, 0) != 1)
		return 1; /* nothing changed remotely since the base: no check needed */
	snprintf(path, sizeof(path), "/v1/blocks/%s", id);
	snprintf(what, sizeof(what), "block %s", id);
	rc = push_request(x, "GET", path, NULL, &remote);
	if (rc == -ENOENT && del)
		return 0;
	if (rc)
		return rc;
	pull_normalize_json(remote);
	if (json_true(remote, "archived") ||
	    json_true(remote, "in_trash")) {
		/* deleted remotely: a delete is done, an update has lost */
		rc = del ? 0 : push_conflict(x, what, payload, NULL, json_str_or(remote, "last_edited_time", ""), 0);
		goto out;
	}
	rc_ = push_block_content(remote);
	if (!del && push_match(payload, remote, NULL)) {
		rc = 0; /* already there */
		goto out;
	}
	bc = push_block_content(base);
	if (!base || push_base_same(base, bc, rc_)) {
		rc = 1;
		goto out;
	}
	rtime = json_str_or(remote, "last_edited_time", "");
	won = push_local_wins(x->e->saved_at_ms, rtime);
	rc = push_conflict(x, what, payload, remote, rtime, won);
	if (!rc)
		rc = won;
out:
	cJSON_Delete(remote);
	return rc;
}

/* Ids of the first n blocks of an append answer, as a new array. */
static cJSON *push_new_ids(const cJSON *answer, int n)
{
	cJSON *ids = cJSON_CreateArray();
	const cJSON *b;
	int i = 0;

	cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(answer, "results")) {
		if (i++ >= n || !ids)
			break;
		cJSON_AddItemToArray(ids, cJSON_CreateString(json_str_or(b, "id", "")));
	}
	return ids;
}

/* After a crash in an append: were these children already appended right
 * after `after` under parent (start: as its first children; neither: as its
 * last)?  *ids gets their ids when so. */
static int push_find_appended(struct push_run *x, const char *parent, const char *after,
			      int start, const cJSON *children, cJSON **ids)
{
	cJSON *tree = NULL;
	const cJSON *b, *want;
	int rc, n = cJSON_GetArraySize(children), i;

	*ids = NULL;
	if (push_stopped(x->p))
		return -ECANCELED;
	rc = notion_get_block_children_tree(x->p->api, parent, &tree);
	if (rc) {
		notion_last_error(x->p->api, &x->err);
		return rc;
	}
	b = tree ? tree->child : NULL;
	if (after) {
		while (b && strcmp(json_str_or(b, "id", ""), after))
			b = b->next;
		b = b ? b->next : NULL;
	}
	/* the new blocks sit right after `after`, first (start), or at the end (none) */
	if (!after && !start)
		for (i = cJSON_GetArraySize(tree) - n, b = tree ? tree->child : NULL; b && i > 0; i--)
			b = b->next;
	*ids = cJSON_CreateArray();
	for (want = children ? children->child : NULL; want && b; want = want->next, b = b->next) {
		if (!push_match(want, b, NULL))
			break;
		cJSON_AddItemToArray(*ids, cJSON_CreateString(json_str_or(b, "id", "")));
	}
	if (want || cJSON_GetArraySize(*ids) != n) {
		cJSON_Delete(*ids);
		*ids = NULL;
	}
	cJSON_Delete(tree);
	return 0;
}

static int push_op_insert(struct push_run *x, const cJSON *op, int resumed, cJSON **ids)
{
	const cJSON *payload = cJSON_GetObjectItemCaseSensitive(op, "payload");
	const cJSON *children = cJSON_GetObjectItemCaseSensitive(payload, "children");
	const cJSON *aref = cJSON_GetObjectItemCaseSensitive(op, "after");
	/* {"start": true}: before the parent's first child (docs/queue.md, "The ops JSON") */
	int start = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(aref, "start"));
	const char *parent, *after;
	cJSON *body = NULL, *answer = NULL;
	char path[96];
	int rc = 0;

	parent = push_ref(x, cJSON_GetObjectItemCaseSensitive(op, "parent"), &rc);
	after = start ? NULL : push_ref(x, aref, &rc);
	if (rc)
		return rc;
	if (!parent)
		parent = x->e->page_id;
	else if (push_synced_from(push_find_block(x->base_body, parent)))
		/* Notion appends to a synced block's content through the original only */
		parent = push_synced_from(push_find_block(x->base_body, parent));
	if (resumed) {
		rc = push_find_appended(x, parent, after, start, children, ids);
		if (rc || *ids)
			return rc;
	}
	body = cJSON_Duplicate(payload, 1);
	if (!body)
		return -ENOMEM;
	/* 2026-03-11: `position` (after_block, start, or the end), never `after` */
	{
		cJSON *pos = cJSON_AddObjectToObject(body, "position");

		if (!pos)
			rc = -ENOMEM;
		else if (after) {
			cJSON_AddStringToObject(pos, "type", "after_block");
			cJSON_AddStringToObject(cJSON_AddObjectToObject(pos, "after_block"), "id", after);
		} else if (start) {
			cJSON_AddStringToObject(pos, "type", "start");
		} else {
			cJSON_AddStringToObject(pos, "type", "end");
		}
		if (rc) {
			cJSON_Delete(body);
			return rc;
		}
	}
	snprintf(path, sizeof(path), "/v1/blocks/%s/children", parent);
	rc = push_request_create(x, "PATCH", path, body, &answer);
	if (!rc)
		*ids = push_new_ids(answer, cJSON_GetArraySize(children));
	cJSON_Delete(answer);
	cJSON_Delete(body);
	return rc;
}

/* The block id in tree (and the array holding it), or NULL. */
static cJSON *push_find_mut(cJSON *tree, const char *id, cJSON **parent)
{
	cJSON *b, *hit;

	cJSON_ArrayForEach(b, tree) {
		if (!strcmp(json_str_or(b, "id", ""), id)) {
			*parent = tree;
			return b;
		}
		hit = push_find_mut(cJSON_GetObjectItemCaseSensitive(b, "children"), id, parent);
		if (hit)
			return hit;
	}
	return NULL;
}

/* Keeps x->local_body in step with an applied update (answer = the block
 * as Notion returned it); anything else gives up the local body. */
static void push_local_apply(struct push_run *x, const char *id, const cJSON *answer)
{
	cJSON *parent = NULL;
	cJSON *old = x->local_body ? push_find_mut(x->local_body, id, &parent) : NULL;
	cJSON *kids, *fresh;
	const char *t;

	if (!old || !answer || push_count_block(x->local_body, id) > 1) {
		cJSON_Delete(x->local_body);
		x->local_body = NULL;
		x->local_edited[0] = '\0';
		return;
	}
	fresh = cJSON_Duplicate(answer, 1);
	kids = cJSON_DetachItemFromObjectCaseSensitive(old, "children");
	if (!fresh) {
		cJSON_Delete(kids);
		cJSON_Delete(x->local_body);
		x->local_body = NULL;
		x->local_edited[0] = '\0';
		return;
	}
	if (kids)
		cJSON_AddItemToObject(fresh, "children", kids);
	cJSON_ReplaceItemViaPointer(parent, old, fresh);
	t = json_str_or(answer, "last_edited_time", "");
	if (strcmp(t, x->local_edited) > 0)
		snprintf(x->local_edited, sizeof(x->local_edited), "%s", t);
}

static int push_op_update(struct push_run *x, const cJSON *op, int del)
{
	const cJSON *payload = cJSON_GetObjectItemCaseSensitive(op, "payload");
	const char *id = json_str_or(op, "block", "");
	cJSON *answer = NULL;
	char path[96];
	int rc;

	if (queue_is_local_block_id(id))
		return push_unmapped(x, id);
	rc = push_block_check(x, id, payload, del);
	if (rc <= 0)
		return rc;
	snprintf(path, sizeof(path), "/v1/blocks/%s", id);
	rc = push_request(x, del ? "DELETE" : "PATCH", path, del ? NULL : payload, &answer);
	if (rc == -ENOENT && del)
		rc = 0;
	if (!rc)
		push_local_apply(x, id, del ? NULL : answer);
	cJSON_Delete(answer);
	return rc;
}

/* Applies the block ops from e->ops_done on, recording progress after
 * each (queue.h invariant 4).  *applied counts ops sent. */
static int push_block_ops(struct push_run *x, int *applied)
{
	cJSON *ops = push_parse(x->e->ops);
	const cJSON *op;
	char *res;
	/* only an append whose outcome is unknown can have landed unseen */
	int i = 0, rc = 0, resumed = x->e->sent_at_ms != 0;

	*applied = 0;
	if (!cJSON_IsArray(ops))
		goto out;
	x->n_ops = cJSON_GetArraySize(ops);
	if (!resumed && x->base_body && push_page_untouched(x))
		x->local_body = cJSON_Duplicate(x->base_body, 1);
	x->results = push_parse(x->e->results);
	if (!cJSON_IsArray(x->results)) {
		cJSON_Delete(x->results);
		x->results = cJSON_CreateArray();
	}
	cJSON_ArrayForEach(op, ops) {
		const char *kind = json_str_or(op, "op", "");
		cJSON *ids = NULL;

		if (i++ < x->e->ops_done)
			continue;
		if (!strcmp(kind, "insert_after")) {
			rc = push_op_insert(x, op, resumed, &ids);
			push_local_apply(x, "", NULL); /* new blocks: re-fetch */
		}
		else
			rc = push_op_update(x, op, !strcmp(kind, "delete"));
		if (rc)
			break;
		resumed = 0; /* only the first op resumed can have landed unseen */
		while (cJSON_GetArraySize(x->results) < i - 1)
			cJSON_AddItemToArray(x->results, cJSON_CreateNull());
		cJSON_AddItemToArray(x->results, ids ? ids : cJSON_CreateNull());
		(*applied)++;
		res = cJSON_PrintUnformatted(x->results);
		rc = res ? queue_set_progress(x->p->cache, x->e->seq, i, res) : -ENOMEM;
		free(res);
		if (rc)
			break;
	}
	x->r->ops_applied = *applied;
out:
	cJSON_Delete(ops);
	return rc;
}

/* ---- storing the outcome ------------------------------------------------ */

/* Rebases the page's later entries on what landed (queue.h invariant 6):
 * the properties this entry sent get the server's values in their
 * base_page, and the local ids of the blocks it created become Notion's
 * ids in their ops and bodies. */
struct push_rebase {
	struct push_run *x;
	struct push_seqs later;
};

static int push_rebase_collect(void *arg, const struct queue_entry *l)
{
	struct push_rebase *rb = arg;

	if (l->seq > rb->x->e->seq && !strcmp(l->page_id, rb->x->e->page_id))
		return push_seqs_add(&rb->later, l->seq);
	return 0;
}

/* Rewrites the local ids of one JSON text; *out NULL when none changed. */
static int push_rewrite_json(const char *json, const cJSON *map, char **out)
{
	cJSON *t = json ? cJSON_Parse(json) : NULL;

	*out = NULL;
	if (t && blockops_rewrite_ids(t, map) > 0) {
		*out = cJSON_PrintUnformatted(t);
		if (!*out) {
			cJSON_Delete(t);
			return -ENOMEM;
		}
	}
	cJSON_Delete(t);
	return 0;
}

static int push_rebase_ids(struct push_run *x, const struct queue_entry *l, const cJSON *map)
{
	char *ops = NULL, *base = NULL, *result = NULL;
	int rc;

	if (!map || !map->child)
		return 0;
	rc = push_rewrite_json(l->ops, map, &ops);
	if (!rc)
		rc = push_rewrite_json(l->base_body, map, &base);
	if (!rc)
		rc = push_rewrite_json(l->result_body, map, &result);
	if (!rc && (ops || base || result))
		rc = queue_set_chain(x->p->cache, l->seq, ops, base, result);
	free(ops);
	free(base);
	free(result);
	return rc;
}

static int push_rebase_one(struct push_run *x, int64_t seq, const cJSON *sent, const cJSON *map)
{
	struct queue_entry l;
	cJSON *base = NULL, *props, *it;
	char *json = NULL;
	int rc = queue_get(x->p->cache, seq, &l);

	if (rc)
		return rc;
	rc = push_rebase_ids(x, &l, map);
	if (rc || !sent || !x->answer)
		goto out;
	base = push_parse(l.base_page);
	props = cJSON_GetObjectItemCaseSensitive(base, "properties");
	cJSON_ArrayForEach(it, sent) {
		const cJSON *now = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(x->answer, "properties"), it->string);

		if (props && now)
			cJSON_ReplaceItemInObjectCaseSensitive(props, it->string, cJSON_Duplicate(now, 1));
	}
	json = base ? cJSON_PrintUnformatted(base) : NULL;
	rc = queue_set_base(x->p->cache, seq, json_str_or(x->answer, "last_edited_time", ""), json, NULL);
out:
	free(json);
	cJSON_Delete(base);
	queue_entry_release(&l);
	return rc;
}

/* The local ids of the blocks this entry created -> Notion's ids: the
 * top-level ones from the append answers (x->results), nested ones by
 * position in the body Notion has now (tree). */
static int push_created_map(struct push_run *x, const cJSON *tree, cJSON **map)
{
	cJSON *local = push_parse(x->e->local_ids);
	const cJSON *nodes;
	int i = 0, rc = 0;

	*map = cJSON_CreateObject();
	if (!*map) {
		cJSON_Delete(local);
		return -ENOMEM;
	}
	cJSON_ArrayForEach(nodes, local) {
		if (cJSON_IsArray(nodes))
			rc = blockops_map_created(nodes, cJSON_GetArrayItem(x->results, i), tree, *map);
		if (rc)
			break;
		i++;
	}
	cJSON_Delete(local);
	return rc;
}

static int push_rebase_later(struct push_run *x, const cJSON *tree, const cJSON *sent)
{
	struct push_rebase rb = { .x = x };
	cJSON *map = NULL;
	size_t i;
	int rc;

	rc = push_created_map(x, tree, &map);
	if (rc)
		goto out;
	if (!map->child && (!sent || !x->answer))
		goto out;
	rc = queue_each(x->p->cache, push_rebase_collect, &rb);
	for (i = 0; !rc && i < rb.later.n; i++)
		rc = push_rebase_one(x, rb.later.v[i], sent, map);
out:
	cJSON_Delete(map);
	free(rb.later.v);
	return rc;
}

/* The parent page of a queued create of a sub-page, else NULL. */
static const char *push_parent_page(const struct queue_entry *e)
{
	size_t n = strlen(QUEUE_PAGE_PARENT);

	return e->database_id && !strncmp(e->database_id, QUEUE_PAGE_PARENT, n) ? e->database_id + n
										 : NULL;
}

/* Prepares the page object for the cache (normalised, lists completed). */
static int push_prepare_page(struct push_run *x, cJSON *page)
{
	return pull_prepare_page(x->p->api, page);
}

static int push_put_page(struct push_run *x, const cJSON *page)
{
	struct model_page mp;
	int changed, rc;

	memset(&mp, 0, sizeof(mp));
	rc = pull_put_page(x->p->cache, push_parent_page(x->e) ? "" : x->e->database_id, page,
			   &changed, &mp);
	model_page_release(&mp);
	return rc;
}

/* The bases a writer of this save may still hold (the one its text was read from, and the
 * one the file showed once it was queued) now name the version it landed as: that writer's
 * next save is based on its own (cache_alias_version). */
static int push_alias_bases(struct push_run *x)
{
	char b[VBASE_LEN + 1] = "";
	int rc = 0;

	if (x->e->saved_text)
		vbase_in_text(x->e->saved_text, strlen(x->e->saved_text), b);
	if (b[0])
		rc = cache_alias_version(x->p->cache, x->e->page_id, b, x->e->saved_text);
	if (!rc && x->e->base_page && x->e->result_body) {
		vbase_of(x->e->base_page, x->e->result_body, b);
		rc = cache_alias_version(x->p->cache, x->e->page_id, b, x->e->saved_text);
	}
	return rc;
}

/* Stores the new base (page, body when `tree`) and removes the entry, in
 * one transaction (queue.h invariant 2). */
static int push_commit(struct push_run *x, const cJSON *tree, const cJSON *sent)
{
	char *body = NULL;
	int rc;

	if (tree) {
		body = cJSON_PrintUnformatted(tree);
		if (!body)
			return -ENOMEM;
	}
	rc = cache_begin(x->p->cache);
	if (rc)
		goto out;
	if (x->answer)
		rc = push_put_page(x, x->answer);
	if (!rc && body)
		rc = cache_put_body(x->p->cache, x->e->page_id,
				    x->local_edited[0] ? x->local_edited
						       : json_str_or(x->answer, "last_edited_time", ""),
				    body, NULL);
	if (!rc && !body && x->answer && x->remote)
		/* Only properties changed: the blocks are as current as they
		 * were at the conflict check, so no re-fetch. */
		rc = cache_advance_body(x->p->cache, x->e->page_id,
					json_str_or(x->remote, "last_edited_time", ""),
					json_str_or(x->answer, "last_edited_time", ""));
	if (!rc)
		rc = push_rebase_later(x, tree, sent);
	if (!rc)
		rc = push_alias_bases(x);
	if (!rc)
		rc = queue_done(x->p->cache, x->e->seq);
	rc = rc ? (cache_rollback(x->p->cache), rc) : cache_commit(x->p->cache);
out:
	if (rc)
		log_warn("%s: the push landed but recording it failed: %s",
			 x->e->path ? x->e->path : x->e->page_id, strerror(-rc));
	free(body);
	return rc;
}

/* After block ops: the page's new edit time and its body. */
static int push_refetch(struct push_run *x, cJSON **tree)
{
	char path[96];
	int rc;

	*tree = NULL;
	snprintf(path, sizeof(path), "/v1/pages/%s", x->e->page_id);
	cJSON_Delete(x->answer);
	x->answer = NULL;
	rc = push_request(x, "GET", path, NULL, &x->answer);
	if (rc)
		return rc;
	rc = push_prepare_page(x, x->answer);
	if (rc)
		return rc;
	rc = notion_get_block_children_tree(x->p->api, x->e->page_id, tree);
	if (rc) {
		notion_last_error(x->p->api, &x->err);
		return rc;
	}
	pull_normalize_json(*tree);
	return 0;
}

/* ---- the three kinds ---------------------------------------------------- */

static int push_update(struct push_run *x)
{
	cJSON *body = NULL, *tree = NULL, *sent = NULL;
	char path[96];
	int rc, applied = 0;

	snprintf(path, sizeof(path), "/v1/pages/%s", x->e->page_id);
	rc = push_request(x, "GET", path, NULL, &x->remote);
	if (rc)
		return push_fail(x, rc);
	rc = push_prepare_page(x, x->remote);
	if (rc)
		return push_fail(x, rc);
	if (json_true(x->remote, "archived") || json_true(x->remote, "in_trash")) {
		snprintf(x->err.message, sizeof(x->err.message), "the page was archived in Notion");
		x->err.kind = NOTION_ERR_VALIDATION;
		return push_fail(x, -EINVAL);
	}
	rc = push_check_schema(x);
	if (rc)
		goto fail;
	rc = push_merge_props(x, &body);
	if (rc)
		goto out;
	if (body) {
		rc = push_request(x, "PATCH", path, body, &x->answer);
		if (rc)
			goto fail;
		rc = push_prepare_page(x, x->answer);
		if (rc)
			goto fail;
		sent = cJSON_GetObjectItemCaseSensitive(body, "properties");
	} else {
		x->answer = cJSON_Duplicate(x->remote, 1);
	}
	rc = push_block_ops(x, &applied);
	if (rc)
		goto fail;
	if (applied && x->local_body && x->local_edited[0]) {
		/* Only updates of a page nobody else touched: the new body is
		 * the base with Notion's answers, no re-fetch (2 requests). */
		tree = x->local_body;
		x->local_body = NULL;
		pull_normalize_json(tree);
	} else if (applied || x->n_ops > 0) {
		/* ops ran (in this attempt or an earlier one, e.g. before a
		 * crash): the cached body is older than Notion's, never current */
		rc = push_refetch(x, &tree);
		if (rc)
			goto fail;
	}
	rc = push_commit(x, tree, sent);
	goto out;
fail:
	rc = push_fail(x, rc);
out:
	cJSON_Delete(tree);
	cJSON_Delete(body);
	return rc;
}

/* Moves convention "children" keys into the type object (request shape). */
static void push_request_shape(cJSON *blocks)
{
	cJSON *b;

	cJSON_ArrayForEach(b, blocks) {
		cJSON *kids = cJSON_DetachItemFromObjectCaseSensitive(b, "children");
		cJSON *content = cJSON_GetObjectItemCaseSensitive(b, json_str_or(b, "type", ""));

		cJSON_DeleteItemFromObjectCaseSensitive(b, "id");
		if (!kids)
			continue;
		push_request_shape(kids);
		if (content && !cJSON_GetObjectItemCaseSensitive(content, "children"))
			cJSON_AddItemToObject(content, "children", kids);
		else
			cJSON_Delete(kids);
	}
}

/* The same for a sub-page: a child_page block of the parent page with that
 * title, created since a minute before the save (the newest such). */
static int push_find_subpage(struct push_run *x, const cJSON *title, char *id, size_t n)
{
	const char *parent = push_parent_page(x->e);
	cJSON *kids = NULL;
	const cJSON *b;
	char since[MODEL_TIME_SIZE];
	struct buf t = BUF_INIT;
	int rc;

	push_rich_plain(cJSON_GetObjectItemCaseSensitive(title, "title"), &t);
	push_local_time(x->e->saved_at_ms - 60000, since, sizeof(since));
	rc = notion_get_block_children_tree(x->p->api, parent, &kids);
	cJSON_ArrayForEach(b, kids) {
		const cJSON *cp = cJSON_GetObjectItemCaseSensitive(b, "child_page");

		if (!rc && cp && !strcmp(json_str_or(cp, "title", ""), buf_str(&t)) &&
		    strcmp(json_str_or(b, "created_time", ""), since) >= 0)
			snprintf(id, n, "%s", json_str_or(b, "id", ""));
	}
	cJSON_Delete(kids);
	buf_release(&t);
	return rc;
}

/* After a crash during a create: the page created then, if any (title
 * equal, created since a minute before the save).  *id filled or "". */
static int push_find_created(struct push_run *x, const cJSON *props, char *id, size_t n)
{
	const cJSON *it, *title = NULL;
	cJSON *q = NULL, *answer = NULL;
	char since[MODEL_TIME_SIZE], path[96];
	struct buf t = BUF_INIT;
	int rc;

	id[0] = '\0';
	cJSON_ArrayForEach(it, props)
		if (cJSON_GetObjectItemCaseSensitive(it, "title"))
			title = it;
	if (title && push_parent_page(x->e))
		return push_find_subpage(x, title, id, n);
	if (!title || !x->ds[0])
		return 0;
	push_rich_plain(cJSON_GetObjectItemCaseSensitive(title, "title"), &t);
	push_local_time(x->e->saved_at_ms - 60000, since, sizeof(since));
	q = cJSON_CreateObject();
	{
		cJSON *and = cJSON_AddArrayToObject(cJSON_AddObjectToObject(q, "filter"), "and");
		cJSON *f1 = cJSON_CreateObject(), *f2 = cJSON_CreateObject();

		cJSON_AddStringToObject(f1, "property", title->string);
		cJSON_AddStringToObject(cJSON_AddObjectToObject(f1, "title"), "equals", buf_str(&t));
		cJSON_AddStringToObject(f2, "timestamp", "created_time");
		cJSON_AddStringToObject(cJSON_AddObjectToObject(f2, "created_time"), "on_or_after", since);
		cJSON_AddItemToArray(and, f1);
		cJSON_AddItemToArray(and, f2);
	}
	snprintf(path, sizeof(path), "/v1/data_sources/%s/query", x->ds);
	rc = push_request(x, "POST", path, q, &answer);
	if (!rc) {
		const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(answer, "results"), 0);

		if (first)
			snprintf(id, n, "%s", json_str_or(first, "id", ""));
	}
	cJSON_Delete(answer);
	cJSON_Delete(q);
	buf_release(&t);
	return rc;
}

/* Appends children beyond the first PUSH_MAX_CHILDREN, in chunks, from
 * child number *done on; *done (durable through queue_set_progress) counts
 * the children Notion has.  A chunk whose outcome is unknown (sent_at_ms)
 * is looked for at the end of the page before it is sent again. */
static int push_append_rest(struct push_run *x, const char *page_id, cJSON *children, int *done)
{
	int rc = 0, unsure = x->e->sent_at_ms != 0;
	char path[96];

	snprintf(path, sizeof(path), "/v1/blocks/%s/children", page_id);
	for (int i = 0; i < *done && children->child; i++)
		cJSON_Delete(cJSON_DetachItemViaPointer(children, children->child));
	while (!rc && cJSON_GetArraySize(children) > 0) {
		cJSON *body = cJSON_CreateObject(), *chunk = cJSON_AddArrayToObject(body, "children");
		cJSON *ids = NULL;
		int i, n;

		for (i = 0; i < PUSH_MAX_CHILDREN && children->child; i++)
			cJSON_AddItemToArray(chunk, cJSON_DetachItemViaPointer(children, children->child));
		n = i;
		if (unsure)
			rc = push_find_appended(x, page_id, NULL, 0, chunk, &ids);
		unsure = 0;
		if (!rc && !ids)
			rc = push_request_create(x, "PATCH", path, body, NULL);
		cJSON_Delete(ids);
		cJSON_Delete(body);
		if (rc)
			break;
		*done += n;
		rc = queue_set_progress(x->p->cache, x->e->seq, *done, NULL);
	}
	return rc;
}

/* Stores the created page (re-read with its body) and ends the entry. */
static int push_create_finish(struct push_run *x, char *real, cJSON **tree)
{
	const struct queue_entry *orig = x->e;
	struct queue_entry copy = *orig;
	int rc;

	copy.page_id = real;
	x->e = &copy;
	rc = push_refetch(x, tree);
	if (!rc)
		rc = push_commit(x, *tree, NULL);
	if (rc)
		rc = push_fail(x, rc);
	x->e = orig;
	return rc;
}

/* The create landed as page `real` with its first `done` children: the
 * local id becomes the real one and the count is recorded, in one
 * transaction (a crash after it never creates twice). */
static int push_created(struct push_run *x, const char *real, int done)
{
	int rc = cache_begin(x->p->cache);

	if (rc)
		return rc;
	rc = queue_rename_page(x->p->cache, x->e->page_id, real);
	if (!rc)
		rc = queue_set_progress(x->p->cache, x->e->seq, done, NULL);
	return rc ? (cache_rollback(x->p->cache), rc) : cache_commit(x->p->cache);
}

static int push_ds_pick(void *arg, const struct cache_ds_row *r)
{
	if (!strcmp(r->id, r->database_id))
		return 0; /* the provisional source of a cache made before data sources */
	snprintf(arg, MODEL_ID_SIZE, "%s", r->id);
	return 1;
}

/* x->ds: the data source a new row goes to.  A create queued by a release
 * before data sources names its database: its data source then (the first
 * one, the one that release saw), from the cache, else from Notion. */
static int push_source(struct push_run *x)
{
	const char *id = x->e->database_id;
	char *db = NULL;
	cJSON *obj = NULL;
	char path[96];
	int rc;

	x->ds[0] = '\0';
	if (id && !strncmp(id, QUEUE_PAGE_PARENT, strlen(QUEUE_PAGE_PARENT)))
		return 0; /* a sub-page: its parent is a page */
	if (!id || !id[0]) {
		snprintf(x->err.message, sizeof(x->err.message), "the new page names no data source");
		x->err.kind = NOTION_ERR_VALIDATION;
		return -EINVAL;
	}
	if (cache_source_database(x->p->cache, id, &db) == 0 && strcmp(db, id)) {
		free(db);
		snprintf(x->ds, sizeof(x->ds), "%s", id);
		return 0;
	}
	free(db);
	rc = cache_each_data_source(x->p->cache, id, push_ds_pick, x->ds);
	if (rc == 1)
		return 0;
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "/v1/databases/%s", id);
	rc = push_request(x, "GET", path, NULL, &obj);
	if (!rc && model_database_source(obj, 0, x->ds) != 0) {
		snprintf(x->err.message, sizeof(x->err.message), "database %s has no data source", id);
		x->err.kind = NOTION_ERR_VALIDATION;
		rc = -EINVAL;
	}
	cJSON_Delete(obj);
	return rc;
}

static int push_create(struct push_run *x)
{
	cJSON *patch = push_parse(x->e->props), *body = NULL, *kids = push_parse(x->e->ops);
	cJSON *first, *tree = NULL;
	char real[64] = "";
	int rc = 0, i, done = x->e->ops_done;

	body = cJSON_CreateObject();
	if (!body) {
		rc = -ENOMEM;
		goto out;
	}
	if (!cJSON_IsArray(kids)) {
		cJSON_Delete(kids);
		kids = cJSON_CreateArray();
	}
	push_request_shape(kids);
	rc = push_source(x);
	if (rc)
		goto fail;
	{
		cJSON *parent = cJSON_AddObjectToObject(body, "parent");
		const char *pid = push_parent_page(x->e);

		cJSON_AddStringToObject(parent, "type", pid ? "page_id" : "data_source_id");
		cJSON_AddStringToObject(parent, pid ? "page_id" : "data_source_id", pid ? pid : x->ds);
	}
	cJSON_AddItemToObject(body, "properties",
		cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(patch, "properties"), 1));
	if (!queue_is_local_id(x->e->page_id)) {
		/* created before (the id was recorded in the POST's transaction):
		 * the rest of the children, from the recorded count on */
		snprintf(real, sizeof(real), "%s", x->e->page_id);
		if (done == 0) /* a queue made before counts were kept */
			done = cJSON_GetArraySize(kids) < PUSH_MAX_CHILDREN ? cJSON_GetArraySize(kids)
									      : PUSH_MAX_CHILDREN;
	} else if (x->e->sent_at_ms) {
		/* the POST's outcome is unknown: look for the page first */
		rc = push_find_created(x, cJSON_GetObjectItemCaseSensitive(patch, "properties"),
				       real, sizeof(real));
		if (rc)
			goto fail;
		if (real[0]) {
			done = cJSON_GetArraySize(kids) < PUSH_MAX_CHILDREN ? cJSON_GetArraySize(kids)
									      : PUSH_MAX_CHILDREN;
			rc = push_created(x, real, done);
			if (rc)
				goto fail;
		}
	}
	if (!real[0]) {
		cJSON *copy = cJSON_Duplicate(kids, 1);

		first = cJSON_AddArrayToObject(body, "children");
		for (i = 0; i < PUSH_MAX_CHILDREN && copy && copy->child; i++)
			cJSON_AddItemToArray(first, cJSON_DetachItemViaPointer(copy, copy->child));
		cJSON_Delete(copy);
		done = i;
		rc = push_request_create(x, "POST", "/v1/pages", body, &x->answer);
		if (rc)
			goto fail;
		snprintf(real, sizeof(real), "%s", json_str_or(x->answer, "id", ""));
		/* the id is known: a crash from here on must not create again */
		rc = push_created(x, real, done);
		if (rc)
			goto fail;
	}
	{
		struct queue_entry copy = *x->e;
		const struct queue_entry *orig = x->e;

		copy.page_id = real;
		/* a chunk can be in doubt only if the page existed at the start */
		copy.sent_at_ms = !queue_is_local_id(orig->page_id) ? orig->sent_at_ms : 0;
		x->e = &copy;
		rc = push_append_rest(x, real, kids, &done);
		x->e = orig;
	}
	if (rc)
		goto fail;
	snprintf(x->r->page_id, sizeof(x->r->page_id), "%s", real);
	rc = push_create_finish(x, real, &tree);
	goto out;
fail:
	rc = push_fail(x, rc);
out:
	cJSON_Delete(tree);
	cJSON_Delete(kids);
	cJSON_Delete(body);
	cJSON_Delete(patch);
	return rc;
}

static int push_archive(struct push_run *x)
{
	cJSON *body = cJSON_CreateObject();
	char path[96];
	int rc;

	if (!body)
		return -ENOMEM;
	cJSON_AddBoolToObject(body, "in_trash", 1);
	snprintf(path, sizeof(path), "/v1/pages/%s", x->e->page_id);
	rc = push_request(x, "PATCH", path, body, NULL);
	cJSON_Delete(body);
	/* already in the trash (a repeated push) or gone: the goal is reached */
	if (rc == -ENOENT || (rc == -EINVAL && (strstr(x->err.message, "archived") ||
						 strstr(x->err.message, "trash"))))
		rc = 0;
	if (rc)
		return push_fail(x, rc);
	rc = cache_begin(x->p->cache);
	if (rc)
		return rc;
	rc = cache_delete_page(x->p->cache, x->e->page_id);
	if (rc == -ENOENT)
		rc = 0;
	if (!rc)
		rc = queue_done(x->p->cache, x->e->seq);
	return rc ? (cache_rollback(x->p->cache), rc) : cache_commit(x->p->cache);
}

/* A copy of a trashed page put back (docs/sync.md, "Undo"): out of
 * Notion's trash (idempotent: repeated blindly), then the cache shows it
 * again; the page's edit, if any, is the next entry. */
static int push_restore(struct push_run *x)
{
	cJSON *body = cJSON_CreateObject();
	char path[96];
	int rc;

	if (!body)
		return -ENOMEM;
	cJSON_AddBoolToObject(body, "in_trash", 0);
	snprintf(path, sizeof(path), "/v1/pages/%s", x->e->page_id);
	rc = push_request(x, "PATCH", path, body, NULL);
	cJSON_Delete(body);
	if (rc)
		return push_fail(x, rc);
	rc = cache_begin(x->p->cache);
	if (rc)
		return rc;
	rc = cache_untrash_page(x->p->cache, x->e->page_id);
	if (rc == -ENOENT)
		rc = 0; /* the cache shows it already */
	if (!rc)
		rc = queue_done(x->p->cache, x->e->seq);
	return rc ? (cache_rollback(x->p->cache), rc) : cache_commit(x->p->cache);
}

/* mv into another folder (docs/sync.md, "Moves"): Notion's page move, then
 * the page as Notion has it now is stored.  Sent again blindly after a lost
 * answer: a page moved already stays where it went. */
static int push_move(struct push_run *x)
{
	cJSON *body = cJSON_CreateObject(), *parent, *page = NULL;
	const char *pid = push_parent_page(x->e);
	char path[96];
	int rc;

	parent = body ? cJSON_AddObjectToObject(body, "parent") : NULL;
	if (!parent || !cJSON_AddStringToObject(parent, "type", pid ? "page_id" : "data_source_id") ||
	    !cJSON_AddStringToObject(parent, pid ? "page_id" : "data_source_id",
				     pid ? pid : (x->e->database_id ? x->e->database_id : ""))) {
		cJSON_Delete(body);
		return -ENOMEM;
	}
	snprintf(path, sizeof(path), "/v1/pages/%s/move", x->e->page_id);
	rc = push_request(x, "POST", path, body, NULL);
	cJSON_Delete(body);
	if (!rc) {
		snprintf(path, sizeof(path), "/v1/pages/%s", x->e->page_id);
		rc = push_request(x, "GET", path, NULL, &page);
	}
	if (!rc)
		rc = push_prepare_page(x, page);
	if (rc) {
		cJSON_Delete(page);
		return push_fail(x, rc);
	}
	rc = cache_begin(x->p->cache);
	if (!rc) {
		rc = push_put_page(x, page);
		if (!rc)
			rc = queue_done(x->p->cache, x->e->seq);
		rc = rc ? (cache_rollback(x->p->cache), rc) : cache_commit(x->p->cache);
	}
	cJSON_Delete(page);
	return rc;
}

int push_one(struct push_ctx *p, const struct queue_entry *e, struct push_result *r)
{
	struct push_run x = { .p = p, .e = e, .r = r };
	int rc;

	memset(r, 0, sizeof(*r));
	snprintf(r->page_id, sizeof(r->page_id), "%s", e->page_id);
	if (e->sent_at_ms > PUSH_SENT_ANSWERED && push_now_ms() < e->sent_at_ms + push_settle_ms(p)) {
		/* a request that creates may still land (it was in flight when
		 * its answer was lost or the process died): look only once it
		 * can no longer arrive (docs/queue.md, "Lost answers") */
		char msg[160];

		snprintf(msg, sizeof(msg), "an earlier attempt may still land in Notion;"
			 " checking in %lld s", (long long)((e->sent_at_ms + push_settle_ms(p) -
							     push_now_ms()) / 1000 + 1));
		queue_set_state(p->cache, e->seq, QUEUE_PUSHING, msg);
		return -EAGAIN;
	}
	push_local_time(e->saved_at_ms, x.local_time, sizeof(x.local_time));
	rc = queue_set_state(p->cache, e->seq, QUEUE_PUSHING, NULL);
	if (rc)
		return rc;
	x.base_page = push_parse(e->base_page);
	x.base_body = push_parse(e->base_body);
	switch (e->kind) {
	case QUEUE_UPDATE:
		rc = push_update(&x);
		break;
	case QUEUE_CREATE:
		rc = push_create(&x);
		break;
	case QUEUE_ARCHIVE:
		rc = push_archive(&x);
		break;
	case QUEUE_RESTORE:
		rc = push_restore(&x);
		break;
	case QUEUE_MOVE:
		rc = push_move(&x);
		break;
	default:
		rc = -EINVAL;
	}
	cJSON_Delete(x.base_page);
	cJSON_Delete(x.base_body);
	cJSON_Delete(x.remote);
	cJSON_Delete(x.answer);
	cJSON_Delete(x.results);
	cJSON_Delete(x.local_body);
	return rc;
}

/* ---- the safety valve and the loop -------------------------------------- */

/* Per database, its queued archives and those the valve holds already (no cap: nothing is
 * dropped, docs/operations.md, "Undoing a delete, a refused save, a conflict"): a burst of
 * unlinks that reaches two pushes is judged whole, its tail never trashed alone. */
struct push_valve {
	struct strv dbs;
	int64_t *counts;
	int64_t *fresh;          /* of them, not held yet */
	size_t cap;
	int64_t last_seq;        /* the newest entry it saw */
};

static int push_valve_count(void *arg, const struct queue_entry *e)
{
	struct push_valve *v = arg;
	size_t i;

	if (e->seq > v->last_seq)
		v->last_seq = e->seq;
	if (e->kind != QUEUE_ARCHIVE || (e->state > QUEUE_PUSHING && e->state != QUEUE_HELD) ||
	    !e->database_id)
		return 0;
	for (i = 0; i < v->dbs.n && strcmp(v->dbs.v[i], e->database_id); i++)
		;
	if (i == v->dbs.n) {
		if (v->dbs.n == v->cap) {
			size_t cap = v->cap ? v->cap * 2 : 16;
			int64_t *c = realloc(v->counts, cap * sizeof(*c)), *f;

			if (!c)
				return -ENOMEM;
			memset(c + v->cap, 0, (cap - v->cap) * sizeof(*c));
			v->counts = c;
			f = realloc(v->fresh, cap * sizeof(*f));
			if (!f)
				return -ENOMEM;
			memset(f + v->cap, 0, (cap - v->cap) * sizeof(*f));
			v->fresh = f;
			v->cap = cap;
		}
		if (strv_push(&v->dbs, e->database_id))
			return -ENOMEM;
	}
	v->counts[i]++;
	if (e->state != QUEUE_HELD)
		v->fresh[i]++;
	return 0;
}

struct push_hold {
	const char *db;
	struct push_seqs seqs;
};

static int push_hold_collect(void *arg, const struct queue_entry *e)
{
	struct push_hold *h = arg;

	if (e->kind == QUEUE_ARCHIVE && e->state <= QUEUE_PUSHING && e->database_id &&
	    !strcmp(e->database_id, h->db))
		return push_seqs_add(&h->seqs, e->seq);
	return 0;
}

static int push_hold_db(struct push_ctx *p, const char *db, int64_t n, int64_t pages)
{
	struct push_hold h = { .db = db };
	char msg[200];
	size_t i;
	int rc;

	snprintf(msg, sizeof(msg), "held: %lld of %lld pages of the database would be archived;"
		 " confirm with `notionfs sync --confirm-deletes` (or --cancel-deletes)",
		 (long long)n, (long long)pages);
	rc = queue_each(p->cache, push_hold_collect, &h);
	for (i = 0; !rc && i < h.seqs.n; i++)
		rc = queue_set_state(p->cache, h.seqs.v[i], QUEUE_HELD, msg);
	if (!rc) {
		log_warn("database %s: %s", db, msg);
		cache_log(p->cache, "error", "database %s: %s", db, msg);
	}
	free(h.seqs.v);
	return rc;
}

/* Holds the archives of a database that one cycle would trash too many of; *seen (optional)
 * gets the newest queue entry it judged. */
static int push_valve(struct push_ctx *p, int64_t *seen, int confirm)
{
	struct push_valve v = { .dbs = STRV_INIT };
	int64_t pages;
	size_t i;
	int rc;

	if (confirm) {
		/* what is held now is confirmed; an archive queued during this run is judged
		 * as any other */
		rc = queue_each(p->cache, push_valve_count, &v);
		if (seen)
			*seen = v.last_seq;
		strv_release(&v.dbs);
		free(v.counts);
		free(v.fresh);
		return rc ? rc : queue_release_held(p->cache, NULL, NULL);
	}
	if (p->cancel_deletes) {
		int64_t n = 0;

		rc = queue_cancel_archives(p->cache, NULL, &n);
		if (rc)
			return rc;
		if (n) {
			log_info("%lld held archives cancelled: the pages stay", (long long)n);
			cache_log(p->cache, "sync", "%lld held archives cancelled "
				  "(`notionfs sync --cancel-deletes`): the pages stay", (long long)n);
		}
	}
	rc = queue_each(p->cache, push_valve_count, &v);
	if (seen)
		*seen = v.last_seq;
	for (i = 0; !rc && i < v.dbs.n; i++) {
		pages = 0;
		rc = cache_count_pages(p->cache, v.dbs.v[i], &pages);
		if (rc)
			break;
		if (v.fresh[i] && v.counts[i] > PUSH_VALVE_MIN &&
		    v.counts[i] * 100 > pages * PUSH_VALVE_PERCENT)
			rc = push_hold_db(p, v.dbs.v[i], v.counts[i], pages);
	}
	strv_release(&v.dbs);
	free(v.counts);
	free(v.fresh);
	return rc;
}

int push_all(struct push_ctx *p, int *pushed)
{
	struct queue_entry e;
	struct push_result r;
	int64_t seen = 0;
	int rc, n = 0;

	rc = push_valve(p, &seen, p->confirm_deletes);
	while (!rc) {
		if (push_stopped(p)) {
			rc = -ECANCELED;
			break;
		}
		rc = queue_next(p->cache, &e);
		if (rc == -ENOENT) {
			rc = 0;
			break;
		}
		if (rc)
			break;
		if (e.kind == QUEUE_ARCHIVE && e.seq > seen) {
			/* queued since the valve looked (an rm -r still going on): judged with
			 * everything queued now before it is pushed, never alone */
			queue_entry_release(&e);
			rc = push_valve(p, &seen, 0);
			continue;
		}
		rc = push_one(p, &e, &r);
		queue_entry_release(&e);
		if (!rc && !r.rejected)
			n++;
	}
	if (pushed)
		*pushed = n;
	return rc;
}
