/* fm_split.c - finds the front-matter block at the start of a page file.
 *
 * Owns: the rule for where the front-matter ends (see fm_split() in frontmatter.h).
 * Invariant: a file whose first line is `---` either has a closing `---` line or is
 * malformed; it is never silently treated as all body.  No allocation.
 */
#include <errno.h>
#include <string.h>

#include "fs/props/fm_internal.h"

/* Length of the line at [s, s+len) including its '\n' (or up to len). */
static size_t fm_line_len(const char *s, size_t len)
{
	const char *nl = memchr(s, '\n', len);

	return nl ? (size_t)(nl - s) + 1 : len;
}

/* True if the line [s, s+n) (newline included or not) is "---" plus optional spaces/CR. */
static bool fm_is_marker(const char *s, size_t n)
{
	if (n < 3 || memcmp(s, "---", 3) != 0)
		return false;
	for (size_t i = 3; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

/* See frontmatter.h.  Returns 0 or -EINVAL (unclosed block). */
int fm_split(const char *text, size_t len, size_t *fm_len)
{
	size_t pos = 0, n;

	*fm_len = 0;
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		pos = 3;
	n = fm_line_len(text + pos, len - pos);
	if (!fm_is_marker(text + pos, n))
		return 0;
	for (pos += n; pos < len; pos += n) {
		n = fm_line_len(text + pos, len - pos);
		if (fm_is_marker(text + pos, n)) {
			*fm_len = pos + n;
			return 0;
		}
	}
	return -EINVAL;
}
