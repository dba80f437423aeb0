/* ops_json.c - the queue's JSON form of a block diff; contract in ops_json.h. */
#include "fs/ops_json.h"

#include <errno.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

static cJSON *ops_json_ref(const struct mdconv_ref *ref)
{
	cJSON *o;

	if (!ref->id && ref->op < 0 && ref->op != MDCONV_REF_START)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	if (!o)
		return NULL;
	if (!ref->id && ref->op == MDCONV_REF_START) {
		cJSON_AddTrueToObject(o, "start");
	} else if (ref->id) {
		cJSON_AddStringToObject(o, "id", ref->id);
	} else {
		cJSON_AddNumberToObject(o, "op", ref->op);
		cJSON_AddNumberToObject(o, "index", (double)ref->index);
	}
	return o;
}

int ops_json_encode(const struct mdconv_ops *ops, char **json)
{
	static const char *const names[] = { "update", "insert_after", "delete" };
	cJSON *a = cJSON_CreateArray();
	size_t i;

	*json = NULL;
	for (i = 0; a && i < ops->n; i++) {
		const struct mdconv_op *op = &ops->v[i];
		cJSON *o = cJSON_CreateObject();

		if (!o || (unsigned)op->kind > MDCONV_OP_DELETE) {
			cJSON_Delete(o);
			cJSON_Delete(a);
			return o ? -EINVAL : -ENOMEM;
		}
		cJSON_AddStringToObject(o, "op", names[op->kind]);
		if (op->kind == MDCONV_OP_INSERT_AFTER) {
			cJSON_AddItemToObject(o, "parent", ops_json_ref(&op->parent));
			cJSON_AddItemToObject(o, "after", ops_json_ref(&op->after));
		} else {
			cJSON_AddStringToObject(o, "block", op->block_id ? op->block_id : "");
		}
		if (op->payload)
			cJSON_AddItemToObject(o, "payload", cJSON_Duplicate(op->payload, 1));
		cJSON_AddItemToArray(a, o);
	}
	if (a)
		*json = cJSON_PrintUnformatted(a);
	cJSON_Delete(a);
	return *json ? 0 : -ENOMEM;
}
