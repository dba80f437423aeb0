/* test_frontmatter.c - unit tests of fs/props (front-matter render / split / diff / schema).
 *
 * Usage: test_frontmatter FIXTURE_DIR...   (the recorded Notion API answers, one folder per
 * argument; only the groups that read a folder skip if it is absent)
 * Prints one line per failure and finally "N passed, N failed"; exits 1 on any failure.
 * Owns nothing beyond its own allocations, all freed before exit (run under valgrind/ASan).
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "common/check.h"
#include "fs/props/frontmatter.h"

/* Parses JSON written with ' for " (test literals stay readable).  Aborts on bad input:
 * a broken literal is a bug in this file.  Caller frees. */
static cJSON *jq(const char *src)
{
	char *s = strdup(src);
	cJSON *j;

	if (!s)
		abort();
	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	j = cJSON_Parse(s);
	if (!j) {
		fprintf(stderr, "bad test JSON near: %.60s\n", cJSON_GetErrorPtr());
		abort();
	}
	free(s);
	return j;
}

/* ------------------------------------------------------------ resolvers */

static const char *const test_pages[][2] = {
	{ "11111111-1111-1111-1111-111111111111", "Buy milk" },
	{ "22222222-2222-2222-2222-222222222222", "Plan: Q3 #1" },
	{ "33333333-3333-3333-3333-333333333333", "Twin" },
	{ "44444444-4444-4444-4444-444444444444", "Twin" },
	{ "dddddddd-dddd-dddd-dddd-dddddddddddd", "Projects" },
};

static const char *const test_users[][3] = {
	{ "aaaaaaaa-0000-0000-0000-000000000001", "Ada Lovelace", "ada@example.com" },
	{ "aaaaaaaa-0000-0000-0000-000000000002", "Alan Turing", "alan@example.com" },
};

#define NPAGES (sizeof(test_pages) / sizeof(test_pages[0]))
#define NUSERS (sizeof(test_users) / sizeof(test_users[0]))

/* Forward: page id -> name (malloc'd) or NULL. */
static char *t_page_name(void *arg, const char *id)
{
	(void)arg;
	for (size_t i = 0; i < NPAGES; i++)
		if (strcmp(test_pages[i][0], id) == 0)
			return strdup(test_pages[i][1]);
	return NULL;
}

/* Forward: user id -> name (malloc'd) or NULL. */
static char *t_user_name(void *arg, const char *id)
{
	(void)arg;
	for (size_t i = 0; i < NUSERS; i++)
		if (strcmp(test_users[i][0], id) == 0)
			return strdup(test_users[i][1]);
	return NULL;
}

/* Reverse: page name or id -> id (malloc'd); ambiguous names set *amb. */
static char *t_resolve_page(void *arg, const char *db, const char *name, int *amb)
{
	const char *hit = NULL;
	int n = 0;

	(void)arg;
	(void)db;
	for (size_t i = 0; i < NPAGES; i++)
		if (strcmp(test_pages[i][1], name) == 0 || strcmp(test_pages[i][0], name) == 0) {
			hit = test_pages[i][0];
			n++;
		}
	if (n > 1)
		*amb = 1;
	return n == 1 ? strdup(hit) : NULL;
}

/* Reverse: user name or e-mail -> id (malloc'd). */
static char *t_resolve_user(void *arg, const char *name, int *amb)
{
	(void)arg;
	(void)amb;
	for (size_t i = 0; i < NUSERS; i++)
		if (strcmp(test_users[i][1], name) == 0 || strcmp(test_users[i][2], name) == 0)
			return strdup(test_users[i][0]);
	return NULL;
}

static const struct fm_resolve t_fwd = { t_page_name, t_user_name, NULL };
static const struct fm_resolver_rev t_rev = { &t_fwd, t_resolve_page, t_resolve_user, NULL };

/* ------------------------------------------------------------ helpers */

/* Renders page; returns the malloc'd text or NULL (and counts a failure). */
static char *render(const cJSON *schema, const cJSON *page, const struct fm_resolve *r)
{
	struct buf b = BUF_INIT;
	int rc = fm_render(schema, page, r, &b);

	if (!CHECKF(rc == 0, "fm_render returned %d", rc)) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

/* Runs fm_diff on text; returns rc, *patch and *err for the caller to free. */
static int diff(const char *text, const cJSON *schema, const cJSON *base, cJSON **patch,
		char **err)
{
	size_t fm_len = 0;
	int rc = fm_split(text, strlen(text), &fm_len);

	*patch = NULL;
	*err = NULL;
	if (rc)
		return rc;
	return fm_diff(text, fm_len, schema, base, &t_rev, patch, err);
}

/* Number of changed properties in a patch (-1 if malformed). */
static int patch_count(const cJSON *patch)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(patch, "properties");

	return cJSON_IsObject(p) ? cJSON_GetArraySize(p) : -1;
}

/* Checks that text round-trips to an empty patch against base. */
static void check_roundtrip(const char *what, const char *text, const cJSON *schema,
			    const cJSON *base)
{
	cJSON *patch;
	char *err;
	int rc = diff(text, schema, base, &patch, &err);

	if (CHECKF(rc == 0, "%s: fm_diff of an unchanged render failed (%d): %s", what, rc,
		  err ? err : "")) {
		char *s = cJSON_PrintUnformatted(patch);

		CHECKF(patch_count(patch) == 0, "%s: unchanged render gave patch %s\n%s", what,
		      s, text);
		free(s);
	}
	cJSON_Delete(patch);
	free(err);
}

/* Replaces the first occurrence of from in text by to; returns a malloc'd copy. */
static char *replace(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	char *out;

	if (!at)
		return strdup(text);
	if (asprintf(&out, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from)) < 0)
		abort();
	return out;
}

/* ------------------------------------------------------------ golden page */

static const char *const golden_schema =
	"{'Estimate': {'id': 'e1', 'name': 'Estimate', 'type': 'number', 'number': {'format': 'number'}},"
	" 'Name': {'id': 'title', 'name': 'Name', 'type': 'title', 'title': {}},"
	" 'Notes': {'id': 'n1', 'name': 'Notes', 'type': 'rich_text', 'rich_text': {}},"
	" 'Priority': {'id': 'p1', 'name': 'Priority', 'type': 'select', 'select': {'options': ["
	"   {'id': 'o1', 'name': 'Low', 'color': 'gray'}, {'id': 'o2', 'name': 'High', 'color': 'red'}]}},"
	" 'Tags': {'id': 't1', 'name': 'Tags', 'type': 'multi_select', 'multi_select': {'options': ["
	"   {'id': 'o3', 'name': 'health', 'color': 'green'}, {'id': 'o4', 'name': 'home', 'color': 'blue'}]}},"
	" 'Status': {'id': 's1', 'name': 'Status', 'type': 'status', 'status': {'options': ["
	"   {'id': 's-a', 'name': 'Not started', 'color': 'default'},"
	"   {'id': 's-b', 'name': 'In progress', 'color': 'blue'},"
	"   {'id': 's-c', 'name': 'Done', 'color': 'green'}],"
	"   'groups': [{'id': 'g1', 'name': 'To-do', 'color': 'gray', 'option_ids': ['s-a']},"
	"              {'id': 'g2', 'name': 'In progress', 'color': 'blue', 'option_ids': ['s-b']},"
	"              {'id': 'g3', 'name': 'Complete', 'color': 'green', 'option_ids': ['s-c']}]}},"
	" 'Due': {'id': 'd1', 'name': 'Due', 'type': 'date', 'date': {}},"
	" 'Span': {'id': 'd2', 'name': 'Span', 'type': 'date', 'date': {}},"
	" 'Meeting': {'id': 'd3', 'name': 'Meeting', 'type': 'date', 'date': {}},"
	" 'Owner': {'id': 'u1', 'name': 'Owner', 'type': 'people', 'people': {}},"
	" 'Attachments': {'id': 'f1', 'name': 'Attachments', 'type': 'files', 'files': {}},"
	" 'Done': {'id': 'c1', 'name': 'Done', 'type': 'checkbox', 'checkbox': {}},"
	" 'Link': {'id': 'l1', 'name': 'Link', 'type': 'url', 'url': {}},"
	" 'Mail': {'id': 'm1', 'name': 'Mail', 'type': 'email', 'email': {}},"
	" 'Phone': {'id': 'ph', 'name': 'Phone', 'type': 'phone_number', 'phone_number': {}},"
	" 'Related': {'id': 'r1', 'name': 'Related', 'type': 'relation', 'relation': {"
	"   'database_id': 'dddddddd-dddd-dddd-dddd-dddddddddddd', 'type': 'dual_property',"
	"   'dual_property': {'synced_property_name': 'Back', 'synced_property_id': 'xx'}}},"
	" 'Score': {'id': 'fo', 'name': 'Score', 'type': 'formula', 'formula': {'expression': 'prop(\\'Estimate\\') * 2'}},"
	" 'Total': {'id': 'ro', 'name': 'Total', 'type': 'rollup', 'rollup': {'relation_property_name': 'Related',"
	"   'rollup_property_name': 'Estimate', 'function': 'sum'}},"
	" 'Items': {'id': 'ra', 'name': 'Items', 'type': 'rollup', 'rollup': {'relation_property_name': 'Related',"
	"   'rollup_property_name': 'Name', 'function': 'show_original'}},"
	" 'Created': {'id': 'ct', 'name': 'Created', 'type': 'created_time', 'created_time': {}},"
	" 'Creator': {'id': 'cb', 'name': 'Creator', 'type': 'created_by', 'created_by': {}},"
	" 'Edited': {'id': 'et', 'name': 'Edited', 'type': 'last_edited_time', 'last_edited_time': {}},"
	" 'Editor': {'id': 'eb', 'name': 'Editor', 'type': 'last_edited_by', 'last_edited_by': {}},"
	" 'ID': {'id': 'ui', 'name': 'ID', 'type': 'unique_id', 'unique_id': {'prefix': 'TASK'}},"
	" 'Verified': {'id': 've', 'name': 'Verified', 'type': 'verification', 'verification': {}},"
	" 'Run': {'id': 'bu', 'name': 'Run', 'type': 'button', 'button': {}},"
	" 'Where': {'id': 'pl', 'name': 'Where', 'type': 'place', 'place': {}},"
	" 'Size': {'id': 'e2', 'name': 'Size', 'type': 'number', 'number': {'format': 'number'}},"
	" 'Later': {'id': 'd4', 'name': 'Later', 'type': 'date', 'date': {}},"
	" '_notion': {'id': 'zz', 'name': '_notion', 'type': 'rich_text', 'rich_text': {}}}";

#define RT(s) "[{'type': 'text', 'text': {'content': '" s "', 'link': null}, 'plain_text': '" s "', 'href': null}]"
#define USER(id, name) "{'object': 'user', 'id': '" id "', 'name': '" name "', 'type': 'person'}"

static const char *const golden_page =
	"{'object': 'page', 'id': 'aaaabbbb-0000-4000-8000-00000000abcd',"
	" 'url': 'https://www.notion.so/Call-the-dentist-aaaabbbb00004000800000000000abcd',"
	" 'parent': {'type': 'database_id', 'database_id': 'dddddddd-dddd-dddd-dddd-dddddddddddd'},"
	" 'properties': {"
	" 'Name': {'id': 'title', 'type': 'title', 'title': " RT("Call: the #dentist") "},"
	" 'Estimate': {'id': 'e1', 'type': 'number', 'number': 2.5},"
	" 'Notes': {'id': 'n1', 'type': 'rich_text', 'rich_text': [{'type': 'text', 'text':"
	"   {'content': 'Bring ', 'link': null}, 'plain_text': 'Bring '},"
	"   {'type': 'text', 'text': {'content': 'the card', 'link': null}, 'annotations': {'bold': true},"
	"   'plain_text': 'the card'}]},"
	" 'Priority': {'id': 'p1', 'type': 'select', 'select': {'id': 'o2', 'name': 'High', 'color': 'red'}},"
	" 'Tags': {'id': 't1', 'type': 'multi_select', 'multi_select': [{'id': 'o3', 'name': 'health'},"
	"   {'id': 'o4', 'name': 'home'}]},"
	" 'Status': {'id': 's1', 'type': 'status', 'status': {'id': 's-b', 'name': 'In progress', 'color': 'blue'}},"
	" 'Due': {'id': 'd1', 'type': 'date', 'date': {'start': '2026-02-05', 'end': null, 'time_zone': null}},"
	" 'Span': {'id': 'd2', 'type': 'date', 'date': {'start': '2022-01-01', 'end': '2022-01-31', 'time_zone': null}},"
	" 'Meeting': {'id': 'd3', 'type': 'date', 'date': {'start': '2021-06-03T14:15:00.000-06:00', 'end': null,"
	"   'time_zone': 'America/Denver'}},"
	" 'Owner': {'id': 'u1', 'type': 'people', 'people': [" USER("aaaaaaaa-0000-0000-0000-000000000001", "Ada L.")
	"   , {'object': 'user', 'id': 'bbbbbbbb-0000-0000-0000-000000000009'}]},"
	" 'Attachments': {'id': 'f1', 'type': 'files', 'files': ["
	"   {'name': 'scan.pdf', 'type': 'file', 'file': {'url': 'https://s3.example.com/scan.pdf?X-Amz-Signature=abc',"
	"    'expiry_time': '2024-05-04T15:08:39.969Z'}},"
	"   {'name': 'https://example.com/a.png', 'type': 'external', 'external': {'url': 'https://example.com/a.png'}},"
	"   {'name': 'Spec', 'type': 'external', 'external': {'url': 'https://example.com/spec'}}]},"
	" 'Done': {'id': 'c1', 'type': 'checkbox', 'checkbox': false},"
	" 'Link': {'id': 'l1', 'type': 'url', 'url': 'https://example.com/x?a=1#frag'},"
	" 'Mail': {'id': 'm1', 'type': 'email', 'email': 'dentist@example.com'},"
	" 'Phone': {'id': 'ph', 'type': 'phone_number', 'phone_number': '+1 303-867-5309'},"
	" 'Related': {'id': 'r1', 'type': 'relation', 'relation': [{'id': '11111111-1111-1111-1111-111111111111'},"
	"   {'id': '22222222-2222-2222-2222-222222222222'}, {'id': 'eeeeeeee-0000-0000-0000-000000000000'}],"
	"   'has_more': false},"
	" 'Score': {'id': 'fo', 'type': 'formula', 'formula': {'type': 'number', 'number': 5}},"
	" 'Total': {'id': 'ro', 'type': 'rollup', 'rollup': {'type': 'number', 'number': 1468.25, 'function': 'sum'}},"
	" 'Items': {'id': 'ra', 'type': 'rollup', 'rollup': {'type': 'array', 'function': 'show_original', 'array': ["
	"   {'type': 'title', 'title': " RT("Item 1") "}, {'type': 'number', 'number': 0.1},"
	"   {'type': 'date', 'date': {'start': '2024-11-25T14:08:00.000+00:00', 'end': null, 'time_zone': null}}]}},"
	" 'Created': {'id': 'ct', 'type': 'created_time', 'created_time': '2021-08-03T13:23:00.000Z'},"
	" 'Creator': {'id': 'cb', 'type': 'created_by', 'created_by': " USER("aaaaaaaa-0000-0000-0000-000000000002", "x") "},"
	" 'Edited': {'id': 'et', 'type': 'last_edited_time', 'last_edited_time': '2026-06-26T13:45:00.000Z'},"
	" 'Editor': {'id': 'eb', 'type': 'last_edited_by', 'last_edited_by': {'object': 'user',"
	"   'id': '6860cd48-ced8-41b3-b824-c7d039085db1', 'name': 'SDK Bot', 'type': 'bot', 'bot': {}}},"
	" 'ID': {'id': 'ui', 'type': 'unique_id', 'unique_id': {'prefix': 'TASK', 'number': 123}},"
	" 'Verified': {'id': 've', 'type': 'verification', 'verification': {'state': 'verified',"
	"   'verified_by': " USER("aaaaaaaa-0000-0000-0000-000000000001", "Ada") ","
	"   'date': {'start': '2023-08-01T00:00:00.000Z', 'end': '2023-10-30T00:00:00.000Z', 'time_zone': null}}},"
	" 'Run': {'id': 'bu', 'type': 'button', 'button': {}},"
	" 'Where': {'id': 'pl', 'type': 'place', 'place': {'lat': 48.85, 'lon': 2.35, 'name': 'Paris'}},"
	" 'Size': {'id': 'e2', 'type': 'number', 'number': null},"
	" 'Later': {'id': 'd4', 'type': 'date', 'date': null},"
	" '_notion': {'id': 'zz', 'type': 'rich_text', 'rich_text': " RT("yes") "}}}";

static const char *const golden_yaml =
	"---\n"
	"Name: 'Call: the #dentist'\n"
	"Estimate: 2.5\n"
	"Notes: Bring the card\n"
	"Priority: High\n"
	"Tags: [health, home]\n"
	"Status: In progress\n"
	"Due: 2026-02-05\n"
	"Span: {start: 2022-01-01, end: 2022-01-31}\n"
	"Meeting: {start: '2021-06-03T14:15:00.000-06:00', time_zone: America/Denver}\n"
	"Owner: [Ada Lovelace, bbbbbbbb-0000-0000-0000-000000000009]\n"
	"Attachments: [scan.pdf, 'https://example.com/a.png', {name: Spec, url: 'https://example.com/spec'}]\n"
	"Done: false\n"
	"Link: https://example.com/x?a=1#frag\n"
	"Mail: dentist@example.com\n"
	"Phone: +1 303-867-5309\n"
	"Related: [Buy milk, 'Plan: Q3 #1', eeeeeeee-0000-0000-0000-000000000000]\n"
	"Score: 5\n"
	"Total: 1468.25\n"
	"Items: [Item 1, 0.1, '2024-11-25T14:08:00.000+00:00']\n"
	"Created: 2021-08-03T13:23:00.000Z\n"
	"Creator: Alan Turing\n"
	"Edited: 2026-06-26T13:45:00.000Z\n"
	"Editor: SDK Bot\n"
	"ID: TASK-123\n"
	"Verified: {state: verified, verified_by: Ada Lovelace, date: {start: '2023-08-01T00:00:00.000Z', end: '2023-10-30T00:00:00.000Z'}}\n"
	"Run:\n"
	"Where: {lat: 48.85, lon: 2.35, name: Paris}\n"
	"Size:\n"
	"Later:\n"
	"_notion: 'yes'\n"
	"__notion: {id: aaaabbbb-0000-4000-8000-00000000abcd, url: 'https://www.notion.so/Call-the-dentist-aaaabbbb00004000800000000000abcd'}\n"
	"---\n";

/* Golden bytes for a page using every property type; determinism; empty round trip. */
static void test_golden(void)
{
	cJSON *schema = jq(golden_schema), *page = jq(golden_page);
	char *a = render(schema, page, &t_fwd), *b = render(schema, page, &t_fwd);

	if (a && !CHECKF(strcmp(a, golden_yaml) == 0, "golden render differs:\n%s", a))
		fprintf(stderr, "expected:\n%s", golden_yaml);
	CHECKF(a && b && strcmp(a, b) == 0, "render is not deterministic");
	if (a)
		check_roundtrip("golden", a, schema, page);
	free(a);
	free(b);
	cJSON_Delete(schema);
	cJSON_Delete(page);
}

/* ------------------------------------------------------------ fixtures */

struct fx_db {
	char *id;
	cJSON *props;	/* borrowed from the file's JSON */
};

struct fx_state {
	struct fx_db dbs[64];
	size_t ndb;
	const cJSON *pages[1024];
	size_t npages;
	const cJSON *items[256];	/* property_item answers */
	size_t nitems;
};

/* A property item ({"object":"property_item","type":T,T:...}) as the one value of a page of
 * a schema built from it: renders, and round-trips to an empty patch. */
static void fx_item(const char *name, const cJSON *item)
{
	const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "type"));
	cJSON *schema, *page, *props, *v;
	char *text;

	if (!type)
		return;
	schema = cJSON_CreateObject();
	page = jq("{'object': 'page', 'id': '00000000-0000-4000-8000-000000000099',"
		  " 'url': 'https://www.notion.so/x', 'properties': {}}");
	props = cJSON_GetObjectItemCaseSensitive(page, "properties");
	v = cJSON_AddObjectToObject(props, "Value");
	cJSON_AddStringToObject(v, "type", type);
	if (cJSON_GetObjectItemCaseSensitive(item, type))
		cJSON_AddItemToObject(v, type,
				      cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(item, type), 1));
	v = cJSON_AddObjectToObject(schema, "Value");
	cJSON_AddStringToObject(v, "name", "Value");
	cJSON_AddStringToObject(v, "type", type);
	cJSON_AddObjectToObject(v, type);
	text = render(schema, page, &t_fwd);
	if (text)
		check_roundtrip(name, text, schema, page);
	free(text);
	cJSON_Delete(schema);
	cJSON_Delete(page);
}

/* Collects database and page objects anywhere under o. */
static void fx_walk(struct fx_state *st, const cJSON *o)
{
	const cJSON *it;
	const char *obj = cJSON_IsObject(o) ? cJSON_GetStringValue(
				  cJSON_GetObjectItemCaseSensitive(o, "object")) : NULL;
	const cJSON *props = cJSON_GetObjectItemCaseSensitive(o, "properties");

	/* 2022-06-28: a database holds the schema; 2025-09-03 and later: its data sources */
	if (obj && cJSON_IsObject(props) && (strcmp(obj, "database") == 0 ||
					     strcmp(obj, "data_source") == 0) && st->ndb < 64) {
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "id"));
		size_t i;

		for (i = 0; i < st->ndb && strcmp(st->dbs[i].id, id ? id : ""); i++)
			;
		if (i == st->ndb)
			st->dbs[st->ndb++].id = strdup(id ? id : "");
		st->dbs[i].props = (cJSON *)props;	/* the last version wins */
	}
	if (obj && cJSON_IsObject(props) && strcmp(obj, "page") == 0 && st->npages < 1024)
		st->pages[st->npages++] = o;
	if (obj && strcmp(obj, "property_item") == 0 && st->nitems < 256)
		st->items[st->nitems++] = o;
	if (cJSON_IsObject(o) || cJSON_IsArray(o))
		cJSON_ArrayForEach(it, o)
			fx_walk(st, it);
}

/* Builds a schema from a page's own property values (caller frees). */
static cJSON *fx_schema_of(const cJSON *page)
{
	cJSON *schema = cJSON_CreateObject();
	const cJSON *it;

	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(page, "properties")) {
		const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "type"));
		cJSON *p = cJSON_AddObjectToObject(schema, it->string);

		cJSON_AddStringToObject(p, "name", it->string);
		cJSON_AddStringToObject(p, "type", type ? type : "unknown");
		cJSON_AddObjectToObject(p, type ? type : "unknown");
	}
	return schema;
}

/* Schema for page: its database's properties when the file has it (borrowed, *own NULL),
 * else one built from the page (*own set, caller frees). */
static const cJSON *fx_schema_for(struct fx_state *st, const cJSON *page, cJSON **own)
{
	const cJSON *parent = cJSON_GetObjectItemCaseSensitive(page, "parent");
	const char *db = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(parent,
										"data_source_id"));

	if (!db)
		db = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(parent, "database_id"));

	*own = NULL;
	for (size_t i = 0; db && i < st->ndb; i++)
		if (strcmp(st->dbs[i].id, db) == 0)
			return st->dbs[i].props;
	*own = fx_schema_of(page);
	return *own;
}

/* Reads a whole file (malloc'd, NUL-terminated) or NULL. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT;
	char chunk[8192];
	size_t n;

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_append(&b, chunk, n) < 0)
			break;
	fclose(f);
	return buf_detach(&b, NULL);
}

/* Renders every page and database of one fixture file; checks round trips. */
static void fx_file(const char *dir, const char *name, size_t *npages, size_t *ndbs,
		    size_t *nitems)
{
	struct fx_state st = { .ndb = 0 };
	char *path, *text;
	cJSON *root;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		abort();
	text = slurp(path);
	root = text ? cJSON_Parse(text) : NULL;
	CHECKF(root != NULL, "%s: unreadable fixture", name);
	fx_walk(&st, root);
	for (size_t i = 0; i < st.npages; i++) {
		cJSON *own;
		const cJSON *schema = fx_schema_for(&st, st.pages[i], &own);
		char *a = render(schema, st.pages[i], &t_fwd);
		char *b = render(schema, st.pages[i], &t_fwd);

		CHECKF(a && b && strcmp(a, b) == 0, "%s: page %zu renders differently twice",
		      name, i);
		if (a)
			check_roundtrip(name, a, schema, st.pages[i]);
		free(a);
		free(b);
		cJSON_Delete(own);
	}
	for (size_t i = 0; i < st.nitems; i++)
		fx_item(name, st.items[i]);
	for (size_t i = 0; i < st.ndb; i++) {
		struct buf out = BUF_INIT;
		cJSON *fake = cJSON_CreateObject();

		cJSON_AddItemReferenceToObject(fake, "properties", st.dbs[i].props);
		CHECKF(fm_render_schema(fake, &t_fwd, &out) == 0 && out.len > 0,
		      "%s: schema of %s does not render", name, st.dbs[i].id);
		buf_release(&out);
		cJSON_Delete(fake);
		free(st.dbs[i].id);
	}
	*npages += st.npages;
	*ndbs += st.ndb;
	*nitems += st.nitems;
	cJSON_Delete(root);
	free(text);
	free(path);
}

/* Keeps *.json entries. */
static int fx_filter(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 5 && strcmp(d->d_name + n - 5, ".json") == 0;
}

/* Every page and property item of every fixture renders and round-trips to an empty patch,
 * every schema (database, or data source from 2025-09-03 on) renders.  Returns 0, or 77 if
 * the directory is missing. */
static int test_fixtures(const char *dir)
{
	struct dirent **list;
	size_t npages = 0, ndbs = 0, nitems = 0;
	int n = scandir(dir, &list, fx_filter, alphasort);

	if (n < 0)
		return 77;
	for (int i = 0; i < n; i++) {
		fx_file(dir, list[i]->d_name, &npages, &ndbs, &nitems);
		free(list[i]);
	}
	free(list);
	CHECKF(npages >= 100 && ndbs >= 5, "fixtures %s: only %zu pages / %zu schemas found",
	      dir, npages, ndbs);
	printf("fixtures %s: %d files, %zu pages, %zu schema versions, %zu property items\n",
	       dir, n, npages, ndbs, nitems);
	return 0;
}

/* The recorded property values of the newer types (2025-09-03 / 2026-03-11) render as
 * docs/format.md says: a place (null in every recording) and a button are empty, a
 * unique_id without a prefix is its number, a verification is its mapping. */
static void test_recorded_new_props(const char *dir)
{
	static const struct {
		const char *file, *prop, *want;
	} cases[] = {
		{ "hkob__2025-09-03__retrieve_property_place.json", NULL, "Value:\n" },
		{ "ultimate-notion__2026-03-11__test_query__test_id_prop.json", "unique_id",
		  "Value: 3\n" },
	};
	char *path, *text;
	cJSON *root;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const cJSON *it, *item = NULL;
		cJSON *schema, *page, *v;
		char *out;

		if (asprintf(&path, "%s/%s", dir, cases[i].file) < 0)
			abort();
		text = slurp(path);
		free(path);
		if (!text) {
			printf("%s not in %s: skipped\n", cases[i].file, dir);
			continue;
		}
		root = cJSON_Parse(text);
		free(text);
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(root, "interactions")) {
			const cJSON *body = cJSON_GetObjectItemCaseSensitive(it, "body");
			const cJSON *res = cJSON_GetObjectItemCaseSensitive(body, "results");
			const cJSON *r;

			if (!cases[i].prop && cJSON_GetObjectItemCaseSensitive(body, "object") &&
			    !strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body,
							 "object")) ?: "", "property_item")) {
				item = body;
				break;
			}
			cJSON_ArrayForEach(r, res) {
				const cJSON *pv;

				cJSON_ArrayForEach(pv, cJSON_GetObjectItemCaseSensitive(r, "properties"))
					if (cases[i].prop &&
					    !strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
						    pv, "type")) ?: "", cases[i].prop) &&
					    cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(
						    cJSON_GetObjectItemCaseSensitive(pv, "unique_id"),
						    "number")) && !item)
						item = pv;
			}
			if (item)
				break;
		}
		CHECKF(item != NULL, "%s: no %s value recorded", cases[i].file,
		       cases[i].prop ? cases[i].prop : "property item");
		if (!item) {
			cJSON_Delete(root);
			continue;
		}
		schema = cJSON_CreateObject();
		v = cJSON_AddObjectToObject(schema, "Value");
		cJSON_AddStringToObject(v, "type", cJSON_GetStringValue(
						       cJSON_GetObjectItemCaseSensitive(item, "type")));
		page = jq("{'object': 'page', 'id': '00000000-0000-4000-8000-000000000099',"
			  " 'properties': {}}");
		cJSON_AddItemToObject(cJSON_GetObjectItemCaseSensitive(page, "properties"), "Value",
				      cJSON_Duplicate(item, 1));
		out = render(schema, page, NULL);
		CHECKF(out && strstr(out, cases[i].want), "%s: rendered [%s], want [%s]",
		       cases[i].file, out ? out : "", cases[i].want);
		free(out);
		cJSON_Delete(schema);
		cJSON_Delete(page);
		cJSON_Delete(root);
	}
}

/* Formula and rollup results of type "unsupported" (and a rollup's "incomplete") are empty
 * and read-only; the newer types are read-only with a message naming the property. */
static void test_unsupported_results(void)
{
	cJSON *schema = jq("{'Name': {'id': 'title', 'type': 'title', 'title': {}},"
			   " 'F': {'id': 'f', 'type': 'formula', 'formula': {'expression': 'x'}},"
			   " 'R': {'id': 'r', 'type': 'rollup', 'rollup': {'function': 'count'}},"
			   " 'I': {'id': 'i', 'type': 'rollup', 'rollup': {'function': 'sum'}},"
			   " 'Where': {'id': 'w', 'type': 'place', 'place': {}},"
			   " 'Go': {'id': 'g', 'type': 'button', 'button': {}},"
			   " 'Ok': {'id': 'v', 'type': 'verification', 'verification': {}},"
			   " 'Num': {'id': 'u', 'type': 'unique_id', 'unique_id': {'prefix': null}}}");
	cJSON *page = jq("{'object': 'page', 'id': '00000000-0000-4000-8000-000000000098',"
			 " 'url': 'https://www.notion.so/y', 'properties': {"
			 " 'Name': {'id': 'title', 'type': 'title', 'title': []},"
			 " 'F': {'id': 'f', 'type': 'formula', 'formula': {'type': 'unsupported',"
			 "   'unsupported': {}}},"
			 " 'R': {'id': 'r', 'type': 'rollup', 'rollup': {'type': 'unsupported',"
			 "   'unsupported': {}, 'function': 'count'}},"
			 " 'I': {'id': 'i', 'type': 'rollup', 'rollup': {'type': 'incomplete',"
			 "   'incomplete': {}, 'function': 'sum'}},"
			 " 'Where': {'id': 'w', 'type': 'place', 'place': {'lat': 48.85, 'lon': 2.35,"
			 "   'name': 'Paris'}},"
			 " 'Go': {'id': 'g', 'type': 'button', 'button': {}},"
			 " 'Ok': {'id': 'v', 'type': 'verification', 'verification': {'state':"
			 "   'unverified', 'verified_by': null, 'date': null}},"
			 " 'Num': {'id': 'u', 'type': 'unique_id', 'unique_id': {'prefix': null,"
			 "   'number': 7}}}}");
	static const char *const want =
		"---\nName:\nF:\nR:\nI:\nWhere: {lat: 48.85, lon: 2.35, name: Paris}\nGo:\n"
		"Ok: {state: unverified}\nNum: 7\n";
	static const char *const edits[][3] = {
		{ "F:\n", "F: 1\n", "\"F\"" },
		{ "R:\n", "R: [a]\n", "\"R\"" },
		{ "I:\n", "I: 3\n", "\"I\"" },
		{ "lat: 48.85", "lat: 40", "\"Where\"" },
		{ "Go:\n", "Go: now\n", "\"Go\"" },
		{ "state: unverified", "state: verified", "\"Ok\"" },
		{ "Num: 7", "Num: 8", "\"Num\"" },
	};
	char *text = render(schema, page, NULL);
	struct buf sch = BUF_INIT;
	cJSON *db;

	CHECKF(text && !strncmp(text, want, strlen(want)), "rendered\n%s\nwant\n%s",
	       text ? text : "", want);
	if (text)
		check_roundtrip("unsupported results", text, schema, page);
	for (size_t i = 0; text && i < sizeof(edits) / sizeof(edits[0]); i++) {
		char *edited = replace(text, edits[i][0], edits[i][1]), *err = NULL;
		cJSON *patch = NULL;
		int rc = diff(edited, schema, page, &patch, &err);

		CHECKF(rc == -EINVAL && patch == NULL && err && strstr(err, edits[i][2]) &&
		       strstr(err, "read-only"), "edit %s: rc %d, message [%s]", edits[i][1], rc,
		       err ? err : "");
		cJSON_Delete(patch);
		free(err);
		free(edited);
	}
	/* the schema lists each with its type, read-only */
	db = jq("{'object': 'data_source', 'id': 'eeeeeeee-eeee-eeee-eeee-eeeeeeeeeeee',"
		" 'title': []}");
	cJSON_AddItemToObject(db, "properties", cJSON_Duplicate(schema, 1));
	CHECK(fm_render_schema(db, NULL, &sch) == 0);
	for (size_t i = 0; i < 5; i++) {
		static const char *const lines[] = {
			"- name: Where\n  type: place\n  id: w\n  read_only: true\n",
			"- name: Go\n  type: button\n  id: g\n  read_only: true\n",
			"- name: Ok\n  type: verification\n  id: v\n  read_only: true\n",
			"- name: Num\n  type: unique_id\n  id: u\n  read_only: true\n",
			"- name: F\n  type: formula\n  id: f\n  read_only: true\n",
		};

		CHECKF(strstr(buf_str(&sch), lines[i]) != NULL, "schema lacks [%s]:\n%s", lines[i],
		       buf_str(&sch));
	}
	buf_release(&sch);
	cJSON_Delete(db);
	free(text);
	cJSON_Delete(schema);
	cJSON_Delete(page);
}

/* ------------------------------------------------------------ hostile strings */

static const char *const hostile[] = {
	": # - [ ] { } ' \" \n", ":", "#", "- ", "[x]", "{a: b}", "'", "\"", "\n",
	"  leading", "trailing  ", " ", "yes", "no", "Yes", "ON", "off", "y", "n", "true",
	"False", "null", "Null", "~", "123", "-7", "1.5", "1e3", "0x1F", "0o17", "1_000",
	"12:30:00", ".inf", "-.Inf", ".nan", "2026-02-05", "2026-02-05T10:00:00Z", "<<", "=",
	"emoji \xF0\x9F\x98\x80\xF0\x9F\x9A\x80", "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D \xD7\xA2\xD7\x95\xD7\x9C\xD7\x9D",
	"\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7 abc", "line1\nline2", "line1\nline2\n",
	"ends\n\n\n", "\n\nstarts with breaks", "  indented\nblock", "a\r\nb", "cr\ronly",
	"tab\there", "\ttab first", "trailing space \nnext", "? q", "!tag", "&anchor",
	"*alias", "%directive", "@at", "`tick", "|pipe", ">fold", "key: value", "a #comment",
	"...", "---", "--- x", "ls\xE2\x80\xA8ps\xE2\x80\xA9nel\xC2\x85", "back\\slash \\n",
	"\"quoted\"", "'single'", "ctrl\x01\x7f", "\xEF\xBB\xBF\x62om", "a,b", "-", "?", "|",
	"é", "x: [y, z]", "{", "}", "}{", "\\", "%", "@", "!", "*", "&", "&a b",
	"very long line aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
};

/* Concatenated text content of patch.properties[name] (malloc'd) or NULL. */
static char *patch_text(const cJSON *patch, const char *name, const char *type)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(patch, "properties"), name);
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(p, type), *it;
	struct buf b = BUF_INIT;

	if (!cJSON_IsArray(arr))
		return NULL;
	buf_puts(&b, "");
	cJSON_ArrayForEach(it, arr)
		buf_puts(&b, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
				     cJSON_GetObjectItemCaseSensitive(it, "text"), "content")));
	return buf_detach(&b, NULL);
}

/* Builds {title: s, Notes: s, <s>: "v"} page + schema for hostile string s. */
static void hostile_page(const char *s, const char *val, cJSON **schema, cJSON **page)
{
	cJSON *props, *p, *arr, *item;
	const char *names[3] = { "Name", "Notes", s };
	const char *types[3] = { "title", "rich_text", "rich_text" };
	const char *vals[3] = { val, val, "v" };

	*schema = cJSON_CreateObject();
	*page = cJSON_CreateObject();
	cJSON_AddStringToObject(*page, "object", "page");
	cJSON_AddStringToObject(*page, "id", "00000000-0000-0000-0000-000000000001");
	props = cJSON_AddObjectToObject(*page, "properties");
	for (int i = 0; i < 3; i++) {
		if (i == 2 && (!*s || strcmp(s, "Name") == 0 || strcmp(s, "Notes") == 0 ||
			       strcmp(s, "_notion") == 0))
			break;
		p = cJSON_AddObjectToObject(*schema, names[i]);
		cJSON_AddStringToObject(p, "type", types[i]);
		cJSON_AddObjectToObject(p, types[i]);
		p = cJSON_AddObjectToObject(props, names[i]);
		cJSON_AddStringToObject(p, "type", types[i]);
		arr = cJSON_AddArrayToObject(p, types[i]);
		item = cJSON_CreateObject();
		cJSON_AddStringToObject(item, "type", "text");
		cJSON_AddStringToObject(cJSON_AddObjectToObject(item, "text"), "content", vals[i]);
		cJSON_AddStringToObject(item, "plain_text", vals[i]);
		cJSON_AddItemToArray(arr, item);
	}
}

/* Every hostile string survives render -> parse as a value and as a property name. */
static void test_hostile(void)
{
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		const char *s = hostile[i];
		cJSON *schema, *page, *bschema, *base, *patch;
		char *text, *err, *got;
		int rc;

		hostile_page(s, s, &schema, &page);
		hostile_page(s, "base", &bschema, &base);
		text = render(schema, page, &t_fwd);
		if (!text)
			goto next;
		check_roundtrip("hostile", text, schema, page);
		/* the base page has other values: the patch carries exactly s back */
		cJSON_ReplaceItemInObject(cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(base, "properties"), strcmp(s, "Name") &&
			strcmp(s, "Notes") && *s && strcmp(s, "_notion") ? s : "Name"),
			"rich_text", cJSON_CreateArray());
		rc = diff(text, schema, base, &patch, &err);
		CHECKF(rc == 0, "hostile [%s]: diff failed: %s", s, err ? err : "");
		got = patch_text(patch, "Name", "title");
		CHECKF(got && strcmp(got, s) == 0, "hostile [%s]: title came back as [%s]\n%s", s,
		      got ? got : "(none)", text);
		free(got);
		got = patch_text(patch, "Notes", "rich_text");
		CHECKF(got && strcmp(got, s) == 0, "hostile [%s]: text came back as [%s]", s,
		      got ? got : "(none)");
		free(got);
		if (*s && strcmp(s, "Name") && strcmp(s, "Notes") && strcmp(s, "_notion")) {
			got = patch_text(patch, s, "rich_text");
			CHECKF(got && strcmp(got, "v") == 0,
			      "hostile key [%s]: property not found in patch\n%s", s, text);
			free(got);
		}
		cJSON_Delete(patch);
		free(err);
next:
		free(text);
		cJSON_Delete(schema);
		cJSON_Delete(page);
		cJSON_Delete(bschema);
		cJSON_Delete(base);
	}
}

/* Non-BMP text (emoji) is written as UTF-8, never as \U escapes, and still round-trips. */
static void test_utf8_out(void)
{
	static const char *const cases[] = {
		"Launch \xF0\x9F\x9A\x80", "\xF0\x9F\x9A\x80", "\xF0\x9F\x9A\x80 first",
		"\xF0\x9D\x84\x9E music \xF0\x9F\x8E\xB5", "pua \xEE\x80\x80 \xF0\x9F\x9A\x80 \xEE\x80\x80",
		"two\n\xF0\x9F\x9A\x80 lines", "k: \xF0\x9F\x9A\x80", "yes",
		"\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB zwj", "\xF4\x8F\xBF\xBD max",
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *s = cases[i];
		cJSON *schema, *page;
		char *text;

		hostile_page(s, s, &schema, &page);
		text = render(schema, page, &t_fwd);
		if (text) {
			CHECKF(!strstr(text, "\\U") && !strstr(text, "\\u"),
			      "utf8 [%s]: escaped in render:\n%s", s, text);
			if (!strchr(s, '\n'))
				CHECKF(strstr(text, s) != NULL, "utf8 [%s]: not verbatim in render:\n%s",
				      s, text);
			check_roundtrip("utf8", text, schema, page);
		}
		free(text);
		cJSON_Delete(schema);
		cJSON_Delete(page);
	}
}

/* Long text is sent in chunks of at most 2000 UTF-16 units, emoji never split. */
static void test_long_text(void)
{
	cJSON *schema = jq(golden_schema), *page = jq(golden_page), *patch, *arr;
	struct buf t = BUF_INIT, doc = BUF_INIT;
	char *err, *got;
	int rc;

	for (int i = 0; i < 1999; i++)
		buf_putc(&t, 'a');
	buf_puts(&t, "\xF0\x9F\x98\x80");	/* straddles the 2000 boundary */
	for (int i = 0; i < 2500; i++)
		buf_putc(&t, 'b');
	buf_printf(&doc, "---\nNotes: %s\n---\n", buf_str(&t));
	rc = diff(buf_str(&doc), schema, page, &patch, &err);
	CHECKF(rc == 0, "long text: %s", err ? err : "");
	arr = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(patch, "properties"), "Notes"), "rich_text");
	CHECKF(cJSON_GetArraySize(arr) == 3, "long text: %d chunks, want 3",
	      cJSON_GetArraySize(arr));
	CHECKF(strlen(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(arr, 0), "text"),
		"content"))) == 1999, "long text: first chunk must stop before the emoji");
	got = patch_text(patch, "Notes", "rich_text");
	CHECKF(got && strcmp(got, buf_str(&t)) == 0, "long text: chunks do not rejoin");
	free(got);
	free(err);
	cJSON_Delete(patch);
	buf_release(&t);
	buf_release(&doc);
	cJSON_Delete(schema);
	cJSON_Delete(page);
}

/* ------------------------------------------------------------ validation */

struct vcase {
	const char *from, *to;	/* edit applied to the golden render */
	const char *want;	/* NULL: success; else a substring of the error */
	const char *want2;	/* second substring (the property) or NULL */
};

static const struct vcase vcases[] = {
	{ "Tags: [health, home]", "Tags: [health, home", "line 6", "YAML" },
	{ "Done: false\n", "Done: false\nColour: red\n", "Colour", "unknown property" },
	{ "Estimate: 2.5", "Estimate: lots", "\"Estimate\"", "number" },
	{ "Estimate: 2.5", "Estimate: '3'", "\"Estimate\"", "number" },
	{ "Estimate: 2.5", "Estimate: 1,5", "\"Estimate\"", "number" },
	{ "Done: false", "Done: maybe", "\"Done\"", "true or false" },
	{ "Due: 2026-02-05", "Due: 2026-02-30", "\"Due\"", "date" },
	{ "Due: 2026-02-05", "Due: tomorrow", "\"Due\"", "date" },
	{ "Due: 2026-02-05", "Due: {end: 2026-02-06}", "\"Due\"", "start" },
	{ "Due: 2026-02-05", "Due: {start: 2026-02-05, until: x}", "\"Due\"", "time_zone" },
	{ "Mail: dentist@example.com", "Mail: dentist at example", "\"Mail\"", "e-mail" },
	{ "Link: https://example.com/x?a=1#frag", "Link: not a url", "\"Link\"", "URL" },
	{ "Phone: +1 303-867-5309", "Phone: call me maybe", "\"Phone\"", "phone" },
	{ "Priority: High", "Priority: [High, Low]", "\"Priority\"", "list" },
	{ "Priority: High", "Priority: High, Low", "\"Priority\"", "comma" },
	{ "Tags: [health, home]", "Tags: health", "\"Tags\"", "list" },
	{ "Tags: [health, home]", "Tags: [health, {a: b}]", "\"Tags\"", "mapping" },
	{ "Status: In progress", "Status: Blocked", "\"Status\"", "Blocked" },
	{ "Score: 5", "Score: 6", "\"Score\"", "read-only" },
	{ "Total: 1468.25", "Total: 1", "\"Total\"", "read-only" },
	{ "Items: [Item 1,", "Items: [Item 2,", "\"Items\"", "read-only" },
	{ "Created: 2021-08-03T13:23:00.000Z", "Created: 2021-08-04", "\"Created\"", "read-only" },
	{ "Creator: Alan Turing", "Creator: Ada Lovelace", "\"Creator\"", "read-only" },
	{ "Edited: 2026-06-26T13:45:00.000Z", "Edited:", "\"Edited\"", "read-only" },
	{ "Editor: SDK Bot", "Editor: Me", "\"Editor\"", "read-only" },
	{ "ID: TASK-123", "ID: TASK-124", "\"ID\"", "read-only" },
	{ "Verified: {state: verified,", "Verified: {state: unverified,", "\"Verified\"", "read-only" },
	{ "Run:", "Run: click", "\"Run\"", "read-only" },
	{ "Where: {lat: 48.85", "Where: {lat: 40.0", "\"Where\"", "read-only" },
	{ "Related: [Buy milk,", "Related: [Nope,", "\"Related\"", "no page named \"Nope\"" },
	{ "Related: [Buy milk,", "Related: [Twin,", "\"Related\"", "several" },
	{ "Owner: [Ada Lovelace,", "Owner: [Nobody,", "\"Owner\"", "no user named" },
	{ "Attachments: [scan.pdf,", "Attachments: [other.pdf,", "\"Attachments\"", "upload" },
	{ "Notes: Bring the card", "Notes: Bring \xff card", "\"Notes\"", "UTF-8" },
	{ "__notion: {id: aaaabbbb", "__notion: {id: ffffbbbb", "__notion", "metadata" },
	{ "Done: false\n", "Done: false\nDone: true\n", "\"Done\"", "twice" },
	{ "Estimate: 2.5\n", "Estimate: &a 2.5\nSize: *a\n", "alias", NULL },
	{ "Name: 'Call: the #dentist'\n", "Name: 'Call: the #dentist'\n...\nx: 1\n", "YAML", NULL },
	{ "Estimate: 2.5", "Estimate: [2.5]", "\"Estimate\"", "list" },
	{ "Span: {start: 2022-01-01,", "Span: {start: 2022-13-01,", "\"Span\"", "date" },
};

/* Each error of the contract gives -EINVAL and a message naming the property. */
static void test_validation(void)
{
	cJSON *schema = jq(golden_schema), *page = jq(golden_page), *patch;
	char *base = render(schema, page, &t_fwd), *text, *err;
	int rc;

	for (size_t i = 0; base && i < sizeof(vcases) / sizeof(vcases[0]); i++) {
		const struct vcase *v = &vcases[i];

		CHECKF(strstr(base, v->from) != NULL, "case %zu: [%s] not in render", i, v->from);
		text = replace(base, v->from, v->to);
		rc = diff(text, schema, page, &patch, &err);
		CHECKF(rc == -EINVAL && patch == NULL, "case %zu (%s): rc %d, want -EINVAL", i,
		      v->to, rc);
		CHECKF(err && strstr(err, v->want) && (!v->want2 || strstr(err, v->want2)),
		      "case %zu (%s): message [%s] lacks [%s]/[%s]", i, v->to, err ? err : "",
		      v->want, v->want2 ? v->want2 : "");
		cJSON_Delete(patch);
		free(err);
		free(text);
	}
	free(base);
	cJSON_Delete(schema);
	cJSON_Delete(page);
}

struct pcase {
	const char *from, *to;
	const char *patch;	/* expected patch, JSON with ' for " */
};

static const struct pcase pcases[] = {
	/* one-property change: only that property, in request shape */
	{ "Estimate: 2.5", "Estimate: 3", "{'properties': {'Estimate': {'number': 3}}}" },
	{ "Estimate: 2.5", "Estimate: -0.125", "{'properties': {'Estimate': {'number': -0.125}}}" },
	{ "Estimate: 2.5", "Estimate:", "{'properties': {'Estimate': {'number': null}}}" },
	/* a select option that does not exist yet is allowed */
	{ "Priority: High", "Priority: Urgent",
	  "{'properties': {'Priority': {'select': {'name': 'Urgent'}}}}" },
	{ "Priority: High", "Priority: ~", "{'properties': {'Priority': {'select': null}}}" },
	{ "Status: In progress", "Status: Done",
	  "{'properties': {'Status': {'status': {'name': 'Done'}}}}" },
	{ "Tags: [health, home]", "Tags: [home, new one]",
	  "{'properties': {'Tags': {'multi_select': [{'name': 'home'}, {'name': 'new one'}]}}}" },
	{ "Tags: [health, home]", "Tags: []", "{'properties': {'Tags': {'multi_select': []}}}" },
	{ "Due: 2026-02-05", "Due: 2026-03-01T09:30:00+01:00",
	  "{'properties': {'Due': {'date': {'start': '2026-03-01T09:30:00+01:00', 'end': null}}}}" },
	{ "Due: 2026-02-05", "Due: {start: 2026-02-05, end: 2026-02-07, time_zone: Europe/Paris}",
	  "{'properties': {'Due': {'date': {'start': '2026-02-05', 'end': '2026-02-07',"
	  " 'time_zone': 'Europe/Paris'}}}}" },
	{ "Due: 2026-02-05", "Due:", "{'properties': {'Due': {'date': null}}}" },
	{ "Done: false", "Done: true", "{'properties': {'Done': {'checkbox': true}}}" },
	{ "Mail: dentist@example.com", "Mail:", "{'properties': {'Mail': {'email': null}}}" },
	{ "Link: https://example.com/x?a=1#frag", "Link: example.org/docs",
	  "{'properties': {'Link': {'url': 'example.org/docs'}}}" },
	{ "Phone: +1 303-867-5309", "Phone: (555) 010-9999 x12",
	  "{'properties': {'Phone': {'phone_number': '(555) 010-9999 x12'}}}" },
	{ "Name: 'Call: the #dentist'", "Name: Call the dentist",
	  "{'properties': {'Name': {'title': [{'type': 'text', 'text': {'content': 'Call the dentist'}}]}}}" },
	{ "Notes: Bring the card", "Notes:", "{'properties': {'Notes': {'rich_text': []}}}" },
	/* unchanged names keep their ids, new ones are resolved (by name, e-mail or id) */
	{ "Related: [Buy milk, 'Plan: Q3 #1', eeeeeeee-0000-0000-0000-000000000000]",
	  "Related: [eeeeeeee-0000-0000-0000-000000000000, Buy milk, 33333333-3333-3333-3333-333333333333]",
	  "{'properties': {'Related': {'relation': [{'id': 'eeeeeeee-0000-0000-0000-000000000000'},"
	  " {'id': '11111111-1111-1111-1111-111111111111'}, {'id': '33333333-3333-3333-3333-333333333333'}]}}}" },
	{ "Related: [Buy milk, 'Plan: Q3 #1', eeeeeeee-0000-0000-0000-000000000000]", "Related: []",
	  "{'properties': {'Related': {'relation': []}}}" },
	{ "Owner: [Ada Lovelace, bbbbbbbb-0000-0000-0000-000000000009]",
	  "Owner: [bbbbbbbb-0000-0000-0000-000000000009, alan@example.com]",
	  "{'properties': {'Owner': {'people': [{'object': 'user', 'id': 'bbbbbbbb-0000-0000-0000-000000000009'},"
	  " {'object': 'user', 'id': 'aaaaaaaa-0000-0000-0000-000000000002'}]}}}" },
	/* hosted files are kept by name (signed URL sent back, expiry dropped); URLs are added */
	{ "Attachments: [scan.pdf, 'https://example.com/a.png', {name: Spec, url: 'https://example.com/spec'}]",
	  "Attachments: [https://example.com/b.png, scan.pdf, {name: Logo, url: 'https://example.com/l.svg'}]",
	  "{'properties': {'Attachments': {'files': ["
	  "{'name': 'https://example.com/b.png', 'type': 'external', 'external': {'url': 'https://example.com/b.png'}},"
	  "{'name': 'scan.pdf', 'type': 'file', 'file': {'url': 'https://s3.example.com/scan.pdf?X-Amz-Signature=abc'}},"
	  "{'name': 'Logo', 'type': 'external', 'external': {'url': 'https://example.com/l.svg'}}]}}}" },
	/* the property literally named _notion is a normal property */
	{ "_notion: 'yes'", "_notion: no",
	  "{'properties': {'_notion': {'rich_text': [{'type': 'text', 'text': {'content': 'no'}}]}}}" },
	/* removing a key means unchanged; so does removing the metadata */
	{ "Estimate: 2.5\n", "", "{'properties': {}}" },
	{ "__notion: {id: aaaabbbb-0000-4000-8000-00000000abcd, url: 'https://www.notion.so/Call-the-dentist-aaaabbbb00004000800000000000abcd'}\n",
	  "", "{'properties': {}}" },
	/* read-only values may be restyled as long as they are equal */
	{ "Score: 5", "Score: '5'", "{'properties': {}}" },
	{ "Tags: [health, home]", "Tags:\n- health\n- home", "{'properties': {}}" },
	{ "Due: 2026-02-05", "Due: \"2026-02-05\"", "{'properties': {}}" },
	/* comments are fine */
	{ "Done: false", "Done: false # not yet", "{'properties': {}}" },
};

/* Accepted edits give exactly the expected patch. */
static void test_patches(void)
{
	cJSON *schema = jq(golden_schema), *page = jq(golden_page), *patch, *want;
	char *base = render(schema, page, &t_fwd), *text, *err;
	int rc;

	for (size_t i = 0; base && i < sizeof(pcases) / sizeof(pcases[0]); i++) {
		const struct pcase *p = &pcases[i];

		CHECKF(strstr(base, p->from) != NULL, "patch %zu: [%s] not in render", i, p->from);
		text = replace(base, p->from, p->to);
		want = jq(p->patch);
		rc = diff(text, schema, page, &patch, &err);
		if (CHECKF(rc == 0, "patch %zu (%s): rc %d: %s", i, p->to, rc, err ? err : "")) {
			char *got = cJSON_PrintUnformatted(patch);

			CHECKF(cJSON_Compare(patch, want, 1), "patch %zu (%s): got %s", i, p->to, got);
			free(got);
		}
		cJSON_Delete(want);
		cJSON_Delete(patch);
		free(err);
		free(text);
	}
	free(base);
	cJSON_Delete(schema);
	cJSON_Delete(page);
}

/* A front-matter that is not a mapping, an empty one, and bare YAML without markers. */
static void test_diff_shapes(void)
{
	cJSON *schema = jq(golden_schema), *page = jq(golden_page), *patch;
	char *err;

	CHECKF(fm_diff("---\n- a\n---\n", 12, schema, page, &t_rev, &patch, &err) == -EINVAL &&
	      err && strstr(err, "mapping"), "a list front-matter must be refused");
	free(err);
	CHECKF(fm_diff("---\n---\n", 8, schema, page, &t_rev, &patch, &err) == 0 &&
	      patch_count(patch) == 0, "an empty front-matter changes nothing");
	cJSON_Delete(patch);
	free(err);
	CHECKF(fm_diff("Done: true\n", 11, schema, page, NULL, &patch, &err) == 0 &&
	      patch_count(patch) == 1, "bare YAML without markers is accepted");
	cJSON_Delete(patch);
	free(err);
	CHECKF(fm_diff("---\nDone: true\n", 15, schema, page, NULL, &patch, &err) == -EINVAL &&
	      err && strstr(err, "closing"), "an unclosed block is refused");
	free(err);
	cJSON_Delete(schema);
	cJSON_Delete(page);
}

/* Truncating or corrupting the golden render anywhere gives 0 or -EINVAL with a message,
 * never a crash or a leak (the sanitizer / valgrind runs check the latter). */
static void test_mutations(void)
{
	static const char subst[] = { ':', '[', '{', '\n', '"', '\'', '#', '-', ' ', '\t', '*', '\xff' };
	cJSON *schema = jq(golden_schema), *page = jq(golden_page), *patch;
	char *base = render(schema, page, &t_fwd), *err;
	size_t len = base ? strlen(base) : 0, bad = 0;

	for (size_t i = 0; base && i <= len; i++) {
		for (size_t k = 0; k <= sizeof(subst); k++) {
			char *t = strdup(base);
			size_t tl = len;
			int rc;

			if (k == sizeof(subst))
				tl = i;			/* truncation */
			else if (i < len)
				t[i] = subst[k];	/* corruption */
			rc = fm_diff(t, tl, schema, page, &t_rev, &patch, &err);
			if (!((rc == 0 && patch && !err) || (rc == -EINVAL && !patch && err)))
				bad++;
			cJSON_Delete(patch);
			free(err);
			free(t);
		}
	}
	CHECKF(bad == 0, "mutations: %zu results break the fm_diff contract", bad);
	free(base);
	cJSON_Delete(schema);
	cJSON_Delete(page);
}

/* Without any resolver, ids are shown and the round trip still holds. */
static void test_no_resolver(void)
{
	cJSON *schema = jq(golden_schema), *page = jq(golden_page), *patch;
	struct buf b = BUF_INIT;
	char *err;
	int rc = fm_render(schema, page, NULL, &b);

	CHECKF(rc == 0 && strstr(buf_str(&b), "Related: [11111111-1111-1111-1111-111111111111,")
	      && strstr(buf_str(&b), "Owner: [Ada L., bbbbbbbb-"), "no-resolver render:\n%s",
	      buf_str(&b));
	rc = fm_diff(b.data, b.len, schema, page, NULL, &patch, &err);
	CHECKF(rc == 0 && patch_count(patch) == 0, "no-resolver round trip: %s", err ? err : "");
	cJSON_Delete(patch);
	free(err);
	buf_release(&b);
	cJSON_Delete(schema);
	cJSON_Delete(page);
}

/* ------------------------------------------------------------ split */

/* fm_split: where the front-matter ends, BOM / CRLF, unclosed blocks. */
static void test_split(void)
{
	static const struct {
		const char *text;
		int rc;
		size_t len;
	} cases[] = {
		{ "", 0, 0 },
		{ "# Title\n", 0, 0 },
		{ "----\nx\n", 0, 0 },
		{ "---\na: 1\n---\nbody\n", 0, 13 },
		{ "---\r\na: 1\r\n---\r\nbody", 0, 16 },
		{ "\xEF\xBB\xBF---\na: 1\n---\n", 0, 16 },
		{ "---\n---\n", 0, 8 },
		{ "---\na: 1\n---", 0, 12 },
		{ "---\na: 1\n--- \nb", 0, 14 },
		{ "---\na: 1\n", -EINVAL, 0 },
		{ "---\na: |\n  ----\n---\nx", 0, 20 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = 99;
		int rc = fm_split(cases[i].text, strlen(cases[i].text), &len);

		CHECKF(rc == cases[i].rc && len == cases[i].len, "split %zu: rc %d len %zu", i, rc,
		      len);
	}
}

/* ------------------------------------------------------------ schema */

static const char *const golden_schema_yaml =
	"database: 'Tasks: 2026'\n"
	"id: dddddddd-dddd-dddd-dddd-dddddddddddd\n"
	"properties:\n"
	"- name: Name\n"
	"  type: title\n"
	"  id: title\n"
	"  read_only: false\n"
	"- name: Estimate\n"
	"  type: number\n"
	"  id: e1\n"
	"  read_only: false\n"
	"  format: number\n"
	"- name: Notes\n"
	"  type: rich_text\n"
	"  id: n1\n"
	"  read_only: false\n"
	"- name: Priority\n"
	"  type: select\n"
	"  id: p1\n"
	"  read_only: false\n"
	"  options:\n"
	"  - {name: Low, color: gray}\n"
	"  - {name: High, color: red}\n"
	"- name: Tags\n"
	"  type: multi_select\n"
	"  id: t1\n"
	"  read_only: false\n"
	"  options:\n"
	"  - {name: health, color: green}\n"
	"  - {name: home, color: blue}\n"
	"- name: Status\n"
	"  type: status\n"
	"  id: s1\n"
	"  read_only: false\n"
	"  options:\n"
	"  - {name: Not started, color: default}\n"
	"  - {name: In progress, color: blue}\n"
	"  - {name: Done, color: green}\n"
	"  groups:\n"
	"  - {name: To-do, color: gray, options: [Not started]}\n"
	"  - {name: In progress, color: blue, options: [In progress]}\n"
	"  - {name: Complete, color: green, options: [Done]}\n";

/* The schema file: exact bytes of the first properties, every type described. */
static void test_schema(void)
{
	cJSON *db = jq("{'object': 'database', 'id': 'dddddddd-dddd-dddd-dddd-dddddddddddd',"
		       " 'title': " RT("Tasks: 2026") "}");
	struct buf out = BUF_INIT;
	int rc;

	cJSON_AddItemToObject(db, "properties", jq(golden_schema));
	rc = fm_render_schema(db, &t_fwd, &out);
	CHECKF(rc == 0, "schema render: %d", rc);
	CHECKF(strncmp(buf_str(&out), golden_schema_yaml, strlen(golden_schema_yaml)) == 0,
	      "schema start differs:\n%s", buf_str(&out));
	CHECKF(strstr(buf_str(&out), "  database: Projects\n  database_id: dddddddd") != NULL,
	      "schema: relation target name missing");
	CHECKF(strstr(buf_str(&out), "  synced_property: Back\n") != NULL,
	      "schema: synced property missing");
	CHECKF(strstr(buf_str(&out), "  expression: prop(\"Estimate\") * 2\n") != NULL,
	      "schema: formula expression missing");
	CHECKF(strstr(buf_str(&out), "  relation: Related\n  rollup_property: Estimate\n"
		     "  function: sum\n") != NULL, "schema: rollup config missing");
	CHECKF(strstr(buf_str(&out), "  prefix: TASK\n") != NULL, "schema: prefix missing");
	CHECKF(strstr(buf_str(&out), "- name: Where\n  type: place\n  id: pl\n  read_only: true\n")
	      != NULL, "schema: unknown type must be read-only");
	buf_release(&out);
	CHECKF(fm_render_schema(NULL, NULL, &out) == -EINVAL, "schema of a non-database");
	cJSON_Delete(db);
}

/* Runs every group; argv[1] is the fixture directory (its group skips when it is missing). */
/* Issue 8: invalid UTF-8 from the API (the CESU-8 bytes of a lone "\ud800") in the title and a
 * rich_text property renders as U+FFFD and the unchanged file diffs to an empty patch; a
 * property whose type is empty or does not match its value (or the schema) renders as a
 * read-only placeholder: unchanged it diffs to nothing, changed it is refused. */
#define R3 "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" /* one U+FFFD per ill-formed byte */

static void test_invalid_utf8_and_types(void)
{
	static const char page_src[] =
		"{\"object\": \"page\", \"id\": \"aaaabbbb-0000-4000-8000-00000000abcd\", \"url\": \"u\","
		" \"properties\": {"
		" \"Name\": {\"id\": \"title\", \"type\": \"title\", \"title\": [{\"type\": \"text\","
		"   \"text\": {\"content\": \"T\xed\xa0\x80\"}, \"plain_text\": \"T\xed\xa0\x80\"}]},"
		" \"Notes\": {\"id\": \"n1\", \"type\": \"rich_text\", \"rich_text\": [{\"type\": \"text\","
		"   \"text\": {\"content\": \"x\xed\xa0\x80y\"}, \"plain_text\": \"x\xed\xa0\x80y\"}]},"
		" \"Estimate\": {\"id\": \"e1\", \"type\": \"\", \"number\": 3},"
		" \"Priority\": {\"id\": \"p1\", \"type\": \"number\", \"select\": {\"name\": \"High\"}},"
		" \"Tags\": {\"id\": \"t1\", \"type\": \"select\", \"select\": {\"name\": \"health\"}}}}";
	cJSON *schema = jq(golden_schema), *page = cJSON_Parse(page_src), *patch;
	char *text, *edited, *err;
	int rc;

	CHECKF(page != NULL, "invalid-UTF-8 page JSON does not parse");
	text = render(schema, page, NULL);
	if (text) {
		CHECKF(strstr(text, "Name: T" R3 "\n") != NULL, "title not shown with U+FFFD:\n%s",
		      text);
		CHECKF(strstr(text, "Notes: x" R3 "y\n") != NULL,
		      "rich_text not shown with U+FFFD:\n%s", text);
		CHECKF(strstr(text, "\xed\xa0\x80") == NULL, "surrogate bytes rendered:\n%s", text);
		CHECKF(strstr(text, "Estimate:\n") != NULL, "empty type not rendered empty:\n%s", text);
		CHECKF(strstr(text, "Tags: health\n") != NULL,
		      "mismatched type not rendered by its value:\n%s", text);
		check_roundtrip("invalid UTF-8 / type mismatch (schema)", text, schema, page);
		edited = replace(text, "Tags: health", "Tags: home");
		rc = diff(edited, schema, page, &patch, &err);
		CHECKF(rc == -EINVAL && err && strstr(err, "read-only"),
		      "editing a mismatched property: rc %d, %s", rc, err ? err : "-");
		cJSON_Delete(patch);
		free(err);
		free(edited);
		edited = replace(text, "Notes: x" R3 "y", "Notes: fixed");
		rc = diff(edited, schema, page, &patch, &err);
		CHECKF(rc == 0 && patch_count(patch) == 1, "editing next to U+FFFD: rc %d, %s", rc,
		      err ? err : "-");
		cJSON_Delete(patch);
		free(err);
		free(edited);
		free(text);
	}
	text = render(NULL, page, NULL);
	if (text) {
		check_roundtrip("invalid UTF-8 / type mismatch (own properties)", text, NULL, page);
		free(text);
	}
	cJSON_Delete(schema);
	cJSON_Delete(page);
}

/* `_notion.base` (docs/format.md): rendered last in the metadata, round-trips, may differ from
 * the base page's (a stale copy), while id and url still may not change; fm_changed_keys. */
static void test_meta_base(void)
{
	cJSON *schema = jq(golden_schema), *page = jq(golden_page), *patch = NULL, *keys = NULL;
	struct buf b = BUF_INIT;
	char *text, *other, *err = NULL, *plain = render(schema, page, &t_fwd);
	int rc = fm_render_base(schema, page, "5f2c9a1e", &t_fwd, &b);

	CHECKF(rc == 0 && strstr(buf_str(&b), ", base: 5f2c9a1e}\n---\n"), "rc %d: %s", rc,
	      buf_str(&b));
	rc = diff(buf_str(&b), schema, page, &patch, &err);
	CHECKF(rc == 0 && patch && cJSON_GetArraySize(cJSON_GetObjectItem(patch, "properties")) == 0,
	      "unchanged with base: rc %d %s", rc, err ? err : "");
	cJSON_Delete(patch);
	free(err);
	other = replace(buf_str(&b), "base: 5f2c9a1e", "base: 0badba5e");
	rc = diff(other, schema, page, &patch, &err);
	CHECKF(rc == 0 && patch, "another base is no change: rc %d %s", rc, err ? err : "");
	cJSON_Delete(patch);
	free(err);
	text = replace(other, "__notion: {id: aaaabbbb", "__notion: {id: ffffbbbb");
	rc = diff(text, schema, page, &patch, &err);
	CHECKF(rc == -EINVAL && err && strstr(err, "metadata"), "id changed: rc %d", rc);
	cJSON_Delete(patch);
	free(err);
	free(text);
	text = replace(other, "Estimate: 2.5", "Estimate: 3");
	rc = text && plain ? fm_changed_keys(text, strlen(text), plain, strlen(plain), &keys) : -1;
	CHECKF(rc == 0 && cJSON_GetArraySize(keys) == 2, "changed keys: rc %d, %d", rc,
	      cJSON_GetArraySize(keys));
	cJSON_Delete(keys);
	free(text);
	free(other);
	free(plain);
	buf_release(&b);
	cJSON_Delete(schema);
	cJSON_Delete(page);
}

int main(int argc, char **argv)
{
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FIXTURE_DIR...\n", argv[0]);
		return 2;
	}
	test_golden();
	test_split();
	test_schema();
	test_hostile();
	test_utf8_out();
	test_long_text();
	test_validation();
	test_meta_base();
	test_patches();
	test_diff_shapes();
	test_mutations();
	test_no_resolver();
	test_invalid_utf8_and_types();
	test_unsupported_results();
	/* only the groups that read the recorded fixtures skip without them: each argument is
	 * one folder (2022-06-28; 2025-09-03 and 2026-03-11) */
	for (int i = 1; i < argc; i++) {
		if (access(argv[i], R_OK | X_OK) != 0) {
			printf("fixture directory %s missing: its group skipped\n", argv[i]);
			continue;
		}
		rc = test_fixtures(argv[i]);
		CHECKF(rc == 0, "fixture directory %s unreadable", argv[i]);
		test_recorded_new_props(argv[i]);
	}
	return check_done();
}
