/* test_merge.c - mdconv_rebase (fs/md/merge.c): a writer's block ops against the version it
 * read (B), carried onto the version the save is applied to (C).  Each case applies the
 * rebased ops to C (sync/blockops.c, as the chain does) and compares the Markdown. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/check.h"
#include "fs/md/mdconv.h"
#include "fs/ops_json.h"
#include "sync/blockops.h"

/* A stored paragraph block. */
static cJSON *para(const char *id, const char *text, const char *edited)
{
	char json[1024];

	snprintf(json, sizeof(json),
		 "{\"object\":\"block\",\"id\":\"%s\",\"type\":\"paragraph\",\"has_children\":false,"
		 "%s%s%s\"paragraph\":{\"rich_text\":[{\"type\":\"text\",\"text\":{\"content\":\"%s\"},"
		 "\"plain_text\":\"%s\",\"annotations\":{\"bold\":false,\"italic\":false,"
		 "\"strikethrough\":false,\"underline\":false,\"code\":false,\"color\":\"default\"}}]}}",
		 id, edited ? "\"last_edited_time\":\"" : "", edited ? edited : "",
		 edited ? "\"," : "", text, text);
	return cJSON_Parse(json);
}

/* A body of paragraphs: "id=text" items, NULL-terminated. */
static cJSON *body(const char *edited, ...)
{
	cJSON *arr = cJSON_CreateArray();
	va_list ap;
	const char *s;

	va_start(ap, edited);
	while ((s = va_arg(ap, const char *)) != NULL) {
		char id[64];
		const char *eq = strchr(s, '=');

		snprintf(id, sizeof(id), "%.*s", (int)(eq - s), s);
		cJSON_AddItemToArray(arr, para(id, eq + 1, edited));
	}
	va_end(ap);
	return arr;
}

/* Runs one merge: B, C, the saved Markdown T; *md gets C with the rebased ops applied, as
 * Markdown; *nconf the number of conflicts.  0 or -errno. */
static int merge(const cJSON *b, const cJSON *c, const char *t, int64_t saved_ms, char **md,
		 int *nconf)
{
	struct mdconv_ops mine = MDCONV_OPS_INIT, out = MDCONV_OPS_INIT;
	cJSON *edited = NULL, *conf = cJSON_CreateArray(), *res = NULL;
	char *err = NULL, *ops = NULL, *cur = cJSON_PrintUnformatted(c), *result = NULL;
	char *ids = NULL;
	struct buf r = BUF_INIT;
	int rc = mdconv_parse(t, strlen(t), &edited, &err);

	if (!rc)
		rc = mdconv_diff(b, edited, &mine);
	if (!rc)
		rc = mdconv_rebase(b, c, &mine, saved_ms, &out, conf);
	if (!rc && out.n)
		rc = ops_json_encode(&out, &ops);
	if (!rc)
		rc = blockops_apply(cur, ops, "t", &result, &ids);
	if (!rc && !(res = cJSON_Parse(result)))
		rc = -EIO;
	if (!rc)
		rc = mdconv_render(res, NULL, &r);
	*md = rc ? NULL : buf_detach(&r, NULL);
	*nconf = cJSON_GetArraySize(conf);
	buf_release(&r);
	mdconv_ops_release(&mine);
	mdconv_ops_release(&out);
	cJSON_Delete(edited);
	cJSON_Delete(conf);
	cJSON_Delete(res);
	free(err);
	free(ops);
	free(cur);
	free(result);
	free(ids);
	return rc;
}

#define T0 "2026-12-01T10:00:00.000Z"
#define T1 "2026-12-01T11:00:00.000Z"
#define AT_1030 1796121000000LL /* 2026-12-01T10:30:00Z: before T1 */
#define AT_1200 1796126400000LL /* 2026-12-01T12:00:00Z: after T1 */

int main(void)
{
	cJSON *b, *c;
	char *md;
	int n, rc;

	/* 1. remote paragraph added + local line appended: both stay */
	b = body(T0, "a=One", "b=Two", NULL);
	c = body(T0, "a=One", "b=Two", "r=Remote", NULL);
	rc = merge(b, c, "One\n\nTwo\n\nLocal\n", AT_1200, &md, &n);
	CHECKF(rc == 0 && md && strstr(md, "Remote") && strstr(md, "Local") && n == 0, "%d %s",
	      rc, md);
	free(md);
	cJSON_Delete(b);
	cJSON_Delete(c);

	/* 2. the same paragraph edited on both sides: the later write wins, one conflict */
	b = body(T0, "a=One", "b=Two", NULL);
	c = body(T1, "a=One", "b=Two remote", NULL);
	rc = merge(b, c, "One\n\nTwo local\n", AT_1200, &md, &n);
	CHECKF(rc == 0 && md && strstr(md, "Two local") && !strstr(md, "Two remote") && n == 1,
	      "%d %s %d", rc, md, n);
	free(md);
	rc = merge(b, c, "One\n\nTwo local\n", AT_1030, &md, &n);
	CHECKF(rc == 0 && md && strstr(md, "Two remote") && !strstr(md, "Two local") && n == 1,
	      "%d %s %d", rc, md, n);
	free(md);
	cJSON_Delete(b);
	cJSON_Delete(c);

	/* 3. remote delete + local edit: the delete stands, the edit is kept as a conflict;
	 *    a remote edit + local delete the later write decides */
	b = body(T0, "a=One", "b=Two", "c=Three", NULL);
	c = body(T0, "a=One", "c=Three", NULL);
	rc = merge(b, c, "One\n\nTwo edited\n\nThree\n", AT_1200, &md, &n);
	CHECKF(rc == 0 && md && !strstr(md, "Two") && n == 1, "%d %s %d", rc, md, n);
	free(md);
	cJSON_Delete(c);
	c = body(T0, "a=One", NULL);
	cJSON_AddItemToArray(c, para("b", "Two remote", T1));
	cJSON_AddItemToArray(c, para("c", "Three", T0));
	rc = merge(b, c, "One\n\nThree\n", AT_1030, &md, &n);
	CHECKF(rc == 0 && md && strstr(md, "Two remote") && n == 1, "%d %s %d", rc, md, n);
	free(md);
	cJSON_Delete(b);
	cJSON_Delete(c);

	/* 4. the vim double save: the buffer's base is B, its first save's line is in C already
	 *    (a local id while queued, Notion's once landed): not inserted again */
	b = body(T0, "a=One", "b=Two", NULL);
	c = body(NULL, "a=One", "b=Two", "local-b-x-1=First", NULL);
	rc = merge(b, c, "One\n\nTwo\n\nFirst\n\nSecond\n", AT_1200, &md, &n);
	CHECKF(rc == 0 && md && !strcmp(md, "One\n\nTwo\n\nFirst\n\nSecond\n") && n == 0, "%d %s",
	      rc, md);
	free(md);
	cJSON_Delete(c);
	c = body(T1, "a=One", "b=Two", "n1=First", NULL);
	rc = merge(b, c, "One\n\nTwo\n\nFirst\n\nSecond\n", AT_1200, &md, &n);
	CHECKF(rc == 0 && md && !strcmp(md, "One\n\nTwo\n\nFirst\n\nSecond\n") && n == 0, "%d %s",
	      rc, md);
	free(md);
	cJSON_Delete(b);
	cJSON_Delete(c);

	/* 5. identical inserts on both sides: once; an insert whose anchor is gone goes after the
	 *    nearest surviving block before it */
	b = body(T0, "a=One", "b=Two", NULL);
	c = body(T0, "a=One", "b=Two", "r=Same", NULL);
	rc = merge(b, c, "One\n\nTwo\n\nSame\n", AT_1200, &md, &n);
	CHECKF(rc == 0 && md && !strcmp(md, "One\n\nTwo\n\nSame\n") && n == 0, "%d %s", rc, md);
	free(md);
	cJSON_Delete(c);
	c = body(T0, "a=One", NULL);
	rc = merge(b, c, "One\n\nTwo\n\nNew\n", AT_1200, &md, &n);
	CHECKF(rc == 0 && md && !strcmp(md, "One\n\nNew\n") && n == 0, "%d %s", rc, md);
	free(md);
	cJSON_Delete(b);
	cJSON_Delete(c);

	/* 5b. an insert whose anchor is gone with no surviving block before it goes to the
	 *     start (position "start"), not to the end */
	b = body(T0, "a=One", "b=Two", NULL);
	c = body(T0, "b=Two", NULL);
	rc = merge(b, c, "One\n\nNew\n\nTwo\n", AT_1200, &md, &n);
	CHECKF(rc == 0 && md && !strcmp(md, "New\n\nTwo\n") && n == 0, "%d %s", rc, md);
	free(md);
	cJSON_Delete(b);
	cJSON_Delete(c);

	/* 5c. a line before the first block: at the start of C too, whatever C added at its
	 *     end; the vim double save of it is not inserted again */
	b = body(T0, "a=One", NULL);
	c = body(T0, "a=One", "r=Remote", NULL);
	rc = merge(b, c, "New\n\nOne\n", AT_1200, &md, &n);
	CHECKF(rc == 0 && md && !strcmp(md, "New\n\nOne\n\nRemote\n") && n == 0, "%d %s", rc,
	       md);
	free(md);
	cJSON_Delete(c);
	c = body(NULL, "local-b-x-1=First", "a=One", NULL);
	rc = merge(b, c, "First\n\nSecond\n\nOne\n", AT_1200, &md, &n);
	CHECKF(rc == 0 && md && !strcmp(md, "First\n\nSecond\n\nOne\n") && n == 0, "%d %s",
	       rc, md);
	free(md);
	cJSON_Delete(b);
	cJSON_Delete(c);

	/* 6. unknown base: only the blocks the text adds, nothing of C updated or deleted */
	{
		struct mdconv_ops out = MDCONV_OPS_INIT;
		cJSON *edited = NULL;
		char *err = NULL;
		size_t i, ins = 0;

		c = body(T1, "a=One", "b=Two remote", "r=Colleague", NULL);
		rc = mdconv_parse("One\n\nTwo\n\nMine\n", 15, &edited, &err);
		if (!rc)
			rc = mdconv_diff_additions(c, edited, &out);
		for (i = 0; i < out.n; i++)
			ins += out.v[i].kind == MDCONV_OP_INSERT_AFTER;
		CHECKF(rc == 0 && out.n > 0 && ins == out.n, "%d %zu %zu", rc, out.n, ins);
		mdconv_ops_release(&out);
		cJSON_Delete(edited);
		cJSON_Delete(c);
		free(err);
	}
	return check_done();
}
