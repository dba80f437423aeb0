/* merge.c - a writer's block operations carried onto a newer body (mdconv_rebase, see
 * mdconv.h and docs/sync.md, "A stale save").
 *
 * Owns nothing between calls.  The ops come from mdconv_diff(base, edited), so they name the
 * blocks of `base` (B, the version the writer read); the output names the blocks of
 * `current` (C, what the save is applied to).  Blocks are compared by their signature
 * (mdconv_block_signature: the block's own Markdown, children left out).
 * Memory: the output ops and conflict objects are owned by the caller; the inputs are read.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fs/md/mdconv.h"
#include "fs/md/mdconv_int.h"
#include "common/isotime.h"
#include "common/json.h"

/* Where the children of one input insert ended up: per child an existing block id of C, or
 * (id NULL) child `index` of output op `op`. */
struct mg_map {
	struct mdconv_ref *kids;
	size_t n;
};

struct mg_ctx {
	const cJSON *base, *cur;
	const struct mdconv_ops *in;
	struct mdconv_ops *out;
	struct mg_map *map;	/* per input op */
	int64_t saved_ms;
	cJSON *conflicts;
};

/* The block with id in arr (recursively) and the array holding it. */
static const cJSON *mg_find(const cJSON *arr, const char *id, const cJSON **holder)
{
	const cJSON *b, *hit;

	cJSON_ArrayForEach(b, arr) {
		const char *bid = json_str(b, "id");

		if (bid && !strcmp(bid, id)) {
			if (holder)
				*holder = arr;
			return b;
		}
		hit = mg_find(cJSON_GetObjectItemCaseSensitive(b, "children"), id, holder);
		if (hit)
			return hit;
	}
	return NULL;
}

/* 1 if a and b (stored or request shape) show the same line(s) in a file; 0; -ENOMEM. */
static int mg_same(const cJSON *a, const cJSON *b)
{
	struct buf x = BUF_INIT, y = BUF_INIT;
	int rc = mdconv_block_signature(a, &x);

	if (!rc)
		rc = mdconv_block_signature(b, &y);
	if (!rc)
		rc = x.len == y.len && !memcmp(buf_str(&x), buf_str(&y), x.len);
	else if (rc != -ENOMEM)
		rc = 0;
	buf_release(&x);
	buf_release(&y);
	return rc;
}

/* A request-shaped block (children inside its type object) as a stored one (children beside
 * it), for comparison.  NULL on ENOMEM. */
static cJSON *mg_stored(const cJSON *req)
{
	cJSON *b = cJSON_Duplicate(req, 1), *k;

	if (!b)
		return NULL;
	cJSON_ArrayForEach(k, b) {
		if (cJSON_IsObject(k) && cJSON_GetObjectItemCaseSensitive(k, "children")) {
			cJSON *kids = cJSON_DetachItemFromObjectCaseSensitive(k, "children");

			cJSON_AddItemToObject(b, "children", kids);
			break;
		}
	}
	if (!cJSON_GetObjectItemCaseSensitive(b, "type")) {
		cJSON_ArrayForEach(k, b)
			if (cJSON_IsObject(k) && strcmp(k->string, "children")) {
				cJSON_AddStringToObject(b, "type", k->string);
				break;
			}
	}
	return b;
}

/* B's block with an update's payload merged into its type object (the writer's version). */
static cJSON *mg_updated(const cJSON *blk, const cJSON *payload)
{
	cJSON *b = cJSON_Duplicate(blk, 1), *content;
	const cJSON *f;
	const char *type = json_str(blk, "type");

	if (!b || !type)
		return b;
	content = cJSON_GetObjectItemCaseSensitive(b, type);
	f = cJSON_GetObjectItemCaseSensitive(payload, type);
	if (!cJSON_IsObject(content) || !cJSON_IsObject(f))
		return b;
	for (f = f->child; f; f = f->next) {
		cJSON *v = cJSON_Duplicate(f, 1);

		if (cJSON_GetObjectItemCaseSensitive(content, f->string))
			cJSON_ReplaceItemInObjectCaseSensitive(content, f->string, v);
		else
			cJSON_AddItemToObject(content, f->string, v);
	}
	return b;
}

/* Whole seconds of ISO in ms (the fraction dropped), -1 when NULL or malformed. */
static int64_t mg_time_ms(const char *iso)
{
	time_t t;

	if (iso_time_parse(iso, &t, NULL))
		return -1;
	return (int64_t)t * 1000;
}

/* Records a conflict (values taken); 0 or -ENOMEM. */
static int mg_conflict(struct mg_ctx *x, const char *id, cJSON *local, cJSON *remote,
		       const char *remote_time, bool local_won)
{
	cJSON *k = cJSON_CreateObject();
	char what[128];

	snprintf(what, sizeof(what), "block %s", id);
	if (!k || !cJSON_AddStringToObject(k, "what", what) ||
	    !cJSON_AddItemToObject(k, "local", local ? local : cJSON_CreateNull()) ||
	    !cJSON_AddItemToObject(k, "remote", remote ? remote : cJSON_CreateNull()) ||
	    !cJSON_AddItemToObject(k, "remote_time", remote_time ? cJSON_CreateString(remote_time)
								  : cJSON_CreateNull()) ||
	    !cJSON_AddStringToObject(k, "winner", local_won ? "local" : "remote") ||
	    !cJSON_AddItemToArray(x->conflicts, k)) {
		cJSON_Delete(k);
		return -ENOMEM;
	}
	return 0;
}

static int mg_copy_op(struct mg_ctx *x, const struct mdconv_op *op)
{
	struct mdconv_op *o;

	if (x->out->n == x->out->cap) {
		size_t cap = x->out->cap ? x->out->cap * 2 : 16;
		struct mdconv_op *v = realloc(x->out->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		x->out->v = v;
		x->out->cap = cap;
	}
	o = &x->out->v[x->out->n];
	memset(o, 0, sizeof(*o));
	o->kind = op->kind;
	o->parent.op = o->after.op = -1;
	if (op->block_id && !(o->block_id = strdup(op->block_id)))
		return -ENOMEM;
	if (op->payload && !(o->payload = cJSON_Duplicate(op->payload, 1))) {
		free(o->block_id);
		return -ENOMEM;
	}
	x->out->n++;
	return 0;
}

/* UPDATE or DELETE of block id of B.  Kept when C's block is B's; otherwise the later write
 * wins (docs/queue.md, "The conflict rule"), the loser recorded. */
static int mg_change(struct mg_ctx *x, const struct mdconv_op *op)
{
	const cJSON *b = mg_find(x->base, op->block_id, NULL);
	const cJSON *c = mg_find(x->cur, op->block_id, NULL);
	const char *t;
	cJSON *mine;
	int same, rc;
	bool local_won;

	if (!c) {
		if (op->kind == MDCONV_OP_DELETE)
			return 0; /* gone on both sides */
		/* deleted remotely, edited here: the delete stands, the edit is kept */
		mine = b ? mg_updated(b, op->payload) : cJSON_Duplicate(op->payload, 1);
		return mg_conflict(x, op->block_id, mine, NULL, NULL, false);
	}
	same = b ? mg_same(b, c) : 1;
	if (same < 0)
		return same;
	if (same)
		return mg_copy_op(x, op);
	mine = op->kind == MDCONV_OP_UPDATE ? mg_updated(b, op->payload) : NULL;
	if (mine) {
		same = mg_same(mine, c);
		if (same) {
			cJSON_Delete(mine);
			return same < 0 ? same : 0; /* both sides made the same change */
		}
	}
	t = json_str(c, "last_edited_time");
	if (!t) {
		cJSON_Delete(mine); /* changed by an earlier save of ours: the later one goes */
		return mg_copy_op(x, op);
	}
	local_won = x->saved_ms >= mg_time_ms(t);
	rc = mg_conflict(x, op->block_id, mine, cJSON_Duplicate(c, 1), t, local_won);
	if (!rc && local_won)
		rc = mg_copy_op(x, op);
	return rc;
}

/* A reference of an input op resolved through the map: *out borrows. */
static void mg_resolve(const struct mg_ctx *x, const struct mdconv_ref *in, struct mdconv_ref *out)
{
	if (in->id || in->op < 0) {
		*out = *in;
		return;
	}
	if ((size_t)in->op < x->in->n && in->index < x->map[in->op].n) {
		*out = x->map[in->op].kids[in->index];
		return;
	}
	out->id = NULL;
	out->op = -1;
	out->index = 0;
}

/* The children array (in C) of a resolved parent: "" = the page; NULL when it is a block
 * created by this save (nothing to compare with) or gone. */
static const cJSON *mg_kids_of(const struct mg_ctx *x, const struct mdconv_ref *p, bool *gone)
{
	const cJSON *b;

	*gone = false;
	if (!p->id)
		return p->op < 0 ? x->cur : NULL;
	b = mg_find(x->cur, p->id, NULL);
	if (!b) {
		*gone = true;
		return NULL;
	}
	return cJSON_GetObjectItemCaseSensitive(b, "children");
}

/* Position in C's list after which to insert: the anchor, else the nearest block before it
 * in B that C still has (in the same list); -1 when none (the start: also for an anchor that
 * is MDCONV_REF_START or none, anchor NULL). */
static int mg_position(const struct mg_ctx *x, const cJSON *list, const char *anchor)
{
	const cJSON *holder = NULL, *b, *it;
	int i;

	if (!anchor)
		return -1;
	b = mg_find(x->base, anchor, &holder);
	for (; ; ) {
		i = 0;
		cJSON_ArrayForEach(it, list) {
			const char *id = json_str(it, "id");

			if (id && !strcmp(id, anchor))
				return i;
			i++;
		}
		if (!b || !b->prev || b == holder->child)
			return -1;
		b = b->prev;
		anchor = json_str(b, "id");
		if (!anchor)
			return -1;
	}
}

static int mg_insert(struct mg_ctx *x, size_t i, const struct mdconv_op *op)
{
	const cJSON *kids = cJSON_GetObjectItemCaseSensitive(op->payload, "children"), *k;
	const cJSON *list = NULL, *at = NULL;
	struct mdconv_ref parent, after;
	struct mg_map *m = &x->map[i];
	size_t n = (size_t)cJSON_GetArraySize(kids), j = 0;
	bool gone = false, fresh_parent;
	int pos = -1, rc = 0;
	struct mdconv_op *o;
	cJSON *rest;

	m->kids = calloc(n ? n : 1, sizeof(*m->kids));
	if (!m->kids)
		return -ENOMEM;
	m->n = n;
	mg_resolve(x, &op->parent, &parent);
	mg_resolve(x, &op->after, &after);
	list = mg_kids_of(x, &parent, &gone);
	fresh_parent = !parent.id && parent.op >= 0;
	if (gone) {
		/* the parent was deleted remotely: the blocks go to the page, after the nearest
		 * surviving top-level block before the parent's top-level ancestor */
		parent.id = NULL;
		parent.op = -1;
		after.id = op->parent.id;
		after.op = -1;
		list = x->cur;
	}
	if (!fresh_parent && (after.id || after.op < 0)) {
		pos = mg_position(x, list, after.id);
		at = pos >= 0 ? cJSON_GetArrayItem(list, pos) : NULL;
		k = at ? at->next : (list ? list->child : NULL);
		/* an identical block already there (the vim double save, an identical remote
		 * insert) is not inserted again: its later references go to it */
		cJSON_ArrayForEach(k, kids) {
			const cJSON *c = at ? at->next : (list ? list->child : NULL);
			cJSON *st;
			int same;

			if (!c || !json_str(c, "id"))
				break;
			st = mg_stored(k);
			if (!st)
				return -ENOMEM;
			same = mg_same(st, c);
			cJSON_Delete(st);
			if (same < 0)
				return same;
			if (!same)
				break;
			m->kids[j].id = (char *)json_str(c, "id");
			m->kids[j].op = -1;
			at = c;
			j++;
		}
		if (at) {
			after.id = (char *)json_str(at, "id");
			after.op = -1;
		} else if (after.id) {
			/* no surviving block before it: at the start */
			after.id = NULL;
			after.op = MDCONV_REF_START;
		}
	}
	if (j == n)
		return 0;
	rest = cJSON_CreateArray();
	if (!rest)
		return -ENOMEM;
	for (k = cJSON_GetArrayItem(kids, (int)j); k; k = k->next)
		if (!cJSON_AddItemToArray(rest, cJSON_Duplicate(k, 1)))
			rc = -ENOMEM;
	if (rc || mg_copy_op(x, &(struct mdconv_op){ .kind = MDCONV_OP_INSERT_AFTER })) {
		cJSON_Delete(rest);
		return -ENOMEM;
	}
	o = &x->out->v[x->out->n - 1];
	o->payload = cJSON_CreateObject();
	if (!o->payload || !cJSON_AddItemToObject(o->payload, "children", rest)) {
		cJSON_Delete(rest);
		return -ENOMEM;
	}
	o->parent.op = parent.op;
	o->parent.index = parent.index;
	o->after.op = after.op;
	o->after.index = after.index;
	if ((parent.id && !(o->parent.id = strdup(parent.id))) ||
	    (after.id && !(o->after.id = strdup(after.id))))
		return -ENOMEM;
	for (size_t r = j; r < n; r++) {
		m->kids[r].id = NULL;
		m->kids[r].op = (int)(x->out->n - 1);
		m->kids[r].index = r - j;
	}
	return 0;
}

int mdconv_rebase(const cJSON *base, const cJSON *current, const struct mdconv_ops *ops,
		  int64_t saved_at_ms, struct mdconv_ops *out, cJSON *conflicts)
{
	struct mg_ctx x = { base, current, ops, out, NULL, saved_at_ms, conflicts };
	size_t i;
	int rc = 0;

	x.map = calloc(ops->n ? ops->n : 1, sizeof(*x.map));
	if (!x.map)
		return -ENOMEM;
	for (i = 0; i < ops->n && !rc; i++) {
		const struct mdconv_op *op = &ops->v[i];

		rc = op->kind == MDCONV_OP_INSERT_AFTER ? mg_insert(&x, i, op) : mg_change(&x, op);
	}
	for (i = 0; i < ops->n; i++)
		free(x.map[i].kids);
	free(x.map);
	return rc;
}

int mdconv_diff_additions(const cJSON *base, const cJSON *edited, struct mdconv_ops *out)
{
	struct mdconv_ops all = MDCONV_OPS_INIT, *ops = &all;
	int *to;
	size_t i;
	int rc = mdconv_diff_no_update(base, edited, &all);

	if (rc)
		return rc;
	to = calloc(ops->n ? ops->n : 1, sizeof(*to));
	if (!to) {
		mdconv_ops_release(&all);
		return -ENOMEM;
	}
	for (i = 0; i < ops->n && !rc; i++) {
		const struct mdconv_op *op = &ops->v[i];
		struct mdconv_op *o;

		to[i] = -1;
		if (op->kind != MDCONV_OP_INSERT_AFTER)
			continue;
		to[i] = (int)out->n;
		rc = mg_copy_op(&(struct mg_ctx){ .out = out }, op);
		if (rc)
			break;
		o = &out->v[out->n - 1];
		o->parent = op->parent;
		o->after = op->after;
		o->parent.id = op->parent.id ? strdup(op->parent.id) : NULL;
		o->after.id = op->after.id ? strdup(op->after.id) : NULL;
		if ((op->parent.id && !o->parent.id) || (op->after.id && !o->after.id))
			rc = -ENOMEM;
		if (o->parent.op >= 0)
			o->parent.op = to[o->parent.op];
		if (o->after.op >= 0)
			o->after.op = to[o->after.op];
	}
	free(to);
	mdconv_ops_release(&all);
	return rc;
}
