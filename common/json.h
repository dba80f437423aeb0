/* json.h - the one set of small cJSON accessors shared by every layer.
 *
 * Owns: nothing.  Every pointer returned is borrowed from the cJSON tree it
 * was read from and lives as long as that tree.  A NULL object reads as an
 * empty one, so lookups chain: json_str(json_obj(o, "a"), "b").
 */
#ifndef NFS_JSON_H
#define NFS_JSON_H

#include <cjson/cJSON.h>

/* The string value of KEY in OBJ, or NULL when absent or not a string. */
const char *json_str(const cJSON *obj, const char *key);
/* The string value of KEY in OBJ, or DFLT when absent or not a string. */
const char *json_str_or(const cJSON *obj, const char *key, const char *dflt);
/* The object at KEY in OBJ, or NULL when absent or not an object. */
const cJSON *json_obj(const cJSON *obj, const char *key);
/* The array at KEY in OBJ, or NULL when absent or not an array. */
const cJSON *json_arr(const cJSON *obj, const char *key);
/* 1 when KEY in OBJ is the JSON literal true, else 0. */
int json_true(const cJSON *obj, const char *key);

#endif
