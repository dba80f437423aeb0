/* frontmatter.h - page properties <-> YAML front-matter (the `fm_` module).
 *
 * Owns: the YAML form of every Notion property type (docs/format.md is the user-facing
 * specification), the read-only `.schema.yaml` of a database, splitting a page file into
 * front-matter and body, and turning an edited front-matter back into an API PATCH body.
 *
 * Invariants:
 *  1. Rendering is byte-deterministic: the same (schema, page, resolver answers) always
 *     give the same bytes.  YAML is produced by libyaml's emitter and read by its parser;
 *     this module only chooses scalar styles, never escapes text itself.
 *  2. Round trip: fm_diff() of an unchanged fm_render() output against the same base page
 *     (and a resolver giving the same answers) yields an empty "properties" object.
 *  3. Keys are the property names, title first, then the schema's order; the page metadata
 *     goes last under fm_meta_key() (`_notion` unless a property already uses that name).
 *
 * Memory: every function documents what it allocates.  Strings returned by the resolver
 * callbacks are malloc'd by the callee and freed by this module.  cJSON inputs are borrowed
 * and never modified.  Output buffers (struct buf) are appended to; on error their previous
 * contents are kept but anything partially appended is cut off again.
 *
 * Errors: 0 on success, or a negative errno: -ENOMEM, -EINVAL (malformed input; fm_diff then
 * sets a message).
 */
#ifndef NFS_FRONTMATTER_H
#define NFS_FRONTMATTER_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/buf.h"

/* Forward resolver: ids -> the names shown in files. Any callback may be NULL. */
struct fm_resolve {
	/* Name (malloc'd) under which a related page appears: its file name without ".md"
	 * (collision suffix included), or NULL if unknown (then render the page id). */
	char *(*page_name)(void *arg, const char *page_id);
	/* Display name (malloc'd) of a user id, or NULL if unknown (then the name embedded in
	 * the API user object, else the id, is rendered). */
	char *(*user_name)(void *arg, const char *user_id);
	void *arg;
};

/* Reverse resolver used by fm_diff(): names written by the user -> ids.  Any callback may be
 * NULL (then every name that is not already on the base page is an error). */
struct fm_resolver_rev {
	/* The forward resolver the base file was rendered with (may be NULL).  fm_diff renders
	 * the base again with it: an entry whose text is unchanged keeps its id without any
	 * lookup.  It must give the same answers as when the file was rendered. */
	const struct fm_resolve *fwd;
	/* Page id (malloc'd) of the page named `name` (a file name without ".md", collision
	 * suffix included, or a page id) in `db_id` (the relation's target: its
	 * `data_source_id`, else its `database_id`; NULL if the schema does not say).  Returns NULL if there is no such page; then sets
	 * *ambiguous to 1 if several pages have that name (it is 0 on entry). */
	char *(*resolve_page)(void *arg, const char *db_id, const char *name, int *ambiguous);
	/* User id (malloc'd) for a display name or an e-mail address (or a user id); NULL if
	 * unknown, with *ambiguous set to 1 when several users match (it is 0 on entry). */
	char *(*resolve_user)(void *arg, const char *name_or_email, int *ambiguous);
	void *arg;
};

/* Appends "---\n<yaml>---\n" for page (an API page object) whose database schema is db_props
 * (the database object's "properties" object, as the API returns it; key order = the
 * database's property order; the title property is always rendered first).  db_props may be
 * NULL for a page whose parent is not a database: then the page's own properties are used.
 * Properties of the page that the schema lacks are not rendered; schema properties the page
 * lacks render as empty.  Page metadata goes last: `<meta key>: {id: ..., url: ...}`.
 * r may be NULL.  Returns 0, -ENOMEM, or -EINVAL (page not an object, invalid UTF-8 in a
 * value); out is unchanged on error. */
int fm_render(const cJSON *db_props, const cJSON *page, const struct fm_resolve *r,
	      struct buf *out);

/* Appends the read-only `.schema.yaml` of database (an API database object): its title and
 * id, then for each property (title first, then schema order) its name, type, id, whether it
 * is read-only, and per type: options (select/multi_select/status, with status groups),
 * number format, relation target (name via r->page_name on the database id), formula
 * expression, rollup configuration, unique_id prefix.  r may be NULL.
 * Returns 0, -ENOMEM or -EINVAL (not a database object); out is unchanged on error. */
/* The same, with `base: <base>` (docs/format.md: the short name of the cached version the
 * file shows, common/vbase.h) as the last entry of the metadata mapping; base NULL: none. */
int fm_render_base(const cJSON *db_props, const cJSON *page, const char *base,
		   const struct fm_resolve *r, struct buf *out);

/* The keys (top-level property names and the metadata key) whose values differ between two
 * front-matters (each a `---` block or bare YAML), added to *out (malloc'd JSON array of
 * strings, caller frees); a key missing on one side differs.  0, -ENOMEM or -EINVAL (either
 * side malformed). */
int fm_changed_keys(const char *a, size_t alen, const char *b, size_t blen, cJSON **out);

int fm_render_schema(const cJSON *database, const struct fm_resolve *r, struct buf *out);

/* Splits a file into front-matter and body: on success *fm_len is the length of the
 * front-matter block including both `---` lines (0 if the file has none) and the body starts
 * there.  The opening line must be the first line ("---", optionally after a UTF-8 BOM;
 * CRLF accepted); the block ends at the next line that is exactly "---" (trailing spaces or
 * CR allowed) including its newline.  Returns 0, or -EINVAL if an opening `---` line has no
 * closing one (the front-matter is then malformed; *fm_len is 0). */
int fm_split(const char *text, size_t len, size_t *fm_len);

/* Name of the metadata key for this schema (db_props, or the page's properties when NULL):
 * "_notion" with underscores prepended until no property has that name.  Returns a malloc'd
 * string (caller frees) or NULL on ENOMEM. */
char *fm_meta_key(const cJSON *props);

/* Parses the front-matter of an edited file (fm/len: the block fm_split() found, with its
 * `---` lines, or the bare YAML) against the schema db_props (NULL: the base page's own
 * properties) and the BASE page object (the version the file was rendered from), validates,
 * and builds the API PATCH body for changed properties only: *patch_out =
 * {"properties": {name: API value, ...}} (caller frees with cJSON_Delete), with an empty
 * properties object when nothing changed.  A property whose key was removed is unchanged; the
 * metadata key is ignored unless its value changed (then an error).  rev may be NULL.
 * Returns 0; -ENOMEM; or -EINVAL with *err = malloc'd one-line message (caller frees) naming
 * the property and the problem (malformed YAML with its line, unknown property, wrong type,
 * read-only property changed, unknown status option, unresolvable or ambiguous relation or
 * person, invalid UTF-8).  On error *patch_out is NULL. */
int fm_diff(const char *fm, size_t len, const cJSON *db_props, const cJSON *base_page,
	    const struct fm_resolver_rev *rev, cJSON **patch_out, char **err);

/* The same, but a key counts as changed when its value differs from the front-matter
 * base_fm/base_len (the text the writer saw, e.g. the page's previous queued save: see
 * docs/queue.md, "The chain") rather than from base_page rendered again; base_page still
 * gives the values the conversion starts from.  base_fm NULL: as fm_diff(). */
int fm_diff_from(const char *fm, size_t len, const cJSON *db_props, const cJSON *base_page,
		 const char *base_fm, size_t base_len, const struct fm_resolver_rev *rev,
		 cJSON **patch_out, char **err);

#endif
