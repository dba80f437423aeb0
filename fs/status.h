/* status.h - what `.notionfs/status` and `notionfs status` report, as a
 * struct read from the cache, with a human printer and a JSON printer
 * (the JSON schema is documented in docs/operations.md, "status --json").
 *
 * Owns: struct status and every string in it (status_release()).
 * Invariants:
 *  1. The text form is the one the mount has always shown ("key: value"
 *     lines, then one indented line per queue entry, then one per local
 *     file: "  local PATH (N bytes)"); scripts that read .notionfs/status
 *     keep working.  While the first full pull runs, a line "first pull:
 *     ..." follows "last full pull: never".
 *  2. In the JSON form counts are JSON numbers, times ISO 8601 strings or
 *     null (never happened), and every queue entry and conflict is an
 *     object of an array with its path, page id, state and reason.
 * Errors: negative errno.
 */
#ifndef NFS_STATUS_H
#define NFS_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

struct cache;
struct cJSON;

struct status_entry {
	char *kind, *state, *path, *page_id, *reason;  /* reason may be NULL */
};

struct status_conflict {
	char *path, *page_id, *what, *winner;
};

/* A local-only file kept in the cache (cache/localfiles.h). */
struct status_local {
	char *path;
	int64_t size;
};

/* The first full pull, while the cache never had one (sync/engine.c,
 * invariant 5: meta first_pull "SOURCES_LISTED SOURCES PAGES"). */
struct status_first_pull {
	int running;                /* 0: none under way (or never started) */
	int64_t sources_listed;     /* data sources whose rows are all stored */
	int64_t sources;            /* data sources found; 0 while finding them */
	int64_t pages;              /* rows stored so far */
};

struct status {
	int64_t pages, bodies_pending;
	struct status_first_pull first_pull;
	int64_t last_full_pull, last_pull, last_push;  /* unix times; 0: never */
	char *state;                                   /* the sync thread's, or NULL */
	int64_t queued, rejected, held, conflicts;
	struct status_entry *entries;
	size_t nentries;
	struct status_conflict *conflict_list;
	size_t nconflicts;
	int64_t local_files;                           /* local-only files kept */
	struct status_local *local_list;
	size_t nlocal;
};

/* Fills *s from the cache.  0 or -errno (then *s holds nothing). */
int status_read(struct cache *c, struct status *s);
void status_release(struct status *s);
/* Appends the text form (invariant 1). */
int status_print_text(const struct status *s, struct buf *out);
/* The JSON form (invariant 2) as a new object, or NULL (no memory). */
struct cJSON *status_to_json(const struct status *s);
/* status_read + status_print_text: the bytes of .notionfs/status. */
int status_text(struct cache *c, struct buf *out);

#endif
