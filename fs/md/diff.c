/* diff.c - block diff (base blocks vs parsed Markdown) -> Notion operations.
 *
 * Owns struct mdconv_ops memory: every op's strings and payload are owned by the list and
 * freed by mdconv_ops_release().
 *
 * STATUS: not implemented yet.  mdconv_diff() returns -ENOSYS and leaves ops_out untouched;
 * the intended algorithm (signature = mdconv_block_signature(), common prefix/suffix trim,
 * LCS on signatures, type-compatible pairing inside gaps as updates, runs of new blocks as
 * insert-after split at MDCONV_MAX_APPEND and two levels with dependent ops) is written up in
 * docs/markdown.md, section "Diff".
 */
#include "fs/md/mdconv_int.h"

#include <errno.h>
#include <stdlib.h>

int mdconv_diff(const cJSON *base, const cJSON *edited, struct mdconv_ops *ops_out)
{
	if (!cJSON_IsArray(base) || !cJSON_IsArray(edited) || !ops_out)
		return -EINVAL;
	return -ENOSYS;
}

void mdconv_ops_release(struct mdconv_ops *ops)
{
	size_t i;

	for (i = 0; i < ops->n; i++) {
		free(ops->v[i].block_id);
		free(ops->v[i].parent.id);
		free(ops->v[i].after.id);
		cJSON_Delete(ops->v[i].payload);
	}
	free(ops->v);
	ops->v = NULL;
	ops->n = ops->cap = 0;
}

const char *mdconv_op_kind_name(enum mdconv_op_kind kind)
{
	switch (kind) {
	case MDCONV_OP_UPDATE:
		return "update";
	case MDCONV_OP_INSERT_AFTER:
		return "insert_after";
	case MDCONV_OP_DELETE:
		return "delete";
	}
	return "?";
}
