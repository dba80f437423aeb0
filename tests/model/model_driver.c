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
#include "common/check.h"
#include "common/buf.h"
#include "fs/md/mdconv.h"
#include "fs/ops_json.h"
#include "fs/view.h"
#include "sync/blockops.h"
#include "sync/notion.h"
#include "sync/pull.h"
#include "sync/push.h"
#include "sync/tests/driver.h"

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

	text = check_read_file(file, &len);
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

static int drv_dump(struct cache *c)
{
	cJSON *o = cJSON_CreateObject();
	int64_t nk = 0;
	int rc = drv_dump_into(c, o);

	if (!rc)
		rc = queue_count_conflicts(c, &nk);
	cJSON_AddNumberToObject(o, "conflicts", (double)nk);
	drv_print_json(o);
	return rc;
}

static int drv_command(struct cache *c, struct notion *api, int argc, char **argv)
{
	if (!strcmp(argv[1], "save") && argc > 4)
		return drv_save(c, argv[3], argv[4]);
	if (!strcmp(argv[1], "push"))
		return drv_push(c, api, argc - 3, argv + 3,
				&(struct drv_push_opts){ .pause_us = 200000, .again_ok = 1 });
	if (!strcmp(argv[1], "render") && argc > 3)
		return drv_render(c, argv[3]);
	if (!strcmp(argv[1], "dump"))
		return drv_dump(c);
	return -EINVAL;
}

int main(int argc, char **argv)
{
	return drv_main(argc, argv, "model_driver", "pull|save|push|render|dump", drv_command);
}
