/* test_fixtures.c - model extraction and error parsing against every
 * recorded Notion answer in the fixtures directories (argv[1]: 2022-06-28;
 * argv[2], optional: 2025-09-03 and 2026-03-11, the data-source answers:
 * search with data_source results, data sources, their queries, database
 * containers), plus
 * hand-made objects with unknown types and fields, and unit checks of id
 * and time parsing.
 *
 * Owns: the parsed fixture documents, one at a time (freed per file).
 * Exit status: 0 all passed, 1 a check failed; without the fixtures
 * directory only the fixture group is skipped.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "sync/model.h"
#include "sync/notion.h"
#include "common/check.h"
#include "common/json.h"

enum kind { K_PAGE, K_DATABASE, K_USER, K_BLOCK, K_PROPITEM, K_ERROR,
	    K_LIST_PAGES, K_LIST_BLOCKS, K_LIST_USERS, K_LIST_PROPITEMS,
	    K_LIST_OTHER, K_OTHER, K_FILES, K_INTERACTIONS,
	    K_DATA_SOURCE, K_CONTAINER, K_DS_ROW, K_LIST_DS, K_V2025, K_V2026, K_COUNT };

static const char *const kind_names[K_COUNT] = {
	"pages", "databases", "users", "blocks", "property items", "errors",
	"page/database lists", "block lists", "user lists",
	"property item lists", "other lists", "other objects", "files",
	"interactions", "data sources", "database containers", "data source rows",
	"page/data source lists", "2025-09-03 answers", "2026-03-11 answers",
};

static int counts[K_COUNT];

/* ---- independent expectations --------------------------------------- */

/* Joins plain_text of a rich-text array the simple way; caller frees. */
static char *join_plain(const cJSON *arr)
{
	struct buf b = BUF_INIT;
	const cJSON *rt;
	char *s;

	cJSON_ArrayForEach(rt, arr)
		buf_puts(&b, json_str_or(rt, "plain_text", ""));
	s = b.len ? buf_detach(&b, NULL) : strdup("");
	buf_release(&b);
	return s;
}

/* Checks an id field against its normalised form: same text when the
 * source is already canonical, and stable under re-normalisation of the
 * 32-hex spelling. */
static void check_id(const char *json_id, const char *norm)
{
	char hex[33], again[MODEL_ID_SIZE];
	size_t i, o = 0;

	CHECKF(strlen(norm) == 36, "id %s normalised to '%s'", json_id, norm);
	CHECKF(strcasecmp(json_id, norm) == 0 || strlen(json_id) == 32,
	       "id %s != %s", json_id, norm);
	for (i = 0; norm[i] && o < 32; i++)
		if (norm[i] != '-')
			hex[o++] = norm[i];
	hex[o] = '\0';
	CHECK(model_normalize_id(hex, again) == 0 && strcmp(again, norm) == 0);
}

/* Checks that time string S parses and formats back identically when Notion
 * wrote it as YYYY-MM-DDTHH:MM:SS.mmmZ, and to the same instant when it wrote
 * an offset (recordings of 2025-09-03 and later hold "+00:00" too); SEC is
 * what the model kept. */
static void check_time(const char *s, time_t sec)
{
	char back[MODEL_TIME_SIZE];
	time_t t, t2;
	int ms, ms2;

	if (!*s)
		return;
	CHECKF(iso_time_parse(s, &t, &ms) == 0, "time %s does not parse", s);
	CHECKF(t == sec, "time %s: model kept %lld, parse gives %lld", s,
	       (long long)sec, (long long)t);
	CHECK(iso_time_format(t, ms, back, sizeof(back)) == 0);
	if (s[strlen(s) - 1] == 'Z')
		CHECKF(strcmp(back, s) == 0, "time %s formats back as %s", s, back);
	else
		CHECKF(iso_time_parse(back, &t2, &ms2) == 0 && t2 == t && ms2 == ms,
		       "time %s formats back as %s, another instant", s, back);
}

static void check_page(const cJSON *o)
{
	struct model_page p;
	const cJSON *props = cJSON_GetObjectItemCaseSensitive(o, "properties");
	const cJSON *parent = cJSON_GetObjectItemCaseSensitive(o, "parent");
	const cJSON *prop;
	char *title = NULL;

	counts[K_PAGE]++;
	if (model_page_summary(o, &p)) {
		CHECKF(0, "page %s: summary failed", json_str_or(o, "id", ""));
		return;
	}
	check_id(json_str_or(o, "id", ""), p.id);
	cJSON_ArrayForEach(prop, props)
		if (strcmp(json_str_or(prop, "type", ""), "title") == 0 && !title)
			title = join_plain(cJSON_GetObjectItemCaseSensitive(prop, "title"));
	CHECKF(strcmp(p.title, title ? title : "") == 0,
	       "page %s: title '%s' != '%s'", p.id, p.title, title ? title : "");
	check_time(json_str_or(o, "created_time", ""), p.created);
	check_time(json_str_or(o, "last_edited_time", ""), p.last_edited);
	CHECK(p.archived == (cJSON_IsTrue(cJSON_GetObjectItem(o, "archived")) ||
			     cJSON_IsTrue(cJSON_GetObjectItem(o, "in_trash"))));
	CHECK(strcmp(p.url, json_str_or(o, "url", "")) == 0);
	if (strcmp(json_str_or(parent, "type", ""), "database_id") == 0) {
		CHECK(p.parent_kind == MODEL_PARENT_DATABASE);
		CHECK(strcasecmp(p.parent_db, json_str_or(parent, "database_id", "")) == 0);
		CHECK(strcmp(p.parent_container, p.parent_db) == 0);
	} else if (strcmp(json_str_or(parent, "type", ""), "data_source_id") == 0) {
		/* a row of a data source (2025-09-03 on): filed under the source,
		 * its database named beside it */
		counts[K_DS_ROW]++;
		CHECK(p.parent_kind == MODEL_PARENT_DATA_SOURCE);
		CHECKF(strcasecmp(p.parent_db, json_str_or(parent, "data_source_id", "")) == 0,
		       "page %s: data source %s", p.id, p.parent_db);
		CHECK(strcasecmp(p.parent_container, json_str_or(parent, "database_id", "")) == 0);
	} else {
		CHECK(p.parent_db[0] == '\0');
	}
	free(title);
	model_page_release(&p);
}

static void check_database(const cJSON *o)
{
	struct model_database d;
	char *title;

	counts[K_DATABASE]++;
	if (model_database_summary(o, &d)) {
		CHECKF(0, "database %s: summary failed", json_str_or(o, "id", ""));
		return;
	}
	check_id(json_str_or(o, "id", ""), d.id);
	title = join_plain(cJSON_GetObjectItemCaseSensitive(o, "title"));
	CHECKF(strcmp(d.title, title) == 0, "database %s: title '%s' != '%s'",
	       d.id, d.title, title);
	CHECK(d.property_count ==
	      cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "properties")));
	CHECK(d.source_count == cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "data_sources")));
	CHECK(d.archived == (cJSON_IsTrue(cJSON_GetObjectItem(o, "archived")) ||
			     cJSON_IsTrue(cJSON_GetObjectItem(o, "in_trash"))));
	if (d.source_count) {
		/* a container: each source's id normalises */
		char id[MODEL_ID_SIZE];
		int i;

		counts[K_CONTAINER]++;
		for (i = 0; i < d.source_count; i++) {
			CHECKF(model_database_source(o, i, id) == 0, "database %s: source %d", d.id, i);
			check_id(json_str_or(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "data_sources"), i),
					     "id", ""), id);
		}
		CHECK(model_database_source(o, d.source_count, id) == -ENOENT);
	}
	check_time(json_str_or(o, "created_time", ""), d.created);
	check_time(json_str_or(o, "last_edited_time", ""), d.last_edited);
	free(title);
	model_database_release(&d);
}

static void check_data_source(const cJSON *o)
{
	struct model_data_source d;
	const cJSON *parent = cJSON_GetObjectItemCaseSensitive(o, "parent");
	char *title;

	counts[K_DATA_SOURCE]++;
	if (model_data_source_summary(o, &d)) {
		CHECKF(0, "data source %s: summary failed", json_str_or(o, "id", ""));
		return;
	}
	check_id(json_str_or(o, "id", ""), d.id);
	title = join_plain(cJSON_GetObjectItemCaseSensitive(o, "title"));
	CHECKF(strcmp(d.title, title) == 0, "data source %s: title '%s' != '%s'", d.id, d.title, title);
	CHECK(d.property_count ==
	      cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "properties")));
	CHECK(d.property_count > 0);	/* every data source has its title property */
	CHECKF(strcasecmp(d.database_id, json_str_or(parent, "database_id", "")) == 0 && d.database_id[0],
	       "data source %s: database '%s'", d.id, d.database_id);
	CHECK(d.archived == (cJSON_IsTrue(cJSON_GetObjectItem(o, "archived")) ||
			     cJSON_IsTrue(cJSON_GetObjectItem(o, "in_trash"))));
	check_time(json_str_or(o, "last_edited_time", ""), d.last_edited);
	free(title);
	model_data_source_release(&d);
}

static void check_user(const cJSON *o)
{
	struct model_user u;

	counts[K_USER]++;
	if (model_user_summary(o, &u)) {
		CHECKF(0, "user %s: summary failed", json_str_or(o, "id", ""));
		return;
	}
	check_id(json_str_or(o, "id", ""), u.id);
	CHECK(strcmp(u.name, json_str_or(o, "name", "")) == 0);
	CHECK(strcmp(u.type, json_str_or(o, "type", "")) == 0);
	CHECK(strcmp(u.email, json_str_or(cJSON_GetObjectItem(o, "person"), "email", "")) == 0);
	model_user_release(&u);
}

static void check_block(const cJSON *o)
{
	struct model_block b;

	counts[K_BLOCK]++;
	if (model_block_summary(o, &b)) {
		CHECKF(0, "block %s: summary failed", json_str_or(o, "id", ""));
		return;
	}
	check_id(json_str_or(o, "id", ""), b.id);
	CHECK(strcmp(b.type, json_str_or(o, "type", "")) == 0 && b.type[0]);
	CHECK(b.has_children == cJSON_IsTrue(cJSON_GetObjectItem(o, "has_children")));
	check_time(json_str_or(o, "last_edited_time", ""), b.last_edited);
}

/* A property item: its type is a string; references inside (relation,
 * people, created_by...) normalise; title/rich_text items carry text. */
static void check_property_item(const cJSON *o)
{
	const char *type = json_str_or(o, "type", "");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, type);
	char id[MODEL_ID_SIZE];

	counts[K_PROPITEM]++;
	CHECKF(type[0], "property item without type");
	if (strcmp(type, "relation") == 0)
		CHECK(model_normalize_id(json_str_or(v, "id", ""), id) == 0);
	else if (strcmp(type, "people") == 0 || strcmp(type, "created_by") == 0 ||
		 strcmp(type, "last_edited_by") == 0)
		check_user(v);
	else if (strcmp(type, "title") == 0 || strcmp(type, "rich_text") == 0)
		CHECK(cJSON_IsString(cJSON_GetObjectItem(v, "plain_text")));
}

/* ERR holds the error object's additional_data AD without loss: the whole
 * object as compact JSON (or its cut start), error_type and
 * rate_limit_reason. */
static void check_additional(const cJSON *ad, const struct notion_error *e)
{
	char *want;
	size_t wl, gl = strlen(e->additional_data);

	CHECK_STR(e->error_type, json_str_or(ad, "error_type", ""));
	CHECK_STR(e->rate_limit_reason, json_str_or(ad, "rate_limit_reason", ""));
	if (!ad) {
		CHECK_STR(e->additional_data, "");
		return;
	}
	want = cJSON_PrintUnformatted(ad);
	wl = want ? strlen(want) : 0;
	if (wl < sizeof(e->additional_data))
		CHECK_STR(e->additional_data, want);
	else
		CHECKF(gl > 3 && strcmp(e->additional_data + gl - 3, "...") == 0 &&
		       strncmp(e->additional_data, want, gl - 3) == 0,
		       "additional_data cut as '%s'", e->additional_data);
	cJSON_free(want);
}

static void check_error(int status, const cJSON *o)
{
	struct notion_error e, e2;
	char *text = cJSON_PrintUnformatted(o);
	enum notion_err_kind want = status == 401 || status == 403 ? NOTION_ERR_AUTH
				  : status == 404 ? NOTION_ERR_NOT_FOUND
				  : status == 429 ? NOTION_ERR_RATE
				  : status >= 500 ? NOTION_ERR_SERVER
				  : NOTION_ERR_VALIDATION;

	counts[K_ERROR]++;
	CHECK(notion_parse_error(status, text, strlen(text), &e) == 0);
	CHECKF(e.kind == want, "status %d parsed as %s", status,
	       notion_err_kind_name(e.kind));
	CHECK(e.http_status == status);
	CHECK(strcmp(e.code, json_str_or(o, "code", "")) == 0);
	CHECK(strncmp(e.message, json_str_or(o, "message", ""), sizeof(e.message) - 1) == 0);
	/* the status inside the object is used when none is given */
	CHECK(notion_parse_error_json(0, o, &e2) == 0 && e2.kind == want &&
	      e2.http_status == status);
	CHECK_STR(e.request_id, json_str_or(o, "request_id", ""));
	check_additional(json_obj(o, "additional_data"), &e);
	cJSON_free(text);
}

static void check_object(int status, const cJSON *o);

static void check_list(const cJSON *o)
{
	struct model_list l;
	const cJSON *item;
	const char *t;

	if (model_list_read(o, &l)) {
		CHECKF(0, "list does not read");
		return;
	}
	t = l.type;
	counts[strcmp(t, "page_or_database") == 0 ? K_LIST_PAGES
	       : strcmp(t, "page_or_data_source") == 0 ? K_LIST_DS
	       : strcmp(t, "block") == 0	   ? K_LIST_BLOCKS
	       : strcmp(t, "user") == 0		   ? K_LIST_USERS
	       : strcmp(t, "property_item") == 0   ? K_LIST_PROPITEMS
						   : K_LIST_OTHER]++;
	CHECK(l.count == cJSON_GetArraySize(cJSON_GetObjectItem(o, "results")));
	CHECK(!l.has_more || l.next_cursor[0]);
	cJSON_ArrayForEach(item, l.results)
		check_object(200, item);
}

/* --errors-only: only error objects are checked (the folders of newer API
 * versions hold objects the model reads with its own tests). */
static int errors_only;

/* Dispatches one answer object on its `object` kind. */
static void check_object(int status, const cJSON *o)
{
	const char *k = model_object_kind(o);

	if (errors_only && strcmp(k, "error") != 0)
		return;

	if (strcmp(k, "page") == 0)
		check_page(o);
	else if (strcmp(k, "database") == 0)
		check_database(o);
	else if (strcmp(k, "data_source") == 0)
		check_data_source(o);
	else if (strcmp(k, "user") == 0)
		check_user(o);
	else if (strcmp(k, "block") == 0)
		check_block(o);
	else if (strcmp(k, "property_item") == 0)
		check_property_item(o);
	else if (strcmp(k, "error") == 0)
		check_error(status, o);
	else if (strcmp(k, "list") == 0)
		check_list(o);
	else
		counts[K_OTHER]++;
}

/* Reads the whole file PATH into a new buffer.  0 or -errno. */
static int slurp(const char *path, struct buf *out)
{
	char chunk[65536];
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f)
		return -errno;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(out, chunk, n);
	fclose(f);
	return 0;
}

static void check_file(const char *dir, const char *name)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	const cJSON *it;
	cJSON *doc = NULL;

	buf_printf(&path, "%s/%s", dir, name);
	counts[K_FILES]++;
	CHECKF(slurp(path.data, &text) == 0, "%s: unreadable", name);
	doc = cJSON_ParseWithLength(buf_str(&text), text.len);
	CHECKF(doc != NULL, "%s: not JSON", name);
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(doc, "interactions")) {
		const cJSON *body = cJSON_GetObjectItem(it, "body");
		const cJSON *st = cJSON_GetObjectItem(it, "status");
		char *again;
		cJSON *reparsed;

		counts[K_INTERACTIONS]++;
		if (strcmp(json_str_or(it, "notion_version", ""), "2025-09-03") == 0)
			counts[K_V2025]++;
		else if (strcmp(json_str_or(it, "notion_version", ""), "2026-03-11") == 0)
			counts[K_V2026]++;
		if (!cJSON_IsObject(body))
			continue;
		/* the body as text goes through the same parser notion.c uses */
		again = cJSON_PrintUnformatted(body);
		reparsed = again ? cJSON_Parse(again) : NULL;
		CHECKF(reparsed != NULL, "%s: body does not re-parse", name);
		check_object(cJSON_IsNumber(st) ? st->valueint : 0,
			     reparsed ? reparsed : body);
		cJSON_Delete(reparsed);
		cJSON_free(again);
	}
	cJSON_Delete(doc);
	buf_release(&text);
	buf_release(&path);
}

/* Returns 0, or -errno when DIR cannot be opened. */
static int check_dir(const char *dir)
{
	struct dirent **names;
	int n, i;

	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return -errno;
	for (i = 0; i < n; i++) {
		size_t l = strlen(names[i]->d_name);

		if (l > 5 && strcmp(names[i]->d_name + l - 5, ".json") == 0)
			check_file(dir, names[i]->d_name);
		free(names[i]);
	}
	free(names);
	return 0;
}

/* ---- hand-made objects and unit checks ------------------------------- */

static const char handmade_page[] =
	"{\"object\":\"page\",\"id\":\"5E95243AD6A5408BBFD2BD99270CC2BB\","
	"\"created_time\":\"2024-05-04T16:07:00.250+02:00\","
	"\"last_edited_time\":\"2024-05-04T14:08:00.000Z\","
	"\"future_field\":{\"nested\":[1,2,{\"x\":null}]},"
	"\"parent\":{\"type\":\"database_id\",\"database_id\":\"250662d9783d483cb131341ed479f96c\"},"
	"\"archived\":false,\"in_trash\":true,\"url\":\"https://www.notion.so/x\","
	"\"properties\":{"
	"\"Where\":{\"id\":\"rulX\",\"type\":\"place\",\"place\":{\"lat\":1.5,\"lon\":2}},"
	"\"Odd\":{\"id\":\"z\",\"type\":\"hologram\",\"hologram\":\"?\"},"
	"\"Name\":{\"id\":\"title\",\"type\":\"title\",\"title\":["
	"{\"type\":\"text\",\"plain_text\":\"Hello \",\"text\":{\"content\":\"Hello \"}},"
	"{\"type\":\"mention\",\"plain_text\":\"@Bob\",\"mention\":{\"type\":\"user\"}},"
	"{\"type\":\"equation\",\"equation\":{\"expression\":\"x\"},\"plain_text\":\" x\"},"
	"{\"type\":\"text\",\"text\":{\"content\":\"!\"}}]}},"
	"\"unknown_array\":[]}";

static void test_handmade(void)
{
	cJSON *o = cJSON_Parse(handmade_page);
	struct model_page p;
	struct model_block b;
	struct model_user u;
	time_t t;

	CHECK(o != NULL);
	CHECK(model_page_summary(o, &p) == 0);
	CHECK(strcmp(p.id, "5e95243a-d6a5-408b-bfd2-bd99270cc2bb") == 0);
	CHECK(strcmp(p.parent_db, "250662d9-783d-483c-b131-341ed479f96c") == 0);
	CHECK(p.parent_kind == MODEL_PARENT_DATABASE);
	CHECKF(strcmp(p.title, "Hello @Bob x!") == 0, "title '%s'", p.title);
	CHECK(p.archived);
	CHECK(iso_time_parse("2024-05-04T14:07:00Z", &t, NULL) == 0 &&
	      p.created == t);
	CHECK(p.last_edited - p.created == 60);
	model_page_release(&p);
	model_page_release(&p);	/* releasing twice is harmless */
	/* wrong kinds and broken ids are refused without leaks */
	CHECK(model_database_summary(o, &(struct model_database){0}) == -EINVAL);
	cJSON_ReplaceItemInObject(o, "id", cJSON_CreateString("not-an-id"));
	CHECK(model_page_summary(o, &p) == -EINVAL);
	CHECK(p.title == NULL);
	cJSON_Delete(o);

	/* a block of a type nobody knows yet is kept */
	o = cJSON_Parse("{\"object\":\"block\",\"id\":\"b6213662-0f6c-42c2-96b9-0066ab29457b\","
			"\"type\":\"teleporter\",\"teleporter\":{},\"has_children\":true}");
	CHECK(model_block_summary(o, &b) == 0 && strcmp(b.type, "teleporter") == 0 &&
	      b.has_children);
	cJSON_Delete(o);
	/* a partial user (only id) */
	o = cJSON_Parse("{\"object\":\"user\",\"id\":\"6860cd48-ced8-41b3-b824-c7d039085db1\"}");
	CHECK(model_user_summary(o, &u) == 0 && u.name[0] == '\0' &&
	      u.email[0] == '\0' && u.type[0] == '\0');
	model_user_release(&u);
	cJSON_Delete(o);
	CHECK(model_page_summary(NULL, &p) == -EINVAL);
}

static void test_ids(void)
{
	char out[MODEL_ID_SIZE];
	const char *want = "5e95243a-d6a5-408b-bfd2-bd99270cc2bb";

	CHECK(model_normalize_id("5e95243ad6a5408bbfd2bd99270cc2bb", out) == 0 &&
	      strcmp(out, want) == 0);
	CHECK(model_normalize_id("5E95243A-D6A5-408B-BFD2-BD99270CC2BB", out) == 0 &&
	      strcmp(out, want) == 0);
	CHECK(model_normalize_id(want, out) == 0 && strcmp(out, want) == 0);
	CHECK(model_normalize_id("5e95243a-d6a5408b-bfd2-bd99270cc2bb", out) == -EINVAL);
	CHECK(model_normalize_id("5e95243ad6a5408bbfd2bd99270cc2b", out) == -EINVAL);
	CHECK(model_normalize_id("5e95243ad6a5408bbfd2bd99270cc2bbb", out) == -EINVAL);
	CHECK(model_normalize_id("5e95243ad6a5408bbfd2bd99270cc2bg", out) == -EINVAL);
	CHECK(model_normalize_id("-5e95243ad6a5408bbfd2bd99270cc2bb", out) == -EINVAL);
	CHECK(model_normalize_id("", out) == -EINVAL && out[0] == '\0');
	CHECK(model_normalize_id(NULL, out) == -EINVAL);
}

static void test_times(void)
{
	char s[MODEL_TIME_SIZE];
	time_t t;
	int ms;

	CHECK(iso_time_parse("1970-01-01T00:00:00.000Z", &t, &ms) == 0 && t == 0 && ms == 0);
	CHECK(iso_time_parse("2024-05-04T14:07:00.123Z", &t, &ms) == 0 &&
	      t == 1714831620 && ms == 123);
	CHECK(iso_time_parse("2024-05-04T16:07:00.1+02:00", &t, &ms) == 0 &&
	      t == 1714831620 && ms == 100);
	CHECK(iso_time_parse("2024-05-04T09:37:00-0430", &t, NULL) == 0 &&
	      t == 1714831620);
	CHECK(iso_time_parse("2024-05-04T14:07", &t, NULL) == 0 && t == 1714831620);
	CHECK(iso_time_parse("2024-05-04", &t, NULL) == 0 && t == 1714780800);
	CHECK(iso_time_parse("2024-02-29T00:00:00Z", &t, NULL) == 0);
	CHECK(iso_time_parse("2023-02-29T00:00:00Z", &t, NULL) == -EINVAL);
	CHECK(iso_time_parse("2024-13-01T00:00:00Z", &t, NULL) == -EINVAL);
	CHECK(iso_time_parse("2024-05-04T24:00:00Z", &t, NULL) == -EINVAL);
	CHECK(iso_time_parse("2024-05-04T14:07:00.Z", &t, NULL) == -EINVAL);
	CHECK(iso_time_parse("2024-05-04T14:07:00Zjunk", &t, NULL) == -EINVAL);
	CHECK(iso_time_parse("yesterday", &t, NULL) == -EINVAL);
	CHECK(iso_time_parse("", &t, NULL) == -EINVAL);
	CHECK(iso_time_parse(NULL, &t, NULL) == -EINVAL);
	CHECK(iso_time_parse("1969-12-31T23:59:59Z", &t, NULL) == 0 && t == -1);
	CHECK(iso_time_format(1714831620, 5, s, sizeof(s)) == 0 &&
	      strcmp(s, "2024-05-04T14:07:00.005Z") == 0);
	CHECK(iso_time_format(0, 0, s, 10) == -ERANGE && s[0] == '\0');
	CHECK(iso_time_format(0, 1000, s, sizeof(s)) == -ERANGE);
}

/* notion_parse_error() on a C string. */
static int parse_str(int status, const char *s, struct notion_error *e)
{
	return notion_parse_error(status, s, strlen(s), e);
}

static void test_error_bodies(void)
{
	static const char html[] = "<html>\r\n<head><title>502 Bad Gateway</title></head>\n"
				   "<body>\x01\xff</body></html>";
	struct notion_error e;

	CHECK(notion_parse_error(502, html, sizeof(html) - 1, &e) == -EPROTO);
	CHECK(e.kind == NOTION_ERR_SERVER && e.http_status == 502 && e.code[0] == '\0');
	CHECKF(strstr(e.message, "502 Bad Gateway") != NULL &&
	       !strpbrk(e.message, "\r\n\x01\xff"), "message '%s'", e.message);
	CHECK(notion_parse_error(503, NULL, 0, &e) == -EPROTO && e.kind == NOTION_ERR_SERVER);
	CHECK(parse_str(429, "{\"object\":\"error\",\"status\":429,"
			"\"code\":\"rate_limited\",\"message\":\"slow\"}",
			&e) == 0 && e.kind == NOTION_ERR_RATE);
	CHECK(parse_str(409, "{\"object\":\"error\",\"code\":\"conflict_error\"}",
			&e) == 0 && e.kind == NOTION_ERR_SERVER &&
	      strcmp(e.code, "conflict_error") == 0 && e.message[0] == '\0');
	/* the answer of issue 10 to a 2022-06-28 client (not in the recordings) */
	CHECK(parse_str(400, "{\"object\":\"error\",\"status\":400,\"code\":"
			"\"validation_error\",\"message\":\"Databases with multiple data "
			"sources are not supported in this API version.\",\"additional_data\":"
			"{\"error_type\":\"multiple_data_sources_for_database\"},"
			"\"request_id\":\"r1\"}", &e) == 0 && e.kind == NOTION_ERR_VALIDATION);
	CHECK_STR(e.error_type, "multiple_data_sources_for_database");
	CHECK_STR(e.additional_data, "{\"error_type\":\"multiple_data_sources_for_database\"}");
	CHECK_STR(e.request_id, "r1");
	/* a long additional_data is cut at a character boundary, marked */
	{
		struct buf b = BUF_INIT;
		size_t l;

		buf_puts(&b, "{\"object\":\"error\",\"code\":\"x\",\"additional_data\":{\"k\":\"");
		for (l = 0; l < 200; l++)
			buf_puts(&b, "\xc3\xa9");	/* é, two bytes */
		buf_puts(&b, "\"}}");
		CHECK(parse_str(400, buf_str(&b), &e) == 0);
		l = strlen(e.additional_data);
		CHECKF(l < sizeof(e.additional_data) && l > 200 &&
		       strcmp(e.additional_data + l - 3, "...") == 0 &&
		       ((unsigned char)e.additional_data[l - 4] & 0xC0) != 0xC0,
		       "cut as '%s'", e.additional_data);
		buf_release(&b);
	}
	CHECK(parse_str(400, "[1,2]", &e) == -EPROTO &&
	      e.kind == NOTION_ERR_VALIDATION);
	CHECK(parse_str(302, "x", &e) == -EPROTO && e.kind == NOTION_ERR_PROTOCOL);
	CHECK(notion_parse_error_json(0, NULL, &e) == -EPROTO && e.kind == NOTION_ERR_PROTOCOL);
}

int main(int argc, char **argv)
{
	int i, k, rc, first = 1, errors = 0;

	if (argc > 1 && strcmp(argv[1], "--errors-only") == 0) {
		errors_only = 1;
		first = 2;
	}
	if (!errors_only) {
		test_ids();
		test_times();
		test_handmade();
		test_error_bodies();
	}
	if (argc <= first) {
		fprintf(stderr, "usage: %s [--errors-only] FIXTURES_DIR...\n", argv[0]);
		return 2;
	}
	for (i = first; i < argc; i++) {
		memset(counts, 0, sizeof(counts));
		rc = check_dir(argv[i]);
		if (rc == -ENOENT || rc == -ENOTDIR) {
			/* only the group that reads the recorded fixtures skips */
			printf("fixtures %s missing: their group skipped\n", argv[i]);
			continue;
		}
		CHECKF(rc == 0, "cannot read %s", argv[i]);
		printf("-- %s\n", argv[i]);
		for (k = 0; k < K_COUNT; k++)
			printf("%-20s %d\n", kind_names[k], counts[k]);
		CHECK(counts[K_FILES] > 0);
		errors += counts[K_ERROR];
		if (errors_only || i == first)
			continue;
		/* the folder after the first (2025-09-03 and 2026-03-11): both
		 * versions, and each kind of data-source answer, were parsed */
		CHECK(counts[K_V2025] > 0 && counts[K_V2026] > 0);
		CHECK(counts[K_DATA_SOURCE] > 0 && counts[K_CONTAINER] > 0 && counts[K_DS_ROW] > 0);
		CHECK(counts[K_LIST_DS] > 0);
	}
	if (errors_only)
		CHECK(errors > 0);
	return check_done();
}
