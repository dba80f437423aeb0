/* fm_internal.h - shared internals of the front-matter module (fs/props/ only).
 *
 * Owns: the property-type table (fm_types.c), the libyaml emitter wrapper and the parsed
 * YAML node tree (fm_yaml.c), value helpers shared by rendering and parsing.
 *
 * Invariants:
 *  1. Every YAML byte goes through libyaml: fm_emit_* only pick a scalar style.
 *  2. A struct fm_emitter that saw an error stays failed: later calls return the same error
 *     and emit nothing, so callers may check once at the end.
 *  3. An fm_node tree is owned by its root: fm_node_free(root) frees everything.
 */
#ifndef NFS_FM_INTERNAL_H
#define NFS_FM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>
#include <yaml.h>

#include "common/buf.h"
#include "common/json.h"
#include "fs/props/frontmatter.h"

/* ---- property types (fm_types.c) ---- */

enum fm_ptype {
	FM_T_TITLE,
	FM_T_RICH_TEXT,
	FM_T_NUMBER,
	FM_T_SELECT,
	FM_T_MULTI_SELECT,
	FM_T_STATUS,
	FM_T_DATE,
	FM_T_PEOPLE,
	FM_T_FILES,
	FM_T_CHECKBOX,
	FM_T_URL,
	FM_T_EMAIL,
	FM_T_PHONE,
	FM_T_RELATION,
	FM_T_FORMULA,
	FM_T_ROLLUP,
	FM_T_CREATED_TIME,
	FM_T_CREATED_BY,
	FM_T_LAST_EDITED_TIME,
	FM_T_LAST_EDITED_BY,
	FM_T_UNIQUE_ID,
	FM_T_VERIFICATION,
	FM_T_BUTTON,
	FM_T_UNKNOWN,
};

/* Type of an API type name (NULL or unlisted: FM_T_UNKNOWN). */
enum fm_ptype fm_ptype_of(const char *name);
/* True if users cannot change values of this type through the front-matter. */
bool fm_ptype_read_only(enum fm_ptype t);

/* The "type" string of a schema property or property value, or NULL (borrowed). */
const char *fm_json_type(const cJSON *prop);

/* Ordered property list of a schema: title first, then the object's order.  props is the
 * schema ("properties" object); returns a malloc'd array of borrowed items (each item's
 * ->string is the property name) in *out and its length in *n; 0 or -ENOMEM.  An empty or
 * NULL props gives *out = NULL, *n = 0. */
int fm_props_ordered(const cJSON *props, const cJSON ***out, size_t *n);

/* Appends the concatenated plain text of a rich-text array (non-arrays: nothing).
 * 0 or -ENOMEM. */
int fm_rich_text_plain(const cJSON *arr, struct buf *out);

/* Formats a JSON number exactly: integers without a fraction, other values with the fewest
 * digits that read back to the same double.  dst must hold 32 bytes. */
void fm_format_number(double v, char dst[32]);
/* Parses a YAML/JSON decimal number ("-12", "2.5", "1e3"; no hex, inf, nan, '_').
 * Returns true and sets *v when the whole string is such a number. */
bool fm_parse_number(const char *s, double *v);
/* True if s is an ISO 8601 date ("2026-02-05") or date-time as Notion writes them
 * ("2026-02-05T10:00", seconds, fraction, and "Z" / "+01:00" offset optional). */
bool fm_is_date(const char *s);

/* Returns 0 if [s, s+len) is valid UTF-8 (no overlongs, surrogates or NUL), else -EINVAL
 * with *bad = offset of the first bad byte. */
int fm_utf8_check(const char *s, size_t len, size_t *bad);

/* ---- emitting (fm_yaml.c) ---- */

struct fm_emitter {
	yaml_emitter_t em;
	struct buf *out;
	int err;	/* 0, or the first error (-ENOMEM / -EINVAL) */
	int flow;	/* depth of open flow collections */
	bool started;	/* yaml_emitter_initialize succeeded */
	size_t start;	/* out->len at fm_emit_begin() */
	struct buf held;	/* non-BMP characters (and U+E000) held back, in emission order */
};

/* Starts a YAML stream + implicit document writing to out (appended).  Returns 0 or -ENOMEM;
 * on error the emitter need not be finished but must still be fm_emit_release()d. */
int fm_emit_begin(struct fm_emitter *e, struct buf *out);
/* Ends the document and stream and flushes; a trailing "...\n" document-end marker is
 * dropped.  Returns 0 or the emitter's first error. */
int fm_emit_end(struct fm_emitter *e);
/* Frees the libyaml state (always safe after fm_emit_begin). */
void fm_emit_release(struct fm_emitter *e);
/* A text value: libyaml picks plain if allowed, but strings a YAML resolver would read as
 * something else (null, booleans, numbers, timestamps) are quoted; multi-line text prefers
 * a literal block.  Returns the emitter error state (0 or -errno). */
int fm_emit_str(struct fm_emitter *e, const char *s);
/* A typed token written as a plain scalar (a number, true/false, a date). */
int fm_emit_plain(struct fm_emitter *e, const char *s);
/* An empty value: nothing after the colon in block context, `null` inside flow ones. */
int fm_emit_null(struct fm_emitter *e);
int fm_emit_map_start(struct fm_emitter *e, bool flow);
int fm_emit_map_end(struct fm_emitter *e);
int fm_emit_seq_start(struct fm_emitter *e, bool flow);
int fm_emit_seq_end(struct fm_emitter *e);
/* Emits any JSON value as YAML (objects -> flow mappings, arrays -> flow sequences). */
int fm_emit_json(struct fm_emitter *e, const cJSON *v);

/* ---- parsing (fm_yaml.c) ---- */

enum fm_node_kind { FM_N_SCALAR, FM_N_SEQ, FM_N_MAP };

struct fm_node {
	enum fm_node_kind kind;
	size_t line;		/* 1-based line in the file */
	/* scalar */
	char *str;		/* NUL-terminated text */
	size_t len;
	bool plain;		/* written plain (untagged): may be null/bool/number */
	bool null_tag;		/* explicit !!null */
	/* seq: items[0..n); map: keys items[2i], values items[2i+1], i < n */
	struct fm_node **items;
	size_t n;
	size_t nitems;		/* entries used in items (2n, or 2n+1 while a map is built) */
};

/* Parses one YAML document from [text, text+len) into *root (NULL for an empty document).
 * line_base is added to reported line numbers.  Returns 0; -ENOMEM; or -EINVAL with
 * *err = malloc'd message "YAML syntax error at line N: ...".  The caller frees *root with
 * fm_node_free(). */
int fm_yaml_parse(const char *text, size_t len, size_t line_base, struct fm_node **root,
		  char **err);
void fm_node_free(struct fm_node *n);
/* True for an absent value: NULL, a plain "", "~", "null"/"Null"/"NULL", or !!null. */
bool fm_node_is_null(const struct fm_node *n);
/* Structural equality; scalars compare by text, a null equals an empty sequence. */
bool fm_node_equal(const struct fm_node *a, const struct fm_node *b);
/* Value of key (exact text) in mapping map, or NULL (borrowed). */
struct fm_node *fm_map_get(const struct fm_node *map, const char *key);

/* ---- rendering helpers shared with fm_diff (fm_render.c) ---- */

/* Renders only the YAML of the page (no `---` lines) into out.  Same contract as
 * fm_render(). */
/* The same with `base` (may be NULL) in the metadata mapping. */
int fm_render_yaml_base(const cJSON *db_props, const cJSON *page, const char *base,
			const struct fm_resolve *r, struct buf *out);
int fm_render_yaml(const cJSON *db_props, const cJSON *page, const struct fm_resolve *r,
		   struct buf *out);

/* ---- conversion of an edited value to the API request shape (fm_convert.c) ---- */

struct fm_conv {
	const char *name;		/* property name */
	const cJSON *schema;		/* schema property (type, options, relation, ...) */
	const cJSON *base;		/* base page's property value, or NULL */
	const struct fm_node *was;	/* base value as rendered, or NULL */
	const struct fm_resolver_rev *rev;	/* may be NULL */
};

/* Converts the user's node (may be NULL: cleared) for a writable property to its API
 * request value ({"number": 2.5}, {"title": [...]}, ...).  Returns 0 with *out (caller
 * frees); -ENOMEM; or -EINVAL with *err = malloc'd message naming the property. */
int fm_convert(const struct fm_conv *c, const struct fm_node *node, cJSON **out, char **err);

/* Sets *err to a malloc'd printf-formatted message (left NULL on ENOMEM) and returns
 * -EINVAL. */
int fm_fail(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
