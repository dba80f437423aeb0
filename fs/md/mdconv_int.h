/* mdconv_int.h - helpers shared by the files of fs/md/ (not part of the public API).
 *
 * Owns nothing; declares the small string, JSON and UTF-8 helpers (util.c), the inline
 * renderer (rich_text.c) and the block renderer entry used by the diff (render.c).
 * Every function states what it returns and who owns memory.  Functions that append to a
 * struct buf return 0 or -ENOMEM (or -EINVAL where stated) and may leave a partial append on
 * failure: callers discard the buffer on error.
 */
#ifndef NFS_MDCONV_INT_H
#define NFS_MDCONV_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "common/json.h"
#include "fs/md/mdconv.h"

/* The title attribute prefix that marks a link or image as a Notion construct. */
#define MDCONV_TITLE_PREFIX "notion:"
/* Placeholder line form: MDCONV_PH_OPEN "type=T id=I" MDCONV_PH_CLOSE. */
#define MDCONV_PH_OPEN "<!-- notion:block "
#define MDCONV_PH_CLOSE " -->"
#define MDCONV_TABLE_OPEN "<!-- notion:table "
#define MDCONV_TAB_LINE "<!-- notion:tab -->"
#define MDCONV_CHILDREN_OPEN "<div data-notion-children>"
#define MDCONV_CHILDREN_CLOSE "</div>"
#define MDCONV_CALLOUT_OPEN "<span data-callout>"

/* Rendering context shared by render.c and rich_text.c. */
struct mdconv_rctx {
	const struct mdconv_links *links; /* may be NULL */
	bool sig;      /* signature mode (diff): derived display texts are left out */
	bool in_table; /* escape '|' (also inside code spans) */
	int depth;     /* current block nesting, checked against MDCONV_MAX_DEPTH */
	bool compact;  /* rich text: every style as HTML tags holding all its text (blanks too) */
};

/* --- util.c --- */

/* Reading members: json_str, json_obj, json_arr, json_true (common/json.h). */
/* Adds a string member; returns 0 or -ENOMEM (obj keeps ownership of what it holds). */
int mdconv_jadd_str(cJSON *obj, const char *key, const char *val);
/* Adds a bool member; returns 0 or -ENOMEM. */
int mdconv_jadd_bool(cJSON *obj, const char *key, bool val);
/* Adds item to obj under key, taking ownership of item in every case (freed on failure).
 * Returns 0 or -ENOMEM. */
int mdconv_jadd(cJSON *obj, const char *key, cJSON *item);
/* Appends item to arr, taking ownership of item in every case.  Returns 0 or -ENOMEM. */
int mdconv_jpush(cJSON *arr, cJSON *item);

/* Byte offset of the first invalid UTF-8 sequence in s[0..len), or len if valid. */
size_t mdconv_utf8_invalid_at(const char *s, size_t len);
/* Decodes one UTF-8 code point at s (len > 0 bytes available); stores its length in *n (>= 1).
 * Invalid bytes decode as U+FFFD with *n = 1. */
uint32_t mdconv_utf8_decode(const char *s, size_t len, size_t *n);
/* Appends code point cp as UTF-8 (invalid ones as U+FFFD).  Returns 0 or -ENOMEM. */
int mdconv_utf8_put(struct buf *b, uint32_t cp);
/* Length of s[0..len) in UTF-16 code units (how the Notion API counts characters). */
size_t mdconv_utf16_len(const char *s, size_t len);
/* Largest prefix length (bytes, on a code point boundary) of s[0..len) that has at most
 * units UTF-16 code units; at least one code point when len > 0 and units > 1. */
size_t mdconv_utf16_prefix(const char *s, size_t len, size_t units);
/* 1-based line number of byte offset off in s. */
size_t mdconv_line_of(const char *s, size_t len, size_t off);

/* Appends s with every byte outside [A-Za-z0-9._~:/@+,;!*'()-] percent-encoded, as used for
 * the values of "notion:" title attributes.  Returns 0 or -ENOMEM. */
int mdconv_pct_encode(struct buf *b, const char *s);
/* Returns a malloc'd decoding of s[0..len) (%XX sequences; others copied), or NULL (ENOMEM). */
char *mdconv_pct_decode(const char *s, size_t len);
/* Value (malloc'd, percent-decoded) of key in a title of the form "notion:NAME k=v k=v", or
 * NULL if absent or on ENOMEM. */
char *mdconv_title_get(const char *title, const char *key);
/* true if an id consists of [0-9A-Za-z-] only (1..64 chars): safe inside our markup. */
bool mdconv_id_ok(const char *id);
/* true if a type name consists of [a-z0-9_] only (1..64 chars). */
bool mdconv_type_ok(const char *type);
/* Allocates a copy of s[0..len); NULL on ENOMEM. */
char *mdconv_strndup(const char *s, size_t len);
/* Sets *err (if err) to a malloc'd "line N: <fmt>" message (line 0 omits the prefix).
 * Returns -EINVAL so that `return mdconv_fail(...)` reads well. */
int mdconv_fail(char **err, size_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* --- rich_text.c --- */

/* Renders a rich_text array inline (one line, newlines as <br>) into out using ctx.
 * Escapes so that the line is never reinterpreted as a block (a leading "# ", "- ", "1. ",
 * spaces...).  Returns 0, -EINVAL (malformed item) or -ENOMEM. */
int mdconv_rt_render(const cJSON *rich_text, const struct mdconv_rctx *ctx, struct buf *out);
/* Appends a plain string escaped as inline Markdown text (no block-start handling).
 * Returns 0 or -ENOMEM. */
int mdconv_text_escape(struct buf *out, const char *s, size_t len, bool in_table);
/* Appends a link destination "(url)" or "(<url>)" plus an optional title (already safe, may
 * be NULL).  Returns 0 or -ENOMEM. */
int mdconv_put_dest(struct buf *out, const char *url, const char *title);
/* Applies block-start escaping to the line that starts at out->data[start]: leading and
 * trailing spaces/tabs become entities, a leading "-", "+" or "N." / "N)" marker is escaped.
 * Returns 0 or -ENOMEM. */
int mdconv_fix_line(struct buf *out, size_t start);

/* --- render.c --- */

/* Renders one block without its children in signature mode (the diff's notion of "the same
 * content"): appended to out.  Returns 0, -EINVAL or -ENOMEM. */
int mdconv_block_signature(const cJSON *block, struct buf *out);
/* true if blocks of this type cannot be created from Markdown and are kept by id only
 * (placeholders, child pages/databases, hosted files, link previews). */
bool mdconv_block_is_anchor(const cJSON *block);

/* true for the blocks shown as their block line with their children in a children <div>
 * (column_list, column, synced_block): anchors themselves, their children are ordinary
 * blocks of the file. */
bool mdconv_is_container(const cJSON *block);
/* The id of the original a synced block reference shows (borrowed), or NULL (an original,
 * or not a synced block). */
const char *mdconv_synced_from(const cJSON *block);

/* mdconv_diff() in which no block is updated in place: a changed block is a delete and an
 * insert (for mdconv_diff_additions, merge.c). */
int mdconv_diff_no_update(const cJSON *base, const cJSON *edited, struct mdconv_ops *ops_out);

#endif
