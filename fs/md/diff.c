/* diff.c - block diff (base blocks vs parsed Markdown) -> Notion operations.
 *
 * Owns the diff of docs/markdown.md, section "Diff": per sibling list, blocks are compared by
 * signature (mdconv_block_signature(): the block's own Markdown without children and without
 * derived display texts), the common prefix and suffix are trimmed, the rest is aligned by an
 * LCS (positional pairing when the table would exceed MDCONV_LCS_CELLS); unmatched blocks of a
 * gap are paired in order with same-type base blocks (UPDATE), the remaining base blocks are
 * deleted and the remaining edited blocks inserted in runs (a run before a list's first block,
 * which is kept, goes at the start of the parent: MDCONV_REF_START, position "start").
 * Matched and updated blocks recurse into their children.  Anchors (mdconv_block_is_anchor():
 * placeholders, child pages, hosted files, link previews) match only themselves (their
 * signature holds their id), are never updated or created, and are deleted only when their id
 * is nowhere in the edited tree.  The containers among them (mdconv_is_container(): column
 * lists, columns, synced blocks) recurse into their children like any matched block, with
 * themselves as the parent (a synced block reference too: the pusher sends its appends to the
 * original, docs/markdown.md).
 *
 * Invariants of the op list: an op only refers (mdconv_ref.op) to earlier ops; an insert
 * carries at most MDCONV_MAX_APPEND blocks and two levels; a DELETE of a sibling list comes
 * after every insert of that list (an insert may use a block deleted later as its anchor).
 *
 * Memory: the diff builds its ops in a private list and moves them to the caller's list only
 * on success, so an error leaves ops_out as it was.  Every op's strings and payload are owned
 * by the list (mdconv_ops_release()).  The inputs are only read; payloads are new trees.
 */
#include "fs/md/mdconv_int.h"

#include "common/utf8.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Largest LCS table (cells) before falling back to positional pairing. */
#define MDCONV_LCS_CELLS (4u * 1024u * 1024u)

/* One sibling list prepared for alignment.  blk entries borrow from the input. */
struct mdconv_sib {
	const cJSON **blk;
	char **sig;       /* owned signatures */
	size_t *siglen;
	uint64_t *hash;
	int *match;       /* index of the matched block on the other side, -1 if none */
	size_t n;
	bool in_table;    /* the list is a table's rows (else a table_row is a placeholder) */
};

/* One step of a list plan, in edited order: KEEP (b >= 0: base b stays, becomes edited e)
 * or NEW (b < 0: edited e is created). */
struct mdconv_step {
	int b, e;
};

struct mdconv_dctx {
	struct mdconv_ops ops;  /* built here, moved to the caller on success */
	const char **anchors;   /* ids of the anchors anywhere in edited (borrowed), sorted */
	size_t nanchors, capanchors;
	bool no_update;         /* mdconv_diff_additions: a changed block is never updated */
};

/* A growable vector of borrowed blocks. */
struct mdconv_bvec {
	const cJSON **v;
	size_t n, cap;
};

/* ---------------------------------------------------------------- op list helpers */

/* Appends a zeroed op of the given kind; returns it (owned by ops) or NULL on ENOMEM. */
static struct mdconv_op *mdconv_ops_add(struct mdconv_ops *ops, enum mdconv_op_kind kind)
{
	struct mdconv_op *op;

	if (ops->n == ops->cap) {
		size_t cap = ops->cap ? ops->cap * 2 : 16;
		struct mdconv_op *v = realloc(ops->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		ops->v = v;
		ops->cap = cap;
	}
	op = &ops->v[ops->n++];
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	op->parent.op = op->after.op = -1;
	return op;
}

/* Copies a reference (the id is duplicated).  Returns 0 or -ENOMEM. */
static int mdconv_ref_copy(struct mdconv_ref *dst, const struct mdconv_ref *src)
{
	dst->op = src->op;
	dst->index = src->index;
	dst->id = NULL;
	if (src->id && !(dst->id = strdup(src->id)))
		return -ENOMEM;
	return 0;
}

/* A reference to an existing block (borrowing id). */
static struct mdconv_ref mdconv_ref_id(const char *id)
{
	struct mdconv_ref r = { (char *)id, -1, 0 };

	return r;
}

static const struct mdconv_ref mdconv_ref_none = { NULL, -1, 0 };
static const struct mdconv_ref mdconv_ref_start = { NULL, MDCONV_REF_START, 0 };

static int mdconv_bvec_push(struct mdconv_bvec *v, const cJSON *b)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 8;
		const cJSON **nv = realloc(v->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		v->v = nv;
		v->cap = cap;
	}
	v->v[v->n++] = b;
	return 0;
}

/* ---------------------------------------------------------------- block classes */

/* true if blocks of this type may hold children (as the API accepts them on append). */
static bool mdconv_kids_ok(const char *type)
{
	static const char *const none[] = { "divider", "equation", "code", "image", "video",
					    "pdf", "audio", "file", "bookmark", "embed",
					    "link_to_page", "table_row", NULL };
	size_t i;

	for (i = 0; none[i]; i++)
		if (!strcmp(type, none[i]))
			return false;
	return true;
}

/* true if an edited block can be sent in a create request. */
static bool mdconv_creatable(const cJSON *b)
{
	return json_str(b, "type") && !mdconv_block_is_anchor(b);
}

/* true if a block of a list is an anchor: mdconv_block_is_anchor(), or a table_row outside
 * a table (rendered as a placeholder line). */
static bool mdconv_is_anchor_in(const cJSON *b, bool in_table)
{
	const char *type = json_str(b, "type");

	return mdconv_block_is_anchor(b) || (!in_table && type && !strcmp(type, "table_row"));
}

/* true if a base block of this type can be updated in place into a block of the same type
 * (and, for tables, the same width: the API cannot change it). */
static bool mdconv_updatable(const cJSON *b, const cJSON *e)
{
	const char *tb = json_str(b, "type"), *te = json_str(e, "type");
	const cJSON *wb, *we;

	if (!tb || !te || strcmp(tb, te) || mdconv_block_is_anchor(b) || mdconv_block_is_anchor(e))
		return false;
	if (!strcmp(tb, "divider") || !strcmp(tb, "link_to_page") || !strcmp(tb, "tab"))
		return false;
	if (strcmp(tb, "table"))
		return true;
	wb = cJSON_GetObjectItemCaseSensitive(json_obj(b, "table"), "table_width");
	we = cJSON_GetObjectItemCaseSensitive(json_obj(e, "table"), "table_width");
	return cJSON_IsNumber(wb) && cJSON_IsNumber(we) && wb->valuedouble == we->valuedouble;
}

/* The children of a block that a request may carry (creatable ones), appended to out. */
static int mdconv_creatable_kids(const cJSON *b, struct mdconv_bvec *out)
{
	const cJSON *kids = json_arr(b, "children"), *k;
	const char *type = json_str(b, "type");
	int rc;

	if (!kids || !type || !mdconv_kids_ok(type))
		return 0;
	cJSON_ArrayForEach(k, kids) {
		if (!mdconv_creatable(k))
			continue;
		rc = mdconv_bvec_push(out, k);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---------------------------------------------------------------- request shapes */

/* Appends one text object for s[0..len) with item's link and annotations. */
static int mdconv_req_text(const cJSON *item, const char *s, size_t len, cJSON *out)
{
	cJSON *o = cJSON_CreateObject(), *t = cJSON_CreateObject(), *link;
	const char *url = json_str(json_obj(json_obj(item, "text"), "link"), "url");
	const cJSON *ann = json_obj(item, "annotations");
	char *content = mdconv_strndup(s, len);
	int rc = -ENOMEM;

	if (!o || !t || !content)
		goto out;
	rc = mdconv_jadd_str(t, "content", content);
	if (!rc && url) {
		link = cJSON_CreateObject();
		rc = !link ? -ENOMEM : mdconv_jadd(t, "link", link) ?: mdconv_jadd_str(link, "url", url);
	}
	rc = rc ?: mdconv_jadd_str(o, "type", "text");
	rc = rc ?: mdconv_jadd(o, "text", t);
	t = NULL;
	if (!rc && ann)
		rc = mdconv_jadd(o, "annotations", cJSON_Duplicate(ann, 1));
	if (!rc) {
		rc = mdconv_jpush(out, o);
		o = NULL;
	}
out:
	free(content);
	cJSON_Delete(t);
	cJSON_Delete(o);
	return rc;
}

/* Appends the request form of one rich text item: text split at MDCONV_MAX_TEXT units,
 * equation and mention without plain_text/href.  Returns 0, -EINVAL or -ENOMEM. */
static int mdconv_req_item(const cJSON *item, cJSON *out)
{
	const char *type = json_str(item, "type"), *s;
	const cJSON *ann = json_obj(item, "annotations");
	cJSON *o;
	size_t len, take;
	int rc = 0;

	if (!type)
		return -EINVAL;
	if (!strcmp(type, "text")) {
		s = json_str(json_obj(item, "text"), "content");
		if (!s)
			return -EINVAL;
		for (len = strlen(s); len > 0 && !rc; s += take, len -= take) {
			take = mdconv_utf16_prefix(s, len, MDCONV_MAX_TEXT);
			rc = mdconv_req_text(item, s, take, out);
		}
		return rc;
	}
	if (strcmp(type, "equation") && strcmp(type, "mention"))
		return -EINVAL;
	if (!json_obj(item, type))
		return -EINVAL;
	o = cJSON_CreateObject();
	rc = !o ? -ENOMEM : mdconv_jadd_str(o, "type", type);
	rc = rc ?: mdconv_jadd(o, type, cJSON_Duplicate(json_obj(item, type), 1));
	if (!rc && ann)
		rc = mdconv_jadd(o, "annotations", cJSON_Duplicate(ann, 1));
	if (rc) {
		cJSON_Delete(o);
		return rc;
	}
	return mdconv_jpush(out, o);
}

/* Adds obj[key] = request form of rich text rt (a missing rt counts as empty).
 * Returns 0, -EINVAL (malformed, or over MDCONV_MAX_RICH_TEXT objects) or -ENOMEM. */
static int mdconv_req_rt(cJSON *obj, const char *key, const cJSON *rt)
{
	cJSON *arr = cJSON_CreateArray();
	const cJSON *item;
	int rc = arr ? 0 : -ENOMEM;

	if (!rc && rt && !cJSON_IsArray(rt))
		rc = -EINVAL;
	cJSON_ArrayForEach(item, rt) {
		if (rc)
			break;
		rc = mdconv_req_item(item, arr);
	}
	if (!rc && cJSON_GetArraySize(arr) > MDCONV_MAX_RICH_TEXT)
		rc = -EINVAL;
	if (rc) {
		cJSON_Delete(arr);
		return rc;
	}
	return mdconv_jadd(obj, key, arr);
}

/* Copies v[key] (any JSON) into obj if present.  Returns 0 or -ENOMEM. */
static int mdconv_copy_key(cJSON *obj, const cJSON *v, const char *key)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(v, key);

	return x ? mdconv_jadd(obj, key, cJSON_Duplicate(x, 1)) : 0;
}

/* Fields of a text block (rich_text and the flags Markdown shows). */
static int mdconv_req_text_block(const char *type, const cJSON *v, cJSON *out)
{
	int rc = mdconv_req_rt(out, "rich_text", json_arr(v, "rich_text"));

	if (!rc && !strncmp(type, "heading_", 8))
		rc = mdconv_jadd_bool(out, "is_toggleable", json_true(v, "is_toggleable"));
	if (!rc && !strcmp(type, "to_do"))
		rc = mdconv_jadd_bool(out, "checked", json_true(v, "checked"));
	if (!rc && !strcmp(type, "callout"))
		rc = mdconv_copy_key(out, v, "icon");
	return rc;
}

/* Fields of an external media block, embed or bookmark. */
static int mdconv_req_media(const char *type, const cJSON *v, cJSON *out)
{
	const char *url;
	cJSON *ext;
	int rc = mdconv_req_rt(out, "caption", json_arr(v, "caption"));

	if (rc)
		return rc;
	if (!strcmp(type, "embed") || !strcmp(type, "bookmark"))
		return mdconv_jadd_str(out, "url", json_str(v, "url") ?: "");
	url = json_str(json_obj(v, "external"), "url");
	if (!url)
		return -EINVAL;
	ext = cJSON_CreateObject();
	rc = !ext ? -ENOMEM : mdconv_jadd(out, "external", ext) ?: mdconv_jadd_str(ext, "url", url);
	rc = rc ?: mdconv_jadd_str(out, "type", "external");
	if (!rc && !strcmp(type, "file"))
		rc = mdconv_copy_key(out, v, "name");
	return rc;
}

/* Fields of a table_row: cells as request rich texts. */
static int mdconv_req_cells(const cJSON *v, cJSON *out)
{
	const cJSON *cells = json_arr(v, "cells"), *cell;
	cJSON *arr = cJSON_CreateArray(), *holder;
	int rc;

	if (!arr || !cells) {
		cJSON_Delete(arr);
		return arr ? -EINVAL : -ENOMEM;
	}
	rc = mdconv_jadd(out, "cells", arr);
	cJSON_ArrayForEach(cell, cells) {
		if (rc)
			break;
		holder = cJSON_CreateObject();
		rc = !holder ? -ENOMEM : mdconv_req_rt(holder, "c", cell);
		if (!rc) {
			cJSON *c = cJSON_DetachItemFromObjectCaseSensitive(holder, "c");

			rc = mdconv_jpush(arr, c);
		}
		cJSON_Delete(holder);
	}
	return rc;
}

/* The request body of a block's type object: the fields Markdown expresses; create adds the
 * ones only a create request takes (table_width).  *out is a new object.  Returns 0, -EINVAL
 * (malformed or not creatable) or -ENOMEM. */
static int mdconv_req_fields(const cJSON *b, bool create, cJSON **out)
{
	const char *type = json_str(b, "type");
	const cJSON *v = type ? json_obj(b, type) : NULL;
	cJSON *o;
	int rc;

	*out = NULL;
	if (!v)
		return -EINVAL;
	o = cJSON_CreateObject();
	if (!o)
		return -ENOMEM;
	if (!strcmp(type, "paragraph") || !strncmp(type, "heading_", 8) ||
	    !strcmp(type, "bulleted_list_item") || !strcmp(type, "numbered_list_item") ||
	    !strcmp(type, "to_do") || !strcmp(type, "toggle") || !strcmp(type, "quote") ||
	    !strcmp(type, "callout"))
		rc = mdconv_req_text_block(type, v, o);
	else if (!strcmp(type, "code"))
		rc = mdconv_req_rt(o, "rich_text", json_arr(v, "rich_text")) ?:
		     mdconv_req_rt(o, "caption", json_arr(v, "caption")) ?:
		     mdconv_jadd_str(o, "language", json_str(v, "language") ?: "plain text");
	else if (!strcmp(type, "equation"))
		rc = mdconv_jadd_str(o, "expression", json_str(v, "expression") ?: "");
	else if (!strcmp(type, "image") || !strcmp(type, "video") || !strcmp(type, "pdf") ||
		 !strcmp(type, "audio") || !strcmp(type, "file") || !strcmp(type, "embed") ||
		 !strcmp(type, "bookmark"))
		rc = mdconv_req_media(type, v, o);
	else if (!strcmp(type, "table"))
		rc = (create ? mdconv_copy_key(o, v, "table_width") : 0) ?:
		     mdconv_jadd_bool(o, "has_column_header", json_true(v, "has_column_header")) ?:
		     mdconv_jadd_bool(o, "has_row_header", json_true(v, "has_row_header"));
	else if (!strcmp(type, "table_row"))
		rc = mdconv_req_cells(v, o);
	else if (!strcmp(type, "divider") || (!strcmp(type, "tab") && create))
		rc = 0; /* a tab's panes are its children */
	else if (!strcmp(type, "link_to_page") && create)
		rc = mdconv_copy_key(o, v, "type") ?: mdconv_copy_key(o, v, "page_id") ?:
		     mdconv_copy_key(o, v, "database_id");
	else
		rc = -EINVAL;
	if (rc) {
		cJSON_Delete(o);
		return rc;
	}
	*out = o;
	return 0;
}

/* ---------------------------------------------------------------- inserts */

static int mdconv_emit_run(struct mdconv_dctx *ctx, const struct mdconv_ref *parent,
			   const struct mdconv_ref *after, const cJSON *const *blk, size_t n,
			   struct mdconv_ref *last);

/* A block whose creatable children do not all fit into its create request. */
struct mdconv_follow {
	size_t index;            /* position in the request's children (= in its results) */
	struct mdconv_bvec kids; /* all creatable children (borrowed) */
	size_t from;             /* first child not sent inline */
};

/* true if none of the blocks has creatable children. */
static int mdconv_all_leaves(const struct mdconv_bvec *kids, bool *leaves)
{
	struct mdconv_bvec g = { NULL, 0, 0 };
	size_t i;
	int rc = 0;

	*leaves = true;
	for (i = 0; i < kids->n && *leaves && !rc; i++) {
		g.n = 0;
		rc = mdconv_creatable_kids(kids->v[i], &g);
		*leaves = g.n == 0;
	}
	free(g.v);
	return rc;
}

/* The create request of one block, {"object":"block","type":T,T:{...,"children":[...]}}, with
 * its children inline when they are all leaves and at most MDCONV_MAX_APPEND (a table always
 * takes its first MDCONV_MAX_APPEND rows).  f->from tells which children must follow in later
 * requests (f->kids.n if none).  *out is new.  Returns 0, -EINVAL or -ENOMEM. */
static int mdconv_req_block(const cJSON *b, struct mdconv_follow *f, cJSON **out)
{
	const char *type = json_str(b, "type");
	cJSON *o = NULL, *fields = NULL, *arr;
	bool leaves = true;
	size_t i, inl;
	int rc;

	*out = NULL;
	rc = mdconv_req_fields(b, true, &fields);
	rc = rc ?: mdconv_creatable_kids(b, &f->kids);
	rc = rc ?: mdconv_all_leaves(&f->kids, &leaves);
	if (rc)
		goto out;
	inl = !strcmp(type, "table") ? f->kids.n
	      : leaves && f->kids.n <= MDCONV_MAX_APPEND ? f->kids.n : 0;
	if (inl > MDCONV_MAX_APPEND)
		inl = MDCONV_MAX_APPEND;
	f->from = inl;
	if (inl) {
		arr = cJSON_CreateArray();
		rc = !arr ? -ENOMEM : mdconv_jadd(fields, "children", arr);
		for (i = 0; i < inl && !rc; i++) {
			struct mdconv_follow sub;
			cJSON *kid = NULL;

			memset(&sub, 0, sizeof(sub));
			rc = mdconv_req_block(f->kids.v[i], &sub, &kid) ?: mdconv_jpush(arr, kid);
			free(sub.kids.v);
		}
	}
	o = cJSON_CreateObject();
	rc = rc ?: !o ? -ENOMEM : mdconv_jadd_str(o, "object", "block");
	rc = rc ?: mdconv_jadd_str(o, "type", type);
	rc = rc ?: mdconv_jadd(o, type, fields);
	fields = NULL;
out:
	cJSON_Delete(fields);
	if (rc) {
		cJSON_Delete(o);
		return rc;
	}
	*out = o;
	return 0;
}

static void mdconv_follows_free(struct mdconv_follow *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(f[i].kids.v);
	free(f);
}

/* Emits one insert of blk[0..n) (n <= MDCONV_MAX_APPEND), then the inserts of the children
 * that did not fit, whose parent is a result of this op.  *op_index gets this op's index. */
static int mdconv_emit_chunk(struct mdconv_dctx *ctx, const struct mdconv_ref *parent,
			     const struct mdconv_ref *after, const cJSON *const *blk, size_t n,
			     size_t *op_index)
{
	struct mdconv_follow *f = calloc(n, sizeof(*f));
	cJSON *payload = cJSON_CreateObject(), *arr = cJSON_CreateArray(), *req;
	struct mdconv_op *op;
	size_t i;
	int rc;

	if (!f || !payload || !arr) {
		cJSON_Delete(arr);
		rc = -ENOMEM;
	} else {
		rc = mdconv_jadd(payload, "children", arr); /* takes arr in every case */
	}
	for (i = 0; i < n && !rc; i++) {
		f[i].index = i;
		rc = mdconv_req_block(blk[i], &f[i], &req) ?: mdconv_jpush(arr, req);
	}
	op = rc ? NULL : mdconv_ops_add(&ctx->ops, MDCONV_OP_INSERT_AFTER);
	if (!rc && !op)
		rc = -ENOMEM;
	if (!rc) {
		*op_index = ctx->ops.n - 1;
		op->payload = payload;
		payload = NULL;
		rc = mdconv_ref_copy(&op->parent, parent) ?: mdconv_ref_copy(&op->after, after);
	}
	for (i = 0; i < n && !rc; i++) {
		struct mdconv_ref p = { NULL, (int)*op_index, i }, dummy;

		if (f[i].from >= f[i].kids.n)
			continue;
		rc = mdconv_emit_run(ctx, &p, &mdconv_ref_none, f[i].kids.v + f[i].from,
				     f[i].kids.n - f[i].from, &dummy);
	}
	cJSON_Delete(payload);
	if (f)
		mdconv_follows_free(f, n);
	return rc;
}

/* Emits inserts for the run blk[0..n) (creatable blocks) under parent, the first after
 * `after`, chained in chunks of MDCONV_MAX_APPEND.  *last gets a reference to the run's last
 * block (borrowing nothing).  Returns 0, -EINVAL or -ENOMEM. */
static int mdconv_emit_run(struct mdconv_dctx *ctx, const struct mdconv_ref *parent,
			   const struct mdconv_ref *after, const cJSON *const *blk, size_t n,
			   struct mdconv_ref *last)
{
	struct mdconv_ref prev = *after;
	size_t done = 0, take, op_index = 0;
	int rc = 0;

	while (done < n && !rc) {
		take = n - done > MDCONV_MAX_APPEND ? MDCONV_MAX_APPEND : n - done;
		rc = mdconv_emit_chunk(ctx, parent, &prev, blk + done, take, &op_index);
		prev.id = NULL;
		prev.op = (int)op_index;
		prev.index = take - 1;
		done += take;
	}
	*last = prev;
	return rc;
}

/* ---------------------------------------------------------------- alignment */

static void mdconv_sib_free(struct mdconv_sib *s)
{
	size_t i;

	for (i = 0; s->sig && i < s->n; i++)
		free(s->sig[i]);
	free(s->blk);
	free(s->sig);
	free(s->siglen);
	free(s->hash);
	free(s->match);
	memset(s, 0, sizeof(*s));
}

static uint64_t mdconv_hash(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull;

	while (len--)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

/* The signature of block b of a list: mdconv_block_signature(), or the placeholder line of
 * a table_row outside a table (as render.c writes it). */
static int mdconv_sig(const cJSON *b, bool in_table, struct buf *sig)
{
	const char *id = json_str(b, "id");

	if (in_table || !mdconv_is_anchor_in(b, false) || mdconv_block_is_anchor(b))
		return mdconv_block_signature(b, sig);
	if (!id || !mdconv_id_ok(id))
		return -EINVAL;
	return buf_printf(sig, MDCONV_PH_OPEN "type=table_row id=%s" MDCONV_PH_CLOSE "\n", id);
}

/* Loads a sibling list (NULL = empty) with signatures; in_table: the list is a table's rows.
 * Returns 0, -EINVAL or -ENOMEM. */
static int mdconv_sib_load(const cJSON *arr, bool in_table, struct mdconv_sib *s)
{
	const cJSON *b;
	size_t n = arr ? (size_t)cJSON_GetArraySize(arr) : 0, i = 0;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	if (arr && !cJSON_IsArray(arr))
		return -EINVAL;
	s->blk = calloc(n + 1, sizeof(*s->blk));
	s->sig = calloc(n + 1, sizeof(*s->sig));
	s->siglen = calloc(n + 1, sizeof(*s->siglen));
	s->hash = calloc(n + 1, sizeof(*s->hash));
	s->match = calloc(n + 1, sizeof(*s->match));
	s->n = n;
	s->in_table = in_table;
	if (!s->blk || !s->sig || !s->siglen || !s->hash || !s->match)
		return -ENOMEM;
	cJSON_ArrayForEach(b, arr) {
		struct buf sig = BUF_INIT;

		rc = mdconv_sig(b, in_table, &sig);
		s->blk[i] = b;
		s->siglen[i] = sig.len;
		s->hash[i] = mdconv_hash(buf_str(&sig), sig.len);
		s->match[i] = -1;
		s->sig[i] = rc ? NULL : buf_detach(&sig, NULL);
		buf_release(&sig);
		if (!rc && !s->sig[i])
			rc = -ENOMEM;
		if (rc)
			return rc;
		i++;
	}
	return 0;
}

static bool mdconv_same(const struct mdconv_sib *a, size_t i, const struct mdconv_sib *b,
			size_t j)
{
	return a->hash[i] == b->hash[j] && a->siglen[i] == b->siglen[j] &&
	       !memcmp(a->sig[i], b->sig[j], a->siglen[i]);
}

static void mdconv_link(struct mdconv_sib *a, size_t i, struct mdconv_sib *b, size_t j)
{
	a->match[i] = (int)j;
	b->match[j] = (int)i;
}

/* LCS of a[a0..a1) and b[b0..b1) by signature, recorded in the match arrays.  Ties prefer
 * deleting from a first, so a moved block is matched where it stays longest.  Returns 0,
 * 1 if the table would be too large (nothing matched), or -ENOMEM. */
static int mdconv_lcs(struct mdconv_sib *a, size_t a0, size_t a1, struct mdconv_sib *b,
		      size_t b0, size_t b1)
{
	size_t n = a1 - a0, m = b1 - b0, w = m + 1, i, j;
	uint16_t *t;

	if (n == 0 || m == 0)
		return 0;
	if (n * m > MDCONV_LCS_CELLS) /* then min(n, m) <= 2048: uint16_t holds any LCS */
		return 1;
	t = calloc((n + 1) * w, sizeof(*t));
	if (!t)
		return -ENOMEM;
	/* t[i][j] = LCS of a[a0+i..a1) and b[b0+j..b1) */
	for (i = n; i-- > 0;)
		for (j = m; j-- > 0;)
			t[i * w + j] = mdconv_same(a, a0 + i, b, b0 + j)
					       ? (uint16_t)(t[(i + 1) * w + j + 1] + 1)
				       : t[(i + 1) * w + j] >= t[i * w + j + 1] ? t[(i + 1) * w + j]
										 : t[i * w + j + 1];
	for (i = 0, j = 0; i < n && j < m;) {
		if (mdconv_same(a, a0 + i, b, b0 + j) &&
		    t[i * w + j] == t[(i + 1) * w + j + 1] + 1) {
			mdconv_link(a, a0 + i, b, b0 + j);
			i++;
			j++;
		} else if (t[(i + 1) * w + j] >= t[i * w + j + 1]) {
			i++;
		} else {
			j++;
		}
	}
	free(t);
	return 0;
}

/* Aligns base and edited: common prefix and suffix, then LCS of the middle. */
static int mdconv_align(struct mdconv_sib *a, struct mdconv_sib *b)
{
	size_t p = 0, sa = a->n, sb = b->n;
	int rc;

	while (p < a->n && p < b->n && mdconv_same(a, p, b, p)) {
		mdconv_link(a, p, b, p);
		p++;
	}
	while (sa > p && sb > p && mdconv_same(a, sa - 1, b, sb - 1)) {
		mdconv_link(a, sa - 1, b, sb - 1);
		sa--;
		sb--;
	}
	rc = mdconv_lcs(a, p, sa, b, p, sb);
	return rc < 0 ? rc : 0;
}

/* ---------------------------------------------------------------- anchors */

static int mdconv_strcmp_p(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Collects the ids of every anchor in the edited tree.  Returns 0, -EINVAL or -ENOMEM. */
static int mdconv_collect_anchors(struct mdconv_dctx *ctx, const cJSON *arr, int depth)
{
	const cJSON *b;
	int rc;

	if (depth > MDCONV_MAX_DEPTH)
		return -EINVAL;
	cJSON_ArrayForEach(b, arr) {
		const char *id = json_str(b, "id");

		if (id && mdconv_block_is_anchor(b)) {
			if (ctx->nanchors == ctx->capanchors) {
				size_t cap = ctx->capanchors ? ctx->capanchors * 2 : 16;
				const char **v = realloc(ctx->anchors, cap * sizeof(*v));

				if (!v)
					return -ENOMEM;
				ctx->anchors = v;
				ctx->capanchors = cap;
			}
			ctx->anchors[ctx->nanchors++] = id;
		}
		if (json_arr(b, "children")) {
			rc = mdconv_collect_anchors(ctx, json_arr(b, "children"), depth + 1);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* true if base block i is an anchor whose id is still somewhere in the edited tree (it
 * stays where it is). */
static bool mdconv_anchor_kept(const struct mdconv_dctx *ctx, const struct mdconv_sib *base,
			       size_t i)
{
	const char *id = json_str(base->blk[i], "id"), *type = json_str(base->blk[i], "type");

	/* a sub-page's or a database's block is never deleted by a save: that would trash the
	 * page or the database, which only `rm` of its file (counted by the safety valve) does */
	if (id && type && (!strcmp(type, "child_page") || !strcmp(type, "child_database")))
		return true;
	return id && mdconv_is_anchor_in(base->blk[i], base->in_table) && ctx->nanchors &&
	       bsearch(&id, ctx->anchors, ctx->nanchors, sizeof(*ctx->anchors),
		       mdconv_strcmp_p);
}

/* ---------------------------------------------------------------- list diff */

/* The plan of one sibling list: steps in edited order (KEEP / NEW) and the base blocks to
 * delete.  Arrays sized for the worst case. */
struct mdconv_plan {
	struct mdconv_step *steps;
	size_t nsteps;
	int *del;
	size_t ndel;
};

/* Plans the gap base[b0..b1) / edited[e0..e1): in-order pairing of updatable blocks, the rest
 * deleted (base) or created (edited; anchors without a match are ignored). */
static void mdconv_plan_gap(const struct mdconv_dctx *ctx, const struct mdconv_sib *base,
			    size_t b0, size_t b1, const struct mdconv_sib *ed, size_t e0,
			    size_t e1, struct mdconv_plan *pl)
{
	size_t cur = b0, j, k, i;

	for (j = e0; j < e1; j++) {
		int paired = -1;

		for (k = cur; k < b1 && paired < 0; k++)
			if (!ctx->no_update && !mdconv_is_anchor_in(base->blk[k], base->in_table) &&
			    mdconv_updatable(base->blk[k], ed->blk[j]))
				paired = (int)k;
		if (paired >= 0) {
			for (i = cur; i < (size_t)paired; i++)
				if (!mdconv_anchor_kept(ctx, base, i))
					pl->del[pl->ndel++] = (int)i;
			cur = (size_t)paired + 1;
		} else if (!mdconv_creatable(ed->blk[j])) {
			continue;
		}
		pl->steps[pl->nsteps].b = paired;
		pl->steps[pl->nsteps++].e = (int)j;
	}
	for (i = cur; i < b1; i++)
		if (!mdconv_anchor_kept(ctx, base, i))
			pl->del[pl->ndel++] = (int)i;
}

/* Builds the plan of an aligned list. */
static void mdconv_plan_list(const struct mdconv_dctx *ctx, const struct mdconv_sib *base,
			     const struct mdconv_sib *ed, struct mdconv_plan *pl)
{
	size_t i = 0, j = 0, i2, j2;

	while (i < base->n || j < ed->n) {
		for (i2 = i; i2 < base->n && base->match[i2] < 0; i2++)
			;
		j2 = i2 < base->n ? (size_t)base->match[i2] : ed->n;
		mdconv_plan_gap(ctx, base, i, i2, ed, j, j2, pl);
		if (i2 >= base->n)
			break;
		pl->steps[pl->nsteps].b = (int)i2;
		pl->steps[pl->nsteps++].e = (int)j2;
		i = i2 + 1;
		j = j2 + 1;
	}
}

/* Where a run that starts the list goes.  Normally after the base block just before the
 * first kept one (that block is deleted or is an anchor left in place, so the order comes out
 * right).  When the first base block is kept, at the start of the parent (MDCONV_REF_START,
 * position "start"): the block keeps its id, whatever its kind.  "none" only when the base
 * list is empty (plain append). */
static void mdconv_start_anchor(const struct mdconv_sib *base, const struct mdconv_plan *pl,
				struct mdconv_ref *after)
{
	size_t k;

	*after = mdconv_ref_none;
	for (k = 0; k < pl->nsteps && pl->steps[k].b < 0; k++)
		;
	if (k == 0)
		return; /* no run at the start */
	if (k == pl->nsteps) { /* nothing kept: after the last base block, if any */
		if (base->n)
			*after = mdconv_ref_id(json_str(base->blk[base->n - 1], "id"));
		return;
	}
	if (pl->steps[k].b > 0) {
		*after = mdconv_ref_id(json_str(base->blk[pl->steps[k].b - 1], "id"));
		return;
	}
	*after = mdconv_ref_start;
}

static int mdconv_diff_list(struct mdconv_dctx *ctx, const struct mdconv_ref *parent,
			    const cJSON *barr, const cJSON *earr, bool in_table, int depth);

/* UPDATE base block b to the content of e (if their signatures differ), then the children. */
static int mdconv_keep(struct mdconv_dctx *ctx, const struct mdconv_sib *base, int bi,
		       const struct mdconv_sib *ed, int ei, int depth)
{
	const cJSON *b = base->blk[bi], *e = ed->blk[ei];
	const char *id = json_str(b, "id"), *type = json_str(b, "type");
	struct mdconv_ref self = mdconv_ref_id(id);
	struct mdconv_op *op;
	cJSON *fields = NULL, *payload;
	int rc;

	if (mdconv_is_container(b) && id) /* never updated; its children are the file's */
		return mdconv_diff_list(ctx, &self, json_arr(b, "children"),
					json_arr(e, "children"), false, depth + 1);
	if (mdconv_is_anchor_in(b, base->in_table))
		return 0;
	if (!id && (!mdconv_same(base, (size_t)bi, ed, (size_t)ei) ||
		    cJSON_GetArraySize(json_arr(b, "children")) ||
		    cJSON_GetArraySize(json_arr(e, "children"))))
		return -EINVAL; /* base blocks come from the API, with ids */
	if (!mdconv_same(base, (size_t)bi, ed, (size_t)ei)) {
		rc = mdconv_req_fields(e, false, &fields);
		payload = rc ? NULL : cJSON_CreateObject();
		if (!rc && (!payload || mdconv_jadd(payload, type, fields))) {
			if (!payload)
				cJSON_Delete(fields);
			cJSON_Delete(payload);
			return -ENOMEM;
		}
		if (rc)
			return rc;
		op = mdconv_ops_add(&ctx->ops, MDCONV_OP_UPDATE);
		if (!op || !(op->block_id = strdup(id))) {
			cJSON_Delete(payload);
			return -ENOMEM;
		}
		op->payload = payload;
	}
	if (!mdconv_kids_ok(type))
		return 0;
	return mdconv_diff_list(ctx, &self, json_arr(b, "children"), json_arr(e, "children"),
				!strcmp(type, "table"), depth + 1);
}

/* Emits the ops of a planned list: runs of NEW steps as inserts, KEEP steps as updates (and
 * their children), then the deletes. */
static int mdconv_emit_plan(struct mdconv_dctx *ctx, const struct mdconv_ref *parent,
			    const struct mdconv_sib *base, const struct mdconv_sib *ed,
			    struct mdconv_plan *pl, int depth)
{
	struct mdconv_bvec run = { NULL, 0, 0 };
	struct mdconv_ref after, last;
	struct mdconv_op *op;
	size_t k;
	int rc = 0;

	mdconv_start_anchor(base, pl, &after);
	for (k = 0; k <= pl->nsteps && !rc; k++) {
		const struct mdconv_step *s = k < pl->nsteps ? &pl->steps[k] : NULL;

		if (s && s->b < 0) {
			rc = mdconv_bvec_push(&run, ed->blk[s->e]);
			continue;
		}
		if (run.n) {
			rc = mdconv_emit_run(ctx, parent, &after, run.v, run.n, &last);
			after = last;
			run.n = 0;
		}
		if (s && !rc) {
			rc = mdconv_keep(ctx, base, s->b, ed, s->e, depth);
			after = mdconv_ref_id(json_str(base->blk[s->b], "id"));
		}
	}
	for (k = 0; k < pl->ndel && !rc; k++) {
		const char *id = json_str(base->blk[pl->del[k]], "id");

		op = id ? mdconv_ops_add(&ctx->ops, MDCONV_OP_DELETE) : NULL;
		rc = !id ? -EINVAL : !op || !(op->block_id = strdup(id)) ? -ENOMEM : 0;
	}
	free(run.v);
	return rc;
}

/* Diffs one sibling list (either may be NULL = empty) under parent; in_table: the parent is a
 * table. */
static int mdconv_diff_list(struct mdconv_dctx *ctx, const struct mdconv_ref *parent,
			    const cJSON *barr, const cJSON *earr, bool in_table, int depth)
{
	struct mdconv_sib base, ed;
	struct mdconv_plan pl = { NULL, 0, NULL, 0 };
	int rc;

	if (depth > MDCONV_MAX_DEPTH)
		return -EINVAL;
	if (!cJSON_GetArraySize(barr) && !cJSON_GetArraySize(earr))
		return 0;
	memset(&base, 0, sizeof(base));
	memset(&ed, 0, sizeof(ed));
	rc = mdconv_sib_load(barr, in_table, &base);
	rc = rc ?: mdconv_sib_load(earr, in_table, &ed);
	rc = rc ?: mdconv_align(&base, &ed);
	if (!rc) {
		pl.steps = calloc(ed.n + 1, sizeof(*pl.steps));
		pl.del = calloc(base.n + 1, sizeof(*pl.del));
		rc = pl.steps && pl.del ? 0 : -ENOMEM;
	}
	if (!rc) {
		mdconv_plan_list(ctx, &base, &ed, &pl);
		rc = mdconv_emit_plan(ctx, parent, &base, &ed, &pl, depth);
	}
	free(pl.steps);
	free(pl.del);
	mdconv_sib_free(&base);
	mdconv_sib_free(&ed);
	return rc;
}

/* Moves every op of src to the end of dst.  Returns 0 or -ENOMEM (src unchanged then). */
static int mdconv_ops_move(struct mdconv_ops *dst, struct mdconv_ops *src)
{
	size_t need = dst->n + src->n;

	if (need > dst->cap) {
		struct mdconv_op *v = realloc(dst->v, need * sizeof(*v));

		if (!v)
			return -ENOMEM;
		dst->v = v;
		dst->cap = need;
	}
	if (src->n)
		memcpy(dst->v + dst->n, src->v, src->n * sizeof(*src->v));
	/* op references are relative to the diff's own list: shift them */
	for (size_t i = dst->n; i < need; i++) {
		if (dst->v[i].parent.op >= 0)
			dst->v[i].parent.op += (int)dst->n;
		if (dst->v[i].after.op >= 0)
			dst->v[i].after.op += (int)dst->n;
	}
	dst->n = need;
	free(src->v);
	src->v = NULL;
	src->n = src->cap = 0;
	return 0;
}

static int mdconv_diff_mode(const cJSON *base, const cJSON *edited, struct mdconv_ops *ops_out,
			    bool no_update);

int mdconv_diff(const cJSON *base, const cJSON *edited, struct mdconv_ops *ops_out)
{
	return mdconv_diff_mode(base, edited, ops_out, false);
}

int mdconv_diff_no_update(const cJSON *base, const cJSON *edited, struct mdconv_ops *ops_out)
{
	return mdconv_diff_mode(base, edited, ops_out, true);
}

static int mdconv_diff_mode(const cJSON *base, const cJSON *edited, struct mdconv_ops *ops_out,
			    bool no_update)
{
	struct mdconv_dctx ctx;
	cJSON *clean = NULL;
	int rc;

	if (!cJSON_IsArray(base) || !cJSON_IsArray(edited) || !ops_out)
		return -EINVAL;
	/* The file showed base's invalid UTF-8 as U+FFFD (mdconv_render): diff against the
	 * same sanitised text so an untouched block stays untouched. */
	rc = utf8_json_sanitized(base, &clean);
	if (rc)
		return rc;
	if (clean)
		base = clean;
	memset(&ctx, 0, sizeof(ctx));
	ctx.no_update = no_update;
	rc = mdconv_collect_anchors(&ctx, edited, 0);
	if (!rc && ctx.nanchors)
		qsort(ctx.anchors, ctx.nanchors, sizeof(*ctx.anchors), mdconv_strcmp_p);
	rc = rc ?: mdconv_diff_list(&ctx, &mdconv_ref_none, base, edited, false, 0);
	rc = rc ?: mdconv_ops_move(ops_out, &ctx.ops);
	mdconv_ops_release(&ctx.ops);
	free(ctx.anchors);
	cJSON_Delete(clean);
	return rc;
}

void mdconv_ops_release(struct mdconv_ops *ops)
{
	size_t i;

	for (i = 0; i < ops->n; i++) {
		free(ops->v[i].block_id);
		free(ops->v[i].parent.id);
		free(ops->v[i].after.id);
		cJSON_Delete(ops->v[i].payload);
	}
	free(ops->v);
	ops->v = NULL;
	ops->n = ops->cap = 0;
}

const char *mdconv_op_kind_name(enum mdconv_op_kind kind)
{
	switch (kind) {
	case MDCONV_OP_UPDATE:
		return "update";
	case MDCONV_OP_INSERT_AFTER:
		return "insert_after";
	case MDCONV_OP_DELETE:
		return "delete";
	}
	return "?";
}
