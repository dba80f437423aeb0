/* status.c - the status struct and its two printers; see status.h. */
#include "fs/status.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cache/cache.h"
#include "cache/localfiles.h"
#include "cache/queue.h"

static char *status_dup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int64_t status_meta_time(struct cache *c, const char *key)
{
	char *v = NULL;
	int64_t t = 0;

	if (cache_meta_get(c, key, &v) == 0)
		t = strtoll(v, NULL, 10);
	free(v);
	return t;
}

/* The first pull's progress, read only while the cache never had a
 * full pull. */
static void status_first_pull(struct cache *c, struct status *s)
{
	struct status_first_pull *f = &s->first_pull;
	long long listed, sources, pages;
	char *v = NULL;

	memset(f, 0, sizeof(*f));
	if (s->last_full_pull || cache_meta_get(c, "first_pull", &v))
		return;
	if (sscanf(v, "%lld %lld %lld", &listed, &sources, &pages) == 3) {
		f->running = 1;
		f->sources_listed = listed;
		f->sources = sources;
		f->pages = pages;
	}
	free(v);
}

static int status_entry_cb(void *arg, const struct queue_entry *e)
{
	struct status *s = arg;
	struct status_entry *a = realloc(s->entries, (s->nentries + 1) * sizeof(*a)), *n;

	if (!a)
		return -ENOMEM;
	s->entries = a;
	n = &a[s->nentries];
	memset(n, 0, sizeof(*n));
	s->nentries++;
	n->kind = strdup(queue_kind_name(e->kind));
	n->state = strdup(queue_state_name(e->state));
	n->path = strdup(e->path ? e->path : e->page_id);
	n->page_id = strdup(e->page_id);
	n->reason = status_dup(e->error);
	if (!n->kind || !n->state || !n->path || !n->page_id || (e->error && !n->reason))
		return -ENOMEM;
	return 0;
}

static int status_conflict_cb(void *arg, const struct queue_conflict *k)
{
	struct status *s = arg;
	struct status_conflict *a = realloc(s->conflict_list, (s->nconflicts + 1) * sizeof(*a)), *n;

	if (!a)
		return -ENOMEM;
	s->conflict_list = a;
	n = &a[s->nconflicts];
	memset(n, 0, sizeof(*n));
	s->nconflicts++;
	n->path = strdup(k->path && k->path[0] ? k->path : k->page_id);
	n->page_id = strdup(k->page_id);
	n->what = strdup(k->what);
	n->winner = strdup(k->winner ? k->winner : "local");
	if (!n->path || !n->page_id || !n->what || !n->winner)
		return -ENOMEM;
	return 0;
}

static int status_local_cb(void *arg, const struct localfile *f)
{
	struct status *s = arg;
	struct status_local *a = realloc(s->local_list, (s->nlocal + 1) * sizeof(*a));

	if (!a)
		return -ENOMEM;
	s->local_list = a;
	a[s->nlocal].path = strdup(f->path);
	a[s->nlocal].size = (int64_t)f->len;
	s->nlocal++;
	return a[s->nlocal - 1].path ? 0 : -ENOMEM;
}

int status_read(struct cache *c, struct status *s)
{
	int rc;

	memset(s, 0, sizeof(*s));
	rc = cache_count_pages(c, NULL, &s->pages);
	if (!rc)
		rc = cache_count_bodies_pending(c, &s->bodies_pending);
	s->last_full_pull = status_meta_time(c, "last_full_pull");
	s->last_pull = status_meta_time(c, "last_pull");
	s->last_push = status_meta_time(c, "last_push");
	status_first_pull(c, s);
	if (!rc && cache_meta_get(c, "state", &s->state) != 0)
		s->state = NULL;
	if (!rc)
		rc = queue_counts(c, &s->queued, &s->rejected, &s->held);
	if (!rc)
		rc = queue_count_conflicts(c, &s->conflicts);
	if (!rc)
		rc = queue_each(c, status_entry_cb, s);
	if (!rc)
		rc = queue_each_conflict(c, status_conflict_cb, s);
	if (!rc)
		rc = localfiles_each(c, status_local_cb, s);
	s->local_files = (int64_t)s->nlocal;
	if (rc)
		status_release(s);
	return rc;
}

void status_release(struct status *s)
{
	size_t i;

	for (i = 0; i < s->nentries; i++) {
		free(s->entries[i].kind);
		free(s->entries[i].state);
		free(s->entries[i].path);
		free(s->entries[i].page_id);
		free(s->entries[i].reason);
	}
	for (i = 0; i < s->nconflicts; i++) {
		free(s->conflict_list[i].path);
		free(s->conflict_list[i].page_id);
		free(s->conflict_list[i].what);
		free(s->conflict_list[i].winner);
	}
	for (i = 0; i < s->nlocal; i++)
		free(s->local_list[i].path);
	free(s->local_list);
	free(s->entries);
	free(s->conflict_list);
	free(s->state);
	memset(s, 0, sizeof(*s));
}

/* "2026-12-01T10:00:00Z", or "never" (text) / "" (the caller's null) for 0. */
static void status_stamp(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t) {
		strcpy(out, "never");
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int status_print_text(const struct status *s, struct buf *b)
{
	char full[32], pull[32], push[32];
	size_t i;
	int rc;

	status_stamp(s->last_full_pull, full);
	status_stamp(s->last_pull, pull);
	status_stamp(s->last_push, push);
	rc = buf_printf(b, "pages: %lld\nbodies pending: %lld\nlast full pull: %s\nlast pull: %s\n"
			"last push: %s\n", (long long)s->pages, (long long)s->bodies_pending, full,
			pull, push);
	if (!rc && s->first_pull.running && !s->first_pull.sources)
		rc = buf_puts(b, "first pull: finding the data sources\n");
	else if (!rc && s->first_pull.running)
		rc = buf_printf(b, "first pull: %lld of %lld data sources, %lld pages\n",
				(long long)s->first_pull.sources_listed,
				(long long)s->first_pull.sources, (long long)s->first_pull.pages);
	if (!rc && s->state)
		rc = buf_printf(b, "state: %s\n", s->state);
	if (!rc)
		rc = buf_printf(b, "queued edits: %lld\nrejected edits: %lld\nheld archives: %lld\n"
				"conflicts: %lld\nlocal files: %lld\n", (long long)s->queued,
				(long long)s->rejected, (long long)s->held, (long long)s->conflicts,
				(long long)s->local_files);
	for (i = 0; !rc && i < s->nentries; i++) {
		const struct status_entry *e = &s->entries[i];

		rc = buf_printf(b, "  %s %s %s%s%s\n", e->state, e->kind, e->path,
				e->reason ? ": " : "", e->reason ? e->reason : "");
	}
	for (i = 0; !rc && i < s->nlocal; i++)
		rc = buf_printf(b, "  local %s (%lld bytes)\n", s->local_list[i].path,
				(long long)s->local_list[i].size);
	return rc;
}

static int status_add_time(cJSON *o, const char *key, int64_t t)
{
	char stamp[32];

	status_stamp(t, stamp);
	return (t ? cJSON_AddStringToObject(o, key, stamp) : cJSON_AddNullToObject(o, key)) ? 0
											    : -ENOMEM;
}

static int status_add_str(cJSON *o, const char *key, const char *v)
{
	return (v ? cJSON_AddStringToObject(o, key, v) : cJSON_AddNullToObject(o, key)) ? 0 : -ENOMEM;
}

static int status_add_num(cJSON *o, const char *key, int64_t v)
{
	return cJSON_AddNumberToObject(o, key, (double)v) ? 0 : -ENOMEM;
}

/* "first pull": {"data sources done", "data sources", "pages"}, or null
 * when none is under way. */
static int status_add_first_pull(cJSON *root, const struct status_first_pull *f)
{
	cJSON *o;
	int rc;

	if (!f->running)
		return cJSON_AddNullToObject(root, "first pull") ? 0 : -ENOMEM;
	o = cJSON_AddObjectToObject(root, "first pull");
	if (!o)
		return -ENOMEM;
	rc = status_add_num(o, "data sources done", f->sources_listed);
	if (!rc)
		rc = status_add_num(o, "data sources", f->sources);
	if (!rc)
		rc = status_add_num(o, "pages", f->pages);
	return rc;
}

cJSON *status_to_json(const struct status *s)
{
	cJSON *root = cJSON_CreateObject(), *arr = NULL, *o;
	size_t i;
	int rc = root ? 0 : -ENOMEM;

	if (!rc) rc = status_add_num(root, "pages", s->pages);
	if (!rc) rc = status_add_num(root, "bodies pending", s->bodies_pending);
	if (!rc) rc = status_add_time(root, "last full pull", s->last_full_pull);
	if (!rc) rc = status_add_time(root, "last pull", s->last_pull);
	if (!rc) rc = status_add_time(root, "last push", s->last_push);
	if (!rc) rc = status_add_first_pull(root, &s->first_pull);
	if (!rc) rc = status_add_str(root, "state", s->state);
	if (!rc) rc = status_add_num(root, "queued edits", s->queued);
	if (!rc) rc = status_add_num(root, "rejected edits", s->rejected);
	if (!rc) rc = status_add_num(root, "held archives", s->held);
	if (!rc) rc = status_add_num(root, "conflicts", s->conflicts);
	if (!rc) rc = status_add_num(root, "local files", s->local_files);
	if (!rc && !(arr = cJSON_AddArrayToObject(root, "entries")))
		rc = -ENOMEM;
	for (i = 0; !rc && i < s->nentries; i++) {
		const struct status_entry *e = &s->entries[i];

		o = cJSON_CreateObject();
		if (!o || !cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			rc = -ENOMEM;
			break;
		}
		rc = status_add_str(o, "path", e->path);
		if (!rc) rc = status_add_str(o, "page_id", e->page_id);
		if (!rc) rc = status_add_str(o, "state", e->state);
		if (!rc) rc = status_add_str(o, "kind", e->kind);
		if (!rc) rc = status_add_str(o, "reason", e->reason);
	}
	if (!rc && !(arr = cJSON_AddArrayToObject(root, "conflict entries")))
		rc = -ENOMEM;
	for (i = 0; !rc && i < s->nconflicts; i++) {
		const struct status_conflict *k = &s->conflict_list[i];

		o = cJSON_CreateObject();
		if (!o || !cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			rc = -ENOMEM;
			break;
		}
		rc = status_add_str(o, "path", k->path);
		if (!rc) rc = status_add_str(o, "page_id", k->page_id);
		if (!rc) rc = status_add_str(o, "state", "conflict");
		if (!rc) rc = status_add_str(o, "reason", k->what);
		if (!rc) rc = status_add_str(o, "winner", k->winner);
	}
	if (!rc && !(arr = cJSON_AddArrayToObject(root, "local file entries")))
		rc = -ENOMEM;
	for (i = 0; !rc && i < s->nlocal; i++) {
		o = cJSON_CreateObject();
		if (!o || !cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			rc = -ENOMEM;
			break;
		}
		rc = status_add_str(o, "path", s->local_list[i].path);
		if (!rc) rc = status_add_num(o, "size", s->local_list[i].size);
	}
	if (rc) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

int status_text(struct cache *c, struct buf *out)
{
	struct status s;
	int rc = status_read(c, &s);

	if (rc)
		return rc;
	rc = status_print_text(&s, out);
	status_release(&s);
	return rc;
}
