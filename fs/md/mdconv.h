/* mdconv.h - Notion blocks <-> Markdown, as a pure library (no FUSE, HTTP or SQLite).
 *
 * Owns: the Markdown form of a page body (specified in docs/markdown.md), its parser and the
 * block diff that turns an edited body into Notion API operations.
 *
 * Block list convention (shared with sync/): a page body is a cJSON array of Notion block
 * objects exactly as the API returns them (2022-06-28, 2025-09-03 and 2026-03-11 alike: the
 * newer block types heading_4, tab, transcription / meeting_notes and the block_type of
 * unsupported blocks are rendered as docs/markdown.md says); a block whose has_children is true
 * carries an extra key "children" holding its child blocks in order.  A block with
 * has_children but no "children" key is rendered as having no children.
 *
 * Invariants (tested over every fixture block list, see fs/md/test_*.c):
 *  1. render is deterministic: the same input gives the same bytes, ending in one '\n'
 *     (an empty list renders as "").
 *  2. render(parse(render(b))) == render(b), byte for byte.
 *  3. diff(b, parse(render(b))) has zero operations.
 *
 * Memory: nothing returned borrows from the inputs.  Every cJSON tree, string and op list
 * handed out is owned by the caller (cJSON_Delete / free / mdconv_ops_release).
 * Errors are negative errno values; the library never exits or prints.
 */
#ifndef NFS_MDCONV_H
#define NFS_MDCONV_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/buf.h"

/* Limits, enforced by mdconv_parse() with -EINVAL and a message (never by truncation). */
#define MDCONV_MAX_INPUT (16u * 1024u * 1024u) /* bytes of Markdown */
#define MDCONV_MAX_DEPTH 64                    /* nested Markdown containers / block levels */
/* Notion API request limits, respected by parse (text splitting) and diff (op splitting). */
#define MDCONV_MAX_TEXT 2000      /* characters (UTF-16 units) per rich-text text object */
#define MDCONV_MAX_RICH_TEXT 100  /* rich-text objects per block property */
#define MDCONV_MAX_APPEND 100     /* blocks per append request */
#define MDCONV_MAX_EQUATION 1000  /* characters per equation expression */
#define MDCONV_MAX_URL 2000       /* characters per URL */

struct mdconv_links {
	/* Relative link (malloc'd) to the file of a page or database id as seen from the page
	 * being rendered, or NULL when the target is not in the mount.  Caller of the callback
	 * frees the result. */
	char *(*page_link)(void *arg, const char *id);
	/* Display name (malloc'd) of a user id, or NULL if unknown. */
	char *(*user_name)(void *arg, const char *user_id);
	/* Optional (may be NULL): title (malloc'd) of a page or database id, used as the text of
	 * link_to_page blocks, which carry no title; NULL if unknown. */
	char *(*page_title)(void *arg, const char *id);
	void *arg;
};

/* Renders blocks (see convention) as Markdown, appended to out.  links may be NULL.
 * Returns 0, -EINVAL for a malformed block list (out then holds a partial rendering that the
 * caller should discard), or -ENOMEM.  Deterministic: same input, same bytes. */
int mdconv_render(const cJSON *blocks, const struct mdconv_links *links, struct buf *out);

/* Renders a rich_text array as inline Markdown on one line (newlines become <br>), appended to
 * out; used for text-like properties too.  Returns 0, -EINVAL or -ENOMEM. */
int mdconv_render_rich_text(const cJSON *rich_text, const struct mdconv_links *links,
			    struct buf *out);

/* Parses Markdown (with md4c) back into an array of API-shaped blocks for creation (no ids,
 * "children" as in the convention).  Placeholder lines come back as
 * {"object":"block","type":"unsupported","id":ID,"unsupported":{"block_type":TYPE}} (meeting
 * notes with their read-only view as "children", so that they render back the same), except
 * the lines of column lists, columns and synced blocks, which come back as those blocks (a
 * synced block with its "synced_from") with the blocks of the <div> after them as their
 * "children"; blocks
 * that can only be kept, never created (child pages/databases, Notion-hosted files, link
 * previews) come back with their "id".  On success *blocks_out is a new array owned by the
 * caller and returns 0.  On -EINVAL (invalid UTF-8, NUL byte, nesting deeper than
 * MDCONV_MAX_DEPTH, input over MDCONV_MAX_INPUT, a block over an API limit) *err, if err is
 * not NULL, gets a malloc'd message naming the problem and its line; the caller frees it.
 * -ENOMEM on allocation failure.  *blocks_out is NULL on any error. */
int mdconv_parse(const char *md, size_t len, cJSON **blocks_out, char **err);

enum mdconv_op_kind {
	MDCONV_OP_UPDATE,       /* PATCH /v1/blocks/{block_id} with payload */
	MDCONV_OP_INSERT_AFTER, /* PATCH /v1/blocks/{parent}/children with payload */
	MDCONV_OP_DELETE,       /* DELETE /v1/blocks/{block_id} */
};

/* A block an op refers to: an existing block (id != NULL), or a block created by an earlier op
 * of the same list (id == NULL, op >= 0): element `index` of the "results" array that the
 * append request of ops[op] returned.  id == NULL and op == -1 means "none": as a parent, the
 * page itself (the diff's root); as an insertion point, no anchor (a plain append at the end:
 * the parent has no children yet).  id == NULL and op == MDCONV_REF_START (insertion points
 * only): the start of the parent's children (sent as position "start"). */
#define MDCONV_REF_START (-2)

struct mdconv_ref {
	char *id;
	int op;
	size_t index;
};

struct mdconv_op {
	enum mdconv_op_kind kind;
	/* UPDATE / DELETE: the block (always an existing id). */
	char *block_id;
	/* INSERT_AFTER: the parent and the sibling to insert after (sent as position
	 * "after_block").  after is "none" only when the parent has no children yet (the base
	 * list was empty, or the parent was created by an earlier op): position "end".  after
	 * is MDCONV_REF_START when the run goes before the parent's first child, which is kept
	 * (position "start", docs/markdown.md, "Inserting before the first child"). */
	struct mdconv_ref parent;
	struct mdconv_ref after;
	/* UPDATE: {"<type>": {...}} with only the fields Markdown expresses.
	 * INSERT_AFTER: {"children": [...]} in the API's request shape (children inside the type
	 * object), at most MDCONV_MAX_APPEND blocks and two levels; deeper levels come as later
	 * ops whose parent refers to this op's results.
	 * DELETE: NULL. */
	cJSON *payload;
};

/* The ordered operation list of a diff; execute in order.  Owns every string and payload. */
struct mdconv_ops {
	struct mdconv_op *v;
	size_t n;
	size_t cap;
};

#define MDCONV_OPS_INIT { NULL, 0, 0 }

/* Diff: base = the blocks the file was rendered from (with ids); edited = mdconv_parse() of the
 * saved body.  Appends to ops_out (which must be initialised, e.g. MDCONV_OPS_INIT) the fewest
 * operations found (docs/markdown.md, "Diff"): update-in-place of a changed block, insert-after
 * of runs of new blocks, delete; untouched blocks and placeholders are never in the list.
 * Op references (mdconv_ref.op) index the whole list ops_out holds afterwards.  Returns 0,
 * -EINVAL for malformed input (also: a changed base block without "id") or -ENOMEM; on error
 * ops_out is left as it was. */
int mdconv_diff(const cJSON *base, const cJSON *edited, struct mdconv_ops *ops_out);

/* Three-way merge of a save (docs/sync.md, "A stale save"): ops = mdconv_diff(base, edited),
 * the writer's changes against base (the version it read); appends to out the same changes
 * carried onto current (the version the save is applied to), naming current's blocks:
 *  - an update or delete of a block current still has unchanged since base is kept;
 *  - one of a block current changed too follows the later-write rule (saved_at_ms against the
 *    block's last_edited_time; kept iff the save is later, no conflict when current's block
 *    has no time: our own earlier save changed it, or both made the same change); a block
 *    current no longer has: a delete is dropped, an update loses;
 *  - an insert goes after its anchor, or after the nearest preceding block of base that
 *    current still has; its first blocks identical to the ones current has at that place are
 *    not inserted again (later ops that name them name current's blocks);
 *  - a block only current has (added remotely) is never deleted.
 * Each loser is appended to conflicts (a cJSON array) as {"what": "block ID", "local": block
 * or null, "remote": block or null, "remote_time": ISO or null, "winner": "local"|"remote"}.
 * Returns 0, -ENOMEM (out then holds a partial list the caller releases). */
int mdconv_rebase(const cJSON *base, const cJSON *current, const struct mdconv_ops *ops,
		  int64_t saved_at_ms, struct mdconv_ops *out, cJSON *conflicts);

/* The conservative merge of a save whose base is unknown: appends to out only the inserts of
 * the diff base -> edited in which no block is updated in place (a block of edited that base
 * does not have is new; every block base has stays as it is: nothing updated or deleted).
 * 0, -EINVAL (malformed input) or -ENOMEM. */
int mdconv_diff_additions(const cJSON *base, const cJSON *edited, struct mdconv_ops *out);

/* Frees every op and the array; ops is MDCONV_OPS_INIT afterwards. */
void mdconv_ops_release(struct mdconv_ops *ops);

/* Short name of an op kind ("update", "insert_after", "delete"), static storage. */
const char *mdconv_op_kind_name(enum mdconv_op_kind kind);

#endif
