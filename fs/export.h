/* export.h - writes a view of the cache to a plain directory.
 *
 * Owns the export rules of DESIGN.md section 2: the same bytes the mount
 * shows (no .notionfs/), only files whose bytes changed are rewritten (by
 * rename of a temporary file), files of pages that are gone are removed,
 * and DIR/.git (or any file notionfs did not write) is never touched.
 */
#ifndef NFS_EXPORT_H
#define NFS_EXPORT_H

struct cache;

struct export_stats {
	long written, unchanged, removed;
};

/* Returns 0 or -errno; on error *failed_path (malloc'd, may be NULL) names
 * the file that could not be written. */
int export_run(struct cache *c, const char *dir, struct export_stats *st, char **failed_path);

#endif
