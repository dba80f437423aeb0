/* model.h - extraction of what the cache needs from Notion API objects.
 *
 * Owns: nothing beyond the summaries it fills.  Every summary struct has
 * fixed-size id/type fields plus a few malloc'd strings; the matching
 * *_release() frees those strings and zeroes the struct (a zeroed struct is
 * valid to release).  On failure a summary is left released (no leak, no
 * partial result).  Input objects are borrowed, never modified.
 *
 * Tolerance: unknown fields, property types and block types are ignored or
 * kept as plain strings, never an error; missing optional fields yield empty
 * strings / zero.  Only a missing or malformed `id` (or a wrong `object`
 * value) makes a summary fail.
 *
 * Ids: normalised to the 36-character lowercase hyphenated UUID form.
 * Times: Notion's ISO 8601 ("2024-05-04T14:07:00.000Z", or with an offset),
 * converted to seconds since the Unix epoch (UTC) plus milliseconds.
 */
#ifndef NFS_SYNC_MODEL_H
#define NFS_SYNC_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "common/isotime.h"

#define MODEL_ID_LEN 36
#define MODEL_ID_SIZE (MODEL_ID_LEN + 1)
#define MODEL_TYPE_SIZE 48
#define MODEL_TIME_SIZE 32	/* "YYYY-MM-DDTHH:MM:SS.mmmZ" + NUL, with room */

enum model_parent_kind {
	MODEL_PARENT_NONE = 0,	/* absent or of a type not known here */
	MODEL_PARENT_WORKSPACE,
	MODEL_PARENT_PAGE,
	MODEL_PARENT_DATABASE,
	MODEL_PARENT_BLOCK,
	MODEL_PARENT_DATA_SOURCE,	/* {type: data_source_id, data_source_id, database_id} */
};

struct model_page {
	char id[MODEL_ID_SIZE];
	enum model_parent_kind parent_kind;
	char parent_id[MODEL_ID_SIZE];	/* "" for workspace / none */
	/* The data source holding a row: parent_id of a data_source_id parent,
	 * or of a database_id parent (2022-06-28: the database is its own only
	 * source; cache/cache.h, "data sources"); "" for other parents. */
	char parent_db[MODEL_ID_SIZE];
	/* The database (container) of a data_source_id parent when the answer
	 * names it (parent.database_id), the database of a database_id parent,
	 * else "". */
	char parent_container[MODEL_ID_SIZE];
	char *title;		/* malloc'd, never NULL after success */
	char *url;		/* malloc'd, never NULL ("" when absent) */
	time_t created;		/* epoch seconds, 0 when absent */
	time_t last_edited;
	int last_edited_ms;	/* millisecond part of last_edited */
	bool archived;		/* `archived` or `in_trash` */
};

/* A database: with Notion-Version 2025-09-03 and later a container
 * (title, parent, is_inline, data_sources: [{id, name}], no properties);
 * 2022-06-28 objects carry their only source's properties. */
struct model_database {
	char id[MODEL_ID_SIZE];
	enum model_parent_kind parent_kind;
	char parent_id[MODEL_ID_SIZE];
	char *title;		/* malloc'd, never NULL after success */
	char *url;		/* malloc'd, never NULL */
	int property_count;	/* keys of `properties` */
	int source_count;	/* entries of `data_sources` (0 when absent) */
	time_t created;
	time_t last_edited;
	int last_edited_ms;
	bool archived;
};

/* A data source (object "data_source"): one schema and its rows. */
struct model_data_source {
	char id[MODEL_ID_SIZE];
	char database_id[MODEL_ID_SIZE];	/* its container (parent.database_id), "" if absent */
	char *title;		/* malloc'd, never NULL after success */
	int property_count;	/* keys of `properties` */
	time_t last_edited;
	int last_edited_ms;
	bool archived;		/* `in_trash` (or `archived` of 2025-09-03) */
};

struct model_user {
	char id[MODEL_ID_SIZE];
	char type[MODEL_TYPE_SIZE];	/* "person", "bot" or "" */
	char *name;		/* malloc'd, never NULL ("" when absent) */
	char *email;		/* malloc'd, never NULL ("" unless person.email) */
};

struct model_block {
	char id[MODEL_ID_SIZE];
	char type[MODEL_TYPE_SIZE];	/* any type, unknown ones too; "" if absent */
	bool has_children;
	bool archived;
	time_t last_edited;
	enum model_parent_kind parent_kind;
	char parent_id[MODEL_ID_SIZE];	/* the page or block holding it, "" if none */
};

/* A paginated list envelope {object:"list", results, has_more, next_cursor}. */
struct model_list {
	const cJSON *results;	/* borrowed array, never NULL after success */
	int count;
	bool has_more;
	char next_cursor[128];	/* "" when none */
	char type[MODEL_TYPE_SIZE];	/* "page_or_database", "block", ... or "" */
};

/* Normalises IN (32 hex digits, or the 8-4-4-4-12 hyphenated form; any
 * case; surrounding whitespace not allowed) into OUT as lowercase hyphenated
 * (MODEL_ID_SIZE bytes incl. NUL).  Returns 0, or -EINVAL (OUT = ""). */
int model_normalize_id(const char *in, char out[MODEL_ID_SIZE]);

/* Times: iso_time_parse and iso_time_format (common/isotime.h). */

/* Appends the concatenated `plain_text` of the rich-text ARRAY to OUT
 * (falls back to text.content when plain_text is absent), invalid UTF-8
 * replaced by U+FFFD (common/utf8.h).  A NULL or
 * non-array input appends nothing.  Returns 0 or -ENOMEM. */
int model_rich_text_plain(const cJSON *array, struct buf *out);

/* Returns the borrowed property object of type "title" in PAGE's
 * `properties`, or NULL when there is none. */
const cJSON *model_title_property(const cJSON *page);

/* Fills OUT from a page object.  Returns 0; -EINVAL when PAGE is not an
 * object with object == "page" (or no object key), a valid id and a
 * properties object; -ENOMEM.
 * The caller releases OUT with model_page_release() after success. */
int model_page_summary(const cJSON *page, struct model_page *out);
void model_page_release(struct model_page *p);

/* Same for a database object (object == "database"). */
int model_database_summary(const cJSON *db, struct model_database *out);
void model_database_release(struct model_database *d);

/* Same for a data source object (object == "data_source"); -EINVAL also
 * when it has no properties object. */
int model_data_source_summary(const cJSON *ds, struct model_data_source *out);
void model_data_source_release(struct model_data_source *d);

/* The id (normalised into OUT) of the Nth entry of a database container's
 * `data_sources`; -ENOENT past the end, -EINVAL for a malformed entry. */
int model_database_source(const cJSON *db, int n, char out[MODEL_ID_SIZE]);

/* Same for a user object (object == "user"; partial users carry only id). */
int model_user_summary(const cJSON *user, struct model_user *out);
void model_user_release(struct model_user *u);

/* Fills OUT from a block object (object == "block").  Nothing to release.
 * Returns 0 or -EINVAL. */
int model_block_summary(const cJSON *block, struct model_block *out);

/* Reads a list envelope.  OUT borrows from LIST.  Returns 0, or -EINVAL
 * when LIST is not {object:"list", results:[...]} (next_cursor longer than
 * the field is also -EINVAL).  Nothing to release. */
int model_list_read(const cJSON *list, struct model_list *out);

/* The `object` string of OBJ ("page", "list", ...) or "" (borrowed). */
const char *model_object_kind(const cJSON *obj);

#endif
