/* utf8.c - UTF-8 checking and sanitising (rules in utf8.h). */
#include "common/utf8.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

size_t utf8_seq(const char *str, size_t len, uint32_t *cpo)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t k, i;
	uint32_t cp;

	if (!len)
		return 0;
	if (s[0] < 0x80)
		k = 1;
	else if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4;
	else
		return 0;
	if (k > len)
		return 0;
	cp = k == 1 ? s[0] : s[0] & (0x7fu >> k);
	for (i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	if (cpo)
		*cpo = cp;
	return k;
}

size_t utf8_invalid_at(const char *s, size_t len)
{
	size_t off = 0, n;

	while (off < len) {
		if ((unsigned char)s[off] < 0x80) {
			off++;
			continue;
		}
		n = utf8_seq(s + off, len - off, NULL);
		if (!n)
			return off;
		off += n;
	}
	return len;
}

int utf8_sanitize_append(struct buf *out, const char *s, size_t len)
{
	size_t off = 0, bad;
	int rc = 0;

	while (!rc && off < len) {
		bad = off + utf8_invalid_at(s + off, len - off);
		if (bad > off)
			rc = buf_append(out, s + off, bad - off);
		if (!rc && bad < len)
			rc = buf_puts(out, UTF8_REPLACEMENT);
		off = bad + 1;
	}
	return rc;
}

char *utf8_sanitize_dup(const char *s)
{
	struct buf b = BUF_INIT;
	char *r;

	if (utf8_sanitize_append(&b, s, strlen(s))) {
		buf_release(&b);
		return NULL;
	}
	r = buf_detach(&b, NULL);
	return r;
}

static bool utf8_ok(const char *s)
{
	return !s || utf8_invalid_at(s, strlen(s)) == strlen(s);
}

/* true if the node j, and with siblings also every later sibling, and all their subtrees hold
 * well-formed strings and keys only. */
static bool utf8_json_ok(const cJSON *j, bool siblings)
{
	for (; j; j = siblings ? j->next : NULL) {
		if (!utf8_ok(j->string))
			return false;
		if (cJSON_IsString(j) && !utf8_ok(j->valuestring))
			return false;
		if (j->child && !utf8_json_ok(j->child, true))
			return false;
	}
	return true;
}

/* Replaces the owned string *p by its sanitised copy if it is ill-formed.  0 or -ENOMEM. */
static int utf8_fix_str(char **p)
{
	char *s;

	if (utf8_ok(*p))
		return 0;
	s = utf8_sanitize_dup(*p);
	if (!s)
		return -ENOMEM;
	cJSON_free(*p);
	*p = s;
	return 0;
}

/* Sanitises every string of the owned tree j (with siblings when asked) in place. */
static int utf8_json_fix(cJSON *j, bool siblings)
{
	for (; j; j = siblings ? j->next : NULL) {
		if (j->string && !(j->type & cJSON_StringIsConst) && utf8_fix_str(&j->string))
			return -ENOMEM;
		if (cJSON_IsString(j) && !(j->type & cJSON_IsReference) &&
		    utf8_fix_str(&j->valuestring))
			return -ENOMEM;
		if (j->child && utf8_json_fix(j->child, true))
			return -ENOMEM;
	}
	return 0;
}

int utf8_json_sanitized(const cJSON *in, cJSON **copy)
{
	cJSON *c;

	*copy = NULL;
	if (!in || utf8_json_ok(in, false))
		return 0;
	c = cJSON_Duplicate(in, 1);
	if (!c)
		return -ENOMEM;
	if (utf8_json_fix(c, false)) {
		cJSON_Delete(c);
		return -ENOMEM;
	}
	*copy = c;
	return 0;
}
