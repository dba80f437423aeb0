/* blockops.h - the queue's block operations applied to a stored body, and
 * the local ids of blocks that are not created yet (docs/queue.md, "The
 * chain").
 *
 * Owns: applying the queue's `ops` JSON (docs/queue.md, "The ops JSON") to
 * a body in the block list convention of docs/markdown.md (a JSON array of
 * blocks, "children" beside the type object), and rewriting local ids to
 * Notion's ids.  Pure: no SQLite, no network, no FUSE.
 *
 * Invariants:
 *  1. blockops_apply() mirrors what the push engine makes Notion do: an
 *     update merges the payload's fields into the block's type object (and
 *     drops the block's last_edited_time: it is no longer Notion's version)
 *     of every block carrying that id (a synced block and a reference to it
 *     on one page show the same children), a
 *     delete removes the block (a block already gone is no error), an
 *     insert puts the children right after `after` (or at the end of the
 *     parent's children when `after` is none, as a plain append does; first
 *     among them when `after` is {"start": true}, as position "start").
 *  2. Every block an insert creates gets a fresh local id, QUEUE_LOCAL_BLOCK_PREFIX
 *     (cache/queue.h, which owns local ids)
 *     followed by the caller's prefix and a counter; *local_ids lists them
 *     per op so the pusher can map them to the ids Notion returns.
 *
 * Memory: every string returned is malloc'd and freed by the caller;
 * inputs are only read.  Errors: 0, -EINVAL (malformed JSON, or an op
 * naming a block or a reference that is not there), -ENOMEM.
 */
#ifndef NFS_SYNC_BLOCKOPS_H
#define NFS_SYNC_BLOCKOPS_H

#include <cjson/cJSON.h>

#include "cache/queue.h"

/* The body base_body (JSON array) with ops (JSON array, may be NULL) applied:
 * *result (JSON array) and *local_ids (JSON array: per op null, or for an
 * insert the created blocks as [{"id": LOCAL, "children": [...]}, ...]).
 * prefix makes the local ids unique (e.g. time, pid and a counter). */
int blockops_apply(const char *base_body, const char *ops, const char *prefix, char **result,
		   char **local_ids);

/* Replaces, anywhere in tree, every string equal to a key of map (a JSON
 * object local id -> Notion id) by its value.  Returns how many. */
int blockops_rewrite_ids(cJSON *tree, const cJSON *map);

/* Adds to map (an object) local id -> Notion id for the blocks one insert
 * created: nodes = its entry of local_ids, ids = the ids Notion returned for
 * the top-level blocks in order, tree = the page's body as Notion has it now
 * (may be NULL), where nested created blocks are found by position under
 * their parent.  Returns 0 or -ENOMEM; blocks not found stay unmapped. */
int blockops_map_created(const cJSON *nodes, const cJSON *ids, const cJSON *tree, cJSON *map);

#endif
