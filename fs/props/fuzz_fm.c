/* fuzz_fm.c - libFuzzer target for the front-matter parser and diff (fs/props).
 *
 * Input: the first byte selects the mode, the rest is the data.
 *  - 0: a front-matter text, diffed (fm_diff) against a fixed schema and base page (the
 *    golden page of tests/test_frontmatter.c).  Any result is fine; no crash, no leak.
 *  - 1: a JSON page.  fm_render() of it (with the fixed schema, and with its own properties)
 *    must succeed for any object, and fm_diff() of that unchanged text against the same page
 *    must give an empty "properties" object (frontmatter.h, invariant 2).
 *  - 2: a JSON property value.  The second byte picks a schema property; the golden page with
 *    that property's value replaced by the input (type empty, mismatched, invalid UTF-8, ...)
 *    must render and diff back to empty, as in mode 1.
 * Owns nothing beyond one iteration.  Build and run with tests/run-fuzz.sh.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/props/frontmatter.h"

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
	free(s);
	if (!j)
		abort();
	return j;
}

static cJSON *schema, *page;

static void fuzz_init(void)
{
	if (!schema) {
		schema = jq(golden_schema);
		page = jq(golden_page);
	}
}

/* render(schema, pg) then diff of that text must be empty. */
static void roundtrip(const cJSON *db_props, const cJSON *pg)
{
	struct buf out = BUF_INIT;
	cJSON *patch = NULL;
	char *err = NULL;
	int rc = fm_render(db_props, pg, NULL, &out);

	if (rc == -ENOMEM)
		goto done;
	if (rc) {
		fprintf(stderr, "fm_render failed: %d\n", rc);
		abort();
	}
	rc = fm_diff(out.data, out.len, db_props, pg, NULL, &patch, &err);
	if (rc == -ENOMEM)
		goto done;
	if (rc || cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(patch, "properties"))) {
		char *p = patch ? cJSON_PrintUnformatted(patch) : NULL;

		fprintf(stderr, "unchanged front-matter gave rc %d, %s, patch %s:\n%s", rc,
			err ? err : "-", p ? p : "-", buf_str(&out));
		abort();
	}
done:
	free(err);
	cJSON_Delete(patch);
	buf_release(&out);
}

static cJSON *parse_json(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	cJSON *j;

	if (!text)
		return NULL;
	memcpy(text, data, size);
	text[size] = '\0';
	j = cJSON_Parse(text);
	free(text);
	return j;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *j, *patch = NULL;
	char *err = NULL;

	if (size < 1)
		return 0;
	fuzz_init();
	switch (data[0] % 3) {
	case 0:
		if (fm_diff((const char *)data + 1, size - 1, schema, page, NULL, &patch, &err) == 0 &&
		    !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(patch, "properties")))
			abort();
		free(err);
		cJSON_Delete(patch);
		break;
	case 1:
		j = parse_json(data + 1, size - 1);
		if (cJSON_IsObject(j)) {
			roundtrip(schema, j);
			roundtrip(NULL, j);
		}
		cJSON_Delete(j);
		break;
	default: {
		const cJSON *prop;
		cJSON *pg, *props;
		int n = cJSON_GetArraySize(schema), k;

		if (size < 2)
			break;
		k = data[1] % n;
		prop = cJSON_GetArrayItem(schema, k);
		j = parse_json(data + 2, size - 2);
		if (!j)
			break;
		pg = cJSON_Duplicate(page, 1);
		props = cJSON_GetObjectItemCaseSensitive(pg, "properties");
		if (!pg || !cJSON_ReplaceItemInObjectCaseSensitive(props, prop->string, j)) {
			cJSON_Delete(j);
			cJSON_Delete(pg);
			break;
		}
		roundtrip(schema, pg);
		roundtrip(NULL, pg);
		cJSON_Delete(pg);
		break;
	}
	}
	return 0;
}
