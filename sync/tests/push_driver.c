/* push_driver.c - a command-line driver of the write queue and the push
 * engine for tests/push/test_push.py (against the local emulator).
 *
 *   push_driver pull DIR                 full pull + every body
 *   push_driver enqueue DIR FILE.json    queue one save (base from the cache)
 *   push_driver push DIR [--confirm-deletes] [--loops N]
 *                                        push_all (again on -EAGAIN, N times)
 *   push_driver dump DIR                 queue, conflicts, counts as JSON
 *
 * FILE.json: {"kind": "update"|"create"|"archive", "page_id", "database_id"
 * (create), "props": {"properties": {...}}, "ops": [...] (update: the
 * queue's ops form, create: blocks), "saved_at_ms", "text"}.
 * Environment: NOTIONFS_API_URL, NOTION_TOKEN.  Prints one result line;
 * exit status 0 on success.  Owns and frees everything it creates.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cache/cache.h"
#include "cache/queue.h"
#include "common/check.h"
#include "sync/notion.h"
#include "sync/pull.h"
#include "sync/push.h"
#include "sync/tests/driver.h"

struct drv_base {
	char *json, *body, *edited, *db, *title;
};

static int drv_base_cb(void *arg, const struct cache_page_row *r)
{
	struct drv_base *b = arg;

	b->json = strdup(r->json);
	b->body = r->body_json ? strdup(r->body_json) : NULL;
	b->edited = strdup(r->last_edited_time);
	b->db = strdup(r->database_id);
	b->title = strdup(r->title);
	return 0;
}

static void drv_base_free(struct drv_base *b)
{
	free(b->json);
	free(b->body);
	free(b->edited);
	free(b->db);
	free(b->title);
}

static char *drv_print(const cJSON *o)
{
	return o ? cJSON_PrintUnformatted(o) : NULL;
}

static int drv_enqueue(struct cache *c, const char *file)
{
	char *text = check_read_file(file, NULL), *props = NULL, *ops = NULL, path[512];
	struct drv_base b = { 0 };
	cJSON *j = text ? cJSON_Parse(text) : NULL;
	const char *kind, *page;
	struct queue_entry e = { 0 };
	int64_t seq = 0;
	int rc = -EINVAL;

	if (!j)
		goto out;
	kind = cJSON_GetStringValue(cJSON_GetObjectItem(j, "kind"));
	page = cJSON_GetStringValue(cJSON_GetObjectItem(j, "page_id"));
	if (!kind || !page)
		goto out;
	e.kind = !strcmp(kind, "create") ? QUEUE_CREATE : !strcmp(kind, "archive") ? QUEUE_ARCHIVE : QUEUE_UPDATE;
	if (e.kind != QUEUE_CREATE && cache_get_page(c, page, drv_base_cb, &b))
		goto out;
	props = drv_print(cJSON_GetObjectItem(j, "props"));
	ops = drv_print(cJSON_GetObjectItem(j, "ops"));
	snprintf(path, sizeof(path), "db/%s.md", b.title ? b.title : page);
	e.page_id = (char *)page;
	e.database_id = b.db ? b.db : cJSON_GetStringValue(cJSON_GetObjectItem(j, "database_id"));
	e.path = path;
	e.props = props;
	e.ops = ops;
	e.base_edited_time = b.edited;
	e.base_page = b.json;
	e.base_body = b.body;
	e.saved_text = cJSON_GetStringValue(cJSON_GetObjectItem(j, "text"));
	e.saved_at_ms = cJSON_GetObjectItem(j, "saved_at_ms")
		? (int64_t)cJSON_GetObjectItem(j, "saved_at_ms")->valuedouble
		: (int64_t)time(NULL) * 1000;
	rc = queue_add(c, &e, e.saved_text ? e.saved_text : "", &seq);
	printf("enqueue rc %d seq %lld\n", rc, (long long)seq);
out:
	free(props);
	free(ops);
	drv_base_free(&b);
	cJSON_Delete(j);
	free(text);
	return rc;
}

static int drv_dump_conflict(void *arg, const struct queue_conflict *k)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "page_id", k->page_id);
	cJSON_AddStringToObject(o, "what", k->what);
	cJSON_AddStringToObject(o, "local_value", k->local_value ? k->local_value : "");
	cJSON_AddStringToObject(o, "remote_value", k->remote_value ? k->remote_value : "");
	cJSON_AddStringToObject(o, "local_time", k->local_time ? k->local_time : "");
	cJSON_AddStringToObject(o, "remote_time", k->remote_time ? k->remote_time : "");
	cJSON_AddStringToObject(o, "winner", k->winner);
	cJSON_AddItemToArray(arg, o);
	return 0;
}

static int drv_dump(struct cache *c)
{
	cJSON *o = cJSON_CreateObject();
	int rc = drv_dump_into(c, o);

	if (!rc)
		rc = queue_each_conflict(c, drv_dump_conflict, cJSON_AddArrayToObject(o, "conflicts"));
	drv_print_json(o);
	return rc;
}

static int drv_command(struct cache *c, struct notion *api, int argc, char **argv)
{
	if (!strcmp(argv[1], "enqueue") && argc > 3)
		return drv_enqueue(c, argv[3]);
	if (!strcmp(argv[1], "push"))
		return drv_push(c, api, argc - 3, argv + 3, &(struct drv_push_opts){ 0 });
	if (!strcmp(argv[1], "dump"))
		return drv_dump(c);
	return -EINVAL;
}

int main(int argc, char **argv)
{
	return drv_main(argc, argv, "push_driver", "pull|enqueue|push|dump", drv_command);
}
