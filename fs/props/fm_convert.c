/* fm_convert.c - an edited front-matter value -> the API request value of its property.
 *
 * Owns: validation of writable values (numbers, dates, checkboxes, e-mail, URL, phone,
 * options, people, relations, files) and their request shape ({"number": 2.5},
 * {"relation": [{"id": ...}]}, ...).  Lists are sent whole (the API replaces them).
 *
 * Invariants:
 *  1. An item of a list whose text equals an item of the base rendering keeps that base
 *     item's id / file object (each base item used at most once): unchanged names never
 *     need a lookup, and Notion-hosted files survive edits of the list around them.
 *  2. Every error message names the property, its type and, when known, the line.
 * Memory: results are new cJSON trees owned by the caller; resolver ids are freed here.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fs/props/fm_internal.h"

#define FM_TEXT_CHUNK 2000	/* API limit of one text object, in UTF-16 units */
#define FM_FILE_NAME_MAX 100	/* API limit of a file name */

/* Sets *err to `property "NAME" (TYPE): <message> (line N)`.  Returns -EINVAL. */
static int fm_conv_fail(const struct fm_conv *c, const struct fm_node *at, char **err,
			const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fm_conv_fail(const struct fm_conv *c, const struct fm_node *at, char **err,
			const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;
	int rc;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (at)
		rc = fm_fail(err, "property \"%s\" (%s): %s (line %zu)", c->name,
			     fm_json_type(c->schema), msg ? msg : "invalid value", at->line);
	else
		rc = fm_fail(err, "property \"%s\" (%s): %s", c->name,
			     fm_json_type(c->schema), msg ? msg : "invalid value");
	free(msg);
	return rc;
}

/* Wraps value under key type: {type: value}.  Takes value (freed on failure).
 * Returns the object or NULL on ENOMEM. */
static cJSON *fm_wrap(const char *type, cJSON *value)
{
	cJSON *o = value ? cJSON_CreateObject() : NULL;

	if (!o || !cJSON_AddItemToObject(o, type, value)) {
		cJSON_Delete(o);
		cJSON_Delete(value);
		return NULL;
	}
	return o;
}

/* Stores {type: value} in *out.  Returns 0 or -ENOMEM (value is consumed either way). */
static int fm_put(const struct fm_conv *c, cJSON *value, cJSON **out)
{
	*out = fm_wrap(fm_json_type(c->schema), value);
	return *out ? 0 : -ENOMEM;
}

/* Describes what kind of node n is, for messages. */
static const char *fm_kind(const struct fm_node *n)
{
	if (n->kind == FM_N_SEQ)
		return "a list";
	if (n->kind == FM_N_MAP)
		return "a mapping";
	return "text";
}

/* Gets the text of a single-value node: *s = NULL for null.  Returns 0 or -EINVAL. */
static int fm_scalar(const struct fm_conv *c, const struct fm_node *n, const char **s,
		     char **err)
{
	*s = NULL;
	if (fm_node_is_null(n))
		return 0;
	if (n->kind != FM_N_SCALAR)
		return fm_conv_fail(c, n, err, "expected a single value, got %s", fm_kind(n));
	if (strlen(n->str) != n->len)
		return fm_conv_fail(c, n, err, "text contains a NUL character");
	*s = n->str;
	return 0;
}

/* Length in bytes of the longest prefix of s with at most max UTF-16 units (whole
 * characters only). */
static size_t fm_utf16_prefix(const char *s, size_t max)
{
	size_t i = 0, units = 0;

	while (s[i]) {
		unsigned char b = (unsigned char)s[i];
		size_t n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
		size_t u = n == 4 ? 2 : 1;

		if (units + u > max)
			break;
		units += u;
		i += n;
	}
	return i;
}

/* Builds a rich-text request array for s in chunks the API accepts.  NULL on ENOMEM. */
static cJSON *fm_rich_text_array(const char *s)
{
	cJSON *arr = cJSON_CreateArray();

	while (arr && s && *s) {
		size_t n = fm_utf16_prefix(s, FM_TEXT_CHUNK);
		char *chunk = strndup(s, n);
		cJSON *item = cJSON_CreateObject();
		cJSON *text = cJSON_AddObjectToObject(item, "text");

		if (!chunk || !item || !cJSON_AddStringToObject(item, "type", "text") ||
		    !text || !cJSON_AddStringToObject(text, "content", chunk) ||
		    !cJSON_AddItemToArray(arr, item)) {
			free(chunk);
			cJSON_Delete(item);
			cJSON_Delete(arr);
			return NULL;
		}
		free(chunk);
		s += n;
	}
	return arr;
}

/* title / rich_text: any scalar is the text; null clears it. */
static int fm_conv_text(const struct fm_conv *c, const struct fm_node *n, cJSON **out,
			char **err)
{
	const char *s;
	int rc = fm_scalar(c, n, &s, err);

	if (rc)
		return rc;
	return fm_put(c, fm_rich_text_array(s), out);
}

/* number: a plain decimal number, or null. */
static int fm_conv_number(const struct fm_conv *c, const struct fm_node *n, cJSON **out,
			  char **err)
{
	const char *s;
	double v;
	int rc = fm_scalar(c, n, &s, err);

	if (rc)
		return rc;
	if (!s)
		return fm_put(c, cJSON_CreateNull(), out);
	if (!n->plain || !fm_parse_number(s, &v))
		return fm_conv_fail(c, n, err, "expected a number like 42 or 2.5, got \"%s\"", s);
	return fm_put(c, cJSON_CreateNumber(v), out);
}

/* Checks an option name (no commas: the API refuses them).  0 or -EINVAL. */
static int fm_check_option(const struct fm_conv *c, const struct fm_node *n, const char *s,
			   char **err)
{
	if (!*s)
		return fm_conv_fail(c, n, err, "an option name cannot be empty");
	if (strchr(s, ','))
		return fm_conv_fail(c, n, err, "option \"%s\" contains a comma, which Notion "
				    "does not allow in option names", s);
	return 0;
}

/* Returns {"name": s} or NULL on ENOMEM. */
static cJSON *fm_option(const char *s)
{
	cJSON *o = cJSON_CreateObject();

	if (o && !cJSON_AddStringToObject(o, "name", s)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* True if the schema lists an option named s (or lists no options at all). */
static bool fm_schema_has_option(const cJSON *schema, const char *s)
{
	const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(schema, fm_json_type(schema));
	const cJSON *opts = cJSON_GetObjectItemCaseSensitive(cfg, "options");
	const cJSON *it;

	if (!cJSON_IsArray(opts))
		return true;
	cJSON_ArrayForEach(it, opts) {
		const char *name = json_str(it, "name");

		if (name && strcmp(name, s) == 0)
			return true;
	}
	return false;
}

/* Appends the schema's option names, comma separated, to b.  0 or -ENOMEM. */
static int fm_option_list(const cJSON *schema, struct buf *b)
{
	const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(schema, fm_json_type(schema));
	const cJSON *it;

	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(cfg, "options")) {
		const char *name = json_str(it, "name");

		if (name && buf_printf(b, "%s%s", b->len ? ", " : "", name) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* select / status: one option name or null; a status must exist in the schema. */
static int fm_conv_select(const struct fm_conv *c, const struct fm_node *n, cJSON **out,
			  char **err)
{
	struct buf opts = BUF_INIT;
	const char *s;
	int rc = fm_scalar(c, n, &s, err);

	if (rc)
		return rc;
	if (!s)
		return fm_put(c, cJSON_CreateNull(), out);
	rc = fm_check_option(c, n, s, err);
	if (rc)
		return rc;
	if (fm_ptype_of(fm_json_type(c->schema)) == FM_T_STATUS &&
	    !fm_schema_has_option(c->schema, s)) {
		rc = fm_option_list(c->schema, &opts);
		if (!rc)
			rc = fm_conv_fail(c, n, err, "no status option \"%s\" (options: %s)", s,
					  buf_str(&opts));
		buf_release(&opts);
		return rc;
	}
	return fm_put(c, fm_option(s), out);
}

/* Checks that n is a list (or null) of non-null single values.  0 or -EINVAL. */
static int fm_check_list(const struct fm_conv *c, const struct fm_node *n, char **err)
{
	if (fm_node_is_null(n))
		return 0;
	if (n->kind != FM_N_SEQ)
		return fm_conv_fail(c, n, err, "expected a list like [a, b], got %s",
				    fm_kind(n));
	for (size_t i = 0; i < n->n; i++) {
		const char *s;
		int rc = fm_scalar(c, n->items[i], &s, err);

		if (rc)
			return rc;
		if (!s)
			return fm_conv_fail(c, n->items[i], err, "empty item in the list");
	}
	return 0;
}

/* Number of items of a list node (0 for null). */
static size_t fm_list_len(const struct fm_node *n)
{
	return fm_node_is_null(n) ? 0 : n->n;
}

/* multi_select: a list of option names (new names become new options). */
static int fm_conv_multi(const struct fm_conv *c, const struct fm_node *n, cJSON **out,
			 char **err)
{
	cJSON *arr;
	int rc = fm_check_list(c, n, err);

	if (rc)
		return rc;
	for (size_t i = 0; i < fm_list_len(n); i++) {
		rc = fm_check_option(c, n->items[i], n->items[i]->str, err);
		if (rc)
			return rc;
	}
	arr = cJSON_CreateArray();
	for (size_t i = 0; arr && i < fm_list_len(n); i++)
		if (!cJSON_AddItemToArray(arr, fm_option(n->items[i]->str))) {
			cJSON_Delete(arr);
			arr = NULL;
		}
	return fm_put(c, arr, out);
}

/* Checks one date string of a date value.  0 or -EINVAL. */
static int fm_check_date(const struct fm_conv *c, const struct fm_node *n, const char *what,
			 char **err)
{
	if (n->kind != FM_N_SCALAR || !fm_is_date(n->str))
		return fm_conv_fail(c, n, err, "%s must be a date like 2026-02-05 or "
				    "2026-02-05T10:00:00.000+01:00, got %s%s%s", what,
				    n->kind == FM_N_SCALAR ? "\"" : "",
				    n->kind == FM_N_SCALAR ? n->str : fm_kind(n),
				    n->kind == FM_N_SCALAR ? "\"" : "");
	return 0;
}

/* Validates a {start, end, time_zone} mapping.  0 or -EINVAL. */
static int fm_check_date_map(const struct fm_conv *c, const struct fm_node *n, char **err)
{
	const struct fm_node *start = fm_map_get(n, "start");
	const struct fm_node *end = fm_map_get(n, "end");
	const struct fm_node *tz = fm_map_get(n, "time_zone");
	int rc;

	for (size_t i = 0; i < n->n; i++) {
		const struct fm_node *k = n->items[2 * i];

		if (k->kind != FM_N_SCALAR || (strcmp(k->str, "start") && strcmp(k->str, "end") &&
					      strcmp(k->str, "time_zone")))
			return fm_conv_fail(c, k, err, "a date mapping has only start, end and "
					    "time_zone");
	}
	if (fm_node_is_null(start))
		return fm_conv_fail(c, n, err, "a date mapping needs a start");
	rc = fm_check_date(c, start, "start", err);
	if (!rc && !fm_node_is_null(end))
		rc = fm_check_date(c, end, "end", err);
	if (!rc && !fm_node_is_null(tz) &&
	    (tz->kind != FM_N_SCALAR || tz->len == 0 || strpbrk(tz->str, " \t")))
		rc = fm_conv_fail(c, tz, err, "time_zone must be a zone name like Europe/Paris");
	return rc;
}

/* Builds the API date object for a validated node.  NULL on ENOMEM. */
static cJSON *fm_date_object(const struct fm_node *n)
{
	const struct fm_node *start = n->kind == FM_N_MAP ? fm_map_get(n, "start") : n;
	const struct fm_node *end = n->kind == FM_N_MAP ? fm_map_get(n, "end") : NULL;
	const struct fm_node *tz = n->kind == FM_N_MAP ? fm_map_get(n, "time_zone") : NULL;
	cJSON *d = cJSON_CreateObject();
	bool ok = d && cJSON_AddStringToObject(d, "start", start->str);

	if (ok && fm_node_is_null(end))
		ok = cJSON_AddNullToObject(d, "end");
	else if (ok)
		ok = cJSON_AddStringToObject(d, "end", end->str);
	if (ok && !fm_node_is_null(tz))
		ok = cJSON_AddStringToObject(d, "time_zone", tz->str);
	if (!ok) {
		cJSON_Delete(d);
		return NULL;
	}
	return d;
}

/* date: a date / date-time, a {start, end, time_zone} mapping, or null. */
static int fm_conv_date(const struct fm_conv *c, const struct fm_node *n, cJSON **out,
			char **err)
{
	int rc;

	if (fm_node_is_null(n))
		return fm_put(c, cJSON_CreateNull(), out);
	if (n->kind == FM_N_SEQ)
		return fm_conv_fail(c, n, err, "expected a date or {start: ..., end: ...}, "
				    "got a list");
	rc = n->kind == FM_N_MAP ? fm_check_date_map(c, n, err) : fm_check_date(c, n, "the value",
										 err);
	if (rc)
		return rc;
	return fm_put(c, fm_date_object(n), out);
}

/* checkbox: true/false (yes/no, on/off accepted); null means false. */
static int fm_conv_checkbox(const struct fm_conv *c, const struct fm_node *n, cJSON **out,
			    char **err)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	const char *s;
	int rc = fm_scalar(c, n, &s, err);

	if (rc)
		return rc;
	if (!s)
		return fm_put(c, cJSON_CreateFalse(), out);
	for (size_t i = 0; n->plain && i < 3; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return fm_put(c, cJSON_CreateTrue(), out);
		if (strcasecmp(s, no[i]) == 0)
			return fm_put(c, cJSON_CreateFalse(), out);
	}
	return fm_conv_fail(c, n, err, "expected true or false, got \"%s\"", s);
}

/* True if s contains whitespace or a control character. */
static bool fm_has_space(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return true;
	return false;
}

/* True if s starts with a URI scheme ("https:", "mailto:") followed by something. */
static bool fm_has_scheme(const char *s)
{
	size_t i = 0;

	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	while (s[i] && (strchr("+.-", s[i]) || (s[i] >= '0' && s[i] <= '9') ||
			(s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
		i++;
	return s[i] == ':' && s[i + 1];
}

/* True if s is a URL: a scheme ("https://x") or a host name with a dot ("example.com/a"). */
static bool fm_is_url(const char *s)
{
	const char *dot = strchr(s, '.');

	if (fm_has_space(s))
		return false;
	return fm_has_scheme(s) || (dot && dot != s && dot[1] && dot[1] != '.');
}

/* True if s looks like an e-mail address: local@domain.tld, no spaces. */
static bool fm_is_email(const char *s)
{
	const char *at = strchr(s, '@');
	const char *dot;

	if (!at || at == s || strchr(at + 1, '@') || fm_has_space(s))
		return false;
	dot = strrchr(at + 1, '.');
	return dot && dot > at + 1 && dot[1];
}

/* True if s looks like a phone number: digits and + - ( ) . / # * , ; space x ext. */
static bool fm_is_phone(const char *s)
{
	size_t digits = 0;

	for (const char *p = s; *p; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (!strchr(" +-()./#*,;xXeEtT", *p))
			return false;
	}
	return digits > 0 && strlen(s) <= 64;
}

/* url / email / phone_number: validated text, or null. */
static int fm_conv_string(const struct fm_conv *c, const struct fm_node *n, cJSON **out,
			  char **err)
{
	enum fm_ptype t = fm_ptype_of(fm_json_type(c->schema));
	const char *s;
	int rc = fm_scalar(c, n, &s, err);

	if (rc)
		return rc;
	if (!s)
		return fm_put(c, cJSON_CreateNull(), out);
	if (t == FM_T_URL && !fm_is_url(s))
		return fm_conv_fail(c, n, err, "\"%s\" is not a URL", s);
	if (t == FM_T_EMAIL && !fm_is_email(s))
		return fm_conv_fail(c, n, err, "\"%s\" is not an e-mail address", s);
	if (t == FM_T_PHONE && !fm_is_phone(s))
		return fm_conv_fail(c, n, err, "\"%s\" is not a phone number", s);
	return fm_put(c, cJSON_CreateString(s), out);
}

/* Index of the first unused base item rendered exactly like item, or -1. */
static long fm_match_base(const struct fm_conv *c, bool *used, size_t nbase,
			  const struct fm_node *item)
{
	if (!c->was || c->was->kind != FM_N_SEQ)
		return -1;
	for (size_t i = 0; i < c->was->n && i < nbase; i++)
		if (!used[i] && fm_node_equal(c->was->items[i], item)) {
			used[i] = true;
			return (long)i;
		}
	return -1;
}

/* The base page's list value (people, relation, files), or NULL (borrowed). */
static const cJSON *fm_base_list(const struct fm_conv *c)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->base, fm_json_type(c->schema));

	return cJSON_IsArray(v) ? v : NULL;
}

/* Looks a name up through the reverse resolver.  Returns 0 with *id (malloc'd), -ENOMEM,
 * or -EINVAL with a message. */
static int fm_lookup(const struct fm_conv *c, const struct fm_node *item, char **id,
		     char **err)
{
	enum fm_ptype t = fm_ptype_of(fm_json_type(c->schema));
	const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(c->schema, "relation");
	const char *what = t == FM_T_PEOPLE ? "user" : "page";
	int ambiguous = 0;

	*id = NULL;
	if (t == FM_T_PEOPLE && c->rev && c->rev->resolve_user)
		*id = c->rev->resolve_user(c->rev->arg, item->str, &ambiguous);
	else if (t == FM_T_RELATION && c->rev && c->rev->resolve_page)
		*id = c->rev->resolve_page(c->rev->arg, json_str(cfg, "data_source_id") ?
					   json_str(cfg, "data_source_id") : json_str(cfg, "database_id"),
					   item->str, &ambiguous);
	if (*id)
		return 0;
	if (ambiguous)
		return fm_conv_fail(c, item, err, "several %ss are named \"%s\"; use the %s",
				    what, item->str, t == FM_T_PEOPLE ? "e-mail address or id"
								      : "name with its (id) suffix");
	return fm_conv_fail(c, item, err, "no %s named \"%s\"", what, item->str);
}

/* Returns {"id": id} (and "object": "user" for people), or NULL on ENOMEM. */
static cJSON *fm_ref(const struct fm_conv *c, const char *id)
{
	cJSON *o = cJSON_CreateObject();
	bool ok = o != NULL;

	if (ok && fm_ptype_of(fm_json_type(c->schema)) == FM_T_PEOPLE)
		ok = cJSON_AddStringToObject(o, "object", "user") != NULL;
	if (ok)
		ok = cJSON_AddStringToObject(o, "id", id) != NULL;
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* Appends the reference for one people/relation item to arr.  0 or -errno. */
static int fm_conv_ref_item(const struct fm_conv *c, const struct fm_node *item, bool *used,
			    cJSON *arr, char **err)
{
	const cJSON *base = fm_base_list(c);
	long idx = fm_match_base(c, used, (size_t)cJSON_GetArraySize(base), item);
	char *id = NULL;
	const char *use;
	int rc = 0;

	if (idx >= 0) {
		use = json_str(cJSON_GetArrayItem(base, (int)idx), "id");
	} else {
		rc = fm_lookup(c, item, &id, err);
		use = id;
	}
	if (!rc && (!use || !cJSON_AddItemToArray(arr, fm_ref(c, use))))
		rc = use ? -ENOMEM : fm_conv_fail(c, item, err, "base item has no id");
	free(id);
	return rc;
}

/* people / relation: a list of names; unchanged names keep their ids. */
static int fm_conv_refs(const struct fm_conv *c, const struct fm_node *n, cJSON **out,
			char **err)
{
	size_t nbase = c->was && c->was->kind == FM_N_SEQ ? c->was->n : 0;
	bool *used = calloc(nbase + 1, sizeof(*used));
	cJSON *arr = cJSON_CreateArray();
	int rc = (used && arr) ? fm_check_list(c, n, err) : -ENOMEM;

	for (size_t i = 0; !rc && i < fm_list_len(n); i++)
		rc = fm_conv_ref_item(c, n->items[i], used, arr, err);
	free(used);
	if (rc) {
		cJSON_Delete(arr);
		return rc;
	}
	return fm_put(c, arr, out);
}

/* Copies a base file object for the request (without the expiring signed URL's expiry).
 * NULL on ENOMEM. */
static cJSON *fm_file_copy(const cJSON *f)
{
	cJSON *dup = cJSON_Duplicate(f, 1);

	if (dup)
		cJSON_DeleteItemFromObjectCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(dup, "file"), "expiry_time");
	return dup;
}

/* Builds an external file object {name, type: external, external: {url}}.  The name is
 * cut to the API's limit at a character boundary.  NULL on ENOMEM. */
static cJSON *fm_file_external(const char *name, const char *url)
{
	size_t n = fm_utf16_prefix(name, FM_FILE_NAME_MAX);
	char *cut = strndup(name, n);
	cJSON *o = cJSON_CreateObject();
	cJSON *ext = NULL;
	bool ok = cut && o && cJSON_AddStringToObject(o, "name", cut) &&
		  cJSON_AddStringToObject(o, "type", "external") &&
		  (ext = cJSON_AddObjectToObject(o, "external")) &&
		  cJSON_AddStringToObject(ext, "url", url);

	free(cut);
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* Builds the file object for a new files item: a URL, or {name: ..., url: ...}.
 * Returns 0 with *out, -ENOMEM, or -EINVAL. */
static int fm_file_new(const struct fm_conv *c, const struct fm_node *item, cJSON **out,
		       char **err)
{
	const struct fm_node *name = item, *url = item;

	if (item->kind == FM_N_MAP) {
		name = fm_map_get(item, "name");
		url = fm_map_get(item, "url");
		if (item->n != (size_t)(!!name + !!url) || fm_node_is_null(url) ||
		    url->kind != FM_N_SCALAR)
			return fm_conv_fail(c, item, err, "a file is a URL or {name: ..., url: ...}");
		if (fm_node_is_null(name) || name->kind != FM_N_SCALAR)
			name = url;
	}
	if (item->kind == FM_N_SEQ || fm_node_is_null(item))
		return fm_conv_fail(c, item, err, "a file is a URL or {name: ..., url: ...}");
	if (!fm_has_scheme(url->str) || fm_has_space(url->str))
		return fm_conv_fail(c, item, err, "\"%s\" is neither a file of this page nor a "
				    "URL (files cannot be uploaded through the front-matter)",
				    url->str);
	*out = fm_file_external(name->str, url->str);
	return *out ? 0 : -ENOMEM;
}

/* files: a list of file names (existing files) and URLs / {name, url} (new links). */
static int fm_conv_files(const struct fm_conv *c, const struct fm_node *n, cJSON **out,
			 char **err)
{
	const cJSON *base = fm_base_list(c);
	size_t nbase = c->was && c->was->kind == FM_N_SEQ ? c->was->n : 0;
	bool *used = calloc(nbase + 1, sizeof(*used));
	cJSON *arr = cJSON_CreateArray();
	int rc = (used && arr) ? 0 : -ENOMEM;

	if (!rc && !fm_node_is_null(n) && n->kind != FM_N_SEQ)
		rc = fm_conv_fail(c, n, err, "expected a list like [a, b], got %s", fm_kind(n));
	for (size_t i = 0; !rc && i < fm_list_len(n); i++) {
		long idx = fm_match_base(c, used, (size_t)cJSON_GetArraySize(base), n->items[i]);
		cJSON *f = NULL;

		if (idx >= 0)
			f = fm_file_copy(cJSON_GetArrayItem(base, (int)idx));
		else
			rc = fm_file_new(c, n->items[i], &f, err);
		if (!rc && (!f || !cJSON_AddItemToArray(arr, f))) {
			cJSON_Delete(f);
			rc = -ENOMEM;
		}
	}
	free(used);
	if (rc) {
		cJSON_Delete(arr);
		return rc;
	}
	return fm_put(c, arr, out);
}

/* Dispatches on the schema type.  See fm_internal.h. */
int fm_convert(const struct fm_conv *c, const struct fm_node *node, cJSON **out, char **err)
{
	*out = NULL;
	switch (fm_ptype_of(fm_json_type(c->schema))) {
	case FM_T_TITLE:
	case FM_T_RICH_TEXT:
		return fm_conv_text(c, node, out, err);
	case FM_T_NUMBER:
		return fm_conv_number(c, node, out, err);
	case FM_T_SELECT:
	case FM_T_STATUS:
		return fm_conv_select(c, node, out, err);
	case FM_T_MULTI_SELECT:
		return fm_conv_multi(c, node, out, err);
	case FM_T_DATE:
		return fm_conv_date(c, node, out, err);
	case FM_T_CHECKBOX:
		return fm_conv_checkbox(c, node, out, err);
	case FM_T_URL:
	case FM_T_EMAIL:
	case FM_T_PHONE:
		return fm_conv_string(c, node, out, err);
	case FM_T_PEOPLE:
	case FM_T_RELATION:
		return fm_conv_refs(c, node, out, err);
	case FM_T_FILES:
		return fm_conv_files(c, node, out, err);
	default:
		return fm_conv_fail(c, node, err, "is read-only");
	}
}
