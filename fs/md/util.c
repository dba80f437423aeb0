/* util.c - small string, UTF-8 and cJSON helpers for the Markdown converter.
 *
 * Owns no state.  Every helper documents its return value; allocated results belong to the
 * caller.  Helpers that add to cJSON containers take ownership of the added item even on
 * failure, so callers never leak on the error path.
 */
#include "fs/md/mdconv_int.h"

#include "common/utf8.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mdconv_jadd(cJSON *obj, const char *key, cJSON *item)
{
	if (!item)
		return -ENOMEM;
	if (!cJSON_AddItemToObject(obj, key, item)) {
		cJSON_Delete(item);
		return -ENOMEM;
	}
	return 0;
}

int mdconv_jpush(cJSON *arr, cJSON *item)
{
	if (!item)
		return -ENOMEM;
	if (!cJSON_AddItemToArray(arr, item)) {
		cJSON_Delete(item);
		return -ENOMEM;
	}
	return 0;
}

int mdconv_jadd_str(cJSON *obj, const char *key, const char *val)
{
	return mdconv_jadd(obj, key, cJSON_CreateString(val));
}

int mdconv_jadd_bool(cJSON *obj, const char *key, bool val)
{
	return mdconv_jadd(obj, key, cJSON_CreateBool(val));
}

/* The checker is common/utf8.c's; these wrappers keep the converter's names. */
size_t mdconv_utf8_invalid_at(const char *s, size_t len)
{
	return utf8_invalid_at(s, len);
}

uint32_t mdconv_utf8_decode(const char *s, size_t len, size_t *n)
{
	uint32_t cp = 0;

	*n = utf8_seq(s, len, &cp);
	if (!*n) {
		*n = 1;
		return 0xfffd;
	}
	return cp;
}

int mdconv_utf8_put(struct buf *b, uint32_t cp)
{
	char t[4];

	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	if (cp < 0x80)
		return buf_putc(b, (char)cp);
	if (cp < 0x800) {
		t[0] = (char)(0xc0 | (cp >> 6));
		t[1] = (char)(0x80 | (cp & 0x3f));
		return buf_append(b, t, 2);
	}
	if (cp < 0x10000) {
		t[0] = (char)(0xe0 | (cp >> 12));
		t[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		t[2] = (char)(0x80 | (cp & 0x3f));
		return buf_append(b, t, 3);
	}
	t[0] = (char)(0xf0 | (cp >> 18));
	t[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	t[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	t[3] = (char)(0x80 | (cp & 0x3f));
	return buf_append(b, t, 4);
}

size_t mdconv_utf16_len(const char *s, size_t len)
{
	size_t off = 0, units = 0, n;

	while (off < len) {
		units += mdconv_utf8_decode(s + off, len - off, &n) >= 0x10000 ? 2 : 1;
		off += n;
	}
	return units;
}

size_t mdconv_utf16_prefix(const char *s, size_t len, size_t units)
{
	size_t off = 0, used = 0, n, w;

	while (off < len) {
		w = mdconv_utf8_decode(s + off, len - off, &n) >= 0x10000 ? 2 : 1;
		if (used + w > units)
			break;
		used += w;
		off += n;
	}
	return off;
}

size_t mdconv_line_of(const char *s, size_t len, size_t off)
{
	/* The builder asks in document order: resume from the last answer for
	 * the same text, so numbering a whole page stays linear. */
	static _Thread_local struct {
		const char *s;
		size_t len, off, line;
	} last;
	size_t line = 1, i = 0;

	if (off > len)
		off = len;
	if (last.s == s && last.len == len && last.off <= off) {
		i = last.off;
		line = last.line;
	}
	for (; i < off; i++)
		if (s[i] == '\n')
			line++;
	last.s = s;
	last.len = len;
	last.off = off;
	last.line = line;
	return line;
}

static bool mdconv_pct_safe(unsigned char c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("._~:/@+,;!*'()-", c) != NULL;
}

int mdconv_pct_encode(struct buf *b, const char *s)
{
	int rc = 0;

	for (; *s && !rc; s++) {
		unsigned char c = (unsigned char)*s;

		if (mdconv_pct_safe(c))
			rc = buf_putc(b, (char)c);
		else
			rc = buf_printf(b, "%%%02X", c);
	}
	return rc;
}

static int mdconv_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *mdconv_pct_decode(const char *s, size_t len)
{
	char *out = malloc(len + 1);
	size_t i, o = 0;

	if (!out)
		return NULL;
	for (i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len && mdconv_hexval(s[i + 1]) >= 0 &&
		    mdconv_hexval(s[i + 2]) >= 0) {
			out[o++] = (char)(mdconv_hexval(s[i + 1]) * 16 + mdconv_hexval(s[i + 2]));
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

char *mdconv_title_get(const char *title, const char *key)
{
	size_t klen = strlen(key);
	const char *p = strchr(title, ' ');

	while (p) {
		const char *end;

		p++;
		end = strchr(p, ' ');
		if (!end)
			end = p + strlen(p);
		if ((size_t)(end - p) > klen && !strncmp(p, key, klen) && p[klen] == '=')
			return mdconv_pct_decode(p + klen + 1, (size_t)(end - p) - klen - 1);
		p = *end ? end : NULL;
	}
	return NULL;
}

bool mdconv_id_ok(const char *id)
{
	size_t n = 0;

	for (; id[n]; n++) {
		char c = id[n];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      c == '-'))
			return false;
	}
	return n > 0 && n <= 64;
}

bool mdconv_type_ok(const char *type)
{
	size_t n = 0;

	for (; type[n]; n++) {
		char c = type[n];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '_'))
			return false;
	}
	return n > 0 && n <= 64;
}

char *mdconv_strndup(const char *s, size_t len)
{
	char *p = malloc(len + 1);

	if (!p)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

int mdconv_fail(char **err, size_t line, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	int rc = 0;

	if (!err)
		return -EINVAL;
	if (line)
		rc = buf_printf(&b, "line %zu: ", line);
	if (!rc) {
		va_start(ap, fmt);
		rc = buf_vprintf(&b, fmt, ap);
		va_end(ap);
	}
	free(*err);
	*err = rc ? NULL : buf_detach(&b, NULL);
	buf_release(&b);
	return -EINVAL;
}
