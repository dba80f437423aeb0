/* fm_types.c - the property-type table and value helpers of the front-matter module.
 *
 * Owns: which API types exist and which are read-only, exact number formatting and
 * parsing, date syntax, UTF-8 validation, rich-text flattening, schema ordering.
 * Nothing here keeps state; every allocation is returned to the caller as documented in
 * fm_internal.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/props/fm_internal.h"

#include "common/utf8.h"

static const struct {
	const char *name;
	enum fm_ptype type;
	bool read_only;
} fm_type_table[] = {
	{ "title", FM_T_TITLE, false },
	{ "rich_text", FM_T_RICH_TEXT, false },
	{ "number", FM_T_NUMBER, false },
	{ "select", FM_T_SELECT, false },
	{ "multi_select", FM_T_MULTI_SELECT, false },
	{ "status", FM_T_STATUS, false },
	{ "date", FM_T_DATE, false },
	{ "people", FM_T_PEOPLE, false },
	{ "files", FM_T_FILES, false },
	{ "checkbox", FM_T_CHECKBOX, false },
	{ "url", FM_T_URL, false },
	{ "email", FM_T_EMAIL, false },
	{ "phone_number", FM_T_PHONE, false },
	{ "relation", FM_T_RELATION, false },
	{ "formula", FM_T_FORMULA, true },
	{ "rollup", FM_T_ROLLUP, true },
	{ "created_time", FM_T_CREATED_TIME, true },
	{ "created_by", FM_T_CREATED_BY, true },
	{ "last_edited_time", FM_T_LAST_EDITED_TIME, true },
	{ "last_edited_by", FM_T_LAST_EDITED_BY, true },
	{ "unique_id", FM_T_UNIQUE_ID, true },
	{ "verification", FM_T_VERIFICATION, true },
	{ "button", FM_T_BUTTON, true },
};

#define FM_NTYPES (sizeof(fm_type_table) / sizeof(fm_type_table[0]))

/* Returns the enum for an API type name; FM_T_UNKNOWN for NULL or unlisted names. */
enum fm_ptype fm_ptype_of(const char *name)
{
	if (!name)
		return FM_T_UNKNOWN;
	for (size_t i = 0; i < FM_NTYPES; i++)
		if (strcmp(fm_type_table[i].name, name) == 0)
			return fm_type_table[i].type;
	return FM_T_UNKNOWN;
}

/* Returns true for computed / unknown types, which the front-matter cannot change. */
bool fm_ptype_read_only(enum fm_ptype t)
{
	for (size_t i = 0; i < FM_NTYPES; i++)
		if (fm_type_table[i].type == t)
			return fm_type_table[i].read_only;
	return true;
}

/* Returns the "type" string of a property (borrowed), or NULL. */
const char *fm_json_type(const cJSON *prop)
{
	return json_str(prop, "type");
}

/* A repeated key (valid JSON, never sent by Notion) counts once: as the first of its name,
 * the one cJSON_GetObjectItem finds, so the rendered YAML has no duplicate key. */
static bool fm_first_of_name(const cJSON *props, const cJSON *it)
{
	return !it->string || cJSON_GetObjectItemCaseSensitive(props, it->string) == it;
}

/* Fills *out with the schema's items (each name once), the title property first.  0 or -ENOMEM. */
int fm_props_ordered(const cJSON *props, const cJSON ***out, size_t *n)
{
	const cJSON *it;
	const cJSON **arr;
	size_t cnt = 0, k = 0;

	*out = NULL;
	*n = 0;
	if (!cJSON_IsObject(props))
		return 0;
	cJSON_ArrayForEach(it, props)
		cnt++;
	if (cnt == 0)
		return 0;
	arr = calloc(cnt, sizeof(*arr));
	if (!arr)
		return -ENOMEM;
	cJSON_ArrayForEach(it, props)
		if (fm_ptype_of(fm_json_type(it)) == FM_T_TITLE && k == 0 &&
		    fm_first_of_name(props, it))
			arr[k++] = it;
	cJSON_ArrayForEach(it, props)
		if ((k == 0 || it != arr[0]) && fm_first_of_name(props, it))
			arr[k++] = it;
	*out = arr;
	*n = k;
	return 0;
}

/* Appends the plain text of every rich-text item (falls back to text.content).  0/-ENOMEM. */
int fm_rich_text_plain(const cJSON *arr, struct buf *out)
{
	const cJSON *it;

	if (!cJSON_IsArray(arr))
		return 0;
	cJSON_ArrayForEach(it, arr) {
		const char *s = json_str(it, "plain_text");

		if (!s)
			s = json_str(cJSON_GetObjectItemCaseSensitive(it, "text"), "content");
		if (s && buf_puts(out, s) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Writes v into dst with no spurious digits ("2", "2.5", "0.1", "1e+300"). */
void fm_format_number(double v, char dst[32])
{
	if (v >= -9007199254740992.0 && v <= 9007199254740992.0 && (double)(long long)v == v) {
		snprintf(dst, 32, "%lld", (long long)v);
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(dst, 32, "%.*g", prec, v);
		if (strtod(dst, NULL) == v)
			return;
	}
}

/* Returns true when the whole of s is a decimal number; sets *v. */
bool fm_parse_number(const char *s, double *v)
{
	const char *p = s;
	size_t digits = 0;
	char *end;

	if (*p == '-' || *p == '+')
		p++;
	for (; *p >= '0' && *p <= '9'; p++)
		digits++;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			digits++;
	if (digits == 0)
		return false;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p)
		return false;
	errno = 0;
	*v = strtod(s, &end);
	return *end == '\0' && errno != ERANGE;
}

/* Reads exactly n digits at *p into *val, advancing *p.  Returns false if not digits. */
static bool fm_digits(const char **p, int n, int *val)
{
	*val = 0;
	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return false;
		*val = *val * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return true;
}

/* Returns true if "YYYY-MM-DD" at *p is a real calendar date; advances *p. */
static bool fm_date_part(const char **p)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d;

	if (!fm_digits(p, 4, &y) || *(*p)++ != '-' || !fm_digits(p, 2, &m) ||
	    *(*p)++ != '-' || !fm_digits(p, 2, &d))
		return false;
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return false;
	return true;
}

/* Returns true if "HH:MM[:SS[.fff]]" at *p is a valid time; advances *p. */
static bool fm_time_part(const char **p)
{
	int h, mi, s;

	if (!fm_digits(p, 2, &h) || *(*p)++ != ':' || !fm_digits(p, 2, &mi))
		return false;
	if (h > 23 || mi > 59)
		return false;
	if (**p == ':') {
		(*p)++;
		if (!fm_digits(p, 2, &s) || s > 60)
			return false;
		if (**p == '.') {
			(*p)++;
			if (**p < '0' || **p > '9')
				return false;
			while (**p >= '0' && **p <= '9')
				(*p)++;
		}
	}
	return true;
}

/* Returns true for "YYYY-MM-DD" and "YYYY-MM-DDTHH:MM[:SS[.f]][Z|+HH:MM|-HH:MM]". */
bool fm_is_date(const char *s)
{
	const char *p = s;
	int oh, om;

	if (!s || !fm_date_part(&p))
		return false;
	if (*p == '\0')
		return true;
	if (*p++ != 'T' || !fm_time_part(&p))
		return false;
	if (*p == 'Z')
		return p[1] == '\0';
	if (*p == '+' || *p == '-') {
		p++;
		if (!fm_digits(&p, 2, &oh) || *p++ != ':' || !fm_digits(&p, 2, &om))
			return false;
		return *p == '\0' && oh <= 14 && om <= 59;
	}
	return *p == '\0';
}

/* Length of the UTF-8 sequence at s (len bytes left) if valid and not NUL, else 0
 * (the checker is common/utf8.c's). */
static size_t fm_utf8_seq(const unsigned char *s, size_t len)
{
	return s[0] == 0 ? 0 : utf8_seq((const char *)s, len, NULL);
}

/* 0 if valid UTF-8 without NUL; else -EINVAL and *bad = offset of the bad byte. */
int fm_utf8_check(const char *s, size_t len, size_t *bad)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		size_t n = fm_utf8_seq(u + i, len - i);

		if (n == 0) {
			*bad = i;
			return -EINVAL;
		}
		i += n;
	}
	return 0;
}

/* Formats a message into *err (malloc'd; NULL on ENOMEM).  Always returns -EINVAL. */
int fm_fail(char **err, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	free(*err);
	*err = msg;
	return -EINVAL;
}
