/* fm_render.c - page properties -> YAML front-matter.
 *
 * Owns: the YAML form of every property value (docs/format.md is its specification):
 * texts as strings, numbers exact, lists as flow sequences, dates as a scalar or a
 * {start, end, time_zone} flow mapping, names of related pages and people through the
 * resolver, computed values (formula, rollup, ...) as their result, unknown types as their
 * raw JSON in flow style.  Never fails on a value it does not understand.
 *
 * Invariants: the output depends only on (schema, page, resolver answers); Notion-hosted
 * files are named, never linked (their signed URLs expire and would churn the file).
 * Memory: callback results are freed here; the output buffer is the caller's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/props/fm_internal.h"

#include "common/utf8.h"

struct fm_rctx {
	struct fm_emitter *e;
	const struct fm_resolve *r;
};

static int fm_render_value(struct fm_rctx *c, const cJSON *pv, const char *type);

/* Cuts out back to len bytes (undoes a partial append). */
static void fm_buf_cut(struct buf *out, size_t len)
{
	if (out->data && out->len > len) {
		out->len = len;
		out->data[len] = '\0';
	}
}

/* Emits a string, or an empty value for NULL / "".  Returns the emitter state. */
static int fm_render_text_or_null(struct fm_rctx *c, const char *s)
{
	if (!s || !*s)
		return fm_emit_null(c->e);
	return fm_emit_str(c->e, s);
}

/* Emits the plain text of a rich-text array.  Returns 0 or -errno. */
static int fm_render_rich_text(struct fm_rctx *c, const cJSON *arr)
{
	struct buf b = BUF_INIT;
	int rc = fm_rich_text_plain(arr, &b);

	if (rc == 0)
		rc = fm_render_text_or_null(c, b.len ? buf_str(&b) : NULL);
	else if (!c->e->err)
		c->e->err = rc;
	buf_release(&b);
	return rc;
}

/* Emits a JSON number exactly, or an empty value.  Returns the emitter state. */
static int fm_render_number(struct fm_rctx *c, const cJSON *v)
{
	char num[32];

	if (!cJSON_IsNumber(v))
		return fm_emit_null(c->e);
	fm_format_number(v->valuedouble, num);
	return fm_emit_plain(c->e, num);
}

/* Emits a date string plain when it is a well-formed date, quoted otherwise. */
static int fm_render_date_str(struct fm_rctx *c, const char *s)
{
	if (!s)
		return fm_emit_null(c->e);
	if (fm_is_date(s))
		return fm_emit_plain(c->e, s);
	return fm_emit_str(c->e, s);
}

/* Emits a date object: its start alone, or a {start, end, time_zone} flow mapping. */
static int fm_render_date(struct fm_rctx *c, const cJSON *d)
{
	const char *start = json_str(d, "start");
	const char *end = json_str(d, "end");
	const char *tz = json_str(d, "time_zone");

	if (!cJSON_IsObject(d))
		return fm_emit_null(c->e);
	if (!end && !tz)
		return fm_render_date_str(c, start);
	fm_emit_map_start(c->e, true);
	fm_emit_plain(c->e, "start");
	fm_render_date_str(c, start);
	if (end) {
		fm_emit_plain(c->e, "end");
		fm_render_date_str(c, end);
	}
	if (tz) {
		fm_emit_plain(c->e, "time_zone");
		fm_emit_str(c->e, tz);
	}
	return fm_emit_map_end(c->e);
}

/* Emits the shown name of a user object: resolver name, else its "name", else its id. */
static int fm_render_user(struct fm_rctx *c, const cJSON *user)
{
	const char *id = json_str(user, "id");
	const char *name = json_str(user, "name");
	char *res = NULL;
	int rc;

	if (!cJSON_IsObject(user))
		return fm_emit_null(c->e);
	if (id && c->r && c->r->user_name)
		res = c->r->user_name(c->r->arg, id);
	if (res)
		rc = fm_emit_str(c->e, res);
	else if (name && *name)
		rc = fm_emit_str(c->e, name);
	else
		rc = fm_emit_str(c->e, id ? id : "");
	free(res);
	return rc;
}

/* Emits the file name (without ".md") of a related page, or its id. */
static int fm_render_page_ref(struct fm_rctx *c, const char *id)
{
	char *res = NULL;
	int rc;

	if (!id)
		return fm_emit_null(c->e);
	if (c->r && c->r->page_name)
		res = c->r->page_name(c->r->arg, id);
	rc = fm_emit_str(c->e, res ? res : id);
	free(res);
	return rc;
}

/* Emits the name of each item of an array of {name: ...} objects as a flow list. */
static int fm_render_names(struct fm_rctx *c, const cJSON *arr)
{
	const cJSON *it;

	fm_emit_seq_start(c->e, true);
	cJSON_ArrayForEach(it, arr) {
		const char *name = json_str(it, "name");

		fm_emit_str(c->e, name ? name : "");
	}
	return fm_emit_seq_end(c->e);
}

/* Emits a people array as a flow list of names. */
static int fm_render_people(struct fm_rctx *c, const cJSON *arr)
{
	const cJSON *it;

	fm_emit_seq_start(c->e, true);
	cJSON_ArrayForEach(it, arr)
		fm_render_user(c, it);
	return fm_emit_seq_end(c->e);
}

/* Emits a relation array as a flow list of page names. */
static int fm_render_relation(struct fm_rctx *c, const cJSON *arr)
{
	const cJSON *it;

	fm_emit_seq_start(c->e, true);
	cJSON_ArrayForEach(it, arr)
		fm_render_page_ref(c, json_str(it, "id"));
	return fm_emit_seq_end(c->e);
}

/* Emits one file: an external link as its URL (or {name, url} when the name differs), a
 * Notion-hosted or uploaded file by name only. */
static int fm_render_file(struct fm_rctx *c, const cJSON *f)
{
	const char *name = json_str(f, "name");
	const char *type = fm_json_type(f);
	const char *url = NULL;

	if (type && strcmp(type, "external") == 0)
		url = json_str(cJSON_GetObjectItemCaseSensitive(f, "external"), "url");
	if (!url)
		return fm_emit_str(c->e, name ? name : "");
	if (!name || !*name || strcmp(name, url) == 0)
		return fm_emit_str(c->e, url);
	fm_emit_map_start(c->e, true);
	fm_emit_plain(c->e, "name");
	fm_emit_str(c->e, name);
	fm_emit_plain(c->e, "url");
	fm_emit_str(c->e, url);
	return fm_emit_map_end(c->e);
}

/* Emits a files array as a flow list. */
static int fm_render_files(struct fm_rctx *c, const cJSON *arr)
{
	const cJSON *it;

	fm_emit_seq_start(c->e, true);
	cJSON_ArrayForEach(it, arr)
		fm_render_file(c, it);
	return fm_emit_seq_end(c->e);
}

/* true for a formula or rollup result that holds no value Notion shows through the API:
 * type "unsupported" (2025-09-03 and later), or a rollup's "incomplete". */
static bool fm_result_without_value(const char *type)
{
	return strcmp(type, "unsupported") == 0 || strcmp(type, "incomplete") == 0;
}

/* Emits a formula result by its type (string, number, boolean, date); an unsupported result
 * is empty. */
static int fm_render_formula(struct fm_rctx *c, const cJSON *f)
{
	const char *type = fm_json_type(f);
	const cJSON *v = type ? cJSON_GetObjectItemCaseSensitive(f, type) : NULL;

	if (!type || !v || cJSON_IsNull(v) || fm_result_without_value(type))
		return fm_emit_null(c->e);
	if (strcmp(type, "string") == 0)
		return fm_render_text_or_null(c, cJSON_IsString(v) ? v->valuestring : NULL);
	if (strcmp(type, "number") == 0)
		return fm_render_number(c, v);
	if (strcmp(type, "boolean") == 0)
		return fm_emit_plain(c->e, cJSON_IsTrue(v) ? "true" : "false");
	if (strcmp(type, "date") == 0)
		return fm_render_date(c, v);
	return fm_emit_json(c->e, v);
}

/* Emits a rollup result: a number, a date, or a flow list of the inner values; an
 * unsupported or incomplete result is empty. */
static int fm_render_rollup(struct fm_rctx *c, const cJSON *ru)
{
	const char *type = fm_json_type(ru);
	const cJSON *v = type ? cJSON_GetObjectItemCaseSensitive(ru, type) : NULL;
	const cJSON *it;

	if (!type || !v || cJSON_IsNull(v) || fm_result_without_value(type))
		return fm_emit_null(c->e);
	if (strcmp(type, "number") == 0)
		return fm_render_number(c, v);
	if (strcmp(type, "date") == 0)
		return fm_render_date(c, v);
	if (strcmp(type, "array") != 0)
		return fm_emit_json(c->e, v);
	fm_emit_seq_start(c->e, true);
	cJSON_ArrayForEach(it, v)
		fm_render_value(c, it, NULL);
	return fm_emit_seq_end(c->e);
}

/* Emits a unique_id as "PREFIX-123" or "123". */
static int fm_render_unique_id(struct fm_rctx *c, const cJSON *u)
{
	const cJSON *num = cJSON_GetObjectItemCaseSensitive(u, "number");
	const char *prefix = json_str(u, "prefix");
	char text[32], *s = NULL;
	int rc;

	if (!cJSON_IsNumber(num))
		return fm_emit_null(c->e);
	fm_format_number(num->valuedouble, text);
	if (!prefix || !*prefix)
		return fm_emit_plain(c->e, text);
	if (asprintf(&s, "%s-%s", prefix, text) < 0)
		return c->e->err = -ENOMEM;
	rc = fm_emit_str(c->e, s);
	free(s);
	return rc;
}

/* Emits a verification as {state: ..., verified_by: ..., date: ...} (nulls left out). */
static int fm_render_verification(struct fm_rctx *c, const cJSON *v)
{
	const char *state = json_str(v, "state");
	const cJSON *by = cJSON_GetObjectItemCaseSensitive(v, "verified_by");
	const cJSON *date = cJSON_GetObjectItemCaseSensitive(v, "date");

	if (!cJSON_IsObject(v))
		return fm_emit_null(c->e);
	fm_emit_map_start(c->e, true);
	fm_emit_plain(c->e, "state");
	fm_render_text_or_null(c, state);
	if (cJSON_IsObject(by)) {
		fm_emit_plain(c->e, "verified_by");
		fm_render_user(c, by);
	}
	if (cJSON_IsObject(date)) {
		fm_emit_plain(c->e, "date");
		fm_render_date(c, date);
	}
	return fm_emit_map_end(c->e);
}

/* Emits the value of a property value object pv ({"type": t, t: value}); type overrides a
 * missing "type".  A NULL pv renders empty.  Returns the emitter state. */
static int fm_render_value(struct fm_rctx *c, const cJSON *pv, const char *type)
{
	const cJSON *v;

	if (fm_json_type(pv))
		type = fm_json_type(pv);
	if (!pv || !type)
		return fm_emit_null(c->e);
	v = cJSON_GetObjectItemCaseSensitive(pv, type);
	switch (fm_ptype_of(type)) {
	case FM_T_TITLE:
	case FM_T_RICH_TEXT:
		return fm_render_rich_text(c, v);
	case FM_T_NUMBER:
		return fm_render_number(c, v);
	case FM_T_SELECT:
	case FM_T_STATUS:
		return fm_render_text_or_null(c, json_str(v, "name"));
	case FM_T_MULTI_SELECT:
		return fm_render_names(c, v);
	case FM_T_DATE:
		return fm_render_date(c, v);
	case FM_T_PEOPLE:
		return fm_render_people(c, v);
	case FM_T_FILES:
		return fm_render_files(c, v);
	case FM_T_CHECKBOX:
		return fm_emit_plain(c->e, cJSON_IsTrue(v) ? "true" : "false");
	case FM_T_URL:
	case FM_T_EMAIL:
	case FM_T_PHONE:
		return fm_render_text_or_null(c, cJSON_IsString(v) ? v->valuestring : NULL);
	case FM_T_RELATION:
		return fm_render_relation(c, v);
	case FM_T_FORMULA:
		return fm_render_formula(c, v);
	case FM_T_ROLLUP:
		return fm_render_rollup(c, v);
	case FM_T_CREATED_TIME:
	case FM_T_LAST_EDITED_TIME:
		return fm_render_date_str(c, cJSON_IsString(v) ? v->valuestring : NULL);
	case FM_T_CREATED_BY:
	case FM_T_LAST_EDITED_BY:
		return fm_render_user(c, v);
	case FM_T_UNIQUE_ID:
		return fm_render_unique_id(c, v);
	case FM_T_VERIFICATION:
		return fm_render_verification(c, v);
	case FM_T_BUTTON:
		return fm_emit_null(c->e);
	case FM_T_UNKNOWN:
		break;
	}
	return v ? fm_emit_json(c->e, v) : fm_emit_null(c->e);
}

/* Returns a malloc'd "_notion" with '_' prepended until props has no such key. */
char *fm_meta_key(const cJSON *props)
{
	struct buf b = BUF_INIT;

	if (buf_puts(&b, "_notion") < 0)
		return NULL;
	while (cJSON_GetObjectItemCaseSensitive(props, buf_str(&b))) {
		struct buf nb = BUF_INIT;

		if (buf_putc(&nb, '_') < 0 || buf_puts(&nb, buf_str(&b)) < 0) {
			buf_release(&nb);
			buf_release(&b);
			return NULL;
		}
		buf_release(&b);
		b = nb;
	}
	return buf_detach(&b, NULL);
}

/* Emits the metadata mapping {id: ..., url: ..., base: ...} of the page. */
static int fm_render_meta(struct fm_rctx *c, const cJSON *page, const char *base)
{
	const char *id = json_str(page, "id");
	const char *url = json_str(page, "url");

	fm_emit_map_start(c->e, true);
	if (id) {
		fm_emit_plain(c->e, "id");
		fm_emit_str(c->e, id);
	}
	if (url) {
		fm_emit_plain(c->e, "url");
		fm_emit_str(c->e, url);
	}
	if (base) {
		fm_emit_plain(c->e, "base");
		fm_emit_str(c->e, base);
	}
	return fm_emit_map_end(c->e);
}

/* Emits the top-level mapping: properties in order, then the metadata. */
static int fm_render_map(struct fm_rctx *c, const cJSON *schema, const cJSON *page,
			 const char *meta_key, const char *base)
{
	const cJSON *values = cJSON_GetObjectItemCaseSensitive(page, "properties");
	const cJSON **order = NULL;
	size_t n = 0;
	int rc = fm_props_ordered(schema, &order, &n);

	if (rc)
		return rc;
	fm_emit_map_start(c->e, false);
	for (size_t i = 0; i < n; i++) {
		const cJSON *pv = cJSON_GetObjectItemCaseSensitive(values, order[i]->string);

		fm_emit_str(c->e, order[i]->string);
		fm_render_value(c, pv, fm_json_type(order[i]));
	}
	fm_emit_str(c->e, meta_key);
	fm_render_meta(c, page, base);
	rc = fm_emit_map_end(c->e);
	free(order);
	return rc;
}

/* Renders the bare YAML of a page into out.  0 or -errno; out unchanged on error. */
int fm_render_yaml(const cJSON *db_props, const cJSON *page, const struct fm_resolve *r,
		   struct buf *out)
{
	return fm_render_yaml_base(db_props, page, NULL, r, out);
}

int fm_render_yaml_base(const cJSON *db_props, const cJSON *page, const char *base,
			const struct fm_resolve *r, struct buf *out)
{
	struct fm_emitter e;
	struct fm_rctx c = { &e, r };
	size_t start = out->len;
	char *meta_key = NULL;
	cJSON *clean_props = NULL, *clean_page = NULL;
	int rc;

	if (!cJSON_IsObject(page))
		return -EINVAL;
	/* Text from Notion enters here: invalid UTF-8 becomes U+FFFD (common/utf8.h). */
	if (utf8_json_sanitized(db_props, &clean_props) || utf8_json_sanitized(page, &clean_page)) {
		cJSON_Delete(clean_props);
		return -ENOMEM;
	}
	if (clean_props)
		db_props = clean_props;
	if (clean_page)
		page = clean_page;
	if (!db_props)
		db_props = cJSON_GetObjectItemCaseSensitive(page, "properties");
	meta_key = fm_meta_key(db_props);
	if (!meta_key) {
		rc = -ENOMEM;
		goto out;
	}
	rc = fm_emit_begin(&e, out);
	if (!rc)
		rc = fm_render_map(&c, db_props, page, meta_key, base);
	if (!rc)
		rc = fm_emit_end(&e);
	fm_emit_release(&e);
out:
	free(meta_key);
	cJSON_Delete(clean_props);
	cJSON_Delete(clean_page);
	if (rc)
		fm_buf_cut(out, start);
	return rc;
}

/* Renders "---\n<yaml>---\n".  See frontmatter.h. */
int fm_render(const cJSON *db_props, const cJSON *page, const struct fm_resolve *r,
	      struct buf *out)
{
	return fm_render_base(db_props, page, NULL, r, out);
}

int fm_render_base(const cJSON *db_props, const cJSON *page, const char *base,
		   const struct fm_resolve *r, struct buf *out)
{
	size_t start = out->len;
	int rc = buf_puts(out, "---\n");

	if (!rc)
		rc = fm_render_yaml_base(db_props, page, base, r, out);
	if (!rc)
		rc = buf_puts(out, "---\n");
	if (rc)
		fm_buf_cut(out, start);
	return rc;
}
