/* model_driver.c - a command-line driver of the sync core without FUSE,
 * for tests/model/test_model.py (a reference-model test against the local
 * emulator).  Saves go the mount's way (fs/mount_write.c mountw_save_page):
 * view_build, view_diff_page (against the page's chain head), ops_json_encode,
 * blockops_apply for the chain, queue_add.
 *
 *   model_driver pull DIR                 full pull + every body
 *   model_driver save DIR PAGE_ID FILE.md queue a save of the page's file
 *   model_driver push DIR [--loops N]     push_all (again on -EAGAIN, N times,
 *                                         0.2 s apart)
 *   model_driver render DIR PAGE_ID       the page file as the mount shows it
 *   model_driver dump DIR                 queue entries and counts as JSON
 *
 * Environment: NOTIONFS_API_URL, NOTION_TOKEN, NOTIONFS_SETTLE_MS.
 * Exit status 0 on success.  Owns and frees everything it creates.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cache/cache.h"
#include "cache/queue.h"
#include "common/buf.h"
#include "fs/md/mdconv.h"
#include "fs/ops_json.h"
#include "fs/view.h"
#include "sync/blockops.h"
#include "sync/notion.h"
#include "sync/pull.h"
#include "sync/push.h"

static int drv_client(struct notion **api)
{
	struct notion_config cfg = {
		.api_url = getenv("NOTIONFS_API_URL"), .token = getenv("NOTION_TOKEN"),
		.rate = 1000, .burst = 100, .backoff_base = 0.05, .backoff_cap = 0.5,
	};

	return notion_new(&cfg, api);
}

static int drv_pull(struct cache *c, struct notion *api)
{
	struct pull_ctx p = { .api = api, .cache = c };
	int rc, got = 0;

	rc = pull_full(&p);
	do {
		if (!rc)
			rc = pull_bodies(&p, 100, &got);
	} while (!rc && got > 0);
	printf("pull rc %d pages %lld\n", rc, (long long)p.stats.pages_seen);
	return rc;
}

static char *drv_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *s = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		s = calloc(1, (size_t)n + 1);
		if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
			free(s);
			s = NULL;
		} else if (s) {
			*len = (size_t)n;
		}
	}
	fclose(f);
	return s;
}

/* mountw_save_page() without the overlay: diff, chain result, queue_add. */
static int drv_save(struct cache *c, const char *page_id, const char *file)
{
	struct mdconv_ops ops = MDCONV_OPS_INIT;
	struct queue_entry e = { 0 };
	struct view *v = NULL;
	const struct view_node *n, *d;
	struct buf path = BUF_INIT;
	struct timeval tv;
	char *text, *err = NULL, *conflicts = NULL, prefix[80];
	int unknown = 0;
	size_t len = 0;
	int64_t seq = 0;
	int rc;

	text = drv_read(file, &len);
	if (!text)
		return -EIO;
	(void)unknown;
	rc = view_build(c, NULL, &v);
	if (rc)
		goto out;
	n = view_page(v, page_id);
	if (!n) {
		rc = -ENOENT;
		goto out;
	}
	d = view_parent(v, n);
	buf_printf(&path, "%s/%s", d ? d->name : "?", n->name);
	gettimeofday(&tv, NULL);
	rc = view_diff_page(v, c, n, text, len, (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000,
			    &e.props, &ops, &e.base_page, &e.base_body, &e.base_edited_time,
			    &conflicts, &unknown, &err);
	free(conflicts);
	if (rc) {
		fprintf(stderr, "diff: %s\n", err ? err : strerror(-rc));
		goto out;
	}
	if (!e.props && ops.n == 0) {
		printf("save rc 0 nothing changed\n");
		goto out;
	}
	if (ops.n && (rc = ops_json_encode(&ops, &e.ops)) != 0)
		goto out;
	gettimeofday(&tv, NULL);
	snprintf(prefix, sizeof(prefix), "%lld%03ld-%d-1", (long long)tv.tv_sec,
		 (long)(tv.tv_usec / 1000), (int)getpid());
	rc = blockops_apply(e.base_body, e.ops, prefix, &e.result_body, &e.local_ids);
	if (rc) {
		fprintf(stderr, "blockops_apply: %s (the ops do not apply to their base)\n",
			strerror(-rc));
		goto out;
	}
	e.kind = QUEUE_UPDATE;
	e.page_id = (char *)page_id;
	e.database_id = d ? (char *)d->id : NULL;
	e.path = path.data;
	e.saved_text = text;
	e.saved_at_ms = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
	rc = queue_add(c, &e, text, &seq);
	printf("save rc %d seq %lld\n", rc, (long long)seq);
out:
	free(e.props);
	free(e.ops);
	free(e.base_page);
	free(e.base_body);
	free(e.base_edited_time);
	free(e.result_body);
	free(e.local_ids);
	free(err);
	mdconv_ops_release(&ops);
	buf_release(&path);
	view_free(v);
	free(text);
	return rc;
}

static int drv_render(struct cache *c, const char *page_id)
{
	struct view *v = NULL;
	const struct view_node *n;
	struct buf out = BUF_INIT;
	int rc;

	/* exactly what the mount shows (a queued save's text included) */
	rc = view_build(c, NULL, &v);
	if (rc)
		return rc;
	n = view_page(v, page_id);
	rc = n ? view_render_page(v, c, n, &out) : -ENOENT;
	if (!rc)
		fwrite(out.data, 1, out.len, stdout);
	buf_release(&out);
	view_free(v);
	return rc;
}

static int drv_push(struct cache *c, struct notion *api, int argc, char **argv)
{
	struct push_ctx p = { .api = api, .cache = c };
	int i, loops = 1, pushed = 0, total = 0, rc = 0;

	for (i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--loops") && i + 1 < argc)
			loops = atoi(argv[++i]);
	for (i = 0; i < loops; i++) {
		if (i)
			usleep(200000);
		rc = push_all(&p, &pushed);
		total += pushed;
		if (rc != -EAGAIN)
			break;
	}
	printf("push rc %d pushed %d\n", rc, total);
	return rc == -EAGAIN ? 0 : rc;
}

static int drv_dump_entry(void *arg, const struct queue_entry *e)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "seq", (double)e->seq);
	cJSON_AddNumberToObject(o, "kind", e->kind);
	cJSON_AddNumberToObject(o, "state", e->state);
	cJSON_AddStringToObject(o, "page_id", e->page_id);
	cJSON_AddNumberToObject(o, "ops_done", e->ops_done);
	if (e->error)
		cJSON_AddStringToObject(o, "error", e->error);
	cJSON_AddItemToArray(arg, o);
	return 0;
}

static int drv_dump_log(void *arg, int64_t t, const char *kind, const char *msg)
{
	char line[1200];

	(void)t;
	snprintf(line, sizeof(line), "%s: %s", kind, msg);
	cJSON_AddItemToArray(arg, cJSON_CreateString(line));
	return 0;
}

static int drv_dump(struct cache *c)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *q = cJSON_AddArrayToObject(o, "queue");
	cJSON *l = cJSON_AddArrayToObject(o, "log");
	int64_t nq = 0, nr = 0, nh = 0, nk = 0;
	char *s;
	int rc;

	rc = queue_each(c, drv_dump_entry, q);
	if (!rc)
		rc = queue_counts(c, &nq, &nr, &nh);
	if (!rc)
		rc = queue_count_conflicts(c, &nk);
	if (!rc)
		rc = cache_each_log(c, NULL, 200, drv_dump_log, l);
	cJSON_AddNumberToObject(o, "queued", (double)nq);
	cJSON_AddNumberToObject(o, "rejected", (double)nr);
	cJSON_AddNumberToObject(o, "held", (double)nh);
	cJSON_AddNumberToObject(o, "conflicts", (double)nk);
	s = cJSON_PrintUnformatted(o);
	if (s)
		puts(s);
	free(s);
	cJSON_Delete(o);
	return rc;
}

int main(int argc, char **argv)
{
	struct cache *c = NULL;
	struct notion *api = NULL;
	int rc;

	if (argc < 3) {
		fprintf(stderr, "usage: model_driver pull|save|push|render|dump DIR [args]\n");
		return 2;
	}
	rc = cache_open(argv[2], &c);
	if (rc)
		goto out;
	if (!strcmp(argv[1], "pull") || !strcmp(argv[1], "push")) {
		rc = drv_client(&api);
		if (rc)
			goto out;
	}
	if (!strcmp(argv[1], "pull"))
		rc = drv_pull(c, api);
	else if (!strcmp(argv[1], "save") && argc > 4)
		rc = drv_save(c, argv[3], argv[4]);
	else if (!strcmp(argv[1], "push"))
		rc = drv_push(c, api, argc - 3, argv + 3);
	else if (!strcmp(argv[1], "render") && argc > 3)
		rc = drv_render(c, argv[3]);
	else if (!strcmp(argv[1], "dump"))
		rc = drv_dump(c);
	else
		rc = -EINVAL;
out:
	fflush(stdout);
	notion_free(api);
	cache_close(c);
	if (rc)
		fprintf(stderr, "model_driver %s: %s\n", argv[1], strerror(-rc));
	return rc ? 1 : 0;
}
