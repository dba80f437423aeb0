/* driver.h - what the command-line drivers of the emulator tests share
 * (sync/tests/push_driver.c for tests/push, tests/model/model_driver.c for
 * tests/model): the API client, a full pull, push loops and the JSON dump of
 * the queue (files are read with common/check.h's check_read_file).
 *
 * Owns nothing between calls; every function frees what it allocates.  Results are printed on stdout
 * as one line each, as the Python tests parse them.
 */
#ifndef NFS_SYNC_TESTS_DRIVER_H
#define NFS_SYNC_TESTS_DRIVER_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "cache/cache.h"
#include "sync/notion.h"

/* A client of NOTIONFS_API_URL with NOTION_TOKEN, fast pacing and short
 * backoffs (the emulator is local).  0 or -errno. */
int drv_client(struct notion **api);
/* A full pull and every body; prints "pull rc R pages N". */
int drv_pull(struct cache *c, struct notion *api);

struct drv_push_opts {
	unsigned pause_us;  /* between two loops */
	int again_ok;       /* -EAGAIN after the last loop is success */
};
/* push_all, again on -EAGAIN, as many times as "--loops N" says (default
 * 1); "--confirm-deletes" passes on.  Prints "push rc R pushed N". */
int drv_push(struct cache *c, struct notion *api, int argc, char **argv,
	     const struct drv_push_opts *o);

/* Adds to o "queue" (the entries), "log" (the last 200 sync_log lines) and
 * the counts "queued", "rejected", "held".  0 or -errno. */
int drv_dump_into(struct cache *c, cJSON *o);
/* Prints o unformatted on one line and frees it. */
void drv_print_json(cJSON *o);

/* What a driver does for "NAME COMMAND DIR [ARGS]" besides "pull": argv[1]
 * is the command, argv[3..] its arguments; api is set for "push".  0,
 * -errno, or -EINVAL for a command it does not know. */
typedef int (*drv_command_fn)(struct cache *c, struct notion *api, int argc, char **argv);
/* The whole main(): opens the cache DIR, makes a client for "pull" and
 * "push", runs "pull" or cmd, closes everything; prints "NAME COMMAND:
 * error" on failure.  The exit status: 0, 1 on failure, 2 for usage. */
int drv_main(int argc, char **argv, const char *name, const char *commands, drv_command_fn cmd);

#endif
