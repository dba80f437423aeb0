"""The one-way dependency rule of docs/architecture.md, checked on the
sources: fs -> sync -> cache -> common.  A file may include headers of its
own layer and of the layers below it, never above; cache/cache_int.h stays
inside cache/; each meson library declares only dependencies of its layer
or below."""
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RANK = {"common": 0, "cache": 1, "sync": 2, "fs": 3}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/([^"]+)"', re.M)


def sources(layer):
    for d, _, files in os.walk(os.path.join(ROOT, layer)):
        for f in files:
            if f.endswith((".c", ".h")):
                yield os.path.join(d, f)


def test_includes_run_one_way():
    bad = []
    seen = 0
    for layer, rank in RANK.items():
        for path in sources(layer):
            text = open(path, encoding="utf-8").read()
            for top, rest in INCLUDE.findall(text):
                seen += 1
                rel = os.path.relpath(path, ROOT)
                if top not in RANK:
                    bad.append("%s includes %s/%s (not a layer)" % (rel, top, rest))
                elif RANK[top] > rank:
                    bad.append("%s (%s) includes %s/%s (%s, above it)" % (rel, layer, top, rest, top))
                elif top == "cache" and rest == "cache_int.h" and layer != "cache":
                    bad.append("%s includes cache/cache_int.h (internal to cache/)" % rel)
    assert seen > 100, "the include scan found almost nothing: %d" % seen
    assert not bad, "\n".join(bad)


def test_meson_libraries_declare_only_lower_layers():
    forbidden = {
        "cache": ["sync_dep", "fs_dep", "mdconv_dep", "props_dep", "fuse_dep", "curl_dep"],
        "sync": ["fs_dep", "mdconv_dep", "props_dep", "fuse_dep"],
    }
    for layer, names in forbidden.items():
        text = open(os.path.join(ROOT, layer, "meson.build"), encoding="utf-8").read()
        lib = re.search(r"static_library\((.*?)\)\n", text, re.S)
        assert lib, layer
        for n in names:
            assert n not in lib.group(1), "%s/meson.build: its library uses %s" % (layer, n)
