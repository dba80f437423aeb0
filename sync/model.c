/* model.c - summaries of Notion API objects; see model.h for ownership.
 *
 * Owns: no state.  Every summary function zeroes its output first, fills the
 * fixed fields, then allocates its strings; any failure releases what was
 * allocated so the caller never sees a half-filled summary.
 */
#include "sync/model.h"

#include "common/utf8.h"
#include "common/json.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- ids ------------------------------------------------------------- */

int model_normalize_id(const char *in, char out[MODEL_ID_SIZE])
{
	static const int dash_at[] = { 8, 12, 16, 20 };	/* in hex digits */
	char hex[32];
	size_t n = 0, i, o = 0, d = 0;

	out[0] = '\0';
	if (!in)
		return -EINVAL;
	for (i = 0; in[i]; i++) {
		unsigned char ch = (unsigned char)in[i];

		if (ch == '-') {
			/* hyphens only at the canonical places */
			if (d >= 4 || n != (size_t)dash_at[d])
				return -EINVAL;
			d++;
			continue;
		}
		if (!isxdigit(ch) || n >= sizeof(hex))
			return -EINVAL;
		hex[n++] = (char)tolower(ch);
	}
	if (n != sizeof(hex) || (d != 0 && d != 4))
		return -EINVAL;
	for (i = 0, d = 0; i < n; i++) {
		if (d < 4 && i == (size_t)dash_at[d]) {
			out[o++] = '-';
			d++;
		}
		out[o++] = hex[i];
	}
	out[o] = '\0';
	return 0;
}

/* ---- heads and parents (JSON accessors: common/json.h) --------------- */

const char *model_object_kind(const cJSON *obj)
{
	const char *s = cJSON_IsObject(obj) ? json_str(obj, "object") : NULL;

	return s ? s : "";
}

/* Checks OBJ is an object whose `object` is KIND (or absent) and
 * normalises its id into ID.  Returns 0 or -EINVAL. */
static int model_check_head(const cJSON *obj, const char *kind,
			    char id[MODEL_ID_SIZE])
{
	const char *o;

	if (!cJSON_IsObject(obj))
		return -EINVAL;
	o = json_str(obj, "object");
	if (o && strcmp(o, kind))
		return -EINVAL;
	return model_normalize_id(json_str(obj, "id"), id);
}

/* Parses the time string at KEY of OBJ; absent or malformed gives 0. */
static time_t model_time_at(const cJSON *obj, const char *key, int *ms)
{
	time_t t = 0;
	int m = 0;

	if (iso_time_parse(json_str(obj, key), &t, &m)) {
		t = 0;
		m = 0;
	}
	if (ms)
		*ms = m;
	return t;
}

/* Reads OBJ's `parent` into *KIND and ID (normalised, "" if none).  An
 * unparseable parent id leaves kind NONE.  No return value. */
static void model_parent(const cJSON *obj, enum model_parent_kind *kind,
			 char id[MODEL_ID_SIZE])
{
	static const struct {
		const char *type;
		enum model_parent_kind kind;
	} map[] = {
		{ "database_id", MODEL_PARENT_DATABASE },
		{ "page_id", MODEL_PARENT_PAGE },
		{ "block_id", MODEL_PARENT_BLOCK },
		{ "data_source_id", MODEL_PARENT_DATA_SOURCE },
	};
	const cJSON *parent = cJSON_GetObjectItemCaseSensitive(obj, "parent");
	const char *type = json_str(parent, "type");
	size_t i;

	*kind = MODEL_PARENT_NONE;
	id[0] = '\0';
	if (!type)
		return;
	if (strcmp(type, "workspace") == 0) {
		*kind = MODEL_PARENT_WORKSPACE;
		return;
	}
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(type, map[i].type))
			continue;
		if (model_normalize_id(json_str(parent, type), id) == 0)
			*kind = map[i].kind;
		return;
	}
}

/* strdup of S, "" for NULL.  Returns the copy (caller frees) or NULL. */
static char *model_dup(const char *s)
{
	return strdup(s ? s : "");
}

/* ---- rich text / titles ---------------------------------------------- */

int model_rich_text_plain(const cJSON *array, struct buf *out)
{
	const cJSON *rt;
	int rc;

	if (!cJSON_IsArray(array))
		return 0;
	cJSON_ArrayForEach(rt, array) {
		const char *s = json_str(rt, "plain_text");

		if (!s)
			s = json_str(cJSON_GetObjectItemCaseSensitive(rt, "text"),
				      "content");
		if (!s)
			continue;
		/* titles and names go to the cache and the file names: U+FFFD for invalid
		 * UTF-8 from the API (common/utf8.h) */
		rc = utf8_sanitize_append(out, s, strlen(s));
		if (rc)
			return rc;
	}
	return 0;
}

const cJSON *model_title_property(const cJSON *page)
{
	const cJSON *props = cJSON_GetObjectItemCaseSensitive(page, "properties");
	const cJSON *p;

	if (!cJSON_IsObject(props))
		return NULL;
	cJSON_ArrayForEach(p, props) {
		const char *t = json_str(p, "type");

		if (t && strcmp(t, "title") == 0)
			return p;
	}
	return NULL;
}

/* Joins the plain text of rich-text ARRAY into a new heap string *OUT.
 * Returns 0 or -ENOMEM. */
static int model_join_text(const cJSON *array, char **out)
{
	struct buf b = BUF_INIT;
	int rc = model_rich_text_plain(array, &b);

	*out = NULL;
	if (rc) {
		buf_release(&b);
		return rc;
	}
	/* an empty buffer is strdup'ed: buf_detach() of a never-written
	 * buffer does not NUL-terminate (common/buf.c) */
	*out = b.len ? buf_detach(&b, NULL) : strdup("");
	buf_release(&b);
	return *out ? 0 : -ENOMEM;
}

/* ---- summaries ------------------------------------------------------- */

int model_page_summary(const cJSON *page, struct model_page *out)
{
	const cJSON *tp;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = model_check_head(page, "page", out->id);
	if (!rc && !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(page, "properties")))
		rc = -EINVAL; /* every page object has its properties */
	if (rc)
		goto out;
	model_parent(page, &out->parent_kind, out->parent_id);
	if (out->parent_kind == MODEL_PARENT_DATABASE || out->parent_kind == MODEL_PARENT_DATA_SOURCE)
		memcpy(out->parent_db, out->parent_id, MODEL_ID_SIZE);
	if (out->parent_kind == MODEL_PARENT_DATABASE)
		memcpy(out->parent_container, out->parent_id, MODEL_ID_SIZE);
	else if (out->parent_kind == MODEL_PARENT_DATA_SOURCE &&
		 model_normalize_id(json_str(cJSON_GetObjectItemCaseSensitive(page, "parent"),
					     "database_id"), out->parent_container))
		out->parent_container[0] = '\0';
	out->created = model_time_at(page, "created_time", NULL);
	out->last_edited = model_time_at(page, "last_edited_time",
					 &out->last_edited_ms);
	out->archived = json_true(page, "archived") ||
			json_true(page, "in_trash");
	tp = model_title_property(page);
	rc = model_join_text(cJSON_GetObjectItemCaseSensitive(tp, "title"),
			     &out->title);
	if (rc)
		goto out;
	rc = -ENOMEM;
	out->url = model_dup(json_str(page, "url"));
	if (!out->url)
		goto out;
	rc = 0;
out:
	if (rc)
		model_page_release(out);
	return rc;
}

void model_page_release(struct model_page *p)
{
	free(p->title);
	free(p->url);
	memset(p, 0, sizeof(*p));
}

int model_database_summary(const cJSON *db, struct model_database *out)
{
	const cJSON *props;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = model_check_head(db, "database", out->id);
	if (rc)
		goto out;
	model_parent(db, &out->parent_kind, out->parent_id);
	out->created = model_time_at(db, "created_time", NULL);
	out->last_edited = model_time_at(db, "last_edited_time",
					 &out->last_edited_ms);
	out->archived = json_true(db, "archived") || json_true(db, "in_trash");
	props = cJSON_GetObjectItemCaseSensitive(db, "properties");
	out->property_count = cJSON_IsObject(props) ? cJSON_GetArraySize(props) : 0;
	props = cJSON_GetObjectItemCaseSensitive(db, "data_sources");
	out->source_count = cJSON_IsArray(props) ? cJSON_GetArraySize(props) : 0;
	rc = model_join_text(cJSON_GetObjectItemCaseSensitive(db, "title"),
			     &out->title);
	if (rc)
		goto out;
	rc = -ENOMEM;
	out->url = model_dup(json_str(db, "url"));
	if (!out->url)
		goto out;
	rc = 0;
out:
	if (rc)
		model_database_release(out);
	return rc;
}

void model_database_release(struct model_database *d)
{
	free(d->title);
	free(d->url);
	memset(d, 0, sizeof(*d));
}

int model_data_source_summary(const cJSON *ds, struct model_data_source *out)
{
	const cJSON *props;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = model_check_head(ds, "data_source", out->id);
	props = cJSON_GetObjectItemCaseSensitive(ds, "properties");
	if (!rc && !cJSON_IsObject(props))
		rc = -EINVAL; /* a data source is its schema */
	if (rc)
		goto out;
	if (model_normalize_id(json_str(cJSON_GetObjectItemCaseSensitive(ds, "parent"), "database_id"),
			       out->database_id))
		out->database_id[0] = '\0';
	out->property_count = cJSON_GetArraySize(props);
	out->last_edited = model_time_at(ds, "last_edited_time", &out->last_edited_ms);
	out->archived = json_true(ds, "archived") || json_true(ds, "in_trash");
	rc = model_join_text(cJSON_GetObjectItemCaseSensitive(ds, "title"), &out->title);
out:
	if (rc)
		model_data_source_release(out);
	return rc;
}

void model_data_source_release(struct model_data_source *d)
{
	free(d->title);
	memset(d, 0, sizeof(*d));
}

int model_database_source(const cJSON *db, int n, char out[MODEL_ID_SIZE])
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(db, "data_sources");
	const cJSON *it = cJSON_IsArray(arr) ? cJSON_GetArrayItem(arr, n) : NULL;

	out[0] = '\0';
	if (!it)
		return -ENOENT;
	return model_normalize_id(json_str(it, "id"), out);
}

/* Copies S (NULL = "") into the fixed field DST of SIZE bytes, truncating.
 * No return value. */
static void model_copy_field(char *dst, size_t size, const char *s)
{
	snprintf(dst, size, "%s", s ? s : "");
}

int model_user_summary(const cJSON *user, struct model_user *out)
{
	const cJSON *person;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = model_check_head(user, "user", out->id);
	if (rc)
		goto out;
	model_copy_field(out->type, sizeof(out->type), json_str(user, "type"));
	person = cJSON_GetObjectItemCaseSensitive(user, "person");
	rc = -ENOMEM;
	out->name = model_dup(json_str(user, "name"));
	out->email = model_dup(json_str(person, "email"));
	if (!out->name || !out->email)
		goto out;
	rc = 0;
out:
	if (rc)
		model_user_release(out);
	return rc;
}

void model_user_release(struct model_user *u)
{
	free(u->name);
	free(u->email);
	memset(u, 0, sizeof(*u));
}

int model_block_summary(const cJSON *block, struct model_block *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	rc = model_check_head(block, "block", out->id);
	if (rc)
		return rc;
	model_copy_field(out->type, sizeof(out->type), json_str(block, "type"));
	out->has_children = json_true(block, "has_children");
	out->archived = json_true(block, "archived") ||
			json_true(block, "in_trash");
	out->last_edited = model_time_at(block, "last_edited_time", NULL);
	model_parent(block, &out->parent_kind, out->parent_id);
	return 0;
}

int model_list_read(const cJSON *list, struct model_list *out)
{
	const cJSON *res;
	const char *cur;

	memset(out, 0, sizeof(*out));
	if (strcmp(model_object_kind(list), "list"))
		return -EINVAL;
	res = cJSON_GetObjectItemCaseSensitive(list, "results");
	if (!cJSON_IsArray(res))
		return -EINVAL;
	cur = json_str(list, "next_cursor");
	if (cur && strlen(cur) >= sizeof(out->next_cursor))
		return -EINVAL;
	out->results = res;
	out->count = cJSON_GetArraySize(res);
	out->has_more = json_true(list, "has_more");
	model_copy_field(out->next_cursor, sizeof(out->next_cursor), cur);
	model_copy_field(out->type, sizeof(out->type), json_str(list, "type"));
	return 0;
}
