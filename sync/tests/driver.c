/* driver.c - the shared parts of the test drivers; see driver.h. */
#include "sync/tests/driver.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache/queue.h"
#include "sync/pull.h"
#include "sync/push.h"

int drv_client(struct notion **api)
{
	struct notion_config cfg = {
		.api_url = getenv("NOTIONFS_API_URL"), .token = getenv("NOTION_TOKEN"),
		.rate = 1000, .burst = 100, .backoff_base = 0.05, .backoff_cap = 0.5,
	};

	return notion_new(&cfg, api);
}

int drv_pull(struct cache *c, struct notion *api)
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

int drv_push(struct cache *c, struct notion *api, int argc, char **argv,
	     const struct drv_push_opts *o)
{
	struct push_ctx p = { .api = api, .cache = c };
	int i, loops = 1, pushed = 0, total = 0, rc = 0;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--confirm-deletes"))
			p.confirm_deletes = 1;
		else if (!strcmp(argv[i], "--loops") && i + 1 < argc)
			loops = atoi(argv[++i]);
	}
	for (i = 0; i < loops; i++) {
		if (i && o->pause_us)
			usleep(o->pause_us);
		rc = push_all(&p, &pushed);
		total += pushed;
		if (rc != -EAGAIN)
			break;
	}
	printf("push rc %d pushed %d\n", rc, total);
	return rc == -EAGAIN && o->again_ok ? 0 : rc;
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

int drv_dump_into(struct cache *c, cJSON *o)
{
	cJSON *q = cJSON_AddArrayToObject(o, "queue");
	cJSON *l = cJSON_AddArrayToObject(o, "log");
	int64_t nq = 0, nr = 0, nh = 0;
	int rc;

	rc = queue_each(c, drv_dump_entry, q);
	if (!rc)
		rc = queue_counts(c, &nq, &nr, &nh);
	if (!rc)
		rc = cache_each_log(c, NULL, 200, drv_dump_log, l);
	cJSON_AddNumberToObject(o, "queued", (double)nq);
	cJSON_AddNumberToObject(o, "rejected", (double)nr);
	cJSON_AddNumberToObject(o, "held", (double)nh);
	return rc;
}

void drv_print_json(cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);

	if (s)
		puts(s);
	free(s);
	cJSON_Delete(o);
}

int drv_main(int argc, char **argv, const char *name, const char *commands, drv_command_fn cmd)
{
	struct cache *c = NULL;
	struct notion *api = NULL;
	int rc;

	if (argc < 3) {
		fprintf(stderr, "usage: %s %s DIR [args]\n", name, commands);
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
	rc = !strcmp(argv[1], "pull") ? drv_pull(c, api) : cmd(c, api, argc, argv);
out:
	fflush(stdout);
	notion_free(api);
	cache_close(c);
	if (rc)
		fprintf(stderr, "%s %s: %s\n", name, argv[1], strerror(-rc));
	return rc ? 1 : 0;
}
