/* blockops.c - block operations on a stored body; contract in blockops.h.
 *
 * Owns the cJSON trees it builds while applying; all are freed (or handed
 * to the caller as strings) before a function returns.
 */
#include "sync/blockops.h"
#include "common/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bo_ctx {
	cJSON *root;         /* the body being changed */
	cJSON *created;      /* per op: null or the array of created nodes */
	const char *prefix;
	unsigned long next;  /* local id counter */
};

/* The block with id anywhere in arr, and the array holding it. */
static cJSON *bo_find(cJSON *arr, const char *id, cJSON **holder)
{
	cJSON *b, *hit;

	cJSON_ArrayForEach(b, arr) {
		if (!strcmp(json_str_or(b, "id", ""), id)) {
			if (holder)
				*holder = arr;
			return b;
		}
		hit = bo_find(cJSON_GetObjectItemCaseSensitive(b, "children"), id, holder);
		if (hit)
			return hit;
	}
	return NULL;
}

/* The id a reference names: {"id": X} or {"op": N, "index": I} (a block an
 * earlier op created); "" for null; NULL when it names nothing (also for
 * {"start": true}, which names a position: bo_is_start()). */
static const char *bo_ref(struct bo_ctx *x, const cJSON *ref)
{
	const cJSON *op, *ix, *nodes;

	if (!ref || cJSON_IsNull(ref))
		return "";
	if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(ref, "id")))
		return json_str_or(ref, "id", "");
	op = cJSON_GetObjectItemCaseSensitive(ref, "op");
	ix = cJSON_GetObjectItemCaseSensitive(ref, "index");
	if (!cJSON_IsNumber(op))
		return NULL;
	nodes = cJSON_GetArrayItem(x->created, op->valueint);
	nodes = cJSON_GetArrayItem(nodes, cJSON_IsNumber(ix) ? ix->valueint : 0);
	return nodes ? json_str_or(nodes, "id", "") : NULL;
}

/* 1 if an `after` reference is {"start": true}: before the parent's first
 * child. */
static int bo_is_start(const cJSON *ref)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ref, "start"));
}

/* The type name of a request-shaped block. */
static const char *bo_type(const cJSON *req)
{
	const cJSON *k;

	if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(req, "type")))
		return json_str_or(req, "type", "");
	cJSON_ArrayForEach(k, req)
		if (cJSON_IsObject(k) && strcmp(k->string, "children"))
			return k->string;
	return NULL;
}

/* A request-shaped block (children inside the type object) as a stored
 * block with a fresh local id; *node gets {"id": L, "children": [...]}. */
static cJSON *bo_block(struct bo_ctx *x, const cJSON *req, cJSON **node)
{
	const char *type = bo_type(req);
	const cJSON *kids, *k;
	cJSON *b, *content, *arr = NULL, *narr = NULL, *n;
	char id[160];

	*node = NULL;
	if (!type)
		return NULL;
	snprintf(id, sizeof(id), QUEUE_LOCAL_BLOCK_PREFIX "%s-%lu", x->prefix, ++x->next);
	b = cJSON_CreateObject();
	n = cJSON_CreateObject();
	content = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(req, type), 1);
	if (!b || !n || !content)
		goto fail;
	kids = cJSON_GetObjectItemCaseSensitive(content, "children");
	if (!kids)
		kids = cJSON_GetObjectItemCaseSensitive(req, "children");
	cJSON_AddStringToObject(b, "object", "block");
	cJSON_AddStringToObject(b, "id", id);
	cJSON_AddStringToObject(b, "type", type);
	cJSON_AddStringToObject(n, "id", id);
	if (cJSON_GetArraySize(kids) > 0) {
		arr = cJSON_CreateArray();
		narr = cJSON_CreateArray();
		if (!arr || !narr)
			goto fail;
		cJSON_ArrayForEach(k, kids) {
			cJSON *cn, *cb = bo_block(x, k, &cn);

			if (!cb)
				goto fail;
			cJSON_AddItemToArray(arr, cb);
			cJSON_AddItemToArray(narr, cn);
		}
	}
	cJSON_DeleteItemFromObjectCaseSensitive(content, "children");
	cJSON_AddItemToObject(b, type, content);
	content = NULL;
	cJSON_AddBoolToObject(b, "has_children", arr != NULL);
	if (arr) {
		cJSON_AddItemToObject(b, "children", arr);
		cJSON_AddItemToObject(n, "children", narr);
	}
	*node = n;
	return b;
fail:
	cJSON_Delete(arr);
	cJSON_Delete(narr);
	cJSON_Delete(content);
	cJSON_Delete(b);
	cJSON_Delete(n);
	return NULL;
}

/* Merges an update's payload into block b. */
static int bo_update_one(cJSON *b, const cJSON *payload)
{
	const cJSON *f;
	cJSON *content;
	const char *type;

	type = json_str_or(b, "type", "");
	content = cJSON_GetObjectItemCaseSensitive(b, type);
	f = cJSON_GetObjectItemCaseSensitive(payload, type);
	if (!cJSON_IsObject(content) || !cJSON_IsObject(f))
		return -EINVAL;
	/* no longer the version Notion stamped: the pusher compares it as a
	 * request (push.c, push_base_same) */
	cJSON_DeleteItemFromObjectCaseSensitive(b, "last_edited_time");
	for (f = f->child; f; f = f->next) {
		cJSON *v = cJSON_Duplicate(f, 1);

		if (!v)
			return -ENOMEM;
		if (cJSON_GetObjectItemCaseSensitive(content, f->string))
			cJSON_ReplaceItemInObjectCaseSensitive(content, f->string, v);
		else
			cJSON_AddItemToObject(content, f->string, v);
	}
	return 0;
}

/* Updates every block of arr (and below) with this id; *n counts them. */
static int bo_update_all(cJSON *arr, const char *id, const cJSON *payload, int *n)
{
	cJSON *b;
	int rc;

	cJSON_ArrayForEach(b, arr) {
		if (!strcmp(json_str_or(b, "id", ""), id)) {
			rc = bo_update_one(b, payload);
			if (rc)
				return rc;
			(*n)++;
		}
		rc = bo_update_all(cJSON_GetObjectItemCaseSensitive(b, "children"), id, payload, n);
		if (rc)
			return rc;
	}
	return 0;
}

/* An update changes every copy of the block: a synced original and a reference to it on
 * one page show the same children (one block of Notion). */
static int bo_update(struct bo_ctx *x, const cJSON *op)
{
	int n = 0, rc = bo_update_all(x->root, json_str_or(op, "block", ""),
				      cJSON_GetObjectItemCaseSensitive(op, "payload"), &n);

	return rc ? rc : n ? 0 : -EINVAL;
}

static int bo_delete(struct bo_ctx *x, const cJSON *op)
{
	cJSON *holder = NULL, *b = bo_find(x->root, json_str_or(op, "block", ""), &holder);

	if (b)
		cJSON_Delete(cJSON_DetachItemViaPointer(holder, b));
	return 0; /* already gone: the goal is reached */
}

/* The children array of parent id ("" = the page), created if needed. */
static cJSON *bo_children_of(struct bo_ctx *x, const char *parent)
{
	cJSON *p, *kids;

	if (!parent[0])
		return x->root;
	p = bo_find(x->root, parent, NULL);
	if (!p)
		return NULL;
	kids = cJSON_GetObjectItemCaseSensitive(p, "children");
	if (!kids) {
		kids = cJSON_AddArrayToObject(p, "children");
		if (cJSON_GetObjectItemCaseSensitive(p, "has_children"))
			cJSON_ReplaceItemInObjectCaseSensitive(p, "has_children", cJSON_CreateTrue());
		else
			cJSON_AddBoolToObject(p, "has_children", 1);
	}
	return kids;
}

/* Links item into arr right after `after` (which must be in arr; NULL:
 * at the end, or at the start when first).  cJSON's own insert (1.7.15)
 * refuses some positions, so this keeps its list invariants itself:
 * child->prev is the last item. */
static void bo_link_after(cJSON *arr, cJSON *after, cJSON *item, int first)
{
	if (!after && first && arr->child) {
		item->next = arr->child;
		item->prev = arr->child->prev;
		arr->child->prev = item;
		arr->child = item;
		return;
	}
	if (!after || !after->next) {
		cJSON_AddItemToArray(arr, item);
		return;
	}
	item->next = after->next;
	item->prev = after;
	after->next->prev = item;
	after->next = item;
}

static int bo_insert(struct bo_ctx *x, const cJSON *op, cJSON *nodes)
{
	const cJSON *payload = cJSON_GetObjectItemCaseSensitive(op, "payload"), *c;
	const char *parent = bo_ref(x, cJSON_GetObjectItemCaseSensitive(op, "parent"));
	const cJSON *aref = cJSON_GetObjectItemCaseSensitive(op, "after");
	int start = bo_is_start(aref);
	const char *after = start ? "" : bo_ref(x, aref);
	cJSON *kids, *at = NULL;

	if (!parent || !after)
		return -EINVAL;
	kids = bo_children_of(x, parent);
	if (!kids)
		return -EINVAL;
	if (after[0]) {
		for (at = kids->child; at && strcmp(json_str_or(at, "id", ""), after); at = at->next)
			;
		if (!at)
			return -EINVAL;
	}
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(payload, "children")) {
		cJSON *node, *nb = bo_block(x, c, &node);

		if (!nb)
			return -EINVAL;
		bo_link_after(kids, at, nb, start);
		at = nb;
		cJSON_AddItemToArray(nodes, node);
	}
	return 0;
}

int blockops_apply(const char *base_body, const char *ops, const char *prefix, char **result,
		   char **local_ids)
{
	struct bo_ctx x = { .prefix = prefix ? prefix : "" };
	cJSON *list = ops ? cJSON_Parse(ops) : cJSON_CreateArray();
	const cJSON *op;
	int rc = 0;

	*result = *local_ids = NULL;
	x.root = base_body ? cJSON_Parse(base_body) : cJSON_CreateArray();
	x.created = cJSON_CreateArray();
	if (!cJSON_IsArray(list) || !cJSON_IsArray(x.root) || !x.created) {
		rc = x.created ? -EINVAL : -ENOMEM;
		goto out;
	}
	cJSON_ArrayForEach(op, list) {
		const char *kind = json_str_or(op, "op", "");
		cJSON *nodes = NULL;

		if (!strcmp(kind, "update")) {
			rc = bo_update(&x, op);
		} else if (!strcmp(kind, "delete")) {
			rc = bo_delete(&x, op);
		} else if (!strcmp(kind, "insert_after")) {
			nodes = cJSON_CreateArray();
			rc = nodes ? bo_insert(&x, op, nodes) : -ENOMEM;
		} else {
			rc = -EINVAL;
		}
		cJSON_AddItemToArray(x.created, nodes ? nodes : cJSON_CreateNull());
		if (rc)
			goto out;
	}
	*result = cJSON_PrintUnformatted(x.root);
	*local_ids = cJSON_PrintUnformatted(x.created);
	if (!*result || !*local_ids) {
		free(*result);
		free(*local_ids);
		*result = *local_ids = NULL;
		rc = -ENOMEM;
	}
out:
	cJSON_Delete(list);
	cJSON_Delete(x.root);
	cJSON_Delete(x.created);
	return rc;
}

int blockops_rewrite_ids(cJSON *tree, const cJSON *map)
{
	cJSON *it;
	int n = 0;

	if (!tree)
		return 0;
	if (cJSON_IsString(tree) && queue_is_local_block_id(tree->valuestring)) {
		const char *real = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(map, tree->valuestring));

		if (real && cJSON_SetValuestring(tree, real))
			return 1;
		return 0;
	}
	for (it = tree->child; it; it = it->next)
		n += blockops_rewrite_ids(it, map);
	return n;
}

/* Maps nested created nodes by position under their real parent in tree. */
static int bo_map_kids(const cJSON *nodes, const cJSON *real_kids, cJSON *map)
{
	const cJSON *n, *r;
	int rc;

	for (n = nodes ? nodes->child : NULL, r = real_kids ? real_kids->child : NULL; n && r;
	     n = n->next, r = r->next) {
		const char *rid = json_str_or(r, "id", "");

		if (!rid[0])
			break;
		if (!cJSON_AddStringToObject(map, json_str_or(n, "id", ""), rid))
			return -ENOMEM;
		rc = bo_map_kids(cJSON_GetObjectItemCaseSensitive(n, "children"),
				 cJSON_GetObjectItemCaseSensitive(r, "children"), map);
		if (rc)
			return rc;
	}
	return 0;
}

int blockops_map_created(const cJSON *nodes, const cJSON *ids, const cJSON *tree, cJSON *map)
{
	const cJSON *n, *i;
	int rc;

	for (n = nodes ? nodes->child : NULL, i = ids ? ids->child : NULL; n && i;
	     n = n->next, i = i->next) {
		const cJSON *kids = cJSON_GetObjectItemCaseSensitive(n, "children");
		cJSON *real;

		if (!cJSON_IsString(i))
			continue;
		if (!cJSON_AddStringToObject(map, json_str_or(n, "id", ""), i->valuestring))
			return -ENOMEM;
		if (!kids || !tree)
			continue;
		real = bo_find((cJSON *)tree, i->valuestring, NULL);
		if (!real)
			continue;
		rc = bo_map_kids(kids, cJSON_GetObjectItemCaseSensitive(real, "children"), map);
		if (rc)
			return rc;
	}
	return 0;
}
