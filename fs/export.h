/* export.h - writes a view of the cache to a plain directory.
 *
 * Owns the export rules of docs/format.md, "The tree of a mount": the same bytes the mount
 * shows (no .notionfs/), only files whose bytes changed are rewritten (by
 * rename of a temporary file), and only files export wrote itself are ever
 * replaced or removed.  DIR/.git, and any file notionfs did not write, is
 * never touched.
 *
 * What export wrote is recorded in DIR/.notionfs-export (the manifest),
 * rewritten at the end of every run by rename of DIR/.notionfs-export.tmp,
 * mode 0644.  Format, UTF-8 text, one line each:
 *
 *   # notionfs export manifest 1
 *   <16 hex digits: FNV-1a 64 of the bytes written> <size in bytes> <path>
 *
 * <path> is relative to DIR ('/'-separated, the rest of the line; names
 * never hold a newline or a control character, docs/format.md, "The tree of a mount").
 * Lines starting with '#' are comments.  An entry whose path is absolute,
 * holds an empty, "." or ".." component or starts with ".git" is ignored.
 *
 * On a run, for each file of the view:
 *  - absent: written and recorded;
 *  - the same bytes already: left alone and recorded (adopted);
 *  - other bytes, recorded, and still the recorded bytes: rewritten;
 *  - other bytes and not recorded (a user's file), or recorded but changed
 *    since (the user edited it), or not a regular file: refused, named on
 *    stderr, not touched (st->refused; the caller exits 1).
 * Then each recorded file the view no longer shows (its page is gone) is
 * removed when it still holds the recorded bytes (st->removed), its parent
 * directories up to DIR removed if that left them empty; one the user
 * changed is kept, named on stderr, and dropped from the manifest (it is
 * the user's from then on; st->kept).  Files not in the manifest are never
 * removed.
 */
#ifndef NFS_EXPORT_H
#define NFS_EXPORT_H

struct cache;

struct export_stats {
	long written, unchanged, removed;
	long refused; /* page files not written: a file of the user's is there */
	long kept;    /* files of gone pages kept: the user changed them */
};

/* Returns 0 or -errno; on error *failed_path (malloc'd, may be NULL) names
 * the file that could not be written.  Refused and kept files are named on
 * stderr and counted in *st, and do not make it fail. */
int export_run(struct cache *c, const char *dir, struct export_stats *st, char **failed_path);

#endif
