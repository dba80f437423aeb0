/* test_common.h - the fixture loader shared by the mdconv unit tests.
 *
 * Owns: the loaded fixture lists.  The checks are common/check.h's.
 * Fixture block lists are the bodies of block-list answers (GET .../children and the answers
 * to appends) and every single block answer (GET/PATCH /v1/blocks/ID, as a list of one) found
 * in every /work/shared/notion-fixtures style file, of every Notion-Version; children are
 * attached from the GET .../children answers of the same file, as the sync code does.  The
 * caller frees the array returned by test_load_fixtures() / test_load_fixture_dirs() with
 * cJSON_Delete().
 */
#ifndef NFS_MDCONV_TEST_COMMON_H
#define NFS_MDCONV_TEST_COMMON_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "common/check.h"

/* The results of "GET /v1/blocks/<id>/children..." in the file, or NULL. */
static inline const cJSON *test_children_of(const cJSON *interactions, const char *id)
{
	const cJSON *it;
	char want[128];

	snprintf(want, sizeof(want), "/v1/blocks/%s/children", id);
	cJSON_ArrayForEach(it, interactions) {
		const cJSON *m = cJSON_GetObjectItem(it, "method"), *p = cJSON_GetObjectItem(it, "path");
		const cJSON *body = cJSON_GetObjectItem(it, "body");

		if (cJSON_IsString(m) && !strcmp(m->valuestring, "GET") && cJSON_IsString(p) &&
		    !strncmp(p->valuestring, want, strlen(want)) &&
		    cJSON_IsArray(cJSON_GetObjectItem(body, "results")))
			return cJSON_GetObjectItem(body, "results");
	}
	return NULL;
}

/* The id of the original a synced block reference shows (synced_from.block_id), or NULL. */
static inline const char *test_synced_from(const cJSON *b)
{
	const cJSON *from = cJSON_GetObjectItem(cJSON_GetObjectItem(b, "synced_block"),
						"synced_from");
	const cJSON *id = cJSON_GetObjectItem(from, "block_id");

	return cJSON_IsString(id) ? id->valuestring : NULL;
}

/* Attaches "children" to every block with has_children, from the file's answers.  A synced
 * block reference whose own listing the file lacks gets its original's (what Notion answers
 * to GET children of the reference). */
static inline void test_attach(cJSON *blocks, const cJSON *interactions, int depth)
{
	cJSON *b;

	if (depth > 8)
		return;
	cJSON_ArrayForEach(b, blocks) {
		const cJSON *id = cJSON_GetObjectItem(b, "id");
		const cJSON *kids;

		if (!cJSON_IsTrue(cJSON_GetObjectItem(b, "has_children")) || !cJSON_IsString(id))
			continue;
		kids = test_children_of(interactions, id->valuestring);
		if (!kids && test_synced_from(b))
			kids = test_children_of(interactions, test_synced_from(b));
		if (kids && cJSON_GetArraySize(kids) > 0) {
			cJSON *copy = cJSON_Duplicate(kids, 1);

			test_attach(copy, interactions, depth + 1);
			cJSON_AddItemToObject(b, "children", copy);
		}
	}
}

/* Returns an array of {"name": "...", "blocks": [...]} for every non-empty block list in the
 * fixture directory, or NULL if the directory cannot be read. */
static inline cJSON *test_load_fixtures(const char *dir)
{
	cJSON *all = cJSON_CreateArray();
	struct dirent **names;
	int n, i;

	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		cJSON_Delete(all);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		char path[4096], label[4400];
		char *text;
		cJSON *doc;
		const cJSON *it, *inter;
		int k = 0;

		if (!strstr(names[i]->d_name, ".json")) {
			free(names[i]);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		text = check_read_file(path, NULL);
		doc = text ? cJSON_Parse(text) : NULL;
		free(text);
		inter = cJSON_GetObjectItem(doc, "interactions");
		cJSON_ArrayForEach(it, inter) {
			const cJSON *body = cJSON_GetObjectItem(it, "body");
			const cJSON *obj = cJSON_GetObjectItem(body, "object");
			const cJSON *type = cJSON_GetObjectItem(body, "type");
			const cJSON *res = cJSON_GetObjectItem(body, "results");
			cJSON *entry, *copy;

			k++;
			if (cJSON_IsString(obj) && !strcmp(obj->valuestring, "block") &&
			    cJSON_IsString(type)) {
				/* a single block answer: a list of one */
				copy = cJSON_CreateArray();
				cJSON_AddItemToArray(copy, cJSON_Duplicate(body, 1));
			} else if (!cJSON_IsString(obj) || strcmp(obj->valuestring, "list") ||
				   !cJSON_IsString(type) || strcmp(type->valuestring, "block") ||
				   !cJSON_IsArray(res) || cJSON_GetArraySize(res) == 0) {
				continue;
			} else {
				copy = cJSON_Duplicate(res, 1);
			}
			test_attach(copy, inter, 0);
			entry = cJSON_CreateObject();
			snprintf(label, sizeof(label), "%s#%d", names[i]->d_name, k);
			cJSON_AddStringToObject(entry, "name", label);
			cJSON_AddItemToObject(entry, "blocks", copy);
			cJSON_AddItemToArray(all, entry);
		}
		cJSON_Delete(doc);
		free(names[i]);
	}
	free(names);
	return all;
}

/* The fixture lists of every directory in dirs (a ':'-separated list), in that order; a
 * directory that does not exist is skipped with a line saying so (only the groups that read
 * it skip).  Returns NULL when none of them exists. */
static inline cJSON *test_load_fixture_dirs(const char *dirs)
{
	cJSON *all = NULL;
	const char *s = dirs;

	while (s && *s) {
		const char *end = strchr(s, ':');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		char dir[2048];
		struct stat st;
		cJSON *one, *e;

		snprintf(dir, sizeof(dir), "%.*s", (int)len, s);
		s = end ? end + 1 : NULL;
		if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
			printf("fixtures %s missing: their group skipped\n", dir);
			continue;
		}
		one = test_load_fixtures(dir);
		if (!one)
			continue;
		if (!all) {
			all = one;
			continue;
		}
		while ((e = cJSON_DetachItemFromArray(one, 0)) != NULL)
			cJSON_AddItemToArray(all, e);
		cJSON_Delete(one);
	}
	return all;
}

/* The blocks of the fixture list entry named name ("FILE#N"), or NULL (borrowed from all). */
static inline const cJSON *test_fixture_named(const cJSON *all, const char *name)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, all) {
		const cJSON *n = cJSON_GetObjectItem(e, "name");

		if (cJSON_IsString(n) && !strcmp(n->valuestring, name))
			return cJSON_GetObjectItem(e, "blocks");
	}
	return NULL;
}

/* true if the fixture directory exists. */
static inline int test_dir_exists(const char *dir)
{
	struct stat st;

	return dir && stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

#endif
