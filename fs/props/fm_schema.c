/* fm_schema.c - a database object -> its read-only `.schema.yaml`.
 *
 * Owns: the layout of `.schema.yaml` (docs/format.md shows it): the database title and id,
 * then a block list with one mapping per property (title first, then schema order) holding
 * name, type, id, read_only, and the type's configuration.
 * Invariant: deterministic for the same (database, resolver answers); unknown types and
 * unknown configuration keys are simply not described, never an error.
 * Memory: resolver results are freed here; the output buffer is the caller's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs/props/fm_internal.h"

/* Emits key: text-or-empty.  Returns the emitter state. */
static int fm_kv_str(struct fm_emitter *e, const char *key, const char *val)
{
	fm_emit_plain(e, key);
	return val && *val ? fm_emit_str(e, val) : fm_emit_null(e);
}

/* Emits `options: [{name: .., color: ..}, ...]` from a select/status configuration. */
static int fm_schema_options(struct fm_emitter *e, const cJSON *cfg)
{
	const cJSON *it;

	fm_emit_plain(e, "options");
	fm_emit_seq_start(e, false);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(cfg, "options")) {
		fm_emit_map_start(e, true);
		fm_kv_str(e, "name", json_str(it, "name"));
		fm_kv_str(e, "color", json_str(it, "color"));
		fm_emit_map_end(e);
	}
	return fm_emit_seq_end(e);
}

/* Name of the option with id in cfg's options, or NULL (borrowed). */
static const char *fm_option_name(const cJSON *cfg, const char *id)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(cfg, "options")) {
		const char *oid = json_str(it, "id");

		if (id && oid && strcmp(id, oid) == 0)
			return json_str(it, "name");
	}
	return NULL;
}

/* Emits `groups: [{name, color, options: [...]}, ...]` of a status configuration. */
static int fm_schema_groups(struct fm_emitter *e, const cJSON *cfg)
{
	const cJSON *groups = cJSON_GetObjectItemCaseSensitive(cfg, "groups");
	const cJSON *g, *id;

	if (!cJSON_IsArray(groups))
		return e->err;
	fm_emit_plain(e, "groups");
	fm_emit_seq_start(e, false);
	cJSON_ArrayForEach(g, groups) {
		fm_emit_map_start(e, true);
		fm_kv_str(e, "name", json_str(g, "name"));
		fm_kv_str(e, "color", json_str(g, "color"));
		fm_emit_plain(e, "options");
		fm_emit_seq_start(e, true);
		cJSON_ArrayForEach(id, cJSON_GetObjectItemCaseSensitive(g, "option_ids")) {
			const char *name = fm_option_name(cfg, cJSON_IsString(id) ? id->valuestring
									      : NULL);

			fm_emit_str(e, name ? name : (cJSON_IsString(id) ? id->valuestring : ""));
		}
		fm_emit_seq_end(e);
		fm_emit_map_end(e);
	}
	return fm_emit_seq_end(e);
}

/* Emits the relation target: database name (resolver), id, and the synced property. */
static int fm_schema_relation(struct fm_emitter *e, const cJSON *cfg,
			      const struct fm_resolve *r)
{
	const char *db = json_str(cfg, "database_id");
	const char *ds = json_str(cfg, "data_source_id");	/* 2025-09-03 on: the target source */
	const cJSON *dual = cJSON_GetObjectItemCaseSensitive(cfg, "dual_property");
	char *name = NULL;

	if ((ds || db) && r && r->page_name)
		name = r->page_name(r->arg, ds ? ds : db);
	fm_kv_str(e, "database", name ? name : db);
	free(name);
	fm_kv_str(e, "database_id", db);
	if (cJSON_IsObject(dual))
		fm_kv_str(e, "synced_property", json_str(dual, "synced_property_name"));
	return e->err;
}

/* Emits the rollup configuration: relation, rollup_property, function. */
static int fm_schema_rollup(struct fm_emitter *e, const cJSON *cfg)
{
	fm_kv_str(e, "relation", json_str(cfg, "relation_property_name"));
	fm_kv_str(e, "rollup_property", json_str(cfg, "rollup_property_name"));
	return fm_kv_str(e, "function", json_str(cfg, "function"));
}

/* Emits the type-specific configuration of one property. */
static int fm_schema_config(struct fm_emitter *e, const cJSON *prop, const struct fm_resolve *r)
{
	const char *type = fm_json_type(prop);
	const cJSON *cfg = type ? cJSON_GetObjectItemCaseSensitive(prop, type) : NULL;

	switch (fm_ptype_of(type)) {
	case FM_T_SELECT:
	case FM_T_MULTI_SELECT:
		return fm_schema_options(e, cfg);
	case FM_T_STATUS:
		fm_schema_options(e, cfg);
		return fm_schema_groups(e, cfg);
	case FM_T_NUMBER:
		return fm_kv_str(e, "format", json_str(cfg, "format"));
	case FM_T_RELATION:
		return fm_schema_relation(e, cfg, r);
	case FM_T_FORMULA:
		return fm_kv_str(e, "expression", json_str(cfg, "expression"));
	case FM_T_ROLLUP:
		return fm_schema_rollup(e, cfg);
	case FM_T_UNIQUE_ID:
		return fm_kv_str(e, "prefix", json_str(cfg, "prefix"));
	default:
		return e->err;
	}
}

/* Emits the mapping describing one property. */
static int fm_schema_prop(struct fm_emitter *e, const cJSON *prop, const struct fm_resolve *r)
{
	const char *type = fm_json_type(prop);
	const char *desc = json_str(prop, "description");

	fm_emit_map_start(e, false);
	fm_kv_str(e, "name", prop->string);
	fm_kv_str(e, "type", type);
	fm_kv_str(e, "id", json_str(prop, "id"));
	fm_emit_plain(e, "read_only");
	fm_emit_plain(e, fm_ptype_read_only(fm_ptype_of(type)) ? "true" : "false");
	if (desc && *desc)
		fm_kv_str(e, "description", desc);
	fm_schema_config(e, prop, r);
	return fm_emit_map_end(e);
}

/* Emits the whole schema document. */
static int fm_schema_doc(struct fm_emitter *e, const cJSON *db, const struct fm_resolve *r)
{
	const cJSON *props = cJSON_GetObjectItemCaseSensitive(db, "properties");
	struct buf title = BUF_INIT;
	const cJSON **order = NULL;
	size_t n = 0;
	int rc = fm_rich_text_plain(cJSON_GetObjectItemCaseSensitive(db, "title"), &title);

	if (!rc)
		rc = fm_props_ordered(props, &order, &n);
	if (rc)
		goto out;
	fm_emit_map_start(e, false);
	fm_kv_str(e, "database", buf_str(&title));
	fm_kv_str(e, "id", json_str(db, "id"));
	fm_emit_plain(e, "properties");
	fm_emit_seq_start(e, false);
	for (size_t i = 0; i < n; i++)
		fm_schema_prop(e, order[i], r);
	fm_emit_seq_end(e);
	rc = fm_emit_map_end(e);
out:
	free(order);
	buf_release(&title);
	return rc;
}

/* See frontmatter.h. */
int fm_render_schema(const cJSON *database, const struct fm_resolve *r, struct buf *out)
{
	struct fm_emitter e;
	size_t start = out->len;
	int rc;

	if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(database, "properties")))
		return -EINVAL;
	rc = fm_emit_begin(&e, out);
	if (!rc)
		rc = fm_schema_doc(&e, database, r);
	if (!rc)
		rc = fm_emit_end(&e);
	fm_emit_release(&e);
	if (rc && out->data && out->len > start) {
		out->len = start;
		out->data[start] = '\0';
	}
	return rc;
}
