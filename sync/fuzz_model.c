/* fuzz_model.c - libFuzzer target for the Notion JSON model (sync/model.c).
 *
 * Input: arbitrary bytes.  If they parse as JSON, every summary parser runs on the value and,
 * for a list envelope, on each result (no crash, no leak, no use of freed memory); a summary
 * that succeeds must hold a normalised id (36 characters, valid per model_normalize_id), valid
 * UTF-8 title/name strings, and a time that formats.  Every string value of the tree is also
 * tried as an id and as a time: a time that parses must format and parse back to the same
 * instant, an id that normalises must normalise to itself.
 * Owns nothing beyond one iteration.  Build and run with tests/run-fuzz.sh.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "sync/model.h"

static void check_id(const char *id)
{
	char again[MODEL_ID_SIZE];

	if (strlen(id) != MODEL_ID_LEN || model_normalize_id(id, again) || strcmp(id, again))
		abort();
}

static void check_text(const char *s)
{
	if (!s || utf8_invalid_at(s, strlen(s)) != strlen(s))
		abort();
}

static void check_time(time_t t)
{
	char out[MODEL_TIME_SIZE];
	time_t back;
	int ms;

	if (iso_time_format(t, 0, out, sizeof(out)) == 0 &&
	    (iso_time_parse(out, &back, &ms) || back != t || ms != 0))
		abort();
}

static void try_string(const char *s)
{
	char id[MODEL_ID_SIZE];
	time_t t;
	int ms;

	if (model_normalize_id(s, id) == 0)
		check_id(id);
	if (iso_time_parse(s, &t, &ms) == 0) {
		char out[MODEL_TIME_SIZE];
		time_t back;
		int ms2;

		if (ms < 0 || ms > 999)
			abort();
		if (iso_time_format(t, ms, out, sizeof(out)) == 0 &&
		    (iso_time_parse(out, &back, &ms2) || back != t || ms2 != ms))
			abort();
	}
}

static void summarise(const cJSON *obj)
{
	struct model_page p = { 0 };
	struct model_database d = { 0 };
	struct model_user u = { 0 };
	struct model_block b;
	struct buf plain = BUF_INIT;
	const cJSON *title;

	if (model_page_summary(obj, &p) == 0) {
		check_id(p.id);
		check_text(p.title);
		if (!p.url)
			abort();
		check_time(p.last_edited);
	}
	model_page_release(&p);
	model_page_release(&p);	/* a released summary is zeroed and may be released again */
	if (model_database_summary(obj, &d) == 0) {
		check_id(d.id);
		check_text(d.title);
	}
	model_database_release(&d);
	{
		struct model_data_source ds;
		char sid[MODEL_ID_SIZE];

		if (model_data_source_summary(obj, &ds) == 0) {
			check_id(ds.id);
			check_text(ds.title);
		}
		model_data_source_release(&ds);
		if (model_database_source(obj, 0, sid) == 0)
			check_id(sid);
	}
	if (model_user_summary(obj, &u) == 0) {
		check_id(u.id);
		if (!u.name || !u.email)
			abort();
	}
	model_user_release(&u);
	memset(&b, 0, sizeof(b));
	if (model_block_summary(obj, &b) == 0)
		check_id(b.id);
	title = model_title_property(obj);
	if (title && model_rich_text_plain(cJSON_GetObjectItemCaseSensitive(title, "title"),
					   &plain) == 0)
		check_text(buf_str(&plain));
	buf_release(&plain);
	(void)model_object_kind(obj);
}

/* Visits every node: strings as ids and times, objects and arrays as API objects. */
static void walk(const cJSON *j, int depth)
{
	const cJSON *c;

	if (depth > 64)
		return;
	if (cJSON_IsString(j)) {
		try_string(j->valuestring);
		return;
	}
	if (cJSON_IsObject(j))
		summarise(j);
	cJSON_ArrayForEach(c, j)
		walk(c, depth + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct model_list l;
	cJSON *j;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	try_string(text);
	j = cJSON_Parse(text);
	free(text);
	if (!j)
		return 0;
	if (model_list_read(j, &l) == 0 && (!l.results || l.count != cJSON_GetArraySize(l.results)))
		abort();
	walk(j, 0);
	cJSON_Delete(j);
	return 0;
}
