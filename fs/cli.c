/* cli.c - the notionfs command line; contracts in cli.h and DESIGN.md. */
#include "fs/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <signal.h>
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
#include "common/buf.h"
#include "common/log.h"
#include "fs/export.h"
#include "fs/mount.h"
#include "fs/save.h"
#include "fs/view.h"
#include "sync/engine.h"
#include "sync/notion.h"
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
	int full, dry_run, json, confirm_deletes, wait;
	int verbose;
	const char *arg;        /* MOUNTPOINT or DIR */
	char *token;            /* loaded secret; never printed */
};

static const char cli_help[] =
"Usage: notionfs COMMAND [OPTIONS] [ARGS]\n"
"Mount a Notion workspace as Markdown files.\n"
"\n"
"Commands:\n"
"  mount  [OPTIONS] MOUNTPOINT  mount the workspace (daemonizes unless -f)\n"
"  demo   [MOUNTPOINT]          start the bundled emulator with the sample\n"
"                               workspace and mount it (default ./notion-demo)\n"
"  sync   [OPTIONS] [--full] [--dry-run]\n"
"                               one pull + push cycle on the cache, no mount\n"
"  status [OPTIONS] [--json]    queue, conflicts, rejected edits, last sync, errors\n"
"  export [OPTIONS] DIR         write the rendered workspace to a plain directory\n"
"  --help | --version\n"
"\n"
"Options (all commands):\n"
"  --api-url URL       API base URL (env NOTIONFS_API_URL; default https://api.notion.com)\n"
"  --token-file FILE   file holding the integration token, mode 0600 (or env NOTION_TOKEN)\n"
"  --cache-dir DIR     cache directory (env NOTIONFS_CACHE_DIR; default\n"
"                      $XDG_CACHE_HOME/notionfs, else ~/.cache/notionfs)\n"
"  -v, --verbose       more log output\n"
"Mount options:\n"
"  --poll SECONDS      delta pull interval (env NOTIONFS_POLL; default 30)\n"
"  -f                  stay in the foreground\n"
"  -o OPT[,OPT...]     FUSE mount options\n"
"  --read-only         refuse every write (the default in this version)\n"
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
       OPT_DRY_RUN, OPT_JSON, OPT_CONFIRM, OPT_WAIT, OPT_TOKEN, OPT_HELP, OPT_VERSION };

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
	{ "wait", no_argument, NULL, OPT_WAIT },
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
	optind = 2; /* argv[1] is the command */
	while ((c = getopt_long(argc, argv, "+fo:v", cli_longopts, NULL)) != -1) {
		switch (c) {
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
		case OPT_WAIT: o->wait = 1; break;
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
	if (optind < argc)
		o->arg = argv[optind++];
	if (optind < argc)
		return cli_fail(CLI_USAGE, "unexpected argument '%s'; see 'notionfs --help'", argv[optind]);
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
		return cli_fail(CLI_FAIL, "%s: %s%s%s", what, strerror(-rc),
				err.message[0] ? ": " : "", err.message);
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

static int cli_new_api(const struct cli_opts *o, struct notion **api)
{
	struct notion_config nc;
	int rc;

	memset(&nc, 0, sizeof(nc));
	nc.api_url = o->api_url;
	nc.token = o->token;
	nc.rate = o->rate;
	nc.burst = o->burst;
	rc = notion_new(&nc, api);
	if (rc)
		return cli_fail(CLI_FAIL, "cannot set up the API client for %s: %s", o->api_url, strerror(-rc));
	return 0;
}

/* ---- pulling in the foreground ----------------------------------------- */

struct cli_progress {
	int tty;
	time_t last;
};

static void cli_progress(void *arg, const char *db_title, int64_t pages)
{
	struct cli_progress *p = arg;
	time_t now = time(NULL);

	if (!p->tty || now == p->last)
		return;
	p->last = now;
	fprintf(stderr, "\r\033[Kpulling %s: %lld pages", db_title, (long long)pages);
}

/* Pulls (full when asked or never done, else delta + listing) and, when
 * bodies is set, every missing body.  Returns 0 or an exit status. */
static int cli_pull(const struct cli_opts *o, struct cache *c, int full, int bodies,
		    struct pull_stats *stats)
{
	struct cli_progress prog = { isatty(2), 0 };
	struct pull_ctx p = { .cache = c, .progress = cli_progress, .progress_arg = &prog };
	struct notion *api = NULL;
	char *done = NULL;
	int rc, fetched;

	rc = cli_new_api(o, &api);
	if (rc)
		return rc;
	p.api = api;
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
		rc = pull_bodies(&p, 50, &fetched);
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
	notion_free(api);
	return rc;
}

/* ---- mount -------------------------------------------------------------- */

struct cli_mount {
	struct mount *m;
	struct engine *e;
};

static void cli_on_change(void *arg)
{
	struct cli_mount *cm = arg;

	mount_refresh(cm->m);
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
	char *done = NULL;
	int rc;

	rc = cli_open_cache(o, &c);
	if (rc)
		return rc;
	if (!o->read_only) {
		/* What is written is kept in the cache's drafts until queued; one
		 * process owns them (DESIGN.md section 5). */
		rc = drafts_open(o->cache_dir, &drafts);
		if (rc) {
			rc = cli_fail(CLI_FAIL, "cannot mount on %s: %s", mountpoint,
				      rc == -EBUSY ? "another notionfs process is using the cache "
				      "(a mount, or `notionfs sync` saving what a mount left)" : strerror(-rc));
			goto out;
		}
		mo.drafts = drafts;
	}
	/* The first full pull runs before mounting, with progress, so the
	 * mount never shows half a workspace and a bad token fails here. */
	if (cache_meta_get(c, "last_full_pull", &done) == -ENOENT) {
		rc = cli_pull(o, c, 1, 0, NULL);
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
			      rc == -ENOENT ? "no such directory" :
			      rc == -EBUSY ? "it is already a mount point (busy)" :
			      rc == -ENOTDIR ? "not a directory" : strerror(-rc));
		goto out;
	}
	if (!o->foreground) {
		buf_printf(&logpath, "%s/notionfs.log", o->cache_dir);
		if (mount_daemonize(cm.m)) {
			rc = cli_fail(CLI_FAIL, "cannot daemonize");
			goto out;
		}
		log_set_file(logpath.data);
		chmod(logpath.data, 0600);
	}
	rc = cache_open(o->cache_dir, &c);
	if (!rc)
		rc = mount_attach(cm.m, c);
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
	ec.on_change = cli_on_change;
	ec.arg = &cm;
	rc = engine_start(&ec, &cm.e);
	if (rc) {
		log_error("cannot start the sync thread: %s", strerror(-rc));
		rc = CLI_FAIL;
		goto out;
	}
	mount_set_hooks(cm.m, &hooks);
	log_info("mounted %s (api %s, cache %s)", mountpoint, o->api_url, o->cache_dir);
	rc = mount_loop(cm.m) ? CLI_FAIL : 0;
	/* Unmounted: queue what was still being written, push for a bounded
	 * time, and say what is left (DESIGN.md section 1). */
	mount_save_all(cm.m);
	{
		long left = engine_drain(cm.e, CLI_DRAIN_S);

		if (left > 0)
			log_warn("%ld edits are still queued; the next mount or `notionfs sync` pushes them",
				 left);
	}
out:
	engine_stop(cm.e);
	mount_destroy(cm.m);
	cache_close(c);
	drafts_close(drafts); /* what could not be queued stays for the next start */
	buf_release(&logpath);
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
	static const char *const kinds[] = { "?", "edit", "create", "archive" };
	static const char *const states[] = { "queued", "pushing", "rejected", "held" };

	(*(int *)arg)++;
	printf("%s %s %s\n", states[e->state & 3], kinds[e->kind & 3], e->path ? e->path : e->page_id);
	if (e->props)
		printf("  properties: %s\n", e->props);
	if (e->ops)
		printf("  blocks: %s\n", e->ops);
	if (e->error)
		printf("  error: %s\n", e->error);
	return 0;
}

/* Pushes the queue (DESIGN.md section 4); prints what landed. */
static int cli_push(const struct cli_opts *o, struct cache *c)
{
	struct push_ctx p = { .cache = c, .confirm_deletes = o->confirm_deletes };
	struct notion *api = NULL;
	int rc, pushed = 0;

	rc = cli_new_api(o, &api);
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
		cJSON_AddStringToObject(d, "kind", i->role == DRAFT_PAGE ? "edit" : "create");
		cJSON_AddStringToObject(d, "state", "draft");
		if (i->reason)
			cJSON_AddStringToObject(d, "reason", i->reason);
		else
			cJSON_AddNullToObject(d, "reason");
		cJSON_AddStringToObject(d, "file", file);
		cJSON_AddItemToArray(l->arr, d);
	} else {
		printf("  draft %s %s%s%s (kept in %s)\n", i->role == DRAFT_PAGE ? "edit" : "create",
		       i->path ? i->path : i->name, i->reason ? ": not queued yet: " : "",
		       i->reason ? i->reason : "", file);
	}
	return 0;
}

static int cli_sync(struct cli_opts *o)
{
	struct pull_stats st;
	struct cache *c = NULL;
	int rc, n = 0;

	rc = cli_open_cache(o, &c);
	if (rc)
		return rc;
	if (o->dry_run) {
		/* Nothing is sent: the queue as it would be pushed. */
		struct cli_draft_list l = { 0, NULL };

		rc = queue_each(c, cli_print_entry, &n);
		drafts_list(o->cache_dir, cli_list_draft, &l);
		printf("dry run: %d queued edits, %d unsaved drafts, nothing sent\n", n, l.n);
		goto out;
	}
	rc = cli_recover_drafts(o, c);
	if (rc)
		goto out;
	rc = cli_push(o, c);
	if (rc)
		goto out;
	rc = cli_pull(o, c, o->full, 1, &st);
	if (!rc)
		printf("pulled: %d databases, %lld pages seen, %lld changed, %lld removed, %lld bodies\n",
		       st.databases, (long long)st.pages_seen, (long long)st.pages_changed,
		       (long long)st.pages_removed, (long long)st.bodies);
out:
	cache_close(c);
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

static int cli_status(struct cli_opts *o)
{
	struct buf text = BUF_INIT;
	struct cache *c = NULL;
	int rc;

	rc = cli_open_cache(o, &c);
	if (rc)
		return rc;
	while (o->wait) {
		int64_t queued = 0, rejected = 0, held = 0;

		/* Every queued edit landed or was rejected (held archives wait
		 * for --confirm-deletes and do not count). */
		if (queue_counts(c, &queued, &rejected, &held) || queued == 0)
			break;
		usleep(200000);
	}
	view_status_text(c, &text);
	if (o->json) {
		cJSON *root = cJSON_CreateObject(), *errs = cJSON_CreateArray();
		char *line = text.data, *nl, *s;

		while (line && *line && (nl = strchr(line, '\n'))) {
			char *colon = strstr(line, ": ");

			*nl = '\0';
			if (colon && colon < nl) {
				*colon = '\0';
				cJSON_AddStringToObject(root, line, colon + 2);
			}
			line = nl + 1;
		}
		{
			struct cli_draft_list l = { 0, cJSON_CreateArray() };

			drafts_list(o->cache_dir, cli_list_draft, &l);
			cJSON_AddNumberToObject(root, "unsaved drafts", l.n);
			cJSON_AddItemToObject(root, "drafts", l.arr);
		}
		cache_each_log(c, "error", 50, cli_status_log, errs);
		cJSON_AddItemToObject(root, "errors", errs);
		s = cJSON_Print(root);
		puts(s ? s : "{}");
		free(s);
		cJSON_Delete(root);
	} else {
		struct cli_draft_list l = { 0, NULL };

		fputs(buf_str(&text), stdout);
		drafts_list(o->cache_dir, cli_count_draft, &l.n);
		printf("unsaved drafts: %d\n", l.n);
		l.n = 0;
		drafts_list(o->cache_dir, cli_list_draft, &l);
		printf("recent errors:\n");
		cache_each_log(c, "error", 10, cli_print_log, NULL);
	}
	buf_release(&text);
	cache_close(c);
	return 0;
}

static int cli_export(struct cli_opts *o)
{
	struct export_stats st;
	struct cache *c = NULL;
	char *failed = NULL;
	int rc;

	if (!o->arg)
		return cli_fail(CLI_USAGE, "export needs a directory: notionfs export DIR");
	rc = cli_open_cache(o, &c);
	if (rc)
		return rc;
	rc = cli_pull(o, c, 0, 1, NULL);
	if (rc)
		goto out;
	rc = export_run(c, o->arg, &st, &failed);
	if (rc) {
		rc = cli_fail(CLI_FAIL, "export to %s failed at %s: %s", o->arg,
			      failed ? failed : o->arg, strerror(-rc));
		goto out;
	}
	printf("exported to %s: %ld written, %ld unchanged, %ld removed\n", o->arg,
	       st.written, st.unchanged, st.removed);
out:
	free(failed);
	cache_close(c);
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
