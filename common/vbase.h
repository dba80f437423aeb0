/* vbase.h - the short name of a cached page version (`_notion.base`, docs/format.md).
 *
 * Owns: the one definition of a version's base: the 32-bit FNV-1a hash of the page JSON text,
 * a NUL byte, and the body JSON text (as the cache stores them), written as 8 lowercase hex
 * digits.  cache/ computes it when it records a version, fs/ when it renders a file.
 * Pure; no allocation.
 */
#ifndef NFS_VBASE_H
#define NFS_VBASE_H

#include <stddef.h>

#define VBASE_LEN 8

/* out gets the 8 hex digits and a NUL.  body_json NULL hashes as "". */
void vbase_of(const char *page_json, const char *body_json, char out[VBASE_LEN + 1]);
/* 1 if s is exactly VBASE_LEN lowercase hex digits. */
int vbase_valid(const char *s);
/* The base a page file's text names: the `base: ` of the `_notion` line inside its leading
 * front-matter (the first len bytes of text, or up to the closing `---` line); out gets ""
 * when there is none or it is not a valid base. */
void vbase_in_text(const char *text, size_t len, char out[VBASE_LEN + 1]);

#endif
