/* ops_json.h - the queue's stored form of a block diff (docs/queue.md,
 * "The ops JSON"): the save path (fs/save.c) encodes mdconv_diff()'s ops
 * into it; the push engine (sync/push.c) and sync/blockops.c read it as
 * JSON, so sync/ never needs the converter's types.
 *
 * Memory: *json is malloc'd (caller frees).  Errors: 0, -EINVAL (an op of
 * unknown kind), -ENOMEM.
 */
#ifndef NFS_FS_OPS_JSON_H
#define NFS_FS_OPS_JSON_H

#include "fs/md/mdconv.h"

/* A JSON array of
 *   {"op":"update","block":ID,"payload":{...}}
 *   {"op":"insert_after","parent":REF,"after":REF,"payload":{"children":[...]}}
 *   {"op":"delete","block":ID}
 * where REF is null (as parent: the page; as after: none, an append at the
 * end), {"id":ID}, {"op":N,"index":I} or (after only) {"start":true}: the
 * start of the parent's children (MDCONV_REF_START). */
int ops_json_encode(const struct mdconv_ops *ops, char **json);

#endif
