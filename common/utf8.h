/* utf8.h - the one UTF-8 checker and sanitiser shared by every layer.
 *
 * Well-formed means RFC 3629: no overlong forms, no surrogates (U+D800..U+DFFF, e.g. the
 * CESU-8 bytes of a lone "\ud800" escape), nothing above U+10FFFF, no truncated sequence.
 * The sanitiser replaces each ill-formed byte by U+FFFD (one replacement per byte that cannot
 * start or continue a well-formed sequence), so sanitising is idempotent and valid text is
 * kept byte for byte.  NUL is well-formed here; callers that refuse NUL check it themselves.
 *
 * Owns: nothing beyond the buffers and cJSON copies it returns.
 */
#ifndef NFS_UTF8_H
#define NFS_UTF8_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/buf.h"

#define UTF8_REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

/* Length (1..4) of the well-formed sequence at s (len >= 1 bytes available), 0 if ill-formed.
 * Stores the code point in *cp when cp is not NULL and the sequence is well-formed. */
size_t utf8_seq(const char *s, size_t len, uint32_t *cp);
/* Byte offset of the first ill-formed sequence in s[0..len), or len if all is well-formed. */
size_t utf8_invalid_at(const char *s, size_t len);
/* Appends s[0..len) to out with every ill-formed byte replaced by U+FFFD.  0 or -ENOMEM. */
int utf8_sanitize_append(struct buf *out, const char *s, size_t len);
/* A malloc'd sanitised copy of the C string s (caller frees), or NULL on ENOMEM. */
char *utf8_sanitize_dup(const char *s);
/* Where text from Notion enters a renderer: if every string value and key of the cJSON tree
 * `in` is well-formed, *copy = NULL (use `in` as is); otherwise *copy = a deep copy with every
 * string sanitised (caller frees with cJSON_Delete).  Returns 0 or -ENOMEM. */
int utf8_json_sanitized(const cJSON *in, cJSON **copy);

#endif
