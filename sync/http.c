/* http.c - libcurl easy-handle client for one base URL; see http.h.
 *
 * Owns: the CURL easy handle, the header list (holds the token), a private
 * copy of the token used only to scrub error messages, the base URL copy.
 * Invariants: options that never change are set once in http_client_new();
 * per-request options (URL, method, body) are all reset by every
 * http_request() so nothing leaks from one request into the next.  `cur`
 * points at the response being filled only while curl_easy_perform() runs.
 * Token-bearing memory is zeroed before it is freed.
 */
#include "sync/http.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "common/log.h"

#ifndef NOTIONFS_VERSION
#define NOTIONFS_VERSION "dev"
#endif

struct http_client {
	CURL *h;
	struct curl_slist *hdrs;	/* includes "Authorization: Bearer ..." */
	char *base_url;			/* without trailing '/' */
	char *token;			/* for scrubbing messages only */
	const atomic_int *cancel;
	struct http_response *cur;	/* response being filled, or NULL */
	int too_big;			/* body exceeded HTTP_MAX_BODY */
	unsigned long sent;
	unsigned long conns;
	char errbuf[CURL_ERROR_SIZE];
};

static pthread_once_t http_once = PTHREAD_ONCE_INIT;
static CURLcode http_init_rc = CURLE_FAILED_INIT;

/* pthread_once body: records curl_global_init()'s result.  No return. */
static void http_do_global_init(void)
{
	http_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int http_global_init(void)
{
	pthread_once(&http_once, http_do_global_init);
	return http_init_rc == CURLE_OK ? 0 : -EIO;
}

const char *http_err_name(enum http_err e)
{
	switch (e) {
	case HTTP_ERR_NONE: return "ok";
	case HTTP_ERR_TIMEOUT: return "timeout";
	case HTTP_ERR_CONNECT: return "connection refused";
	case HTTP_ERR_RESET: return "connection reset";
	case HTTP_ERR_DNS: return "name resolution failed";
	case HTTP_ERR_TLS: return "TLS failure";
	case HTTP_ERR_CANCELLED: return "cancelled";
	case HTTP_ERR_OTHER: break;
	}
	return "transport error";
}

/* True when S contains a CR or LF (header injection guard). */
static int http_has_crlf(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

/* Overwrites every occurrence of the token in MSG with '*'.  No return. */
static void http_scrub(const struct http_client *c, char *msg)
{
	size_t tl = c->token ? strlen(c->token) : 0;
	char *p;

	if (!tl)
		return;
	while ((p = strstr(msg, c->token)) != NULL)
		memset(p, '*', tl);
}

/* Zeroes then frees a heap string; NULL is a no-op. */
static void http_free_secret(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/* Frees a header list after zeroing every entry (one carries the token). */
static void http_free_headers(struct curl_slist *l)
{
	struct curl_slist *p;

	for (p = l; p; p = p->next)
		if (p->data)
			explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

/* libcurl write callback: appends to the current response body.  Returns
 * the bytes taken; 0 (aborts the transfer) past HTTP_MAX_BODY or on ENOMEM. */
static size_t http_on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct http_client *c = ud;
	size_t n = size * nmemb;

	if (!c->cur)
		return n;
	if (c->cur->body.len + n > HTTP_MAX_BODY) {
		c->too_big = 1;
		return 0;
	}
	if (buf_append(&c->cur->body, ptr, n))
		return 0;
	return n;
}

/* Parses a Retry-After value without trailing whitespace (delta-seconds,
 * possibly decimal, or an HTTP-date).  Returns seconds >= 0, or -1 when
 * unparseable. */
static double http_parse_retry_after(const char *v)
{
	char *end;
	double d;
	time_t when;

	while (*v == ' ' || *v == '\t')
		v++;
	if (isdigit((unsigned char)*v)) {
		d = strtod(v, &end);
		if (*end == '\0' && isfinite(d) && d >= 0)
			return d;
		return -1;
	}
	when = curl_getdate(v, NULL);
	if (when == (time_t)-1)
		return -1;
	d = difftime(when, time(NULL));
	return d > 0 ? d : 0;
}

/* libcurl header callback: notes Retry-After into the current response.
 * Returns the bytes seen (always all of them). */
static size_t http_on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
	static const char name[] = "retry-after:";
	struct http_client *c = ud;
	size_t n = size * nmemb;
	char val[128];
	size_t vl;

	if (!c->cur)
		return n;
	if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
		/* a new response (e.g. after 100 Continue) starts over */
		c->cur->retry_after = -1;
		return n;
	}
	if (n <= sizeof(name) - 1 || strncasecmp(ptr, name, sizeof(name) - 1))
		return n;
	vl = n - (sizeof(name) - 1);
	if (vl >= sizeof(val))
		return n;
	memcpy(val, ptr + sizeof(name) - 1, vl);
	while (vl && (val[vl - 1] == '\r' || val[vl - 1] == '\n' ||
		      val[vl - 1] == ' ' || val[vl - 1] == '\t'))
		vl--;
	val[vl] = '\0';
	c->cur->retry_after = http_parse_retry_after(val);
	return n;
}

/* libcurl progress callback: returns 1 (abort) once the cancel flag is
 * raised, else 0. */
static int http_on_progress(void *ud, curl_off_t dt, curl_off_t dn,
			    curl_off_t ut, curl_off_t un)
{
	struct http_client *c = ud;

	(void)dt; (void)dn; (void)ut; (void)un;
	return c->cancel && atomic_load(c->cancel) ? 1 : 0;
}

/* Builds the fixed header list into *OUT.  Returns 0, -ENOMEM. */
static int http_build_headers(const struct http_config *cfg,
			      struct curl_slist **out)
{
	static const char *const fixed[] = {
		("Notion-Version: " HTTP_NOTION_VERSION),
		"Content-Type: application/json",
		"Accept: application/json",
		"Expect:",	/* no 100-continue round trip */
	};
	struct buf auth = BUF_INIT;
	struct curl_slist *l = NULL, *t;
	size_t i;
	int rc = -ENOMEM;

	if (buf_printf(&auth, "Authorization: Bearer %s", cfg->token))
		goto out;
	t = curl_slist_append(l, auth.data);
	if (!t)
		goto out;
	l = t;
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		t = curl_slist_append(l, fixed[i]);
		if (!t)
			goto out;
		l = t;
	}
	*out = l;
	l = NULL;
	rc = 0;
out:
	if (auth.data)
		explicit_bzero(auth.data, auth.cap);
	buf_release(&auth);
	http_free_headers(l);
	return rc;
}

/* Sets the options that hold for every request.  Returns 0 or -EIO. */
static int http_setup_handle(struct http_client *c,
			     const struct http_config *cfg)
{
	long cto = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms
					       : HTTP_DEFAULT_CONNECT_TIMEOUT_MS;
	long to = cfg->timeout_ms > 0 ? cfg->timeout_ms : HTTP_DEFAULT_TIMEOUT_MS;
	const char *ua = cfg->user_agent ? cfg->user_agent
					 : "notionfs/" NOTIONFS_VERSION;
	CURL *h = c->h;
	CURLcode e = CURLE_OK;

#define HTTP_SET(opt, val) do { if (e == CURLE_OK) e = curl_easy_setopt(h, opt, val); } while (0)
	HTTP_SET(CURLOPT_VERBOSE, 0L);
	HTTP_SET(CURLOPT_NOSIGNAL, 1L);
	HTTP_SET(CURLOPT_FOLLOWLOCATION, 0L);
	HTTP_SET(CURLOPT_SSL_VERIFYPEER, 1L);
	HTTP_SET(CURLOPT_SSL_VERIFYHOST, 2L);
	HTTP_SET(CURLOPT_PROTOCOLS_STR, "http,https");
	HTTP_SET(CURLOPT_CONNECTTIMEOUT_MS, cto);
	HTTP_SET(CURLOPT_TIMEOUT_MS, to);
	HTTP_SET(CURLOPT_TCP_KEEPALIVE, 1L);
	HTTP_SET(CURLOPT_ACCEPT_ENCODING, "");
	HTTP_SET(CURLOPT_USERAGENT, ua);
	HTTP_SET(CURLOPT_HTTPHEADER, c->hdrs);
	HTTP_SET(CURLOPT_WRITEFUNCTION, http_on_body);
	HTTP_SET(CURLOPT_WRITEDATA, c);
	HTTP_SET(CURLOPT_HEADERFUNCTION, http_on_header);
	HTTP_SET(CURLOPT_HEADERDATA, c);
	HTTP_SET(CURLOPT_ERRORBUFFER, c->errbuf);
	if (c->cancel) {
		HTTP_SET(CURLOPT_XFERINFOFUNCTION, http_on_progress);
		HTTP_SET(CURLOPT_XFERINFODATA, c);
		HTTP_SET(CURLOPT_NOPROGRESS, 0L);
	}
#undef HTTP_SET
	return e == CURLE_OK ? 0 : -EIO;
}

/* Copies BASE without its trailing slashes into *OUT.  0 or -ENOMEM. */
static int http_copy_base(const char *base, char **out)
{
	size_t n = strlen(base);

	while (n && base[n - 1] == '/')
		n--;
	*out = strndup(base, n);
	return *out ? 0 : -ENOMEM;
}

int http_client_new(const struct http_config *cfg, struct http_client **out)
{
	struct http_client *c = NULL;
	int rc;

	*out = NULL;
	if (!cfg || !cfg->base_url || !*cfg->base_url || !cfg->token ||
	    !*cfg->token || http_has_crlf(cfg->token) ||
	    http_has_crlf(cfg->base_url) ||
	    (cfg->user_agent && http_has_crlf(cfg->user_agent)))
		return -EINVAL;
	rc = http_global_init();
	if (rc)
		return rc;
	rc = -ENOMEM;
	c = calloc(1, sizeof(*c));
	if (!c)
		goto out;
	c->cancel = cfg->cancel;
	if (http_copy_base(cfg->base_url, &c->base_url))
		goto out;
	c->token = strdup(cfg->token);
	if (!c->token)
		goto out;
	rc = http_build_headers(cfg, &c->hdrs);
	if (rc)
		goto out;
	rc = -EIO;
	c->h = curl_easy_init();
	if (!c->h)
		goto out;
	rc = http_setup_handle(c, cfg);
	if (rc)
		goto out;
	*out = c;
	c = NULL;
out:
	http_client_free(c);
	return rc;
}

void http_client_free(struct http_client *c)
{
	if (!c)
		return;
	if (c->h)
		curl_easy_cleanup(c->h);
	http_free_headers(c->hdrs);
	http_free_secret(c->token);
	free(c->base_url);
	free(c);
}

void http_response_release(struct http_response *resp)
{
	buf_release(&resp->body);
	resp->status = 0;
	resp->retry_after = -1;
}

unsigned long http_requests_sent(const struct http_client *c)
{
	return c->sent;
}

unsigned long http_connections_opened(const struct http_client *c)
{
	return c->conns;
}

/* Maps a libcurl result to the transport error kinds. */
static enum http_err http_classify(CURLcode e)
{
	switch (e) {
	case CURLE_OK:
		return HTTP_ERR_NONE;
	case CURLE_OPERATION_TIMEDOUT:
		return HTTP_ERR_TIMEOUT;
	case CURLE_COULDNT_CONNECT:
		return HTTP_ERR_CONNECT;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return HTTP_ERR_DNS;
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return HTTP_ERR_RESET;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_USE_SSL_FAILED:
		return HTTP_ERR_TLS;
	case CURLE_ABORTED_BY_CALLBACK:
		return HTTP_ERR_CANCELLED;
	default:
		return HTTP_ERR_OTHER;
	}
}

/* Sets method and body options for one request.  Returns 0 or -EIO. */
static int http_set_method(CURL *h, const char *method, const char *body,
			   size_t body_len)
{
	CURLcode e;

	if (strcmp(method, "GET") == 0 && !body) {
		e = curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
		if (e == CURLE_OK)
			e = curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, (char *)NULL);
		return e == CURLE_OK ? 0 : -EIO;
	}
	e = curl_easy_setopt(h, CURLOPT_POST, 1L);
	if (e == CURLE_OK)
		e = curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
				     (curl_off_t)(body ? body_len : 0));
	if (e == CURLE_OK)
		e = curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
	if (e == CURLE_OK)
		e = curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST,
				     strcmp(method, "POST") ? method : NULL);
	return e == CURLE_OK ? 0 : -EIO;
}

/* Fills ERR/ERRMSG for transport failure E of METHOD PATH (scrubbed). */
static void http_report(struct http_client *c, CURLcode e, const char *method,
			const char *path, enum http_err *err, char *errmsg,
			size_t errlen)
{
	enum http_err kind = http_classify(e);

	if (kind == HTTP_ERR_OTHER && c->too_big)
		snprintf(c->errbuf, sizeof(c->errbuf),
			 "answer larger than %u bytes", HTTP_MAX_BODY);
	if (err)
		*err = kind;
	if (errmsg && errlen) {
		snprintf(errmsg, errlen, "%s: %s (%s %s)", http_err_name(kind),
			 c->errbuf[0] ? c->errbuf : curl_easy_strerror(e),
			 method, path);
		http_scrub(c, errmsg);
	}
}

int http_request(struct http_client *c, const char *method, const char *path,
		 const char *body, size_t body_len, struct http_response *resp,
		 enum http_err *err, char *errmsg, size_t errlen)
{
	return http_request_ex(c, method, path, body, body_len, resp, err, errmsg, errlen, 0);
}

int http_request_ex(struct http_client *c, const char *method, const char *path,
		    const char *body, size_t body_len, struct http_response *resp,
		    enum http_err *err, char *errmsg, size_t errlen, unsigned flags)
{
	struct buf url = BUF_INIT;
	CURLcode e;
	long conns = 0;
	int rc;

	if (err)
		*err = HTTP_ERR_NONE;
	if (errmsg && errlen)
		errmsg[0] = '\0';
	if (!c || !method || !path || path[0] != '/' || !resp ||
	    http_has_crlf(method) || http_has_crlf(path))
		return -EINVAL;
	buf_reset(&resp->body);
	resp->status = 0;
	resp->retry_after = -1;
	rc = buf_printf(&url, "%s%s", c->base_url, path);
	if (rc)
		goto out;
	rc = -EIO;
	/* libcurl sends a request again by itself when a reused connection
	 * turns out closed before any answer: a fresh connection is the only
	 * way to rule that out for a request that must go once */
	if (curl_easy_setopt(c->h, CURLOPT_URL, url.data) != CURLE_OK ||
	    curl_easy_setopt(c->h, CURLOPT_FRESH_CONNECT,
			     (flags & HTTP_SEND_ONCE) ? 1L : 0L) != CURLE_OK ||
	    http_set_method(c->h, method, body, body_len))
		goto out;
	c->errbuf[0] = '\0';
	c->too_big = 0;
	c->cur = resp;
	c->sent++;
	e = curl_easy_perform(c->h);
	c->cur = NULL;
	if (curl_easy_getinfo(c->h, CURLINFO_NUM_CONNECTS, &conns) == CURLE_OK &&
	    conns > 0)
		c->conns += (unsigned long)conns;
	if (e != CURLE_OK) {
		http_report(c, e, method, path, err, errmsg, errlen);
		log_debug("http: %s %s failed: %s", method, path,
			  http_err_name(http_classify(e)));
		buf_reset(&resp->body);
		goto out;
	}
	if (curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &resp->status) !=
	    CURLE_OK)
		goto out;
	rc = 0;
out:
	buf_release(&url);
	return rc;
}
