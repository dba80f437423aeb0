/* cli.c - the notionfs command line; contracts in cli.h, docs/notionfs.1 and docs/operations.md. */
#include "fs/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cache/cache.h"
#include "cache/drafts.h"
#include "cache/localfiles.h"
#include "cache/lock.h"
#include "common/buf.h"
#include "common/log.h"
#include "fs/export.h"
#include "fs/mount.h"
#include "fs/save.h"
#include "fs/status.h"
#include "fs/view.h"
#include "sync/engine.h"
#include "sync/notion.h"
#include "sync/pool.h"
#include "sync/pull.h"
#include "sync/push.h"
#include "cache/queue.h"

#ifndef NOTIONFS_CONTRIB_DIR
#define NOTIONFS_CONTRIB_DIR "contrib"
#endif

#define CLI_USAGE 2
#define CLI_FAIL 1
#define CLI_DEMO_TOKEN "secret_demo_token"
#define CLI_DRAIN_S 15
#define CLI_TIMEOUT_S 300       /* default --timeout */
#define CLI_BY_MOUNT (-1)       /* internal: a live mount holds the cache's lock */
#define CLI_TOOK (-2)           /* internal: this process took the cache's lock */

struct cli_opts {
	const char *cmd;
	const char *api_url;
	const char *token_file;
	char *cache_dir;
	double poll;
	double rate, burst;     /* requests/s and burst (NOTIONFS_RATE, _BURST) */
	int foreground;
	struct buf fuse_opts;
	int read_only;
	int full, dry_run, json, confirm_deletes, cancel_deletes, wait;
	double timeout;         /* --timeout: bound of the waits for a mount */
	int timeout_set;
	int verbose;
	const char *arg;        /* MOUNTPOINT or DIR */
	char *token;            /* loaded secret; never printed */
};

static const char cli_help[] =
"Usage: notionfs COMMAND [OPTIONS] [ARGS]\n"
"Mount a Notion workspace as Markdown files.\n"
"\n"
"Commands:\n"
"  mount  [OPTIONS] MOUNTPOINT  mount the workspace (daemonizes unless -f); a\n"
"                               first mount is up at once and fills in as its\n"
"                               first pull runs (status says how far it is)\n"
"  demo   [MOUNTPOINT]          start the bundled emulator with the sample\n"
"                               workspace and mount it (default ./notion-demo)\n"
"  sync   [OPTIONS] [--full] [--dry-run] [--confirm-deletes | --cancel-deletes]\n"
"                               one pull + push cycle on the cache without mounting;\n"
"                               with a live mount on the cache, that mount does it;\n"
"                               --confirm-deletes sends the trashes held by the\n"
"                               safety valve, --cancel-deletes gives them back (the\n"
"                               pages stay, their files show again)\n"
"  status [OPTIONS] [--json] [--wait [--timeout SECONDS]]\n"
"                               queue, conflicts, rejected edits, local files, last\n"
"                               sync, errors, who holds the cache's lock\n"
"  export [OPTIONS] DIR         write the rendered workspace to a plain directory;\n"
"                               beside a live mount, from what that mount fetches\n"
"  --help | --version\n"
"\n"
"Options (all commands):\n"
"  --api-url URL       API base URL (env NOTIONFS_API_URL; default https://api.notion.com)\n"
"  --token-file FILE   file holding the integration token, mode 0600 (or env NOTION_TOKEN)\n"
"  --cache-dir DIR     cache directory (env NOTIONFS_CACHE_DIR; default\n"
"                      $XDG_CACHE_HOME/notionfs, else ~/.cache/notionfs)\n"
"  -v, --verbose       more log output\n"
"  (env NOTIONFS_RATE, NOTIONFS_BURST: requests/s on average and burst of the\n"
"  API client, default 3 and 3, Notion's rate; raise them only for a local emulator;\n"
"  NOTIONFS_POOL: requests in flight at once under that rate, default 4)\n"
"Mount options:\n"
"  --poll SECONDS      delta pull interval (env NOTIONFS_POLL; default 30)\n"
"  -f                  stay in the foreground\n"
"  -o OPT[,OPT...]     FUSE mount options\n"
"  --read-only         refuse every write (EROFS); mounts are writable without it\n"
"sync options:\n"
"  --full              a full pull instead of a delta one\n"
"  --dry-run           list what would be pushed; send nothing\n"
"  --confirm-deletes   send the trashes held by the safety valve\n"
"  --cancel-deletes    give the held trashes back (excludes --confirm-deletes)\n"
"status options:\n"
"  --json              the status as one JSON object\n"
"  --wait              return once every queued edit landed or was rejected\n"
"                      and a mount's first full pull is done\n"
"sync, export and status --wait:\n"
"  --timeout SECONDS   how long to wait for a live mount's answer (default 300;\n"
"                      export also stops when the mount fetched no body for that\n"
"                      long); status --wait: the longest wait\n"
"  --help              this text;  --version: the version\n"
"\n"
"One client per cache: a mount holds the lock file CACHE/lock (its pid and mount\n"
"point) for its whole life, so a second mount on the same cache exits 1 naming\n"
"them.  Beside a live mount, `sync` (--full and --confirm/--cancel-deletes) asks\n"
"that mount to run the cycle now (SIGUSR1) and reports what it did; --dry-run only\n"
"reads.  `export` asks it for a pull, waits until it fetched every body and\n"
"writes the files, with no API client of its own.  Without a mount, `sync` and\n"
"`export` hold the lock while they run and a mount started meanwhile is refused.\n"
"`export` records the files it wrote in DIR/.notionfs-export and touches no\n"
"other file (DIR/.git included): it removes a file of a gone page only if it\n"
"still holds what export wrote (an edited one is kept, with a warning), and\n"
"never overwrites a file it did not write or one edited since (it names it,\n"
"writes the rest and exits 1).\n"
"\n"
"The token is never accepted on the command line.  Unmount with\n"
"`fusermount3 -u MOUNTPOINT`.  Exit status: 0 success, 2 usage error, 1 other errors.\n";

static int cli_fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int cli_fail(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("notionfs: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

/* ---- options -------------------------------------------------------- */

enum { OPT_API_URL = 256, OPT_TOKEN_FILE, OPT_CACHE_DIR, OPT_POLL, OPT_READ_ONLY, OPT_FULL,
       OPT_DRY_RUN, OPT_JSON, OPT_CONFIRM, OPT_CANCEL, OPT_WAIT, OPT_TIMEOUT, OPT_TOKEN, OPT_HELP, OPT_VERSION };

static const struct option cli_longopts[] = {
	{ "api-url", required_argument, NULL, OPT_API_URL },
	{ "token-file", required_argument, NULL, OPT_TOKEN_FILE },
	{ "cache-dir", required_argument, NULL, OPT_CACHE_DIR },
	{ "poll", required_argument, NULL, OPT_POLL },
	{ "read-only", no_argument, NULL, OPT_READ_ONLY },
	{ "full", no_argument, NULL, OPT_FULL },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "confirm-deletes", no_argument, NULL, OPT_CONFIRM },
	{ "cancel-deletes", no_argument, NULL, OPT_CANCEL },
	{ "wait", no_argument, NULL, OPT_WAIT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "token", optional_argument, NULL, OPT_TOKEN },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static char *cli_default_cache_dir(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	struct buf b = BUF_INIT;

	if (xdg && xdg[0] == '/')
		buf_printf(&b, "%s/notionfs", xdg);
	else
		buf_printf(&b, "%s/.cache/notionfs", home && home[0] ? home : "/tmp");
	return buf_detach(&b, NULL);
}

/* Returns 0, or an exit status after printing the cause. */
static int cli_parse(int argc, char **argv, struct cli_opts *o)
{
	const char *env;
	char *end;
	int c;

	o->api_url = getenv("NOTIONFS_API_URL");
	env = getenv("NOTIONFS_CACHE_DIR");
	o->cache_dir = env && env[0] ? strdup(env) : cli_default_cache_dir();
	env = getenv("NOTIONFS_POLL");
	o->poll = env ? strtod(env, NULL) : 30;
	env = getenv("NOTIONFS_RATE");
	o->rate = env ? strtod(env, NULL) : 0; /* 0: the client's default, 3/s */
	env = getenv("NOTIONFS_BURST");
	o->burst = env ? strtod(env, NULL) : 0;
	o->timeout = CLI_TIMEOUT_S;
	optind = 2; /* argv[1] is the command */
	/* Options go before or after the operand, as with GNU tools ("-": getopt returns each
	 * operand as option 1, in order, whatever POSIXLY_CORRECT says); "--" ends the options. */
	while ((c = getopt_long(argc, argv, "-fo:v", cli_longopts, NULL)) != -1) {
		switch (c) {
		case 1:
			if (o->arg)
				return cli_fail(CLI_USAGE, "unexpected argument '%s'; see 'notionfs --help'",
						optarg);
			o->arg = optarg;
			break;
		case OPT_API_URL: o->api_url = optarg; break;
		case OPT_TOKEN_FILE: o->token_file = optarg; break;
		case OPT_CACHE_DIR: free(o->cache_dir); o->cache_dir = strdup(optarg); break;
		case OPT_POLL:
			o->poll = strtod(optarg, &end);
			if (*end || o->poll <= 0)
				return cli_fail(CLI_USAGE, "--poll needs a positive number of seconds, not '%s'", optarg);
			break;
		case OPT_READ_ONLY: o->read_only = 1; break;
		case OPT_FULL: o->full = 1; break;
		case OPT_DRY_RUN: o->dry_run = 1; break;
		case OPT_JSON: o->json = 1; break;
		case OPT_CONFIRM: o->confirm_deletes = 1; break;
		case OPT_CANCEL: o->cancel_deletes = 1; break;
		case OPT_WAIT: o->wait = 1; break;
		case OPT_TIMEOUT:
			o->timeout = strtod(optarg, &end);
			if (*end || o->timeout <= 0)
				return cli_fail(CLI_USAGE, "--timeout needs a positive number of seconds, not '%s'",
						optarg);
			o->timeout_set = 1;
			break;
		case OPT_TOKEN:
			return cli_fail(CLI_USAGE, "the token is never accepted on the command line "
					"(it would show in ps and shell history); set NOTION_TOKEN "
					"or use --token-file FILE (mode 0600)");
		case 'f': o->foreground = 1; break;
		case 'o':
			if (o->fuse_opts.len)
				buf_putc(&o->fuse_opts, ',');
			buf_puts(&o->fuse_opts, optarg);
			break;
		case 'v': o->verbose++; break;
		case OPT_HELP: fputs(cli_help, stdout); exit(0);
		default:
			return cli_fail(CLI_USAGE, "unknown option; see 'notionfs --help'");
		}
	}
	if (optind < argc && !o->arg)
		o->arg = argv[optind++];
	if (optind < argc)
		return cli_fail(CLI_USAGE, "unexpected argument '%s'; see 'notionfs --help'", argv[optind]);
	if (o->confirm_deletes && o->cancel_deletes)
		return cli_fail(CLI_USAGE, "--confirm-deletes and --cancel-deletes exclude each other");
	if (!o->api_url || !o->api_url[0])
		o->api_url = NOTION_DEFAULT_API_URL;
	if (strncmp(o->api_url, "https://", 8) && strncmp(o->api_url, "http://", 7))
		return cli_fail(CLI_USAGE, "bad API URL '%s': it must start with https:// or http://",
				o->api_url);
	if (!o->cache_dir)
		return cli_fail(CLI_FAIL, "out of memory");
	log_set_level(o->verbose >= 2 ? LOG_LVL_DEBUG : o->verbose ? LOG_LVL_INFO : LOG_LVL_WARN);
	return 0;
}

/* Loads the token from --token-file (must be 0600 and ours) or NOTION_TOKEN. */
static int cli_load_token(struct cli_opts *o)
{
	struct stat st;
	char buf[4096];
	ssize_t n;
	size_t len;
	int fd;

	if (!o->token_file) {
		const char *env = getenv("NOTION_TOKEN");

		if (!env || !env[0])
			return cli_fail(CLI_FAIL, "no Notion token: set NOTION_TOKEN or pass "
					"--token-file FILE (a file of mode 0600 holding the token)");
		o->token = strdup(env);
		return o->token ? 0 : cli_fail(CLI_FAIL, "out of memory");
	}
	fd = open(o->token_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cli_fail(CLI_FAIL, "cannot read token file %s: %s", o->token_file, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return cli_fail(CLI_FAIL, "token file %s is not a regular file", o->token_file);
	}
	if (st.st_mode & 077) {
		close(fd);
		return cli_fail(CLI_FAIL, "token file %s must be mode 0600 (it is %04o): "
				"run chmod 600 %s", o->token_file, st.st_mode & 0777, o->token_file);
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return cli_fail(CLI_FAIL, "cannot read token file %s: %s", o->token_file, strerror(errno));
	buf[n] = '\0';
	len = strcspn(buf, "\r\n");
	buf[len] = '\0';
	while (len && (buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		buf[--len] = '\0';
	if (!len)
		return cli_fail(CLI_FAIL, "token file %s is empty", o->token_file);
	o->token = strdup(buf);
	memset(buf, 0, sizeof(buf));
	return o->token ? 0 : cli_fail(CLI_FAIL, "out of memory");
}

/* A one-line message for an API failure, by cause. */
static int cli_api_fail(const struct cli_opts *o, struct notion *api, const char *what, int rc)
{
	struct notion_error err;
	char d[700];

	memset(&err, 0, sizeof(err));
	if (api)
		notion_last_error(api, &err);
	switch (rc) {
	case -EACCES:
		return cli_fail(CLI_FAIL, "%s: the Notion API rejected the token (HTTP %d %s)",
				what, err.http_status, err.code[0] ? err.code : "unauthorized");
	case -ENOTCONN:
	case -ETIMEDOUT:
		return cli_fail(CLI_FAIL, "%s: cannot reach the Notion API at %s: %s", what,
				o->api_url, err.message[0] ? err.message : strerror(-rc));
	default:
		notion_error_describe(&err, d, sizeof(d));
		return cli_fail(CLI_FAIL, "%s: %s%s%s", what, strerror(-rc),
				d[0] ? ": " : "", d);
	}
}

static int cli_open_cache(const struct cli_opts *o, struct cache **c)
{
	int rc = cache_open(o->cache_dir, c);

	if (rc)
		return cli_fail(CLI_FAIL, "cannot open the cache in %s: %s%s", o->cache_dir, strerror(-rc),
				rc == -EPERM ? " (the directory must belong to you)" : "");
	return 0;
}

/* An API client of the options at the configured rate, on LIM when given (shared with a
 * pool); max_attempts 0: the client's default. */
static int cli_new_api_tries(const struct cli_opts *o, struct notion_limiter *lim,
			     unsigned max_attempts, struct notion **api)
{
	struct notion_config nc;
	int rc;

	memset(&nc, 0, sizeof(nc));
	nc.api_url = o->api_url;
	nc.token = o->token;
	nc.rate = o->rate;
	nc.burst = o->burst;
	nc.limiter = lim;
	nc.max_attempts = max_attempts;
	rc = notion_new(&nc, api);
	if (rc)
		return cli_fail(CLI_FAIL, "cannot set up the API client for %s: %s", o->api_url, strerror(-rc));
	return 0;
}

static int cli_new_api(const struct cli_opts *o, struct notion_limiter *lim, struct notion **api)
{
	return cli_new_api_tries(o, lim, 0, api);
}

/* ---- pulling in the foreground ----------------------------------------- */

struct cli_progress {
	int tty;
	time_t last;
};

static void cli_progress(void *arg, struct cache *c, const char *db_title, int64_t pages)
{
	struct cli_progress *p = arg;
	time_t now = time(NULL);

	(void)c;
	if (!p->tty || now == p->last)
		return;
	p->last = now;
	fprintf(stderr, "\r\033[Kpulling %s: %lld pages", db_title, (long long)pages);
}

/* The request pool of a foreground pull (sync/pool.h) on a limiter at the
 * configured rate, and the client of its discovery on the same limiter.
 * Returns 0 or an exit status. */
static int cli_new_pool(const struct cli_opts *o, struct notion_limiter **lim,
			struct pool **pool, struct notion **api)
{
	struct pool_config pc;
	int rc;

	if (notion_limiter_new(o->rate, o->burst, lim))
		return cli_fail(CLI_FAIL, "out of memory");
	rc = cli_new_api(o, *lim, api);
	if (rc)
		return rc;
	memset(&pc, 0, sizeof(pc));
	pc.api_url = o->api_url;
	pc.token = o->token;
	pc.cache_dir = o->cache_dir;
	pc.limiter = *lim;
	rc = pool_new(&pc, pool);
	if (rc)
		return cli_fail(CLI_FAIL, "cannot set up the API clients for %s: %s", o->api_url,
				strerror(-rc));
	return 0;
}

/* Pulls (full when asked or never done, else delta + listing) and, when
 * bodies is set, every missing body, on the request pool.  Returns 0 or an
 * exit status. */
static int cli_pull(const struct cli_opts *o, struct cache *c, int full, int bodies,
		    struct pull_stats *stats)
{
	struct cli_progress prog = { isatty(2), 0 };
	struct pull_ctx p = { .cache = c, .progress = cli_progress, .progress_arg = &prog };
	struct notion_limiter *lim = NULL;
	struct notion *api = NULL;
	struct pool *pool = NULL;
	char *done = NULL;
	int rc, fetched;

	rc = cli_new_pool(o, &lim, &pool, &api);
	if (rc)
		goto out;
	p.api = api;
	p.pool = pool;
	if (!full && cache_meta_get(c, "last_full_pull", &done) == -ENOENT)
		full = 1;
	free(done);
	rc = full ? pull_full(&p) : pull_delta(&p);
	if (!rc && !full)
		rc = pull_listing(&p);
	if (prog.tty)
		fputs("\r\033[K", stderr);
	if (rc) {
		rc = cli_api_fail(o, api, full ? "full pull" : "pull", rc);
		goto out;
	}
	while (bodies) {
		rc = pull_bodies(&p, 100, &fetched);
		if (rc) {
			rc = cli_api_fail(o, api, "fetching page bodies", rc);
			goto out;
		}
		if (prog.tty && fetched)
			fprintf(stderr, "\r\033[Kfetched %lld page bodies", (long long)p.stats.bodies);
		if (!fetched)
			break;
	}
	if (prog.tty && bodies)
		fputs("\r\033[K", stderr);
out:
	if (stats)
		*stats = p.stats;
	pool_free(pool);
	notion_free(api);
	notion_limiter_free(lim);
	return rc;
}

/* ---- one client per cache (cache/lock.h) ---------------------------------- */

/* Names the process holding the cache's lock, for a one-line message. */
static void cli_holder_text(const struct cli_opts *o, const struct cachelock_holder *h,
			    struct buf *b)
{
	if (!h->pid)
		buf_printf(b, "another notionfs process (its record in %s/lock is unreadable)",
			   o->cache_dir);
	else if (!strcmp(h->command, "mount"))
		buf_printf(b, "the mount on %s (pid %ld)%s", h->mountpoint, h->pid,
			   !strcmp(h->state, "unmounting") ?
			   ", which is unmounting and pushing its last edits" :
			   !strcmp(h->state, "starting") ? ", which is starting" : "");
	else
		buf_printf(b, "`notionfs %s` (pid %ld)", h->command, h->pid);
}

/* Takes the cache's lock for cmd (sync, export), or finds the live mount
 * holding it.  Returns 0 with *lk set (this process holds it now; requests
 * left for an earlier holder are void), CLI_BY_MOUNT with *h naming the
 * mount, or an exit status after printing why. */
static int cli_lock_or_mount(const struct cli_opts *o, struct cache *c, const char *cmd,
			     struct cachelock **lk, struct cachelock_holder *h)
{
	struct buf who = BUF_INIT;
	int rc;

	rc = cachelock_acquire(o->cache_dir, cmd, NULL, "running", lk, h);
	if (!rc) {
		rc = cachelock_void_requests(c);
		if (!rc)
			return 0;
		cachelock_release(*lk);
		*lk = NULL;
		return cli_fail(CLI_FAIL, "cannot write to the cache in %s: %s", o->cache_dir,
				strerror(-rc));
	}
	if (rc != -EBUSY)
		return cli_fail(CLI_FAIL, "cannot lock the cache in %s: %s", o->cache_dir, strerror(-rc));
	if (h->pid && !strcmp(h->command, "mount"))
		return CLI_BY_MOUNT;
	cli_holder_text(o, h, &who);
	rc = cli_fail(CLI_FAIL, "the cache %s is in use by %s; try again when it has finished",
		      o->cache_dir, buf_str(&who));
	buf_release(&who);
	return rc;
}

/* What a mount did for a request (cli_mount_cycle). */
struct cli_cycle {
	struct cachelock_holder h;  /* the mount */
	char *result, *error;       /* malloc'd; error "" when it went well */
	int64_t pushed;             /* edits it landed since the request */
};

static void cli_cycle_release(struct cli_cycle *cy)
{
	free(cy->result);
	free(cy->error);
	cy->result = cy->error = NULL;
}

/* Asks the live mount that holds the cache's lock for one pull + push
 * cycle (flags: cache/lock.h) and waits for its end, at most --timeout
 * seconds.  Returns 0 when the mount did it (*cy), CLI_TOOK when nobody
 * held the lock or the mount went away (*lk: this process holds the lock
 * and does the work itself), or an exit status after printing why. */
static int cli_mount_cycle(const struct cli_opts *o, struct cache *c, const char *cmd,
			   unsigned flags, struct cachelock **lk, struct cli_cycle *cy)
{
	struct timespec start, now;
	int64_t seq = 0, pushed0 = 0, total = 0;
	long signalled = 0;
	int rc, done = 0, waited = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		rc = cli_lock_or_mount(o, c, cmd, lk, &cy->h);
		if (rc == 0) {
			if (waited)
				fprintf(stderr, "notionfs %s: the mount ended before doing it; "
					"doing it without the mount\n", cmd);
			return CLI_TOOK;
		}
		if (rc != CLI_BY_MOUNT)
			return rc;
		waited = 1;
		/* A mount takes requests once its sync thread runs ("mounted");
		 * one starting or unmounting is waited for. */
		if (!strcmp(cy->h.state, "mounted")) {
			if (!seq) {
				rc = cachelock_request(c, flags, &seq, &pushed0);
				if (rc)
					return cli_fail(CLI_FAIL, "cannot write to the cache in %s: %s",
							o->cache_dir, strerror(-rc));
			}
			/* The signal only wakes the mount's sync thread: the
			 * request is in the cache. */
			if (cy->h.pid != signalled && kill((pid_t)cy->h.pid, SIGUSR1) == 0)
				signalled = cy->h.pid;
			rc = cachelock_result(c, seq, &done, &cy->result, &cy->error, &total);
			if (rc)
				return cli_fail(CLI_FAIL, "cannot read the cache in %s: %s", o->cache_dir,
						strerror(-rc));
			if (done) {
				cy->pushed = total - pushed0;
				return 0;
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((double)(now.tv_sec - start.tv_sec) > o->timeout) {
			struct buf who = BUF_INIT;

			if (seq)
				cachelock_withdraw(c, seq);
			cli_holder_text(o, &cy->h, &who);
			rc = cli_fail(CLI_FAIL, "%s did not answer the request of `notionfs %s` within %g s "
				      "(see `notionfs status` and %s/notionfs.log; --timeout SECONDS waits longer)",
				      buf_str(&who), cmd, o->timeout, o->cache_dir);
			buf_release(&who);
			return rc;
		}
		usleep(100000);
	}
}

/* Signals of a mount: SIGUSR1 (`notionfs sync` beside it) is blocked in
 * every thread (cli_run_mount blocks it before any thread or fork) and
 * taken here with sigwait(), so the request reaches the engine from a
 * plain thread, never from a signal handler. */
struct cli_signals {
	pthread_t thread;
	int started;
	atomic_int stop;
	struct engine *e;
};

static void *cli_signal_main(void *arg)
{
	struct cli_signals *s = arg;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	while (!atomic_load(&s->stop)) {
		if (sigwait(&set, &sig) == 0 && !atomic_load(&s->stop))
			engine_request(s->e);
	}
	return NULL;
}

static int cli_signals_start(struct cli_signals *s, struct engine *e)
{
	int rc;

	s->e = e;
	atomic_store(&s->stop, 0);
	rc = -pthread_create(&s->thread, NULL, cli_signal_main, s);
	s->started = rc == 0;
	return rc;
}

static void cli_signals_stop(struct cli_signals *s)
{
	if (!s->started)
		return;
	atomic_store(&s->stop, 1);
	pthread_kill(s->thread, SIGUSR1);
	pthread_join(s->thread, NULL);
	s->started = 0;
}

/* ---- mount -------------------------------------------------------------- */

#define CLI_UNMOUNT_WAIT_S (CLI_DRAIN_S + 45)

/* Takes the cache's lock for a mount; a mount of this cache that is
 * unmounting (pushing its last edits, at most CLI_DRAIN_S) is waited for,
 * any other holder refuses at once.  Returns 0, -EBUSY (*h: the holder)
 * or -errno. */
static int cli_lock_for_mount(const struct cli_opts *o, const char *mountpoint,
			      struct cachelock **lk, struct cachelock_holder *h)
{
	struct timespec start, now;
	int rc, said = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		rc = cachelock_acquire(o->cache_dir, "mount", mountpoint, "starting", lk, h);
		if (rc != -EBUSY || !h->pid || strcmp(h->command, "mount") ||
		    strcmp(h->state, "unmounting"))
			return rc;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= CLI_UNMOUNT_WAIT_S)
			return rc;
		if (!said++)
			fprintf(stderr, "notionfs: waiting for the mount on %s (pid %ld), which is "
				"unmounting and pushing its last edits\n", h->mountpoint, h->pid);
		usleep(100000);
	}
}

struct cli_mount {
	struct mount *m;
	struct engine *e;
};

/* The cause of a mount target that cannot be mounted on (mount.h). */
static const char *cli_target_cause(int rc)
{
	return rc == -ENOENT ? "no such directory" :
	       rc == -EBUSY ? "it is already a mount point (busy)" :
	       rc == -ENOTDIR ? "not a directory" :
	       rc == -EACCES ? "permission denied (the directory must be writable by you)" :
	       strerror(-rc);
}

/* A first mount has nothing to show until its pull has run: it checks the
 * token with one cheap authenticated request (GET /v1/users/me, retried
 * once) before mounting, so a rejected token, a wrong URL or an
 * unreachable API fail at once with a one-line message.  A mount with a
 * cache mounts without the network (it shows the cache; the sync thread
 * reports the state).  Returns 0 or an exit status. */
static int cli_check_token(const struct cli_opts *o, const char *mountpoint)
{
	struct notion *api = NULL;
	struct buf what = BUF_INIT;
	int rc;

	rc = cli_new_api_tries(o, NULL, 2, &api);
	if (rc)
		return rc;
	rc = notion_request(api, "GET", "/v1/users/me", NULL, NULL, NULL);
	if (rc) {
		buf_printf(&what, "cannot mount on %s", mountpoint);
		rc = cli_api_fail(o, api, buf_str(&what), rc);
	}
	buf_release(&what);
	notion_free(api);
	return rc;
}

static void cli_on_change(void *arg)
{
	struct cli_mount *cm = arg;

	mount_refresh_soon(cm->m);
}

static int cli_fetch_body(void *arg, const char *page_id)
{
	struct cli_mount *cm = arg;

	return cm->e ? engine_fetch_body(cm->e, page_id) : -ENOTCONN;
}

static void cli_poke(void *arg)
{
	struct cli_mount *cm = arg;

	if (cm->e)
		engine_poke(cm->e);
}

static int cli_run_mount(struct cli_opts *o, const char *mountpoint)
{
	struct mount_opts mo = { .mountpoint = mountpoint, .foreground = o->foreground,
				 .debug = o->verbose >= 3, .read_only = o->read_only };
	struct engine_config ec = { 0 };
	struct cli_mount cm = { 0 };
	struct mount_hooks hooks = { cli_fetch_body, cli_poke, &cm };
	struct cache *c = NULL;
	struct drafts *drafts = NULL;
	struct buf logpath = BUF_INIT;
	struct cachelock *lk = NULL;
	struct cachelock_holder h;
	struct cli_signals sigs = { 0 };
	char *done = NULL, *mp_abs;
	sigset_t usr1;
	int rc;

	/* Before any thread or fork: SIGUSR1 is taken by cli_signal_main. */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, NULL);
	/* The target first: nothing is locked, pulled or asked of Notion for
	 * a mount that cannot happen. */
	rc = mount_check_target(mountpoint);
	if (rc)
		return cli_fail(CLI_FAIL, "cannot mount on %s: %s", mountpoint, cli_target_cause(rc));
	/* One pusher per cache (docs/operations.md, "One client per cache"): the lock is taken
	 * before anything is pulled or mounted, and held until the process
	 * exits; the daemon inherits it across the fork. */
	mp_abs = realpath(mountpoint, NULL);
	rc = cli_lock_for_mount(o, mp_abs ? mp_abs : mountpoint, &lk, &h);
	free(mp_abs);
	if (rc == -EBUSY) {
		struct buf who = BUF_INIT;

		cli_holder_text(o, &h, &who);
		if (h.pid && !strcmp(h.command, "mount") && strcmp(h.state, "unmounting"))
			rc = cli_fail(CLI_FAIL, "cannot mount on %s: the cache %s is in use by %s; one mount "
				      "per cache: unmount it first (fusermount3 -u %s) or use another "
				      "--cache-dir", mountpoint, o->cache_dir, buf_str(&who), h.mountpoint);
		else
			rc = cli_fail(CLI_FAIL, "cannot mount on %s: the cache %s is in use by %s; mount "
				      "again when it has finished", mountpoint, o->cache_dir, buf_str(&who));
		buf_release(&who);
		return rc;
	}
	if (rc)
		return cli_fail(CLI_FAIL, "cannot lock the cache in %s: %s", o->cache_dir, strerror(-rc));
	rc = cli_open_cache(o, &c);
	if (rc)
		goto out;
	if (!o->read_only) {
		/* What is written is kept in the cache's drafts until queued; one
		 * process owns them (docs/queue.md, "What is guaranteed"). */
		rc = drafts_open(o->cache_dir, &drafts);
		if (rc) {
			rc = cli_fail(CLI_FAIL, "cannot mount on %s: %s", mountpoint,
				      rc == -EBUSY ? "another notionfs process is using the cache "
				      "(a mount, or `notionfs sync` saving what a mount left)" : strerror(-rc));
			goto out;
		}
		mo.drafts = drafts;
	}
	/* Mount first: the first full pull runs in the sync thread, and the
	 * listing fills in as it stores pages (docs/operations.md). */
	if (cache_meta_get(c, "last_full_pull", &done) == -ENOENT) {
		rc = cli_check_token(o, mountpoint);
		if (rc)
			goto out;
	}
	free(done);
	cache_close(c); /* no SQLite connection may cross the fork */
	c = NULL;
	mo.fuse_opts = o->fuse_opts.len ? o->fuse_opts.data : NULL;
	rc = mount_create(&mo, &cm.m);
	if (rc) {
		rc = cli_fail(CLI_FAIL, "cannot mount on %s: %s", mountpoint,
			      cli_target_cause(rc));
		goto out;
	}
	if (!o->foreground) {
		buf_printf(&logpath, "%s/notionfs.log", o->cache_dir);
		if (mount_daemonize(cm.m)) {
			rc = cli_fail(CLI_FAIL, "cannot daemonize");
			goto out;
		}
		/* The daemon holds the lock now (shared across the fork, the
		 * parent has exited): its record names this pid. */
		cachelock_update(lk, "starting");
		log_set_file(logpath.data);
		chmod(logpath.data, 0600);
	}
	rc = cache_open(o->cache_dir, &c);
	if (!rc)
		rc = mount_attach(cm.m, c);
	if (!rc)
		rc = cachelock_void_requests(c);
	if (rc) {
		log_error("cannot open the cache in %s: %s", o->cache_dir, strerror(-rc));
		rc = CLI_FAIL;
		goto out;
	}
	ec.api_url = o->api_url;
	ec.token = o->token;
	ec.cache_dir = o->cache_dir;
	ec.poll_s = o->poll;
	ec.rate = o->rate;
	ec.burst = o->burst;
	ec.listing_every = getenv("NOTIONFS_LISTING_EVERY") ? atoi(getenv("NOTIONFS_LISTING_EVERY")) : 10;
	ec.sweep_every = getenv("NOTIONFS_SWEEP_EVERY") ? atoi(getenv("NOTIONFS_SWEEP_EVERY")) : 4;
	ec.on_change = cli_on_change;
	ec.arg = &cm;
	rc = engine_start(&ec, &cm.e);
	if (rc) {
		log_error("cannot start the sync thread: %s", strerror(-rc));
		rc = CLI_FAIL;
		goto out;
	}
	mount_set_hooks(cm.m, &hooks);
	rc = cli_signals_start(&sigs, cm.e);
	if (rc) {
		log_error("cannot start the signal thread: %s", strerror(-rc));
		rc = CLI_FAIL;
		goto out;
	}
	cachelock_update(lk, "mounted"); /* requests are taken from now on */
	log_info("mounted %s (api %s, cache %s)", mountpoint, o->api_url, o->cache_dir);
	rc = mount_loop(cm.m) ? CLI_FAIL : 0;
	cachelock_update(lk, "unmounting");
	/* Unmounted: queue what was still being written, push for a bounded
	 * time, and say what is left (docs/notionfs.1). */
	mount_save_all(cm.m);
	{
		long left = engine_drain(cm.e, CLI_DRAIN_S);

		if (left > 0)
			log_warn("%ld edits are still queued; the next mount or `notionfs sync` pushes them",
				 left);
	}
out:
	cli_signals_stop(&sigs);
	engine_stop(cm.e);
	mount_destroy(cm.m);
	cache_close(c);
	drafts_close(drafts); /* what could not be queued stays for the next start */
	buf_release(&logpath);
	cachelock_release(lk); /* last: nothing of this process talks to Notion any more */
	return rc;
}

/* ---- demo --------------------------------------------------------------- */

static int cli_rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(path);
}

static int cli_demo(struct cli_opts *o)
{
	const char *mp = o->arg ? o->arg : "./notion-demo";
	const char *emu = getenv("NOTIONFS_EMULATOR");
	char tmpl[] = "/tmp/notionfs-demo-XXXXXX", url[64], portbuf[16];
	struct buf emu_path = BUF_INIT, port_file = BUF_INIT, cache_dir = BUF_INIT;
	pid_t pid;
	int rc = CLI_FAIL, i, fd, status;
	ssize_t n;

	if (!emu)
		buf_printf(&emu_path, "%s/notion_emulator.py", NOTIONFS_CONTRIB_DIR);
	else
		buf_puts(&emu_path, emu);
	if (access(emu_path.data, R_OK))
		return cli_fail(CLI_FAIL, "the bundled emulator %s is missing (set NOTIONFS_EMULATOR)",
				emu_path.data);
	if (mkdir(mp, 0755) && errno != EEXIST)
		return cli_fail(CLI_FAIL, "cannot create mountpoint %s: %s", mp, strerror(errno));
	if (!mkdtemp(tmpl))
		return cli_fail(CLI_FAIL, "cannot create a temporary directory: %s", strerror(errno));
	buf_printf(&port_file, "%s/port", tmpl);
	buf_printf(&cache_dir, "%s/cache", tmpl);
	pid = fork();
	if (pid < 0) {
		cli_fail(CLI_FAIL, "cannot start the emulator: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		setenv("NOTION_EMULATOR_TOKEN", CLI_DEMO_TOKEN, 1);
		execlp("python3", "python3", emu_path.data, "--port", "0", "--port-file", port_file.data,
		       "--workspace", "sample", "--quiet", (char *)NULL);
		fprintf(stderr, "notionfs: cannot run python3 for the emulator: %s\n", strerror(errno));
		_exit(127);
	}
	for (i = 0; i < 200; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			pid = -1;
			cli_fail(CLI_FAIL, "the emulator exited before listening");
			goto out;
		}
		fd = open(port_file.data, O_RDONLY);
		if (fd >= 0) {
			n = read(fd, portbuf, sizeof(portbuf) - 1);
			close(fd);
			if (n > 0) {
				portbuf[n] = '\0';
				break;
			}
		}
		usleep(50000);
	}
	if (i == 200) {
		cli_fail(CLI_FAIL, "the emulator did not start within 10 s");
		goto out;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", atoi(portbuf));
	o->api_url = url;
	o->token = strdup(CLI_DEMO_TOKEN);
	free(o->cache_dir);
	o->cache_dir = strdup(cache_dir.data);
	o->foreground = 1;
	if (o->poll == 30)
		o->poll = 5;
	fprintf(stderr, "notionfs demo: emulator at %s; mounting the sample workspace on %s\n"
		"  try: ls %s; cat \"%s/Tasks/\"*.md | head -40\n"
		"  stop with Ctrl-C or: fusermount3 -u %s\n", url, mp, mp, mp, mp);
	rc = cli_run_mount(o, mp);
out:
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
	nftw(tmpl, cli_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	buf_release(&emu_path);
	buf_release(&port_file);
	buf_release(&cache_dir);
	return rc;
}

/* ---- sync, status, export ------------------------------------------------ */

static int cli_print_entry(void *arg, const struct queue_entry *e)
{
	(*(int *)arg)++;
	printf("%s %s %s\n", queue_state_name(e->state), queue_kind_name(e->kind),
	       e->path ? e->path : e->page_id);
	if (e->props)
		printf("  properties: %s\n", e->props);
	if (e->ops)
		printf("  blocks: %s\n", e->ops);
	if (e->error)
		printf("  error: %s\n", e->error);
	return 0;
}

/* Pushes the queue (docs/queue.md); prints what landed. */
static int cli_push(const struct cli_opts *o, struct cache *c)
{
	struct push_ctx p = { .cache = c, .confirm_deletes = o->confirm_deletes,
			      .cancel_deletes = o->cancel_deletes };
	struct notion *api = NULL;
	int rc, pushed = 0;

	rc = cli_new_api(o, NULL, &api);
	if (rc)
		return rc;
	p.api = api;
	rc = push_all(&p, &pushed);
	printf("pushed: %d edits\n", pushed);
	if (rc)
		rc = cli_api_fail(o, api, "push", rc);
	notion_free(api);
	return rc;
}

/* ---- drafts a mount left (written, not queued) --------------------------- */

static int cli_count_draft(void *arg, const struct draft_info *i, const char *file, off_t size)
{
	(void)i; (void)file; (void)size;
	(*(int *)arg)++;
	return 0;
}

struct cli_recover {
	struct cache *c;
	struct view *v;
	struct drafts *d;
	int saved, rejected, kept;
};

static int cli_recover_cb(void *arg, struct draft *dr, const char *data, size_t len)
{
	struct cli_recover *r = arg;
	const struct draft_info *i = drafts_info(dr);
	const struct view_node *n;
	struct save_req q = {
		.kind = i->role == DRAFT_PAGE ? SAVE_PAGE : SAVE_NEW, .page_id = i->page_id,
		.name = i->name, .path = i->path, .text = data, .len = len,
		.saved_at_ms = drafts_mtime_ms(dr),
	};
	struct save_plan p;
	char *path = strdup(i->path ? i->path : i->name);
	int rc;

	if (i->role == DRAFT_LOCAL) {
		/* a local file: back into the cache's local files, never pushed */
		rc = save_local_draft(r->c, r->d, dr, data, len);
		if (rc) {
			r->kept++;
			fprintf(stderr, "notionfs: %s: cannot keep the local file written before the "
				"mount stopped: %s; it stays in %s\n", path ? path : "?", strerror(-rc),
				drafts_file(dr));
			drafts_release(dr);
		} else {
			printf("kept: %s (a local file written before the mount stopped)\n",
			       path ? path : "?");
		}
		free(path);
		return 0;
	}
	if (i->role == DRAFT_PAGE) {
		n = view_page(r->v, i->page_id);
		if (n && n->kind == VIEW_PAGE) {
			q.ino = n->ino;
			q.dir = n->parent;
		}
	} else if ((n = save_find_dir(r->v, i->parent_id)) != NULL) {
		q.dir = n->ino;
	}
	rc = save_prepare(r->v, r->c, &q, &p);
	if (!rc)
		rc = save_commit(r->c, r->d, dr, &p, 1);
	if (rc == 0) {
		r->saved++;
		printf("saved: %s (written before the mount stopped)\n", path ? path : "?");
	} else if (rc == -EINVAL) {
		r->rejected++;
		printf("rejected: %s: %s (the text is kept in .notionfs/rejected/)\n", path ? path : "?",
		       p.e.error ? p.e.error : "invalid");
	} else {
		r->kept++;
		fprintf(stderr, "notionfs: %s: cannot queue what was written before the mount "
			"stopped: %s; it stays in %s\n", path ? path : "?", strerror(-rc),
			drafts_file(dr));
		drafts_release(dr);
	}
	save_plan_release(&p);
	free(path);
	return 0;
}

/* Saves what a mount that died had written and not queued (its drafts),
 * unless a live mount owns them.  0 or an exit status. */
static int cli_recover_drafts(const struct cli_opts *o, struct cache *c)
{
	struct cli_recover r = { .c = c };
	int rc, n = 0;

	drafts_list(o->cache_dir, cli_count_draft, &n);
	if (n == 0)
		return 0;
	rc = drafts_open(o->cache_dir, &r.d);
	if (rc == -EBUSY)
		return 0; /* a live mount saves its own */
	if (rc)
		return cli_fail(CLI_FAIL, "cannot open the drafts in %s/drafts: %s", o->cache_dir,
				strerror(-rc));
	rc = view_build(c, NULL, &r.v);
	if (!rc)
		rc = drafts_recover(r.d, c, cli_recover_cb, &r);
	view_free(r.v);
	drafts_close(r.d);
	if (rc)
		return cli_fail(CLI_FAIL, "cannot save the drafts in %s/drafts: %s", o->cache_dir,
				strerror(-rc));
	return r.kept ? CLI_FAIL : 0;
}

struct cli_draft_list {
	int n;
	cJSON *arr;
};

static int cli_list_draft(void *arg, const struct draft_info *i, const char *file, off_t size)
{
	struct cli_draft_list *l = arg;

	(void)size;
	l->n++;
	if (l->arr) {
		cJSON *d = cJSON_CreateObject();

		cJSON_AddStringToObject(d, "path", i->path ? i->path : i->name);
		if (i->page_id)
			cJSON_AddStringToObject(d, "page_id", i->page_id);
		else
			cJSON_AddNullToObject(d, "page_id");
		cJSON_AddStringToObject(d, "kind", i->role == DRAFT_PAGE ? "edit" :
					i->role == DRAFT_LOCAL ? "local" : "create");
		cJSON_AddStringToObject(d, "state", "draft");
		if (i->reason)
			cJSON_AddStringToObject(d, "reason", i->reason);
		else
			cJSON_AddNullToObject(d, "reason");
		cJSON_AddStringToObject(d, "file", file);
		cJSON_AddItemToArray(l->arr, d);
	} else {
		printf("  draft %s %s%s%s (kept in %s)\n", i->role == DRAFT_PAGE ? "edit" :
		       i->role == DRAFT_LOCAL ? "local" : "create",
		       i->path ? i->path : i->name, i->reason ? ": not queued yet: " : "",
		       i->reason ? i->reason : "", file);
	}
	return 0;
}

/* Prints what the mount did for `notionfs sync`; 0 or an exit status. */
static int cli_sync_report(const struct cli_opts *o, struct cache *c, const struct cli_cycle *cy)
{
	struct buf who = BUF_INIT;
	int64_t pending = 0;
	int rc = 0;

	cli_holder_text(o, &cy->h, &who);
	printf("pushed: %lld edits\n", (long long)cy->pushed);
	if (cy->result && cy->result[0])
		printf("%s\n", cy->result);
	if (!cache_count_bodies_pending(c, &pending) && pending)
		printf("bodies pending: %lld (the mount fetches them in the background)\n",
		       (long long)pending);
	printf("done by %s\n", buf_str(&who));
	if (cy->error && cy->error[0])
		rc = cli_fail(CLI_FAIL, "%s ran the cycle, but: %s", buf_str(&who), cy->error);
	buf_release(&who);
	return rc;
}

/* --cancel-deletes: how many held trashes were given back. */
static void cli_cancelled(struct cache *c, int cancelling, int64_t held_before)
{
	int64_t held = 0;

	if (cancelling && queue_counts(c, &(int64_t){ 0 }, &(int64_t){ 0 }, &held) == 0)
		printf("cancelled: %lld held trashes (the pages stay)\n",
		       (long long)(held_before > held ? held_before - held : 0));
}

static int cli_sync(struct cli_opts *o)
{
	struct cli_cycle cy = { .result = NULL };
	int64_t held = 0;
	int cancelling = 0;
	struct cachelock *lk = NULL;
	struct pull_stats st;
	struct cache *c = NULL;
	int rc, n = 0;

	rc = cli_open_cache(o, &c);
	if (rc)
		return rc;
	if (o->dry_run) {
		/* Nothing is sent: the queue as it would be pushed (allowed
		 * beside a mount: it only reads). */
		struct cli_draft_list l = { 0, NULL };

		rc = queue_each(c, cli_print_entry, &n);
		drafts_list(o->cache_dir, cli_list_draft, &l);
		printf("dry run: %d queued edits, %d unsaved drafts, nothing sent\n", n, l.n);
		goto out;
	}
	/* With a live mount on this cache, the mount does it (its client is
	 * the only one of the cache); else this process holds the lock. */
	if (o->cancel_deletes && queue_counts(c, &(int64_t){ 0 }, &(int64_t){ 0 }, &held) == 0)
		cancelling = 1;
	rc = cli_mount_cycle(o, c, "sync",
			     (o->full ? CACHELOCK_FULL : 0) |
			     (o->confirm_deletes ? CACHELOCK_CONFIRM_DELETES : 0) |
			     (o->cancel_deletes ? CACHELOCK_CANCEL_DELETES : 0), &lk, &cy);
	if (rc == 0) {
		cli_cancelled(c, cancelling, held);
		rc = cli_sync_report(o, c, &cy);
		goto out;
	}
	if (rc != CLI_TOOK)
		goto out;
	rc = cli_recover_drafts(o, c);
	if (rc)
		goto out;
	rc = cli_push(o, c);
	cli_cancelled(c, cancelling, held);
	if (rc)
		goto out;
	rc = cli_pull(o, c, o->full, 1, &st);
	if (!rc)
		printf("pulled: %d databases, %lld pages seen, %lld changed, %lld removed, %lld bodies\n",
		       st.databases, (long long)st.pages_seen, (long long)st.pages_changed,
		       (long long)st.pages_removed, (long long)st.bodies);
out:
	cli_cycle_release(&cy);
	cache_close(c);
	cachelock_release(lk);
	return rc;
}

static int cli_status_log(void *arg, int64_t t, const char *kind, const char *msg)
{
	cJSON *arr = arg;
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "time", (double)t);
	cJSON_AddStringToObject(o, "kind", kind);
	cJSON_AddStringToObject(o, "message", msg);
	cJSON_AddItemToArray(arr, o);
	return 0;
}

static int cli_print_log(void *arg, int64_t t, const char *kind, const char *msg)
{
	char stamp[32];
	time_t tt = (time_t)t;
	struct tm tm;

	(void)arg;
	gmtime_r(&tt, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("  %s %s: %s\n", stamp, kind, msg);
	return 0;
}

/* 1 while a mount runs the cache's first full pull (sync/engine.c): the
 * cache never had one and a mount that is not unmounting holds its lock. */
static int cli_first_pull_running(const struct cli_opts *o, struct cache *c)
{
	struct cachelock_holder h;
	char *done = NULL;

	if (cache_meta_get(c, "last_full_pull", &done) != -ENOENT) {
		free(done);
		return 0;
	}
	return cachelock_holder(o->cache_dir, &h) == 0 && h.pid && !strcmp(h.command, "mount") &&
	       strcmp(h.state, "unmounting");
}

static int cli_status(struct cli_opts *o)
{
	struct cachelock_holder h;
	struct timespec start, now;
	struct buf text = BUF_INIT, lock = BUF_INIT;
	struct cache *c = NULL;
	struct status st;
	int64_t late = 0;
	int rc, late_pull = 0;

	rc = cli_open_cache(o, &c);
	if (rc)
		return rc;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (o->wait) {
		int64_t queued = 0, rejected = 0, held = 0;
		int pulling = cli_first_pull_running(o, c);

		/* Every queued edit landed or was rejected (held archives wait
		 * for --confirm-deletes and do not count), and a mount's first
		 * pull is done. */
		if (queue_counts(c, &queued, &rejected, &held) || (queued == 0 && !pulling))
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (o->timeout_set && (double)(now.tv_sec - start.tv_sec) >= o->timeout) {
			late = queued;
			late_pull = pulling;
			break;
		}
		usleep(200000);
	}
	rc = status_read(c, &st);
	if (rc) {
		cache_close(c);
		return cli_fail(CLI_FAIL, "cannot read the cache in %s: %s", o->cache_dir,
				strerror(-rc));
	}
	/* Who holds the cache's lock: a live mount, a sync or export, none. */
	if (cachelock_holder(o->cache_dir, &h) == 0)
		cli_holder_text(o, &h, &lock);
	else
		buf_puts(&lock, "free");
	if (o->json) {
		cJSON *root = status_to_json(&st), *errs = cJSON_CreateArray();
		struct cli_draft_list l = { 0, cJSON_CreateArray() };
		char *s;

		cJSON_AddStringToObject(root, "cache lock", buf_str(&lock));
		drafts_list(o->cache_dir, cli_list_draft, &l);
		cJSON_AddNumberToObject(root, "unsaved drafts", l.n);
		cJSON_AddItemToObject(root, "drafts", l.arr);
		cache_each_log(c, "error", 50, cli_status_log, errs);
		cJSON_AddItemToObject(root, "errors", errs);
		s = root ? cJSON_Print(root) : NULL;
		puts(s ? s : "{}");
		free(s);
		cJSON_Delete(root);
	} else {
		struct cli_draft_list l = { 0, NULL };

		status_print_text(&st, &text);
		fputs(buf_str(&text), stdout);
		printf("cache lock: %s\n", buf_str(&lock));
		drafts_list(o->cache_dir, cli_count_draft, &l.n);
		printf("unsaved drafts: %d\n", l.n);
		l.n = 0;
		drafts_list(o->cache_dir, cli_list_draft, &l);
		printf("recent errors:\n");
		cache_each_log(c, "error", 10, cli_print_log, NULL);
	}
	status_release(&st);
	buf_release(&lock);
	buf_release(&text);
	cache_close(c);
	if (late)
		return cli_fail(CLI_FAIL, "status --wait: %lld edits are still queued after %g s%s",
				(long long)late, o->timeout,
				late_pull ? " and the first pull is still running" : "");
	if (late_pull)
		return cli_fail(CLI_FAIL, "status --wait: the first pull is still running after %g s",
				o->timeout);
	return 0;
}

#define CLI_SAY_EVERY_S 10

/* Beside a mount: waits until the mount has fetched every page body,
 * giving up when it fetched none for --timeout seconds.  Returns 0,
 * CLI_TOOK when the mount went away (*lk: this process fetches the rest),
 * or an exit status after printing why. */
static int cli_wait_bodies(const struct cli_opts *o, struct cache *c, struct cachelock_holder *h,
			   struct cachelock **lk)
{
	struct timespec now, progress, said = { 0, 0 };
	struct buf who = BUF_INIT;
	int64_t pending = 0, last = -1, shown = -1;
	char *state = NULL;
	int rc, tty = isatty(2);

	clock_gettime(CLOCK_MONOTONIC, &progress);
	for (;;) {
		rc = cache_count_bodies_pending(c, &pending);
		if (rc) {
			rc = cli_fail(CLI_FAIL, "cannot read the cache in %s: %s", o->cache_dir,
				      strerror(-rc));
			break;
		}
		if (pending == 0)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (pending != last)
			progress = now;
		last = pending;
		buf_reset(&who);
		cli_holder_text(o, h, &who);
		/* A terminal gets one line kept current, a log a line every
		 * CLI_SAY_EVERY_S. */
		if (shown < 0 || (tty ? pending != shown : now.tv_sec - said.tv_sec >= CLI_SAY_EVERY_S)) {
			fprintf(stderr, "%snotionfs export: waiting for %s to fetch %lld page bodies%s",
				tty ? "\r\033[K" : "", buf_str(&who), (long long)pending, tty ? "" : "\n");
			shown = pending;
			said = now;
		}
		if ((double)(now.tv_sec - progress.tv_sec) > o->timeout) {
			if (tty)
				fputs("\r\033[K", stderr);
			shown = -1;
			cache_meta_get(c, "state", &state);
			rc = cli_fail(CLI_FAIL, "%s fetched no page body for %g s and %lld are still missing "
				      "(its state: %s); see `notionfs status`, or unmount it and export "
				      "again", buf_str(&who), o->timeout, (long long)pending,
				      state ? state : "unknown");
			break;
		}
		usleep(200000);
		if (cachelock_holder(o->cache_dir, h) == 0 && h->pid && !strcmp(h->command, "mount"))
			continue; /* the mount is still there */
		if (tty && shown >= 0)
			fputs("\r\033[K", stderr); /* before any message below */
		shown = -1;
		rc = cli_lock_or_mount(o, c, "export", lk, h);
		if (rc == CLI_BY_MOUNT) {
			rc = 0;
			continue;
		}
		if (rc == 0) {
			fprintf(stderr, "notionfs export: the mount ended; fetching the %lld remaining page "
				"bodies itself\n", (long long)pending);
			rc = CLI_TOOK;
		}
		break;
	}
	if (tty && shown >= 0)
		fputs("\r\033[K", stderr);
	free(state);
	buf_release(&who);
	return rc;
}

static int cli_export(struct cli_opts *o)
{
	struct cli_cycle cy = { .result = NULL };
	struct cachelock *lk = NULL;
	struct export_stats st;
	struct buf who = BUF_INIT;
	struct cache *c = NULL;
	char *failed = NULL;
	int rc;

	if (!o->arg)
		return cli_fail(CLI_USAGE, "export needs a directory: notionfs export DIR");
	rc = cli_open_cache(o, &c);
	if (rc)
		return rc;
	/* Beside a live mount, no client of its own: the mount pulls (as
	 * `notionfs sync` asks it) and fetches the bodies; export only reads
	 * the cache.  Else this process holds the lock and fetches. */
	rc = cli_mount_cycle(o, c, "export", 0, &lk, &cy);
	if (rc == 0 && cy.error && cy.error[0]) {
		cli_holder_text(o, &cy.h, &who);
		rc = cli_fail(CLI_FAIL, "export: %s could not pull: %s", buf_str(&who), cy.error);
		goto out;
	}
	if (rc == 0)
		rc = cli_wait_bodies(o, c, &cy.h, &lk);
	if (rc == 0)
		cli_holder_text(o, &cy.h, &who);
	else if (rc == CLI_TOOK) {
		/* no mount runs: the names a mount kept are gone (docs/sync.md,
		 * "Kept names"); files are named by their titles */
		if (localfiles_clear_kept(c))
			log_warn("cannot forget the names kept by the last mount");
		rc = cli_pull(o, c, 0, 1, NULL);
	}
	if (rc)
		goto out;
	rc = export_run(c, o->arg, &st, &failed);
	if (rc) {
		rc = cli_fail(CLI_FAIL, "export to %s failed at %s: %s", o->arg,
			      failed ? failed : o->arg, strerror(-rc));
		goto out;
	}
	printf("exported to %s: %ld written, %ld unchanged, %ld removed", o->arg,
	       st.written, st.unchanged, st.removed);
	if (st.kept)
		printf(", %ld kept (changed by you)", st.kept);
	if (st.refused)
		printf(", %ld not written (your files are there)", st.refused);
	if (who.len)
		printf("; pulled and fetched by %s, no requests of its own", buf_str(&who));
	putchar('\n');
	fflush(stdout);
	if (st.refused)
		rc = cli_fail(CLI_FAIL, "export to %s: %ld page file%s not written, named above: "
			      "a file notionfs export did not write, or one changed since, is at "
			      "that path", o->arg, st.refused, st.refused == 1 ? "" : "s");
out:
	buf_release(&who);
	cli_cycle_release(&cy);
	free(failed);
	cache_close(c);
	cachelock_release(lk);
	return rc;
}

/* ---- dispatch ------------------------------------------------------------ */

int cli_main(int argc, char **argv)
{
	struct cli_opts o;
	int rc;

	memset(&o, 0, sizeof(o));
	if (argc < 2)
		return cli_fail(CLI_USAGE, "missing command; see 'notionfs --help'");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		fputs(cli_help, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("notionfs %s\n", NOTIONFS_VERSION);
		return 0;
	}
	o.cmd = argv[1];
	if (strcmp(o.cmd, "mount") && strcmp(o.cmd, "demo") && strcmp(o.cmd, "sync") &&
	    strcmp(o.cmd, "status") && strcmp(o.cmd, "export"))
		return cli_fail(CLI_USAGE, "unknown command '%s'; see 'notionfs --help'", o.cmd);
	rc = cli_parse(argc, argv, &o);
	if (rc)
		goto out;
	if (!strcmp(o.cmd, "demo")) {
		rc = cli_demo(&o);
		goto out;
	}
	if (!strcmp(o.cmd, "status")) {
		rc = cli_status(&o);
		goto out;
	}
	if (!strcmp(o.cmd, "mount") && !o.arg) {
		rc = cli_fail(CLI_USAGE, "mount needs a mountpoint: notionfs mount [OPTIONS] MOUNTPOINT");
		goto out;
	}
	rc = cli_load_token(&o);
	if (rc)
		goto out;
	if (!strcmp(o.cmd, "mount"))
		rc = cli_run_mount(&o, o.arg);
	else if (!strcmp(o.cmd, "sync"))
		rc = cli_sync(&o);
	else
		rc = cli_export(&o);
out:
	if (o.token) {
		memset(o.token, 0, strlen(o.token));
		free(o.token);
	}
	free(o.cache_dir);
	buf_release(&o.fuse_opts);
	return rc;
}
