/* test_http.c - notion_request / http client against a scripted HTTP/1.1
 * server running in a thread of this test on 127.0.0.1 (ephemeral port).
 *
 * Checks: retries of 429 (Retry-After), 503, 409, dropped connections and
 * timeouts; final error kinds (auth, not found, server HTML 502, protocol,
 * transport refused / reset / TLS / timeout, cancel); keep-alive (one
 * accepted connection for many requests); the shared limiter (pacing and a
 * 429 blocking another client); request counts; pagination helpers and the
 * block tree; walks reading ahead on a second client; headers sent; the token absent from every error message and
 * log line.
 *
 * Owns: the server (its thread, sockets, buffers), a temporary log file
 * (deleted at the end).  Exit 0 when every check passed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/log.h"
#include "sync/notion.h"
#include "common/check.h"

#define TOKEN "secret_T0kEn_4b1d9e"
#define MAXCONN 16
#define MAXHITS 64

#define ID_B1 "b1000000-0000-4000-8000-000000000001"
#define ID_B2 "b2000000-0000-4000-8000-000000000002"
#define ID_B3 "b3000000-0000-4000-8000-000000000003"
#define ID_B3A "b3a00000-0000-4000-8000-00000000003a"

/* ---- scripted server ------------------------------------------------- */

struct conn {
	int fd;			/* -1 when the slot is free */
	struct buf in;		/* bytes received, not yet consumed */
	struct buf out;		/* answer waiting for `due` */
	bool pending;
	double due;
};

struct reply {
	int status;
	const char *ctype;
	struct buf body;
	char extra[128];	/* extra header lines, each ending in \r\n */
	double delay;		/* seconds before answering */
	bool drop;		/* close without answering */
};

struct hit {
	char path[256];
	int count;
};

struct server {
	int lfd;
	int port;
	int wake[2];
	pthread_t th;
	pthread_mutex_t mu;	/* everything below */
	int accepted;
	struct hit hits[MAXHITS];
	int nhits;
	char auth[256], ua[128], version[64], ctype[64];
	char method[16], path[512], body[4096];
	struct conn c[MAXCONN];
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Increments and returns the hit count of PATH (caller holds mu). */
static int srv_hit(struct server *s, const char *path)
{
	int i;

	for (i = 0; i < s->nhits; i++)
		if (strcmp(s->hits[i].path, path) == 0)
			return ++s->hits[i].count;
	if (s->nhits == MAXHITS)
		return 0;
	snprintf(s->hits[s->nhits].path, sizeof(s->hits[0].path), "%s", path);
	s->hits[s->nhits].count = 1;
	return s->hits[s->nhits++].count;
}

static int srv_hits(struct server *s, const char *path)
{
	int i, n = 0;

	pthread_mutex_lock(&s->mu);
	for (i = 0; i < s->nhits; i++)
		if (strcmp(s->hits[i].path, path) == 0)
			n = s->hits[i].count;
	pthread_mutex_unlock(&s->mu);
	return n;
}

static int srv_accepted(struct server *s)
{
	int n;

	pthread_mutex_lock(&s->mu);
	n = s->accepted;
	pthread_mutex_unlock(&s->mu);
	return n;
}

static void reply_error(struct reply *r, int status, const char *code,
			const char *msg)
{
	r->status = status;
	buf_printf(&r->body, "{\"object\":\"error\",\"status\":%d,\"code\":\"%s\","
		   "\"message\":\"%s\",\"request_id\":\"x\"}", status, code, msg);
}

/* An error answer with AD (the JSON text of additional_data) and a
 * request id, as Notion sends them. */
static void reply_error_ad(struct reply *r, int status, const char *code,
			   const char *msg, const char *ad)
{
	r->status = status;
	buf_printf(&r->body, "{\"object\":\"error\",\"status\":%d,\"code\":\"%s\","
		   "\"message\":\"%s\",\"additional_data\":%s,"
		   "\"request_id\":\"4f1c2a9e-rid\"}", status, code, msg, ad);
}

/* A list answer: RESULTS is the JSON text of the array elements. */
static void reply_list(struct reply *r, const char *type, const char *results,
		       const char *next)
{
	r->status = 200;
	buf_printf(&r->body, "{\"object\":\"list\",\"results\":[%s],"
		   "\"next_cursor\":%s%s%s,\"has_more\":%s,\"type\":\"%s\",\"%s\":{}}",
		   results, next ? "\"" : "", next ? next : "null",
		   next ? "\"" : "", next ? "true" : "false", type, type);
}

/* The JSON text of a block. */
static void block_json(struct buf *b, const char *id, const char *type,
		       bool kids)
{
	if (b->len)
		buf_putc(b, ',');
	buf_printf(b, "{\"object\":\"block\",\"id\":\"%s\",\"type\":\"%s\","
		   "\"has_children\":%s,\"%s\":{\"rich_text\":[]}}", id, type,
		   kids ? "true" : "false", type);
}

/* Routes for the pagination helpers. */
static bool route_api(const char *path, const char *query, const char *body,
		      struct reply *r)
{
	struct buf blocks = BUF_INIT;
	bool cursor2 = strstr(query, "start_cursor=n1") ||
		       strstr(body, "\"start_cursor\":\"c2\"");

	if (strcmp(path, "/v1/search") == 0) {
		if (!strstr(body, "\"value\":\"data_source\"") || !strstr(body, "\"page_size\":100") ||
		    !strstr(body, "\"timestamp\":\"last_edited_time\""))
			reply_error(r, 400, "validation_error", "bad search");
		else if (!cursor2)
			reply_list(r, "page_or_data_source", "{\"object\":\"data_source\",\"id\":\"d1\"},"
				   "{\"object\":\"data_source\",\"id\":\"d2\"}", "c2");
		else
			reply_list(r, "page_or_data_source", "{\"object\":\"data_source\",\"id\":\"d3\"}", NULL);
	} else if (strcmp(path, "/v1/data_sources/db1/query") == 0) {
		if (!strstr(body, "\"on_or_after\":\"2024-05-04T14:07:00.000Z\"") ||
		    !strstr(body, "\"direction\":\"ascending\""))
			reply_error(r, 400, "validation_error", "bad query");
		else
			reply_list(r, "page_or_database", "{\"object\":\"page\",\"id\":\"p1\"}", NULL);
	} else if (strcmp(path, "/v1/data_sources/fail2/query") == 0) {
		/* its second page fails (not retried) */
		if (!cursor2)
			reply_list(r, "page_or_database", "{\"object\":\"page\",\"id\":\"q1\"}", "c2");
		else
			reply_error(r, 400, "validation_error", "second page refused");
	} else if (strcmp(path, "/v1/users") == 0) {
		reply_list(r, "user", "{\"object\":\"user\",\"id\":\"u1\"},"
			   "{\"object\":\"user\",\"id\":\"u2\"}", NULL);
	} else if (strcmp(path, "/v1/blocks/root/children") == 0) {
		if (!cursor2) {
			block_json(&blocks, ID_B1, "paragraph", true);
			block_json(&blocks, ID_B2, "child_page", true);
			reply_list(r, "block", blocks.data, "n1");
		} else {
			block_json(&blocks, ID_B3, "toggle", true);
			reply_list(r, "block", blocks.data, NULL);
		}
	} else if (strcmp(path, "/v1/blocks/" ID_B1 "/children") == 0) {
		block_json(&blocks, "b1a", "paragraph", false);
		reply_list(r, "block", blocks.data, NULL);
	} else if (strcmp(path, "/v1/blocks/" ID_B3 "/children") == 0) {
		block_json(&blocks, ID_B3A, "bulleted_list_item", true);
		reply_list(r, "block", blocks.data, NULL);
	} else if (strcmp(path, "/v1/blocks/" ID_B3A "/children") == 0) {
		block_json(&blocks, "b3a1", "paragraph", false);
		reply_list(r, "block", blocks.data, NULL);
	} else if (strcmp(path, "/v1/pages/p1/properties/%3EiE%3E") == 0) {
		if (!strstr(query, "start_cursor"))
			reply_list(r, "property_item", "{\"object\":\"property_item\",\"type\":\"relation\","
				   "\"relation\":{\"id\":\"r1\"}}", "n1");
		else
			reply_list(r, "property_item", "{\"object\":\"property_item\",\"type\":\"relation\","
				   "\"relation\":{\"id\":\"r2\"}}", NULL);
	} else if (strcmp(path, "/v1/pages/p1/properties/num") == 0) {
		r->status = 200;
		buf_puts(&r->body, "{\"object\":\"property_item\",\"id\":\"num\",\"type\":\"number\",\"number\":4}");
	} else if (strcmp(path, "/v1/pages/loop/properties/x") == 0) {
		reply_list(r, "property_item", "", "same");
	} else {
		buf_release(&blocks);
		return false;
	}
	buf_release(&blocks);
	return true;
}

/* Fills R for request PATH (N-th hit) with QUERY and BODY. */
static void route(const char *path, const char *query, const char *body,
		  int n, struct reply *r)
{
	r->status = 200;
	r->ctype = "application/json";
	if (route_api(path, query, body, r))
		return;
	if (strcmp(path, "/ok") == 0) {
		buf_puts(&r->body, "{\"object\":\"page\",\"id\":\"x\"}");
	} else if (strcmp(path, "/rate") == 0 && n == 1) {
		snprintf(r->extra, sizeof(r->extra), "Retry-After: 1\r\n");
		reply_error(r, 429, "rate_limited", "slow down");
	} else if (strcmp(path, "/rate-always") == 0) {
		snprintf(r->extra, sizeof(r->extra), "Retry-After: 1\r\n");
		reply_error(r, 429, "rate_limited", "slow down");
	} else if (strcmp(path, "/rate-long") == 0) {
		snprintf(r->extra, sizeof(r->extra), "Retry-After: 3600\r\n");
		reply_error(r, 429, "rate_limited", "come back later");
	} else if (strcmp(path, "/rate-date") == 0) {
		time_t later = time(NULL) + 2;
		struct tm tm;

		gmtime_r(&later, &tm);
		strftime(r->extra, sizeof(r->extra),
			 "Retry-After: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
		reply_error(r, 429, "rate_limited", "slow down");
	} else if (((strcmp(path, "/overload") == 0 ||
		     strcmp(path, "/overload-create") == 0) && n == 1) ||
		   strcmp(path, "/overload-always") == 0) {
		snprintf(r->extra, sizeof(r->extra), "Retry-After: 1\r\n");
		reply_error(r, 529, "service_overload", "overloaded");
	} else if (strcmp(path, "/overload-date") == 0) {
		time_t later = time(NULL) + 2;
		struct tm tm;

		gmtime_r(&later, &tm);
		strftime(r->extra, sizeof(r->extra),
			 "Retry-After: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
		reply_error(r, 529, "service_overload", "overloaded");
	} else if ((strcmp(path, "/overload-bare") == 0 ||
		    strcmp(path, "/rate-bare") == 0) && n == 1) {
		/* no Retry-After: the client backs off */
		reply_error(r, path[1] == 'o' ? 529 : 429,
			    path[1] == 'o' ? "service_overload" : "rate_limited", "busy");
	} else if ((strcmp(path, "/rate-reason") == 0 && n == 1) ||
		   (strcmp(path, "/rate-burst") == 0 && n <= 3) ||
		   strcmp(path, "/rate-reason-always") == 0) {
		snprintf(r->extra, sizeof(r->extra), "Retry-After: 1\r\n");
		reply_error_ad(r, 429, "rate_limited", "You have been rate limited.",
			       "{\"rate_limit_reason\":\"workspace_rate_limit\"}");
		/* the three requests of the burst are all under way before
		 * the first answer comes */
		if (strcmp(path, "/rate-burst") == 0)
			r->delay = 0.5;
	} else if (strcmp(path, "/multi-source") == 0) {
		reply_error_ad(r, 400, "validation_error",
			       "Databases with multiple data sources are not supported in this API version.",
			       "{\"error_type\":\"multiple_data_sources_for_database\","
			       "\"child_data_source_ids\":[\"a\",\"b\"]}");
	} else if (strcmp(path, "/flaky") == 0 && n <= 2) {
		reply_error(r, 503, "service_unavailable", "try later");
	} else if (strcmp(path, "/conflict") == 0 && n == 1) {
		reply_error(r, 409, "conflict_error", "collision");
	} else if ((strcmp(path, "/drop-once") == 0 && n == 1) ||
		   strcmp(path, "/drop") == 0) {
		r->drop = true;
	} else if (strcmp(path, "/slow") == 0) {
		r->delay = 0.8;
		buf_puts(&r->body, "{}");
	} else if (strcmp(path, "/very-slow") == 0) {
		r->delay = 3;
		buf_puts(&r->body, "{}");
	} else if (strcmp(path, "/html502") == 0) {
		r->status = 502;
		r->ctype = "text/html";
		buf_puts(&r->body, "<html><head><title>502 Bad Gateway</title></head>"
			 "<body><center><h1>502 Bad Gateway</h1></center></body></html>\r\n");
	} else if (strcmp(path, "/rate") == 0 || strcmp(path, "/flaky") == 0 ||
		   strcmp(path, "/conflict") == 0 || strcmp(path, "/drop-once") == 0 ||
		   strcmp(path, "/overload") == 0 || strcmp(path, "/overload-bare") == 0 ||
		   strcmp(path, "/overload-create") == 0 ||
		   strcmp(path, "/rate-bare") == 0 || strcmp(path, "/rate-reason") == 0 ||
		   strcmp(path, "/rate-burst") == 0) {
		buf_puts(&r->body, "{\"object\":\"page\",\"id\":\"later\"}");
	} else if (strcmp(path, "/notfound") == 0) {
		reply_error(r, 404, "object_not_found", "Could not find page");
	} else if (strcmp(path, "/unauth") == 0) {
		/* a server echoing the token must not get it into messages */
		reply_error(r, 401, "unauthorized", "API token " TOKEN " is invalid.");
	} else if (strcmp(path, "/badjson") == 0) {
		buf_puts(&r->body, "{\"object\": \"page\", trunc");
	} else if (strcmp(path, "/big") == 0) {
		buf_puts(&r->body, "[");
		for (n = 0; n < 20000; n++)
			buf_printf(&r->body, "%s{\"i\":%d,\"pad\":\"................\"}",
				   n ? "," : "", n);
		buf_puts(&r->body, "]");
	} else {
		reply_error(r, 404, "object_not_found", "no route");
	}
}

/* Copies header NAME's value from the header block HDRS into DST. */
static void header_value(const char *hdrs, const char *name, char *dst,
			 size_t size)
{
	const char *p = hdrs;
	size_t nl = strlen(name), vl;

	dst[0] = '\0';
	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1, *e = strstr(v, "\r\n");

			while (*v == ' ')
				v++;
			vl = e ? (size_t)(e - v) : strlen(v);
			if (vl >= size)
				vl = size - 1;
			memcpy(dst, v, vl);
			dst[vl] = '\0';
			return;
		}
	}
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->pending = false;
	buf_reset(&c->in);
	buf_reset(&c->out);
}

/* Builds the answer of the request occupying HDR_LEN + BODY_LEN bytes at
 * the start of C->in, then consumes them. */
static void srv_answer(struct server *s, struct conn *c, size_t hdr_len,
		       size_t body_len)
{
	static const char *const reasons[] = { [200] = "OK", [401] = "Unauthorized",
		[404] = "Not Found", [409] = "Conflict", [429] = "Too Many Requests",
		[502] = "Bad Gateway", [503] = "Service Unavailable", [529] = "Site Overloaded" };
	struct reply r = { 0, NULL, BUF_INIT, "", 0, false };
	char method[16] = "", target[512] = "", *q, body[4096];
	const char *query = "";
	size_t bl = body_len < sizeof(body) - 1 ? body_len : sizeof(body) - 1;
	int n;

	sscanf(c->in.data, "%15s %511s", method, target);
	memcpy(body, c->in.data + hdr_len, bl);
	body[bl] = '\0';
	q = strchr(target, '?');
	if (q) {
		*q = '\0';
		query = q + 1;
	}
	pthread_mutex_lock(&s->mu);
	n = srv_hit(s, target);
	header_value(c->in.data, "Authorization", s->auth, sizeof(s->auth));
	header_value(c->in.data, "User-Agent", s->ua, sizeof(s->ua));
	header_value(c->in.data, "Notion-Version", s->version, sizeof(s->version));
	header_value(c->in.data, "Content-Type", s->ctype, sizeof(s->ctype));
	snprintf(s->method, sizeof(s->method), "%s", method);
	snprintf(s->path, sizeof(s->path), "%s", target);
	snprintf(s->body, sizeof(s->body), "%s", body);
	pthread_mutex_unlock(&s->mu);
	route(target, query, body, n, &r);
	memmove(c->in.data, c->in.data + hdr_len + body_len,
		c->in.len - hdr_len - body_len);
	c->in.len -= hdr_len + body_len;
	if (r.drop) {
		conn_close(c);
	} else {
		buf_printf(&c->out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
			   "Content-Length: %zu\r\n%s\r\n", r.status,
			   r.status < 600 && reasons[r.status] ? reasons[r.status] : "X",
			   r.ctype, r.body.len, r.extra);
		buf_append(&c->out, buf_str(&r.body), r.body.len);
		c->pending = true;
		c->due = now_s() + r.delay;
	}
	buf_release(&r.body);
}

/* Handles every complete request buffered on C (stops at a pending one).
 * Garbage (e.g. a TLS ClientHello) closes the connection. */
static void srv_parse(struct server *s, struct conn *c)
{
	char cl[32];
	char *end;
	size_t hdr_len, body_len;

	while (c->fd >= 0 && !c->pending && c->in.len) {
		if (c->in.data[0] < 'A' || c->in.data[0] > 'Z') {
			conn_close(c);
			return;
		}
		end = strstr(c->in.data, "\r\n\r\n");
		if (!end)
			return;
		hdr_len = (size_t)(end - c->in.data) + 4;
		end[2] = '\0';	/* headers as a string, for header_value */
		header_value(c->in.data, "Content-Length", cl, sizeof(cl));
		end[2] = '\r';
		body_len = (size_t)strtoul(cl, NULL, 10);
		if (c->in.len < hdr_len + body_len)
			return;
		srv_answer(s, c, hdr_len, body_len);
	}
}

static void srv_accept(struct server *s)
{
	int fd = accept(s->lfd, NULL, NULL), i;

	if (fd < 0)
		return;
	for (i = 0; i < MAXCONN; i++)
		if (s->c[i].fd < 0)
			break;
	if (i == MAXCONN) {
		close(fd);
		return;
	}
	s->c[i].fd = fd;
	pthread_mutex_lock(&s->mu);
	s->accepted++;
	pthread_mutex_unlock(&s->mu);
}

static void srv_read(struct server *s, struct conn *c)
{
	char chunk[8192];
	ssize_t n = read(c->fd, chunk, sizeof(chunk));

	if (n <= 0) {
		conn_close(c);
		return;
	}
	buf_append(&c->in, chunk, (size_t)n);
	srv_parse(s, c);
}

/* Sends answers that are due; returns the poll timeout (ms) for the next. */
static int srv_flush(struct server *s)
{
	double t = now_s(), next = -1;
	int i;

	for (i = 0; i < MAXCONN; i++) {
		struct conn *c = &s->c[i];

		if (c->fd < 0 || !c->pending)
			continue;
		if (c->due <= t) {
			if (send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL) < 0)
				conn_close(c);
			buf_reset(&c->out);
			c->pending = false;
			srv_parse(s, c);
		} else if (next < 0 || c->due - t < next) {
			next = c->due - t;
		}
	}
	return next < 0 ? -1 : (int)(next * 1000) + 1;
}

static void *srv_main(void *arg)
{
	struct server *s = arg;
	struct pollfd pf[MAXCONN + 2];
	int map[MAXCONN + 2], n, i, timeout;

	for (;;) {
		timeout = srv_flush(s);
		pf[0] = (struct pollfd){ s->wake[0], POLLIN, 0 };
		pf[1] = (struct pollfd){ s->lfd, POLLIN, 0 };
		for (n = 2, i = 0; i < MAXCONN; i++) {
			if (s->c[i].fd < 0 || s->c[i].pending)
				continue;
			map[n] = i;
			pf[n++] = (struct pollfd){ s->c[i].fd, POLLIN, 0 };
		}
		if (poll(pf, (nfds_t)n, timeout) < 0 && errno != EINTR)
			break;
		if (pf[0].revents)
			break;
		if (pf[1].revents & POLLIN)
			srv_accept(s);
		for (i = 2; i < n; i++)
			if (pf[i].revents)
				srv_read(s, &s->c[map[i]]);
	}
	return NULL;
}

/* Listens on 127.0.0.1:0 and starts the thread.  0 or -errno. */
static int srv_start(struct server *s)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int i, one = 1;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < MAXCONN; i++)
		s->c[i].fd = -1;
	pthread_mutex_init(&s->mu, NULL);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->lfd < 0 || setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s->lfd, (struct sockaddr *)&a, sizeof(a)) || listen(s->lfd, 16) ||
	    getsockname(s->lfd, (struct sockaddr *)&a, &al) || pipe(s->wake))
		return -errno;
	s->port = ntohs(a.sin_port);
	return -pthread_create(&s->th, NULL, srv_main, s);
}

static void srv_stop(struct server *s)
{
	int i;

	if (write(s->wake[1], "x", 1) != 1)
		perror("wake");
	pthread_join(s->th, NULL);
	for (i = 0; i < MAXCONN; i++) {
		conn_close(&s->c[i]);
		buf_release(&s->c[i].in);
		buf_release(&s->c[i].out);
	}
	close(s->lfd);
	close(s->wake[0]);
	close(s->wake[1]);
	pthread_mutex_destroy(&s->mu);
}

/* ---- client helpers -------------------------------------------------- */

static struct server srv;
static char base_url[64];
static char logpath[] = "/tmp/test_http_log_XXXXXX";

/* Lines of the log holding every one of the (up to three) needles. */
static int log_count(const char *a, const char *b, const char *c)
{
	char line[4096];
	int n = 0;
	FILE *f = fopen(logpath, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, a) && (!b || strstr(line, b)) && (!c || strstr(line, c)))
			n++;
	fclose(f);
	return n;
}

/* A client for the test server (or URL when non-NULL) with fast retries. */
static struct notion *client(const char *url, unsigned attempts,
			     long timeout_ms, struct notion_limiter *lim)
{
	struct notion_config cfg = { 0 };
	struct notion *n = NULL;

	cfg.api_url = url ? url : base_url;
	cfg.token = TOKEN;
	cfg.rate = 100;
	cfg.burst = 100;
	cfg.max_attempts = attempts;
	cfg.timeout_ms = timeout_ms;
	cfg.connect_timeout_ms = 2000;
	cfg.backoff_base = 0.02;
	cfg.backoff_cap = 0.1;
	cfg.seed = 7;
	cfg.limiter = lim;
	CHECK(notion_new(&cfg, &n) == 0 && n);
	return n;
}

/* No error text may contain the token. */
static void check_no_token(const struct notion_error *e)
{
	CHECKF(!strstr(e->message, TOKEN) && !strstr(e->code, TOKEN),
	       "token leaked in '%s'", e->message);
}

/* GET PATH; returns rc, fills E and frees the answer. */
static int get(struct notion *n, const char *path, struct notion_error *e)
{
	cJSON *out = NULL;
	int rc = notion_request(n, "GET", path, NULL, &out, e);

	CHECK(rc == 0 ? out != NULL : out == NULL);
	cJSON_Delete(out);
	check_no_token(e);
	return rc;
}

/* ---- tests ----------------------------------------------------------- */

static void test_ok_and_keepalive(void)
{
	struct notion *n = client(NULL, 3, 5000, NULL);
	struct notion_error e;
	cJSON *body = cJSON_Parse("{\"a\":[1,2,3]}"), *out = NULL;
	int before = srv_accepted(&srv), i, rc;

	for (i = 0; i < 5; i++)
		CHECK(get(n, "/ok", &e) == 0 && e.kind == NOTION_OK && e.attempts == 1);
	rc = notion_request(n, "POST", "/ok", body, &out, &e);
	CHECK(rc == 0 && cJSON_IsObject(out));
	pthread_mutex_lock(&srv.mu);
	CHECK(strcmp(srv.method, "POST") == 0 && strcmp(srv.body, "{\"a\":[1,2,3]}") == 0);
	CHECK(strcmp(srv.auth, "Bearer " TOKEN) == 0);
	CHECK(strcmp(srv.version, "2026-03-11") == 0);
	CHECK(strcmp(srv.ctype, "application/json") == 0);
	CHECKF(strncmp(srv.ua, "notionfs/", 9) == 0, "user agent '%s'", srv.ua);
	pthread_mutex_unlock(&srv.mu);
	CHECK(notion_request(n, "PATCH", "/ok", body, NULL, &e) == 0);
	CHECK(notion_request(n, "DELETE", "/ok", NULL, NULL, &e) == 0);
	pthread_mutex_lock(&srv.mu);
	CHECK(strcmp(srv.method, "DELETE") == 0);
	pthread_mutex_unlock(&srv.mu);
	CHECK(get(n, "/ok", &e) == 0);	/* GET again after a body request */
	pthread_mutex_lock(&srv.mu);
	CHECK(strcmp(srv.method, "GET") == 0 && srv.body[0] == '\0');
	pthread_mutex_unlock(&srv.mu);
	CHECKF(srv_accepted(&srv) - before == 1, "%d connections for 9 requests",
	       srv_accepted(&srv) - before);
	CHECK(notion_connections_opened(n) == 1);
	CHECK(notion_requests_sent(n) == 9);
	CHECK(notion_request(n, "PUT", "/ok", NULL, NULL, &e) == -EINVAL);
	CHECK(notion_request(n, "GET", "ok", NULL, NULL, &e) == -EINVAL);
	CHECK(notion_requests_sent(n) == 9);
	cJSON_Delete(out);
	cJSON_Delete(body);
	notion_free(n);
}

static void test_retries(void)
{
	struct notion *n = client(NULL, 4, 5000, NULL);
	struct notion_error e;
	double t0;

	t0 = now_s();
	CHECKF(get(n, "/rate", &e) == 0 && e.attempts == 2, "rate: kind %d attempts %u %s", e.kind, e.attempts, e.message);
	CHECKF(now_s() - t0 >= 0.95, "429 retried after %.3f s", now_s() - t0);
	CHECK(srv_hits(&srv, "/rate") == 2);

	CHECK(get(n, "/flaky", &e) == 0 && e.attempts == 3);
	CHECK(srv_hits(&srv, "/flaky") == 3);
	CHECK(get(n, "/conflict", &e) == 0 && e.attempts == 2);
	CHECK(notion_requests_sent(n) == 2 + 3 + 2);

	CHECK(get(n, "/html502", &e) == -EIO);
	CHECK(e.kind == NOTION_ERR_SERVER && e.http_status == 502 && e.attempts == 4);
	CHECKF(strstr(e.message, "502 Bad Gateway") != NULL, "message '%s'", e.message);
	CHECK(srv_hits(&srv, "/html502") == 4);

	CHECK(get(n, "/drop", &e) == -ENOTCONN);
	CHECK(e.kind == NOTION_ERR_TRANSPORT && strcmp(e.code, "transport_reset") == 0 &&
	      e.attempts == 4 && e.http_status == 0);

	/* a Retry-After beyond max_wait is final at once */
	t0 = now_s();
	CHECK(get(n, "/rate-long", &e) == -EAGAIN && e.kind == NOTION_ERR_RATE &&
	      e.attempts == 1 && strcmp(e.code, "rate_limited") == 0);
	/* ... and the limiter now refuses without sending */
	CHECK(get(n, "/ok", &e) == -EAGAIN && e.kind == NOTION_ERR_RATE);
	CHECK(now_s() - t0 < 0.5);
	CHECK(srv_hits(&srv, "/rate-long") == 1);
	notion_free(n);
}

/* A connection dropped without an answer is retried by us.  On a fresh
 * client: libcurl itself silently retries once when a REUSED connection
 * turns out dead, which would hide the drop. */
static void test_drop_once(void)
{
	struct notion *n = client(NULL, 3, 5000, NULL);
	struct notion_error e;

	CHECK(get(n, "/drop-once", &e) == 0 && e.attempts == 2);
	CHECK(srv_hits(&srv, "/drop-once") == 2);
	CHECK(notion_requests_sent(n) == 2);
	notion_free(n);
}

static void test_final_errors(void)
{
	struct notion *n = client(NULL, 3, 5000, NULL);
	struct notion_error e, last;

	CHECK(get(n, "/notfound", &e) == -ENOENT && e.kind == NOTION_ERR_NOT_FOUND &&
	      e.attempts == 1 && strcmp(e.code, "object_not_found") == 0 &&
	      strcmp(e.message, "Could not find page") == 0);
	notion_last_error(n, &last);
	CHECK(last.kind == NOTION_ERR_NOT_FOUND && last.http_status == 404);
	CHECK(get(n, "/unauth", &e) == -EACCES && e.kind == NOTION_ERR_AUTH &&
	      e.http_status == 401 && e.attempts == 1);
	CHECK(strstr(e.message, "is invalid") != NULL);
	CHECK(get(n, "/badjson", &e) == -EPROTO && e.kind == NOTION_ERR_PROTOCOL);
	CHECK(get(n, "/big", &e) == 0);
	CHECK(get(n, "/ok", &e) == 0);
	notion_last_error(n, &last);
	CHECK(last.kind == NOTION_OK);
	notion_free(n);
}

static void test_timeout(void)
{
	struct notion *n = client(NULL, 2, 300, NULL);
	struct notion_error e;
	double t0 = now_s();

	CHECK(get(n, "/slow", &e) == -ETIMEDOUT);
	CHECK(e.kind == NOTION_ERR_TRANSPORT && strcmp(e.code, "transport_timeout") == 0 &&
	      e.attempts == 2);
	CHECKF(now_s() - t0 < 2.0, "timeouts took %.3f s", now_s() - t0);
	notion_free(n);
}

static void test_transport(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	char url[64];
	struct notion *n;
	struct notion_error e;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	/* a port nobody listens on: bind, read the number, close */
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	      getsockname(fd, (struct sockaddr *)&a, &al) == 0);
	close(fd);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", ntohs(a.sin_port));
	n = client(url, 2, 2000, NULL);
	CHECK(get(n, "/ok", &e) == -ENOTCONN && e.kind == NOTION_ERR_TRANSPORT &&
	      strcmp(e.code, "transport_connect") == 0 && e.attempts == 2);
	CHECK(notion_requests_sent(n) == 2);
	notion_free(n);

	/* TLS to a plain-HTTP server: handshake fails, never retried */
	snprintf(url, sizeof(url), "https://127.0.0.1:%d", srv.port);
	n = client(url, 3, 2000, NULL);
	CHECK(get(n, "/ok", &e) == -ENOTCONN && e.kind == NOTION_ERR_TRANSPORT);
	CHECKF(strcmp(e.code, "transport_tls") == 0 && e.attempts == 1,
	       "code %s after %u attempts: %s", e.code, e.attempts, e.message);
	notion_free(n);

	/* bad configurations */
	CHECK(notion_new(&(struct notion_config){ .api_url = base_url }, &n) == -EINVAL && !n);
	CHECK(notion_new(&(struct notion_config){ .api_url = base_url,
		.token = "a\r\nX-Evil: 1" }, &n) == -EINVAL && !n);
}

struct canceller {
	struct notion *n;
	double after;
};

static void *cancel_later(void *arg)
{
	struct canceller *c = arg;

	usleep((useconds_t)(c->after * 1e6));
	notion_cancel(c->n);
	return NULL;
}

static void test_cancel(void)
{
	struct notion *n = client(NULL, 3, 10000, NULL);
	struct canceller c = { n, 0.3 };
	struct notion_error e;
	pthread_t th;
	double t0 = now_s();

	pthread_create(&th, NULL, cancel_later, &c);
	CHECK(get(n, "/very-slow", &e) == -ECANCELED && e.kind == NOTION_ERR_TRANSPORT);
	CHECKF(now_s() - t0 < 2.0, "cancel took %.3f s", now_s() - t0);
	pthread_join(th, NULL);
	CHECK(get(n, "/ok", &e) == -ECANCELED);
	notion_free(n);
}

static void test_shared_limiter(void)
{
	struct notion_limiter *lim = NULL;
	struct notion *a, *b;
	struct notion_error e;
	double t0;
	int i;

	/* pacing: burst 2 at 10/s, 6 requests from two clients take >= 0.4 s */
	CHECK(notion_limiter_new(10, 2, &lim) == 0);
	a = client(NULL, 1, 5000, lim);
	b = client(NULL, 1, 5000, lim);
	t0 = now_s();
	for (i = 0; i < 6; i++)
		CHECK(get(i % 2 ? a : b, "/ok", &e) == 0);
	CHECKF(now_s() - t0 >= 0.38 && now_s() - t0 < 1.5, "6 requests in %.3f s",
	       now_s() - t0);
	/* a final 429 on A blocks B for Retry-After */
	usleep(300000);
	t0 = now_s();
	CHECK(get(a, "/rate-always", &e) == -EAGAIN && e.kind == NOTION_ERR_RATE &&
	      e.http_status == 429 && e.attempts == 1);
	CHECK(get(b, "/ok", &e) == 0);
	CHECKF(now_s() - t0 >= 0.95, "B went %.3f s after A's 429", now_s() - t0);
	/* Retry-After as an HTTP-date (1 to 2 s ahead at 1 s resolution) */
	t0 = now_s();
	CHECK(get(a, "/rate-date", &e) == -EAGAIN && e.kind == NOTION_ERR_RATE);
	CHECK(get(b, "/ok", &e) == 0);
	CHECKF(now_s() - t0 >= 0.9, "HTTP-date Retry-After held B %.3f s", now_s() - t0);
	/* the same for 529 service_overload, in both forms */
	t0 = now_s();
	CHECK(get(a, "/overload-always", &e) == -EAGAIN && e.kind == NOTION_ERR_RATE &&
	      e.http_status == 529 && strcmp(e.code, "service_overload") == 0);
	CHECK(get(b, "/ok", &e) == 0);
	CHECKF(now_s() - t0 >= 0.95, "B went %.3f s after A's 529", now_s() - t0);
	t0 = now_s();
	CHECK(get(a, "/overload-date", &e) == -EAGAIN && e.http_status == 529);
	CHECK(get(b, "/ok", &e) == 0);
	CHECKF(now_s() - t0 >= 0.9, "HTTP-date Retry-After of a 529 held B %.3f s",
	       now_s() - t0);
	CHECK(notion_requests_sent(a) + notion_requests_sent(b) == 14);
	notion_free(a);
	notion_free(b);
	notion_limiter_free(lim);
}

/* 529 and 429 with and without Retry-After, for reads and for requests
 * that create (NOTION_RETRY_UNSENT): each is waited out and retried. */
static void test_overload_and_bare(void)
{
	struct notion *n = client(NULL, 4, 5000, NULL);
	struct notion_error e;
	cJSON *body = cJSON_Parse("{\"parent\":{}}"), *out = NULL;
	double t0 = now_s();

	CHECKF(get(n, "/overload", &e) == 0 && e.attempts == 2,
	       "529: rc kind %d attempts %u", e.kind, e.attempts);
	CHECKF(now_s() - t0 >= 0.95, "529 retried after %.3f s", now_s() - t0);
	CHECK(srv_hits(&srv, "/overload") == 2);
	/* without the header: a backoff, then the retry */
	CHECK(get(n, "/overload-bare", &e) == 0 && e.attempts == 2);
	CHECK(get(n, "/rate-bare", &e) == 0 && e.attempts == 2);
	CHECK(srv_hits(&srv, "/overload-bare") == 2 && srv_hits(&srv, "/rate-bare") == 2);
	CHECK(log_count(" warning: ", "GET /overload-bare", "no Retry-After") == 1);
	CHECK(log_count(" warning: ", "GET /rate-bare", "no Retry-After") == 1);
	/* a request that creates is retried too: Notion did not act */
	t0 = now_s();
	CHECK(notion_request_ex(n, "POST", "/overload-create", body, &out, &e,
				NOTION_RETRY_UNSENT) == 0 && out && e.attempts == 2);
	CHECKF(now_s() - t0 >= 0.95, "529 of a create retried after %.3f s", now_s() - t0);
	CHECK(srv_hits(&srv, "/overload-create") == 2);
	CHECK(log_count(" warning: ", "POST /overload-create", "529 service_overload") == 1);
	cJSON_Delete(out);
	cJSON_Delete(body);
	notion_free(n);
}

struct burst_arg {
	struct notion *n;
	int rc;
};

static void *burst_get(void *arg)
{
	struct burst_arg *b = arg;
	struct notion_error e;

	b->rc = get(b->n, "/rate-burst", &e);
	return NULL;
}

/* rate_limit_reason: logged at warning level with the method and path, once
 * per pause (not once per request of a burst hitting it), and kept in the
 * error of a call that gives up. */
static void test_rate_reason(void)
{
	struct notion_limiter *lim = NULL;
	struct burst_arg b[3];
	pthread_t th[3];
	struct notion *n = client(NULL, 4, 5000, NULL);
	struct notion *one = client(NULL, 1, 5000, NULL);
	struct notion_error e;
	char d[700];
	int i;

	CHECK(get(n, "/rate-reason", &e) == 0 && e.attempts == 2);
	CHECKF(log_count(" warning: ", "GET /rate-reason:", "rate_limit_reason workspace_rate_limit") == 1,
	       "%d warning lines for one pause",
	       log_count(" warning: ", "GET /rate-reason:", NULL));
	CHECK(get(one, "/rate-reason-always", &e) == -EAGAIN && e.kind == NOTION_ERR_RATE);
	CHECK_STR(e.rate_limit_reason, "workspace_rate_limit");
	CHECK_STR(e.request_id, "4f1c2a9e-rid");
	CHECK_STR(e.additional_data, "{\"rate_limit_reason\":\"workspace_rate_limit\"}");
	notion_error_describe(&e, d, sizeof(d));
	CHECKF(strstr(d, "rate_limited") && strstr(d, "You have been rate limited.") &&
	       strstr(d, "workspace_rate_limit"), "described as '%s'", d);
	notion_free(one);

	/* three clients on one limiter, their requests under way together,
	 * hit the same pause: one line */
	CHECK(notion_limiter_new(100, 100, &lim) == 0);
	for (i = 0; i < 3; i++) {
		b[i].n = client(NULL, 4, 5000, lim);
		b[i].rc = -1;
	}
	for (i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, burst_get, &b[i]);
	for (i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		CHECK(b[i].rc == 0);
		notion_free(b[i].n);
	}
	CHECK(srv_hits(&srv, "/rate-burst") == 6);
	CHECKF(log_count(" warning: ", "GET /rate-burst:", NULL) == 1,
	       "%d warning lines for the pause of a burst",
	       log_count(" warning: ", "GET /rate-burst:", NULL));
	notion_limiter_free(lim);

	/* the error objects of the current API keep additional_data */
	CHECK(get(n, "/multi-source", &e) == -EINVAL && e.kind == NOTION_ERR_VALIDATION &&
	      e.http_status == 400 && strcmp(e.code, "validation_error") == 0);
	CHECK_STR(e.error_type, "multiple_data_sources_for_database");
	CHECK(strstr(e.additional_data, "\"child_data_source_ids\":[\"a\",\"b\"]") != NULL);
	notion_error_describe(&e, d, sizeof(d));
	CHECKF(strstr(d, "validation_error") &&
	       strstr(d, "Databases with multiple data sources are not supported") &&
	       strstr(d, "multiple_data_sources_for_database"), "described as '%s'", d);
	notion_free(n);
}

static int count_cb(cJSON *item, void *arg)
{
	struct buf *ids = arg;

	buf_printf(ids, "%s,", cJSON_GetStringValue(cJSON_GetObjectItem(item, "id")));
	return 0;
}

static int stop_cb(cJSON *item, void *arg)
{
	(void)item;
	return ++*(int *)arg == 2 ? 42 : 0;
}

/* The id of element I of ARR. */
static const char *id_at(const cJSON *arr, int i)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, i), "id"));
}

static void test_helpers(void)
{
	struct notion *n = client(NULL, 2, 5000, NULL);
	struct buf ids = BUF_INIT;
	struct notion_error last;
	cJSON *arr = NULL, *kids;
	int stops = 0;

	CHECK(notion_search_data_sources(n, 0, count_cb, &ids) == 0);
	CHECKF(strcmp(buf_str(&ids), "d1,d2,d3,") == 0, "search gave %s", buf_str(&ids));
	CHECK(notion_search_data_sources(n, 1, stop_cb, &stops) == 42 && stops == 2);
	buf_reset(&ids);
	CHECK(notion_query_data_source(n, "db1", "2024-05-04T14:07:00.000Z", count_cb, &ids) == 0);
	CHECK(strcmp(buf_str(&ids), "p1,") == 0);
	CHECK(notion_query_data_source(n, "db1", NULL, count_cb, &ids) == -EINVAL);
	buf_reset(&ids);
	CHECK(notion_list_users(n, count_cb, &ids) == 0 && strcmp(buf_str(&ids), "u1,u2,") == 0);

	CHECK(notion_get_block_children_tree(n, "root", &arr) == 0);
	CHECK(cJSON_GetArraySize(arr) == 3);
	CHECK(strcmp(id_at(arr, 0), ID_B1) == 0 && strcmp(id_at(arr, 2), ID_B3) == 0);
	kids = cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 0), "children");
	CHECK(cJSON_GetArraySize(kids) == 1 && strcmp(id_at(kids, 0), "b1a") == 0);
	CHECK(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 1), "children") == NULL);
	kids = cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 2), "children");
	kids = cJSON_GetObjectItem(cJSON_GetArrayItem(kids, 0), "children");
	CHECK(cJSON_GetArraySize(kids) == 1 && strcmp(id_at(kids, 0), "b3a1") == 0);
	CHECK(srv_hits(&srv, "/v1/blocks/" ID_B2 "/children") == 0);
	cJSON_Delete(arr);

	CHECK(notion_get_property_items(n, "p1", "%3EiE%3E", &arr) == 0);
	CHECK(cJSON_GetArraySize(arr) == 2);
	cJSON_Delete(arr);
	CHECK(notion_get_property_items(n, "p1", "num", &arr) == 0);
	CHECK(cJSON_GetArraySize(arr) == 1);
	cJSON_Delete(arr);
	/* a server repeating its cursor is a protocol error, not a loop */
	CHECK(notion_get_property_items(n, "loop", "x", &arr) == -EPROTO && !arr);
	notion_last_error(n, &last);
	CHECK(last.kind == NOTION_ERR_PROTOCOL);
	CHECK(notion_get_page(n, "missing", &arr) == -ENOENT && !arr);
	notion_last_error(n, &last);
	CHECK(last.kind == NOTION_ERR_NOT_FOUND);
	buf_release(&ids);
	notion_free(n);
}

/* The read-ahead clients of test_read_ahead(): one client, lent once at a
 * time, or none. */
struct lender {
	struct notion *c;	/* NULL: never free */
	int taken, given, out;
};

static struct notion *lender_take(void *arg, void **token)
{
	struct lender *l = arg;

	if (!l->c || l->out)
		return NULL;
	l->taken++;
	l->out = 1;
	*token = l;
	return l->c;
}

static void lender_give(void *arg, void *token)
{
	struct lender *l = arg;

	CHECK(token == l && l->out);
	l->given++;
	l->out = 0;
}

/* Walks like count_cb; on the first item it waits (at most 10 s) until the
 * next page was asked for, and records whether it was. */
struct overlap {
	struct buf ids;
	int before, items, next_sent_meanwhile;
};

static int overlap_cb(cJSON *item, void *arg)
{
	struct overlap *o = arg;
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	int i;

	if (o->items++ == 0) {
		for (i = 0; i < 1000 && srv_hits(&srv, "/v1/search") < o->before + 2; i++)
			nanosleep(&tick, NULL);
		o->next_sent_meanwhile = srv_hits(&srv, "/v1/search") >= o->before + 2;
	}
	return count_cb(item, &o->ids);
}

/* notion_search_ahead / notion_query_data_source_ahead: the next page is
 * asked for while the callback walks the current one; same items, same
 * order, same result as without; a failed page read ahead fails the walk
 * with its error as the walk client's; a stopped walk drops it; no free
 * client is a walk without reading ahead. */
static void test_read_ahead(void)
{
	struct notion *n = client(NULL, 2, 5000, NULL);
	struct lender l = { .c = client(NULL, 2, 5000, NULL) };
	struct notion_ahead ahead = { lender_take, lender_give, &l };
	struct overlap o = { .ids = BUF_INIT, .before = srv_hits(&srv, "/v1/search") };
	struct buf ids = BUF_INIT;
	struct notion_error last;
	int stops = 0, before;

	CHECK(notion_search_ahead(n, &ahead, "data_source", 0, overlap_cb, &o) == 0);
	CHECKF(strcmp(buf_str(&o.ids), "d1,d2,d3,") == 0, "search gave %s", buf_str(&o.ids));
	CHECK(o.next_sent_meanwhile);
	CHECKF(l.taken == 1 && l.given == 1 && !l.out, "taken %d given %d", l.taken, l.given);
	CHECK(srv_hits(&srv, "/v1/search") == o.before + 2);
	notion_last_error(n, &last);
	CHECK(last.kind == NOTION_OK);

	/* a callback that stops on the first page: its value, the page asked for ahead dropped */
	before = srv_hits(&srv, "/v1/search");
	CHECK(notion_search_ahead(n, &ahead, "data_source", 1, stop_cb, &stops) == 42 && stops == 2);
	CHECK(l.taken == 2 && l.given == 2 && !l.out);
	CHECK(srv_hits(&srv, "/v1/search") == before + 2);

	/* the second page fails: the first was walked, the failure is the walk client's error */
	CHECK(notion_query_data_source_ahead(n, &ahead, "fail2", NULL, count_cb, &ids) == -EINVAL);
	CHECKF(strcmp(buf_str(&ids), "q1,") == 0, "query gave %s", buf_str(&ids));
	CHECK(l.taken == 3 && l.given == 3 && !l.out);
	notion_last_error(n, &last);
	CHECK(last.kind == NOTION_ERR_VALIDATION && last.http_status == 400);
	CHECK(strstr(last.message, "second page refused") != NULL);

	/* no client free: the walk's own client asks for every page */
	notion_free(l.c);
	l.c = NULL;
	buf_reset(&ids);
	CHECK(notion_search_ahead(n, &ahead, "data_source", 0, count_cb, &ids) == 0);
	CHECK(strcmp(buf_str(&ids), "d1,d2,d3,") == 0 && l.taken == 3);
	CHECK(notion_query_data_source_ahead(n, NULL, "db1", "2024-05-04T14:07:00.000Z", count_cb,
					     &ids) == 0);
	CHECK(strcmp(buf_str(&ids), "d1,d2,d3,p1,") == 0);
	buf_release(&ids);
	buf_release(&o.ids);
	notion_free(n);
}

/* Every log line written during the tests is free of the token. */
static void check_log(const char *path)
{
	char line[4096];
	int lines = 0, leaks = 0;
	FILE *f = fopen(path, "r");

	CHECK(f != NULL);
	while (f && fgets(line, sizeof(line), f)) {
		lines++;
		if (strstr(line, TOKEN))
			leaks++;
	}
	if (f)
		fclose(f);
	CHECKF(lines > 0 && leaks == 0, "%d of %d log lines hold the token", leaks, lines);
}

int main(void)
{
	int fd = mkstemp(logpath);

	CHECK(fd >= 0);
	close(fd);
	log_set_level(LOG_LVL_DEBUG);
	CHECK(log_set_file(logpath) == 0);
	if (srv_start(&srv)) {
		perror("server");
		return 1;
	}
	snprintf(base_url, sizeof(base_url), "http://127.0.0.1:%d/", srv.port);
	test_ok_and_keepalive();
	test_retries();
	test_drop_once();
	test_final_errors();
	test_timeout();
	test_transport();
	test_cancel();
	test_shared_limiter();
	test_overload_and_bare();
	test_rate_reason();
	test_helpers();
	test_read_ahead();
	srv_stop(&srv);
	check_log(logpath);
	unlink(logpath);
	return check_done();
}
