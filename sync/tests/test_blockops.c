/* test_blockops.c - unit tests of sync/blockops.c: applying the queue's
 * block operations to a stored body, local ids and their rewriting. */
#include <stdlib.h>
#include <errno.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sync/blockops.h"
#include "common/check.h"

#define P(id, text) \
	"{\"object\":\"block\",\"id\":\"" id "\",\"type\":\"paragraph\",\"has_children\":false," \
	"\"paragraph\":{\"rich_text\":[{\"type\":\"text\",\"text\":{\"content\":\"" text "\"}," \
	"\"plain_text\":\"" text "\"}]}}"
#define REQ(text) \
	"{\"object\":\"block\",\"type\":\"paragraph\",\"paragraph\":{\"rich_text\":" \
	"[{\"type\":\"text\",\"text\":{\"content\":\"" text "\"}}]}}"

/* The plain text of the n-th top-level block of a body (static buffer). */
static const char *text_at(const cJSON *body, int n)
{
	const cJSON *b = cJSON_GetArrayItem(body, n);
	const cJSON *rt = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(b, "paragraph"), "rich_text");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(rt, 0), "text");

	return b ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "content")) : NULL;
}

static const char *id_at(const cJSON *body, int n)
{
	return cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(body, n), "id"));
}

static void test_update_delete_insert(void)
{
	const char *base = "[" P("a", "one") "," P("b", "two") "," P("c", "three") "]";
	const char *ops =
		"[{\"op\":\"update\",\"block\":\"a\",\"payload\":{\"paragraph\":{\"rich_text\":"
		"[{\"type\":\"text\",\"text\":{\"content\":\"ONE\"}}]}}},"
		"{\"op\":\"insert_after\",\"parent\":null,\"after\":{\"id\":\"b\"},"
		"\"payload\":{\"children\":[" REQ("new1") "," REQ("new2") "]}},"
		"{\"op\":\"delete\",\"block\":\"c\"}]";
	char *res = NULL, *ids = NULL;
	cJSON *r, *l;

	CHECK(blockops_apply(base, ops, "t1", &res, &ids) == 0);
	r = cJSON_Parse(res);
	l = cJSON_Parse(ids);
	CHECK(cJSON_GetArraySize(r) == 4);
	CHECK(text_at(r, 0) && !strcmp(text_at(r, 0), "ONE"));
	CHECK(!strcmp(id_at(r, 0), "a"));
	CHECK(!strcmp(text_at(r, 1), "two"));
	CHECK(!strcmp(text_at(r, 2), "new1"));
	CHECK(!strcmp(text_at(r, 3), "new2"));
	CHECK(queue_is_local_block_id(id_at(r, 2)) && queue_is_local_block_id(id_at(r, 3)));
	CHECK(strcmp(id_at(r, 2), id_at(r, 3)) != 0);
	/* local ids per op: null, [2 nodes], null */
	CHECK(cJSON_IsNull(cJSON_GetArrayItem(l, 0)) && cJSON_IsNull(cJSON_GetArrayItem(l, 2)));
	CHECK(cJSON_GetArraySize(cJSON_GetArrayItem(l, 1)) == 2);
	cJSON_Delete(r);
	cJSON_Delete(l);
	free(res);
	free(ids);
}

/* An append without `after` goes to the end (as the push sends it), nested
 * children get local ids, a later op may name an earlier op's block. */
static void test_append_nested_and_refs(void)
{
	const char *base = "[" P("a", "one") "]";
	const char *ops =
		"[{\"op\":\"insert_after\",\"parent\":null,\"after\":null,\"payload\":{\"children\":["
		"{\"object\":\"block\",\"type\":\"toggle\",\"toggle\":{\"rich_text\":[],\"children\":["
		REQ("kid") "]}}]}},"
		"{\"op\":\"insert_after\",\"parent\":null,\"after\":{\"op\":0,\"index\":0},"
		"\"payload\":{\"children\":[" REQ("after toggle") "]}}]";
	char *res = NULL, *ids = NULL;
	cJSON *r, *l, *toggle, *kid, *map, *tree, *ids_t;

	CHECK(blockops_apply(base, ops, "t2", &res, &ids) == 0);
	r = cJSON_Parse(res);
	l = cJSON_Parse(ids);
	CHECK(cJSON_GetArraySize(r) == 3);
	toggle = cJSON_GetArrayItem(r, 1);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(toggle, "has_children")));
	kid = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(toggle, "children"), 0);
	CHECK(kid && queue_is_local_block_id(cJSON_GetStringValue(
		     cJSON_GetObjectItemCaseSensitive(kid, "id"))));
	CHECK(!cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(toggle, "toggle"), "children"));
	CHECK(!strcmp(text_at(r, 2), "after toggle"));

	/* Notion answered id T for the toggle; its child is K in the body */
	map = cJSON_CreateObject();
	tree = cJSON_Parse("[{\"id\":\"a\"},{\"id\":\"T\",\"children\":[{\"id\":\"K\"}]}]");
	ids_t = cJSON_Parse("[\"T\"]");
	CHECK(blockops_map_created(cJSON_GetArrayItem(l, 0), ids_t, tree, map) == 0);
	cJSON_Delete(ids_t);
	CHECK(cJSON_GetArraySize(map) == 2);
	CHECK(blockops_rewrite_ids(r, map) == 2);
	CHECK(!strcmp(id_at(r, 1), "T"));
	CHECK(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(kid, "id")), "K"));
	cJSON_Delete(tree);
	cJSON_Delete(map);
	cJSON_Delete(r);
	cJSON_Delete(l);
	free(res);
	free(ids);
}

/* An append at the start ({"start": true}, position "start") goes before the first child;
 * a follow-up chained after its last block comes next; into an empty list it is the list. */
static void test_insert_at_start(void)
{
	const char *base = "[" P("a", "one") "," P("b", "two") "]";
	const char *ops =
		"[{\"op\":\"insert_after\",\"parent\":null,\"after\":{\"start\":true},"
		"\"payload\":{\"children\":[" REQ("new1") "," REQ("new2") "]}},"
		"{\"op\":\"insert_after\",\"parent\":null,\"after\":{\"op\":0,\"index\":1},"
		"\"payload\":{\"children\":[" REQ("new3") "]}}]";
	const char *into_empty =
		"[{\"op\":\"insert_after\",\"parent\":null,\"after\":{\"start\":true},"
		"\"payload\":{\"children\":[" REQ("only") "]}}]";
	char *res = NULL, *ids = NULL;
	cJSON *r;

	CHECK(blockops_apply(base, ops, "t5", &res, &ids) == 0);
	r = cJSON_Parse(res);
	CHECKF(cJSON_GetArraySize(r) == 5, "%s", res ? res : "(null)");
	CHECK(text_at(r, 0) && !strcmp(text_at(r, 0), "new1"));
	CHECK(text_at(r, 1) && !strcmp(text_at(r, 1), "new2"));
	CHECK(text_at(r, 2) && !strcmp(text_at(r, 2), "new3"));
	CHECK(id_at(r, 3) && !strcmp(id_at(r, 3), "a") && id_at(r, 4) && !strcmp(id_at(r, 4), "b"));
	/* the list's links hold: the last item is still child->prev */
	CHECK(r && r->child && r->child->prev && !strcmp(id_at(r, 4), cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(r->child->prev, "id"))));
	cJSON_Delete(r);
	free(res);
	free(ids);
	CHECK(blockops_apply("[]", into_empty, "t6", &res, &ids) == 0);
	r = cJSON_Parse(res);
	CHECK(cJSON_GetArraySize(r) == 1 && text_at(r, 0) && !strcmp(text_at(r, 0), "only"));
	cJSON_Delete(r);
	free(res);
	free(ids);
}

static void test_errors(void)
{
	char *res = NULL, *ids = NULL;

	CHECK(blockops_apply("[" P("a", "x") "]",
			     "[{\"op\":\"update\",\"block\":\"nope\",\"payload\":{\"paragraph\":{}}}]",
			     "e", &res, &ids) == -EINVAL);
	CHECK(res == NULL && ids == NULL);
	CHECK(blockops_apply("not json", "[]", "e", &res, &ids) == -EINVAL);
	/* a delete of a block already gone is no error */
	CHECK(blockops_apply("[" P("a", "x") "]", "[{\"op\":\"delete\",\"block\":\"zz\"}]", "e",
			     &res, &ids) == 0);
	free(res);
	free(ids);
	/* no ops: the base unchanged */
	CHECK(blockops_apply("[" P("a", "x") "]", NULL, "e", &res, &ids) == 0);
	CHECK(res && strstr(res, "\"a\""));
	free(res);
	free(ids);
}

/* A synced original and a reference to it on one page show the same child
 * (one block of Notion): an update of it changes both copies. */
static void test_update_synced_copies(void)
{
	const char *base =
		"[{\"object\":\"block\",\"id\":\"o\",\"type\":\"synced_block\",\"has_children\":true,"
		"\"synced_block\":{\"synced_from\":null},\"children\":[" P("s", "shared") "]},"
		"{\"object\":\"block\",\"id\":\"r\",\"type\":\"synced_block\",\"has_children\":true,"
		"\"synced_block\":{\"synced_from\":{\"type\":\"block_id\",\"block_id\":\"o\"}},"
		"\"children\":[" P("s", "shared") "]}]";
	const char *ops =
		"[{\"op\":\"update\",\"block\":\"s\",\"payload\":{\"paragraph\":{\"rich_text\":"
		"[{\"type\":\"text\",\"text\":{\"content\":\"EDITED\"}}]}}}]";
	char *res = NULL, *ids = NULL;
	cJSON *r;
	int i;

	CHECK(blockops_apply(base, ops, "t4", &res, &ids) == 0);
	r = cJSON_Parse(res);
	for (i = 0; i < 2; i++) {
		const char *t = text_at(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(r, i),
									 "children"), 0);

		CHECKF(t && !strcmp(t, "EDITED"), "copy %d: %s", i, t ? t : "(none)");
	}
	cJSON_Delete(r);
	free(res);
	free(ids);
}

int main(void)
{
	test_update_delete_insert();
	test_append_nested_and_refs();
	test_insert_at_start();
	test_errors();
	test_update_synced_copies();
	return check_done();
}
