/* names.h - Notion titles <-> file names (docs/format.md, "The tree of a mount").
 *
 * Owns the naming rules only; pure functions, no I/O.  A title becomes a
 * name byte for byte except: '/' -> U+FF0F, a leading '.' -> U+FF0E,
 * control characters and invalid UTF-8 -> U+FFFD, an empty title ->
 * "Untitled"; the whole name (suffix and extension included) is cut to 255
 * bytes at a UTF-8 boundary.  Colliding names are resolved by creation
 * order: the first keeps the plain name, each other gets " (<last 8 hex
 * digits of its id>)" before the extension.
 * Returned strings are malloc'd; the caller frees them.
 */
#ifndef NFS_NAMES_H
#define NFS_NAMES_H

#include <stddef.h>

#define NAMES_MAX 255

/* Maps title to a name: stem + suffix + ext (suffix and ext may be "").
 * Returns 0 or -ENOMEM; *out is malloc'd. */
int names_from_title(const char *title, const char *suffix, const char *ext, char **out);

/* Maps a file name back to a title: drops ext (when present), the
 * collision suffix names_assign gives page id (" (xxxxxxxx)", the last 8
 * hex digits of id, or " (<id>)"), and undoes the U+FF0F / leading U+FF0E
 * mapping.  Only that page's own suffix is dropped: a name ending in
 * " (20240101)" whose suffix is not the page's is a title that ends so.
 * id NULL (a new page): nothing is dropped.  Returns 0 or -ENOMEM. */
int names_to_title(const char *name, const char *ext, const char *id, char **out);

struct names_entry {
	const char *id;           /* borrowed: hyphenated uuid */
	const char *title;        /* borrowed */
	const char *created_time; /* borrowed: ISO 8601, compares as a string */
	char *name;               /* out: malloc'd by names_assign */
};

/* Gives every entry a unique name with extension ext, deterministically:
 * entries are ranked by (created_time, id); the first of a group of equal
 * names keeps the plain one.  The order of e[] is preserved.  Returns 0 or
 * -ENOMEM (then no entry owns a name). */
int names_assign(struct names_entry *e, size_t n, const char *ext);
/* Frees the names set by names_assign. */
void names_release(struct names_entry *e, size_t n);

#endif
