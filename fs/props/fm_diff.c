/* fm_diff.c - an edited front-matter against its base page -> the API PATCH body.
 *
 * Owns: the write-path rules of docs/format.md: which keys may appear (schema properties and
 * the metadata key), that a removed key means "unchanged", that read-only values may be
 * kept but not changed, and the detection of changes.
 *
 * How a change is detected: the base page is rendered again (with the forward resolver the
 * caller gives in rev->fwd) and parsed; a key whose parsed value equals the base's is
 * unchanged.  Only changed, writable properties are converted (fm_convert.c), so a value
 * Notion holds but we would not accept as input (e.g. a URL without a scheme) never blocks
 * a save that does not touch it.
 * Memory: all trees are freed before returning; *patch_out and *err go to the caller.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs/props/fm_internal.h"

#include "common/utf8.h"

struct fm_dctx {
	const cJSON *schema;		/* property name -> schema property */
	const cJSON *base_page;
	const struct fm_resolver_rev *rev;
	struct fm_node *base;		/* base page rendered and parsed */
	char *meta_key;
	cJSON *props;			/* patch "properties" (borrowed from the patch) */
	char **err;
};

/* Line number (1-based) of byte offset off in text. */
static size_t fm_line_of(const char *text, size_t off)
{
	size_t line = 1;

	for (size_t i = 0; i < off; i++)
		line += text[i] == '\n';
	return line;
}

/* Reports invalid UTF-8 at offset bad, naming the top-level key above it if readable.
 * Returns -EINVAL. */
static int fm_fail_utf8(const char *text, size_t len, size_t bad, char **err)
{
	size_t ls = bad, ke, tmp;

	/* back to the start of the nearest line that begins a top-level key */
	for (;;) {
		while (ls > 0 && text[ls - 1] != '\n')
			ls--;
		if (ls == 0 || (text[ls] != ' ' && text[ls] != '\t' && text[ls] != '-'))
			break;
		ls--;
	}
	for (ke = ls; ke < len && text[ke] != ':' && text[ke] != '\n'; ke++)
		;
	if (ke < len && text[ke] == ':' && ke > ls && ke <= bad &&
	    fm_utf8_check(text + ls, ke - ls, &tmp) == 0)
		return fm_fail(err, "property \"%.*s\": invalid UTF-8 at line %zu",
			       (int)(ke - ls), text + ls, fm_line_of(text, bad));
	return fm_fail(err, "front-matter: invalid UTF-8 at line %zu", fm_line_of(text, bad));
}

/* Finds the YAML inside a `---` block: sets *yaml, *ylen and *line_base (lines before it).
 * Text without an opening `---` line is all YAML.  0 or -EINVAL (unclosed block). */
static int fm_inner(const char *fm, size_t len, const char **yaml, size_t *ylen,
		    size_t *line_base, char **err)
{
	size_t blk, first, last;

	*yaml = fm;
	*ylen = len;
	*line_base = 0;
	if (fm_split(fm, len, &blk) < 0)
		return fm_fail(err, "front-matter: no closing '---' line");
	if (blk == 0)
		return 0;
	first = (size_t)((const char *)memchr(fm, '\n', blk) - fm) + 1;
	last = blk - 1;		/* the closing line starts after the previous '\n' */
	while (last > first && fm[last - 1] != '\n')
		last--;
	*yaml = fm + first;
	*ylen = last - first;
	*line_base = 1;
	return 0;
}

/* Checks that key node k (index i of the root map) is a scalar seen once.  0 / -EINVAL. */
static int fm_check_key(const struct fm_node *root, size_t i, char **err)
{
	const struct fm_node *k = root->items[2 * i];

	if (k->kind != FM_N_SCALAR || fm_node_is_null(k))
		return fm_fail(err, "front-matter: line %zu: a key must be a property name",
			       k->line);
	for (size_t j = 0; j < i; j++) {
		const struct fm_node *o = root->items[2 * j];

		if (o->kind == FM_N_SCALAR && o->len == k->len && memcmp(o->str, k->str, k->len) == 0)
			return fm_fail(err, "property \"%s\" appears twice (line %zu)", k->str,
				       k->line);
	}
	return 0;
}

/* true if the page's value object pv names a type (empty too) other than the schema's: the
 * file then shows it as a read-only placeholder (docs/format.md), never converted back. */
static bool fm_value_mismatch(const cJSON *prop, const cJSON *pv)
{
	const char *vt = fm_json_type(pv), *st = fm_json_type(prop);

	return vt && (!*vt || !st || strcmp(vt, st) != 0);
}

/* true if the metadata mapping v says what was says: the same id and url.  `base` names the
 * version the writer read (docs/format.md) and may differ; any other key is a change. */
static bool fm_meta_same(const struct fm_node *v, const struct fm_node *was)
{
	static const char *const keys[] = { "id", "url" };

	if (fm_node_equal(v, was))
		return true;
	if (!v || !was || v->kind != FM_N_MAP || was->kind != FM_N_MAP)
		return false;
	for (size_t i = 0; i < v->n; i++) {
		const struct fm_node *k = v->items[2 * i];

		if (k->kind != FM_N_SCALAR || (strcmp(k->str, "id") && strcmp(k->str, "url") &&
					       strcmp(k->str, "base")))
			return false;
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct fm_node *a = fm_map_get(v, keys[i]), *b = fm_map_get(was, keys[i]);

		if ((a || b) && !fm_node_equal(a, b))
			return false;
	}
	return true;
}

/* Handles one key/value of the edited front-matter.  0 or -errno. */
static int fm_diff_one(struct fm_dctx *d, const struct fm_node *k, const struct fm_node *v)
{
	const cJSON *prop = cJSON_GetObjectItemCaseSensitive(d->schema, k->str);
	const struct fm_node *was = fm_map_get(d->base, k->str);
	const cJSON *values = cJSON_GetObjectItemCaseSensitive(d->base_page, "properties");
	struct fm_conv c;
	cJSON *val = NULL;
	int rc;

	if (strcmp(k->str, d->meta_key) == 0) {
		if (fm_meta_same(v, was))
			return 0;
		return fm_fail(d->err, "\"%s\" (line %zu) is page metadata and cannot be "
			       "changed", k->str, k->line);
	}
	if (!prop)
		return fm_fail(d->err, "unknown property \"%s\" (line %zu): the database has "
			       "no such property", k->str, k->line);
	if (fm_node_equal(v, was))
		return 0;
	if (fm_ptype_read_only(fm_ptype_of(fm_json_type(prop))))
		return fm_fail(d->err, "property \"%s\" (%s) is read-only and cannot be changed "
			       "(line %zu)", k->str, fm_json_type(prop) ? fm_json_type(prop)
								       : "unknown type", k->line);
	c.base = cJSON_GetObjectItemCaseSensitive(values, k->str);
	if (fm_value_mismatch(prop, c.base))
		return fm_fail(d->err, "property \"%s\" is read-only here: its value on the page "
			       "has type \"%s\", not the schema's \"%s\" (line %zu)", k->str,
			       fm_json_type(c.base), fm_json_type(prop), k->line);
	c.name = k->str;
	c.schema = prop;
	c.was = was;
	c.rev = d->rev;
	rc = fm_convert(&c, v, &val, d->err);
	if (rc)
		return rc;
	if (!cJSON_AddItemToObject(d->props, k->str, val)) {
		cJSON_Delete(val);
		return -ENOMEM;
	}
	return 0;
}

/* Renders and parses the base page into d->base.  0 or -errno. */
static int fm_diff_base(struct fm_dctx *d, const cJSON *db_props)
{
	struct buf b = BUF_INIT;
	char *perr = NULL;
	int rc = fm_render_yaml(db_props, d->base_page, d->rev ? d->rev->fwd : NULL, &b);

	if (!rc)
		rc = fm_yaml_parse(buf_str(&b), b.len, 0, &d->base, &perr);
	if (rc == -EINVAL)
		rc = fm_fail(d->err, "base page cannot be rendered%s%s", perr ? ": " : "",
			     perr ? perr : "");
	free(perr);
	buf_release(&b);
	return rc;
}

/* Compares every key of the edited mapping root.  0 or -errno. */
static int fm_diff_map(struct fm_dctx *d, const struct fm_node *root)
{
	int rc;

	if (fm_node_is_null(root))
		return 0;
	if (root->kind != FM_N_MAP)
		return fm_fail(d->err, "front-matter: must be a mapping of property names to "
			       "values (line %zu)", root->line);
	for (size_t i = 0; i < root->n; i++) {
		rc = fm_check_key(root, i, d->err);
		if (!rc)
			rc = fm_diff_one(d, root->items[2 * i], root->items[2 * i + 1]);
		if (rc)
			return rc;
	}
	return 0;
}

/* Checks UTF-8, finds the YAML of fm and parses it into *root (NULL if empty).
 * Returns 0, -ENOMEM, or -EINVAL with a message prefixed "front-matter: " for syntax. */
static int fm_diff_parse(const char *fm, size_t len, struct fm_node **root, char **err)
{
	const char *yaml;
	size_t ylen, line_base, bad;
	char *inner;
	int rc;

	*root = NULL;
	if (fm_utf8_check(fm, len, &bad) < 0)
		return fm_fail_utf8(fm, len, bad, err);
	rc = fm_inner(fm, len, &yaml, &ylen, &line_base, err);
	if (!rc)
		rc = fm_yaml_parse(yaml, ylen, line_base, root, err);
	if (rc == -EINVAL && *err && strncmp(*err, "YAML", 4) == 0) {
		inner = *err;
		*err = NULL;
		rc = fm_fail(err, "front-matter: %s", inner);
		free(inner);
	}
	return rc;
}

/* See frontmatter.h. */
int fm_diff(const char *fm, size_t len, const cJSON *db_props, const cJSON *base_page,
	    const struct fm_resolver_rev *rev, cJSON **patch_out, char **err)
{
	return fm_diff_from(fm, len, db_props, base_page, NULL, 0, rev, patch_out, err);
}

/* Parses the writer's base front-matter into d->base; a base that no longer
 * parses (it did when it was saved) falls back to the rendered base page. */
static int fm_diff_base_text(struct fm_dctx *d, const cJSON *db_props, const char *base_fm,
			     size_t base_len)
{
	char *perr = NULL;
	int rc = fm_diff_parse(base_fm, base_len, &d->base, &perr);

	free(perr);
	if (rc == -ENOMEM)
		return rc;
	if (rc || !d->base) {
		fm_node_free(d->base);
		d->base = NULL;
		return fm_diff_base(d, db_props);
	}
	return 0;
}

int fm_diff_from(const char *fm, size_t len, const cJSON *db_props, const cJSON *base_page,
		 const char *base_fm, size_t base_len, const struct fm_resolver_rev *rev,
		 cJSON **patch_out, char **err)
{
	struct fm_dctx d = { 0 };
	struct fm_node *root = NULL;
	cJSON *patch = NULL, *clean_props = NULL, *clean_page = NULL;
	int rc;

	*patch_out = NULL;
	*err = NULL;
	if (!cJSON_IsObject(base_page))
		return fm_fail(err, "base page is not a page object");
	/* The file showed Notion's invalid UTF-8 as U+FFFD: compare and convert against the
	 * same sanitised text (common/utf8.h), so an untouched value stays unchanged. */
	if (utf8_json_sanitized(db_props, &clean_props) ||
	    utf8_json_sanitized(base_page, &clean_page)) {
		cJSON_Delete(clean_props);
		return -ENOMEM;
	}
	if (clean_props)
		db_props = clean_props;
	if (clean_page)
		base_page = clean_page;
	d.err = err;
	d.rev = rev;
	d.base_page = base_page;
	d.schema = db_props ? db_props : cJSON_GetObjectItemCaseSensitive(base_page, "properties");
	rc = fm_diff_parse(fm, len, &root, err);
	if (rc)
		goto out;
	rc = -ENOMEM;
	d.meta_key = fm_meta_key(d.schema);
	patch = cJSON_CreateObject();
	d.props = cJSON_AddObjectToObject(patch, "properties");
	if (!d.meta_key || !d.props)
		goto out;
	rc = base_fm ? fm_diff_base_text(&d, db_props, base_fm, base_len)
		     : fm_diff_base(&d, db_props);
	if (!rc)
		rc = fm_diff_map(&d, root);
out:
	fm_node_free(root);
	fm_node_free(d.base);
	free(d.meta_key);
	cJSON_Delete(clean_props);
	cJSON_Delete(clean_page);
	if (rc) {
		cJSON_Delete(patch);
		if (rc == -ENOMEM) {
			free(*err);
			*err = NULL;
		}
		return rc;
	}
	*patch_out = patch;
	return 0;
}

/* Adds to arr every key of mapping a that b lacks or holds another value for. */
static int fm_changed_add(const struct fm_node *a, const struct fm_node *b, cJSON *arr)
{
	const cJSON *it;

	for (size_t i = 0; a && a->kind == FM_N_MAP && i < a->n; i++) {
		const struct fm_node *k = a->items[2 * i];
		bool seen = false;

		if (k->kind != FM_N_SCALAR || fm_node_equal(a->items[2 * i + 1], fm_map_get(b, k->str)))
			continue;
		cJSON_ArrayForEach(it, arr)
			if (!strcmp(it->valuestring, k->str))
				seen = true;
		if (!seen && !cJSON_AddItemToArray(arr, cJSON_CreateString(k->str)))
			return -ENOMEM;
	}
	return 0;
}

int fm_changed_keys(const char *a, size_t alen, const char *b, size_t blen, cJSON **out)
{
	struct fm_node *ra = NULL, *rb = NULL;
	char *err = NULL;
	cJSON *arr = cJSON_CreateArray();
	int rc = arr ? 0 : -ENOMEM;

	*out = NULL;
	if (!rc)
		rc = fm_diff_parse(a, alen, &ra, &err);
	if (!rc)
		rc = fm_diff_parse(b, blen, &rb, &err);
	if (!rc)
		rc = fm_changed_add(ra, rb, arr);
	if (!rc)
		rc = fm_changed_add(rb, ra, arr);
	free(err);
	fm_node_free(ra);
	fm_node_free(rb);
	if (rc) {
		cJSON_Delete(arr);
		return rc;
	}
	*out = arr;
	return 0;
}
