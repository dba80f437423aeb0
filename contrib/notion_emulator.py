#!/usr/bin/env python3
"""notion_emulator.py - a local emulator of the public Notion API.

Each request is answered with the semantics of its Notion-Version header: 2022-06-28 (and any
older version) as before data sources; 2025-09-03 and later with the data-source model
(databases are containers of data sources, rows live in a data source, `in_trash`); 2026-03-11
and later without `archived` and with appends by `position`.  See contrib/README.md, *API
versions*.  Internally every database is a container holding one or more data sources; every
database row names its data source and database (Workspace.sources, Workspace.databases).

Standard library only.  Answers have the shapes of real recorded Notion answers of their version
(see ../shared/notion-fixtures, ../shared/notion-fixtures-2025-09-03 and
../shared/tools/notion-shape-check).  Run

    notion_emulator.py [--host 127.0.0.1] [--port 0] [--port-file F] [--token T]
                       [--workspace sample|empty|PATH.json] [--generate N] [--generate-blocks K]
                       [--generate-sources S] [--generate-pages P] [--rate R] [--burst B] [--quiet]

See contrib/README.md for the endpoints, the admin API (/_admin/...) and the fault injection.

Workspace JSON format
=====================

The same format is accepted by --workspace PATH.json and POST /_admin/seed, and produced by
GET /_admin/state and by `python3 contrib/sample_workspace.py`.  All ids are hyphenated UUIDs
(the variant nibble must be 8, 9, a or b, as Notion checks), all times ISO 8601 strings
("2025-03-03T09:00:00.000Z").

    {
      "format": 1,
      "bot_id": "<user id of the integration's bot; answers GET /v1/users/me>",
      "other_editor_id": "<person user used by /_admin/edit_page etc.; created if absent>",
      "users": [ <user objects exactly as the API returns them:
                  {"object": "user", "id", "name", "avatar_url", "type": "person",
                   "person": {"email"}} or {..., "type": "bot", "bot": {...}}> ],
      "databases": [ {
          "id", "title": "plain text" or [rich text], "description": [rich text],
          "parent": {"type": "page_id", "page_id": ...} | {"type": "workspace", "workspace": true},
          "is_inline": false, "icon": null | {...}, "cover": null,
          "created_time", "last_edited_time", "created_by", "last_edited_by" (user ids),
          "archived": false,
          "properties": { "<name>": {"type": "<type>", "<type>": {<config as in the API>},
                                     "id": "<optional property id>"} },
          "data_source_id": "<optional id of its one data source>",
          "data_source_title": "<optional; the data source's name when not the database's title>",
          "shared": true | false  (optional; see *Sharing* below)
        } or, for a database with several data sources, instead of "properties" and the above:
          "data_sources": [ {"id", "title", "description", "icon", "created_time",
                             "last_edited_time", "created_by", "last_edited_by", "archived",
                             "properties": {...as above}} ]
      } ],
      "pages": [ {
          "id", "parent": {"type": "database_id", "database_id"} (a database with one data source)
                          | {"type": "data_source_id", "data_source_id"} | {"type": "page_id", "page_id"}
                          | {"type": "block_id", "block_id"} (a sub-page inside a column, toggle, ...)
                          | {"type": "workspace", "workspace": true},
          "created_time", "last_edited_time", "created_by", "last_edited_by", "archived",
          "icon", "cover", "shared": true | false (optional; see *Sharing* below),
          "properties": { "<name>": {"type": "<type>", "<type>": <value as the API returns it>} },
          "children": [ <block>, ... ]
      } ]
    }

    <block> = {"id", "type", "<type>": {<body as the API returns it>}, "children": [<block>...],
               "created_time", "last_edited_time", "created_by", "last_edited_by", "archived"}
              (everything but "type" and the body is optional; missing times/users are taken
              from the page).  {"type": "child_page", "id": P} and
              {"type": "child_database", "id": D} place a sub-page / inline database (which must
              be listed in "pages" / "databases" with this page, or this block, as parent) among
              the blocks; sub-pages not placed explicitly are appended at the end of their parent
              page's (or block's) children.  A database's "parent" may be a page_id or a block_id
              (an inline database inside a column or toggle), as on Notion.

Sharing: on Notion an integration sees only what is shared with it, and everything inside that
(sub-pages, blocks, databases, their data sources and rows).  A page or database with
"shared": true is shared with the integration, one with "shared": false is not (even inside a
shared page: its access was restricted); one without the key follows what holds it (its parent
page, block, data source or database), and at the top (a workspace parent, or a parent not in the
workspace) it is shared, so a document that never says "shared" is seen whole.  An object not seen
answers 404 object_not_found on every endpoint (GET, PATCH, move, children, queries, as the parent
of a new page or of a move), and search leaves it out; what is seen keeps naming an unseen parent
in its "parent" (as on Notion: a page shared on its own under an unshared page says page_id of
that page).  The admin API sees everything.

Relation configs name their target by "data_source_id" or (one-source databases) "database_id";
the other is filled in.  GET /_admin/state writes one-source databases in the first form and their
rows with a database_id parent, as before data sources.

Page property values: computed types (created_time, created_by, last_edited_time,
last_edited_by, rollup, button) are derived and may be omitted; relation values list every
related page (no 25 cap); select / status / multi_select values may name options by "id" or
"name"; formula, unique_id ({"number"}), verification and unknown types are stored as given.
Dual relations are made symmetric on load.  Pages are ordered by their position in the list
(the tie-break of equal creation minutes).  Media in a notion-hosted file ({"type": "file",
"file": {"url"}}) get a fresh signed-looking URL and an expiry_time one hour ahead on every answer.
"""
import argparse
import copy
import hashlib
import json
import math
import os
import random
import re
import select
import signal
import socket
import sys
import threading
import time
import uuid
from collections import deque
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit

API_VERSION = "2022-06-28"           # what a request without a newer Notion-Version gets
DATA_SOURCE_VERSION = "2025-09-03"   # from here on: data sources, in_trash beside archived
IN_TRASH_VERSION = "2026-03-11"      # from here on: in_trash only, appends by position
MAX_PAGE_SIZE = 100
REF_LIMIT = 25            # references in a page object's relation / people value
DEFAULT_BOT_ID = "3b7f6a52-6d1e-4c0a-9f4e-2a1d5c7e9b10"
DEFAULT_OTHER_EDITOR_ID = "5c2e8d41-7a93-4b6f-8e12-9d0c3b4a6f21"
ID_NAMESPACE = uuid.UUID("8a3c1f52-4e7d-4b9a-a1c2-6d5e4f3b2a19")
COLORS = ["default", "gray", "brown", "orange", "yellow", "green", "blue", "purple", "pink", "red"]

TEXT_BLOCKS = {"paragraph", "heading_1", "heading_2", "heading_3", "bulleted_list_item",
               "numbered_list_item", "quote", "to_do", "toggle", "callout", "template"}
MEDIA_BLOCKS = {"image", "video", "file", "pdf", "audio"}
NEW_BLOCKS = {"heading_4", "tab"}       # creatable with Notion-Version 2025-09-03 and later
CREATABLE_BLOCKS = TEXT_BLOCKS | MEDIA_BLOCKS | {
    "code", "equation", "divider", "breadcrumb", "table_of_contents", "link_to_page", "table",
    "table_row", "column_list", "column", "synced_block", "bookmark", "embed"}
# the order of Notion's own "Fix one:" message for a block without a valid body
FIX_ONE_ORDER = ["embed", "bookmark", "image", "video", "pdf", "file", "audio", "code", "equation",
                 "divider", "breadcrumb", "table_of_contents", "link_to_page", "table_row",
                 "ai_block", "table", "column_list", "column", "heading_1", "heading_2",
                 "heading_3", "paragraph", "bulleted_list_item", "numbered_list_item", "quote",
                 "to_do", "toggle", "template", "callout", "synced_block"]
READ_ONLY_PROPS = {"formula", "rollup", "created_time", "created_by", "last_edited_time",
                   "last_edited_by", "unique_id", "button", "verification"}
COMPUTED_PROPS = {"rollup", "created_time", "created_by", "last_edited_time", "last_edited_by",
                  "button"}
PAGINATED_PROPS = {"title", "rich_text", "relation", "people", "rollup"}

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")


# ----------------------------------------------------------------------------------------------
# small helpers
# ----------------------------------------------------------------------------------------------

class ApiError(Exception):
    def __init__(self, status, code, message, additional_data=None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.additional_data = additional_data


def validation(message):
    return ApiError(400, "validation_error", message)


def jdump(v):
    return json.dumps(v, ensure_ascii=False)


def norm_id(s):
    """Canonical hyphenated lower-case UUID, or None when s is not a Notion-valid id."""
    if not isinstance(s, str) or not UUID_RE.match(s):
        return None
    h = s.replace("-", "").lower()
    if h[16] not in "89ab":
        return None
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def det_id(*parts):
    return str(uuid.uuid5(ID_NAMESPACE, "/".join(str(p) for p in parts)))


def iso_minute(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:00.000Z")


def parse_time(s):
    """Parses an ISO date or date-time; returns (aware datetime, is_date_only)."""
    if not isinstance(s, str):
        raise ValueError("not a string")
    s = s.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
        return datetime.strptime(s, "%Y-%m-%d").replace(tzinfo=timezone.utc), True
    t = s.replace("Z", "+00:00")
    m = re.fullmatch(r"(.*T\d{2}:\d{2}(?::\d{2})?)(\.\d+)?([+-]\d{2}:?\d{2})?", t)
    if not m:
        raise ValueError("bad time")
    base, frac, tz = m.group(1), m.group(2) or "", m.group(3) or "+00:00"
    if len(base) == 16:
        base += ":00"
    frac = (frac[:7]).ljust(7, "0") if frac else ""
    dt = datetime.fromisoformat(base + frac + tz)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt, False


def plain_title(rt):
    return "".join(x.get("plain_text", "") for x in rt or [])


def slug_url(title, oid):
    slug = re.sub(r"[^A-Za-z0-9]+", "-", title or "").strip("-")
    hexid = oid.replace("-", "")
    return f"https://www.notion.so/{slug}-{hexid}" if slug else f"https://www.notion.so/{hexid}"


def prop_id_for(owner_id, name):
    """A short, stable, URL-encoded property id in the style of Notion's ("%3FB%3AW")."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789;:<>?@[]^_{|}~`"
    h = hashlib.sha1(f"{owner_id}/{name}".encode()).digest()
    raw = "".join(alphabet[b % len(alphabet)] for b in h[:4])
    return quote(raw, safe="")


def same_prop_id(a, b):
    return a == b or unquote(a) == unquote(b)


def user_ref(uid):
    return {"object": "user", "id": uid}


def default_annotations():
    return {"bold": False, "italic": False, "strikethrough": False, "underline": False,
            "code": False, "color": "default"}


def text_item(content, link=None):
    return {"type": "text", "text": {"content": content, "link": {"url": link} if link else None},
            "annotations": default_annotations(), "plain_text": content, "href": link}


def page_size_of(value, where):
    if value is None:
        return MAX_PAGE_SIZE
    if isinstance(value, str):
        if not re.fullmatch(r"\d+", value):
            raise validation(f"{where}.page_size should be a number, instead was `{jdump(value)}`.")
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise validation(f"body failed validation: {where}.page_size should be a number or "
                         f"`undefined`, instead was `{jdump(value)}`.")
    if value < 1:
        raise validation(f"body failed validation: {where}.page_size should be ≥ `1`, "
                         f"instead was `{value}`.")
    return min(value, MAX_PAGE_SIZE)      # Notion answers at most 100 items


# ----------------------------------------------------------------------------------------------
# the workspace
# ----------------------------------------------------------------------------------------------

class Workspace:
    """All workspace state. Every public method is called with Emulator.lock held."""

    def __init__(self, clock):
        self.clock = clock          # callable -> aware datetime (already offset)
        self.reset()

    # -- basic state ---------------------------------------------------------------------------
    def reset(self):
        self.users = {}             # id -> user object
        self.user_order = []
        self.bot_id = DEFAULT_BOT_ID
        self.other_editor_id = DEFAULT_OTHER_EDITOR_ID
        self.databases = {}         # id -> database container record ("sources": [data source ids])
        self.sources = {}           # id -> data source record (schema in "properties")
        self.pages = {}             # id -> record
        self.blocks = {}            # id -> record
        self.children = {}          # parent id -> [child ids] (blocks, pages, databases)
        self.seq = 0
        self.version = API_VERSION  # Notion-Version of the request being served (set under the lock)
        # the search index as of a moment (fault `search_stale`): id -> fingerprint; None: current
        self.search_index = None

    @staticmethod
    def search_fingerprint(obj):
        keep = {k: obj.get(k) for k in ("properties", "title", "last_edited_time", "parent",
                                         "archived", "in_trash")}
        return hashlib.sha1(json.dumps(keep, sort_keys=True, default=str).encode()).hexdigest()

    def freeze_search(self, on):
        """Search indexing is not immediate (Notion's "Search optimizations and limitations"):
        while frozen, the search answers only what it showed at the freeze, unchanged."""
        self.search_index = None if not on else {
            oid: self.search_fingerprint(o) for coll in (self.pages, self.sources, self.databases)
            for oid, o in coll.items()}

    def next_seq(self):
        self.seq += 1
        return self.seq

    def now(self):
        return iso_minute(self.clock())

    def bot_name(self):
        return self.users.get(self.bot_id, {}).get("name", "notionfs emulator")

    # -- API versions ----------------------------------------------------------------------------
    def new_api(self):
        """True for Notion-Version 2025-09-03 and later (the data-source model)."""
        return self.version >= DATA_SOURCE_VERSION

    def v2026(self):
        """True for Notion-Version 2026-03-11 and later (no `archived`, appends by position)."""
        return self.version >= IN_TRASH_VERSION

    def is_multi(self, did):
        d = self.databases.get(did)
        return d is not None and len(d["sources"]) > 1

    def old_guard(self, did):
        """A request of an old version touching a database with several data sources fails."""
        if not self.new_api() and self.is_multi(did):
            raise ApiError(400, "validation_error", "Databases with multiple data sources are not "
                           "supported in this API version.",
                           {"error_type": "multiple_data_sources_for_database"})

    def old_guard_page(self, page):
        self.old_guard(page["parent"].get("database_id"))

    def trash_keys(self, value):
        """The trash flags of an object as the request's version shows them."""
        if self.v2026():
            return {"in_trash": value}
        return {"archived": value, "in_trash": value}

    def creatable(self):
        return CREATABLE_BLOCKS | NEW_BLOCKS if self.new_api() else CREATABLE_BLOCKS

    def kind(self, oid):
        if oid in self.blocks:
            return "block"
        if oid in self.pages:
            return "page"
        if oid in self.databases:
            return "database"
        return None

    def not_found(self, what, oid):
        return ApiError(404, "object_not_found",
                        f"Could not find {what} with ID: {oid}. Make sure the relevant pages and "
                        f"databases are shared with your integration \"{self.bot_name()}\".",
                        {"integration_id": self.bot_id})

    def path_id(self, raw, param, what):
        oid = norm_id(raw)
        if oid is None:
            raise validation(f"path failed validation: path.{param} should be a valid uuid, "
                             f"instead was `{jdump(raw)}`.")
        return oid

    def full_user(self, uid):
        u = self.users.get(uid)
        return copy.deepcopy(u) if u else user_ref(uid)

    # -- rich text -------------------------------------------------------------------------
    def norm_rich_text(self, items, where, keep_plain=False):
        if not isinstance(items, list):
            raise validation(f"body failed validation: {where} should be an array, instead was "
                             f"`{jdump(items)}`.")
        if len(items) > 100:
            raise validation(f"body failed validation: {where}.length should be ≤ `100`, "
                             f"instead was `{len(items)}`.")
        out = []
        for i, it in enumerate(items):
            w = f"{where}[{i}]"
            if not isinstance(it, dict):
                raise validation(f"body failed validation: {w} should be an object, instead was "
                                 f"`{jdump(it)}`.")
            t = it.get("type") or next((k for k in ("text", "mention", "equation") if k in it), None)
            ann = default_annotations()
            a_in = it.get("annotations") or {}
            if not isinstance(a_in, dict):
                raise validation(f"body failed validation: {w}.annotations should be an object.")
            for k, v in a_in.items():
                if k in ann:
                    if k == "color":
                        if v not in COLORS and not (isinstance(v, str) and v.endswith("_background")):
                            raise validation(f"body failed validation: {w}.annotations.color "
                                             f"should be a valid color, instead was `{jdump(v)}`.")
                    elif not isinstance(v, bool):
                        raise validation(f"body failed validation: {w}.annotations.{k} should be a "
                                         f"boolean, instead was `{jdump(v)}`.")
                    ann[k] = v
            if t == "text":
                tx = it.get("text")
                if not isinstance(tx, dict) or not isinstance(tx.get("content"), str):
                    raise validation(f"body failed validation: {w}.text.content should be a "
                                     f"string, instead was `undefined`.")
                content = tx["content"]
                if len(content) > 2000:
                    raise validation(f"body failed validation: {w}.text.content.length should be "
                                     f"≤ `2000`, instead was `{len(content)}`.")
                link = tx.get("link")
                url = None
                if link is not None:
                    if not isinstance(link, dict) or not isinstance(link.get("url"), str):
                        raise validation(f"body failed validation: {w}.text.link.url should be a "
                                         f"string.")
                    url = link["url"]
                out.append({"type": "text", "text": {"content": content,
                                                     "link": {"url": url} if url else None},
                            "annotations": ann, "plain_text": content, "href": url})
            elif t == "equation":
                eq = it.get("equation")
                if not isinstance(eq, dict) or not isinstance(eq.get("expression"), str):
                    raise validation(f"body failed validation: {w}.equation.expression should be "
                                     f"a string.")
                out.append({"type": "equation", "equation": {"expression": eq["expression"]},
                            "annotations": ann, "plain_text": eq["expression"], "href": None})
            elif t == "mention":
                out.append(self.norm_mention(it, w, ann, keep_plain))
            else:
                raise validation(f"body failed validation: {w}.text should be defined, instead "
                                 f"was `undefined`.")
        return out

    def norm_mention(self, it, w, ann, keep_plain):
        m = it.get("mention")
        if not isinstance(m, dict):
            raise validation(f"body failed validation: {w}.mention should be an object.")
        mt = m.get("type") or next((k for k in ("user", "page", "database", "date",
                                                "link_preview", "template_mention") if k in m), None)
        given = it.get("plain_text") if keep_plain else None
        href = None
        if mt == "user":
            uid = norm_id((m.get("user") or {}).get("id"))
            if uid is None:
                raise validation(f"body failed validation: {w}.mention.user.id should be a valid uuid.")
            if uid not in self.users and not keep_plain:
                raise validation(f"Could not find user with ID: {uid}.")
            mention = {"type": "user", "user": self.full_user(uid)}
            plain = "@" + self.users[uid]["name"] if uid in self.users else (given or "@Unknown")
        elif mt in ("page", "database"):
            oid = norm_id((m.get(mt) or {}).get("id"))
            if oid is None:
                raise validation(f"body failed validation: {w}.mention.{mt}.id should be a valid uuid.")
            mention = {"type": mt, mt: {"id": oid}}
            if mt == "page" and oid in self.pages:
                plain = plain_title(self.page_title(self.pages[oid])) or "Untitled"
            elif mt == "database" and oid in self.databases:
                plain = plain_title(self.databases[oid]["title"]) or "Untitled"
            elif keep_plain:
                plain = given or "Untitled"
            else:
                raise self.not_found(mt, oid)
            href = "https://www.notion.so/" + oid.replace("-", "")
        elif mt == "date":
            d = self.norm_date(m.get("date"), f"{w}.mention.date", allow_null=False)
            mention = {"type": "date", "date": d}
            plain = d["start"] + (f" → {d['end']}" if d.get("end") else "")
        elif mt == "link_preview":
            url = (m.get("link_preview") or {}).get("url")
            if not isinstance(url, str):
                raise validation(f"body failed validation: {w}.mention.link_preview.url should be a string.")
            mention = {"type": "link_preview", "link_preview": {"url": url}}
            plain, href = url, url
        elif mt == "template_mention":
            tm = m.get("template_mention") or {}
            mention = {"type": "template_mention", "template_mention": copy.deepcopy(tm)}
            plain = given or ("@Today" if tm.get("template_mention_date") else "@Me")
        else:
            raise validation(f"body failed validation: {w}.mention.user should be defined, instead "
                             f"was `undefined`.")
        if given and keep_plain and mt not in ("link_preview",):
            plain = given
        return {"type": "mention", "mention": mention, "annotations": ann, "plain_text": plain,
                "href": href}

    def norm_date(self, d, where, allow_null=True):
        if d is None and allow_null:
            return None
        if not isinstance(d, dict) or not isinstance(d.get("start"), str):
            raise validation(f"body failed validation: {where}.start should be a string, instead "
                             f"was `{jdump(d.get('start') if isinstance(d, dict) else d)}`.")
        try:
            parse_time(d["start"])
            if d.get("end") is not None:
                parse_time(d["end"])
        except (ValueError, TypeError):
            raise validation(f"body failed validation: {where} should be a valid ISO 8601 date "
                             f"or date-time, instead was `{jdump(d)}`.")
        tz = d.get("time_zone")
        if tz is not None and not isinstance(tz, str):
            raise validation(f"body failed validation: {where}.time_zone should be a string.")
        return {"start": d["start"], "end": d.get("end"), "time_zone": tz}

    # -- users ----------------------------------------------------------------------------
    def add_user(self, u):
        uid = norm_id(u.get("id"))
        if uid is None:
            raise validation(f"user id {u.get('id')!r} is not a valid uuid")
        t = u.get("type", "person")
        obj = {"object": "user", "id": uid, "name": u.get("name", "Unnamed"),
               "avatar_url": u.get("avatar_url"), "type": t}
        if t == "bot":
            obj["avatar_url"] = None
            obj["bot"] = copy.deepcopy(u.get("bot", {}))
        else:
            obj["person"] = copy.deepcopy(u.get("person", {}))
        if uid not in self.users:
            self.user_order.append(uid)
        self.users[uid] = obj
        return uid

    # -- databases --------------------------------------------------------------------------
    def title_rt(self, value, keep_plain=True):
        if value is None:
            return []
        if isinstance(value, str):
            return [text_item(value)] if value else []
        return self.norm_rich_text(value, "title", keep_plain=keep_plain)

    def add_database(self, d):
        """A database container and its data sources from a workspace document: either the
        one-source form ("properties", optional "data_source_id" / "data_source_title") or
        "data_sources": [{"id", "title", "description", "properties", times, "archived"}]."""
        did = norm_id(d.get("id"))
        if did is None:
            raise validation(f"database id {d.get('id')!r} is not a valid uuid")
        if did in self.databases:
            raise validation(f"database id {did} is used twice")
        now = self.now()
        rec = {
            "id": did, "title": self.title_rt(d.get("title")),
            "description": self.title_rt(d.get("description")),
            "parent": copy.deepcopy(d.get("parent") or {"type": "workspace", "workspace": True}),
            "is_inline": bool(d.get("is_inline", False)), "icon": copy.deepcopy(d.get("icon")),
            "cover": copy.deepcopy(d.get("cover")),
            "created_time": d.get("created_time") or now,
            "last_edited_time": d.get("last_edited_time") or d.get("created_time") or now,
            "created_by": d.get("created_by") or self.bot_id,
            "last_edited_by": d.get("last_edited_by") or d.get("created_by") or self.bot_id,
            "archived": bool(d.get("archived") or d.get("in_trash")),
            "sources": [], "seq": self.next_seq(), "shared": self.shared_flag(d, f"database {did}"),
        }
        p = rec["parent"]
        for key in ("page_id", "block_id"):
            if key in p:
                p[key] = norm_id(p[key]) or p[key]
                p["type"] = key
                break
        self.databases[did] = rec
        if d.get("data_sources"):
            for i, sd in enumerate(d["data_sources"]):
                self.add_source(rec, sd, sd.get("id") or det_id(did, "data_source", i), owner=None)
        else:
            one = {"title": d.get("data_source_title", d.get("title")), "properties": d.get("properties"),
                   "description": d.get("description")}
            for k in ("created_time", "last_edited_time", "created_by", "last_edited_by"):
                one[k] = rec[k]
            # property and option ids keep being derived from the database id, as before sources
            self.add_source(rec, one, d.get("data_source_id") or det_id(did, "data_source"), owner=did)
        return did

    def add_source(self, db, sd, sid, owner=None, actor=None):
        """Adds one data source (document sd) to the container record db; returns its record."""
        sid_n = norm_id(sid)
        if sid_n is None:
            raise validation(f"data source id {sid!r} is not a valid uuid")
        if sid_n in self.sources or sid_n in self.databases:
            raise validation(f"data source id {sid_n} is used twice")
        now = self.now()
        src = {
            "id": sid_n, "database_id": db["id"],
            "title": self.title_rt(sd.get("title", sd.get("name"))),
            "description": self.title_rt(sd.get("description")), "icon": copy.deepcopy(sd.get("icon")),
            "created_time": sd.get("created_time") or now,
            "last_edited_time": sd.get("last_edited_time") or sd.get("created_time") or now,
            "created_by": sd.get("created_by") or actor or self.bot_id,
            "last_edited_by": sd.get("last_edited_by") or sd.get("created_by") or actor or self.bot_id,
            "archived": bool(sd.get("archived") or sd.get("in_trash")),
            "properties": {}, "owner": owner or sid_n, "seq": self.next_seq(),
        }
        props = sd.get("properties") or {}
        if not any((v or {}).get("type") == "title" for v in props.values()):
            props = dict(props, Name={"type": "title", "title": {}})
        used = set()
        for name, sch in props.items():
            norm = self.norm_schema(src["owner"], name, sch)
            salt = 0
            while norm["id"] in used:           # keep generated property ids unique
                salt += 1
                norm["id"] = prop_id_for(src["owner"], f"{name}#{salt}")
            used.add(norm["id"])
            src["properties"][name] = norm
        self.sources[sid_n] = src
        db["sources"].append(sid_n)
        return src

    def sole_source(self, did):
        """The data source of a one-source database (its first one otherwise)."""
        return self.sources[self.databases[did]["sources"][0]]

    def norm_schema(self, did, name, sch):
        t = sch.get("type") or next(k for k in sch if k not in ("id", "name", "description"))
        cfg = copy.deepcopy(sch.get(t) or {})
        pid = "title" if t == "title" else (sch.get("id") or prop_id_for(did, name))
        if t in ("select", "multi_select", "status"):
            opts = []
            for i, o in enumerate(cfg.get("options") or []):
                opts.append({"id": o.get("id") or det_id(did, name, "option", o["name"]),
                             "name": o["name"], "color": o.get("color") or COLORS[i % len(COLORS)],
                             "description": o.get("description")})
            cfg["options"] = opts
            if t == "status":
                groups = cfg.get("groups")
                if not groups:
                    groups = [{"name": "To-do", "color": "gray", "option_ids": [o["id"] for o in opts[:1]]},
                              {"name": "In progress", "color": "blue",
                               "option_ids": [o["id"] for o in opts[1:-1]]},
                              {"name": "Complete", "color": "green",
                               "option_ids": [o["id"] for o in opts[-1:]] if len(opts) > 1 else []}]
                out = []
                for g in groups:
                    ids = []
                    for x in g.get("option_ids") or g.get("options") or []:
                        oid = next((o["id"] for o in opts if x in (o["id"], o["name"])), None)
                        if oid:
                            ids.append(oid)
                    out.append({"id": g.get("id") or det_id(did, name, "group", g["name"]),
                                "name": g["name"], "color": g.get("color", "default"),
                                "option_ids": ids})
                cfg["groups"] = out
        elif t == "number":
            cfg.setdefault("format", "number")
        elif t == "relation":
            cfg["database_id"] = norm_id(cfg.get("database_id")) or cfg.get("database_id")
            if cfg.get("data_source_id") is not None:
                cfg["data_source_id"] = norm_id(cfg["data_source_id"]) or cfg["data_source_id"]
            if "dual_property" in cfg or cfg.get("type") == "dual_property":
                cfg["type"] = "dual_property"
                cfg["dual_property"] = dict(cfg.get("dual_property") or {})
                cfg.pop("single_property", None)
            else:
                cfg["type"] = "single_property"
                cfg["single_property"] = {}
        elif t == "unique_id":
            cfg.setdefault("prefix", None)
        elif t == "formula":
            cfg.setdefault("expression", "")
        elif t == "rollup":
            cfg.setdefault("function", "show_original")
        return {"id": pid, "name": name, "description": sch.get("description"), "type": t, t: cfg}

    def fix_schema_links(self):
        """Fills relation targets (database_id and data_source_id), synced_property_id and rollup
        property ids once all databases and data sources exist."""
        for db in self.sources.values():
            for name, sch in db["properties"].items():
                if sch["type"] == "relation":
                    cfg = sch["relation"]
                    ds, did = cfg.get("data_source_id"), cfg.get("database_id")
                    if ds in self.sources:
                        did = self.sources[ds]["database_id"]
                    elif did in self.databases:
                        ds = self.databases[did]["sources"][0]
                    kind = cfg["type"]
                    sch["relation"] = cfg = {"database_id": did, "data_source_id": ds, "type": kind,
                                             kind: cfg.get(kind, {})}
                if sch["type"] == "relation" and sch["relation"]["type"] == "dual_property":
                    dp = sch["relation"]["dual_property"]
                    tgt = self.sources.get(sch["relation"]["data_source_id"])
                    if tgt and dp.get("synced_property_name") in tgt["properties"]:
                        dp["synced_property_id"] = tgt["properties"][dp["synced_property_name"]]["id"]
                    dp.setdefault("synced_property_id", None)
                if sch["type"] == "rollup":
                    cfg = sch["rollup"]
                    rel = db["properties"].get(cfg.get("relation_property_name"))
                    if rel:
                        cfg["relation_property_id"] = unquote(rel["id"])
                        tgt = self.sources.get(rel.get("relation", {}).get("data_source_id"))
                        if tgt and cfg.get("rollup_property_name") in tgt["properties"]:
                            cfg["rollup_property_id"] = unquote(
                                tgt["properties"][cfg["rollup_property_name"]]["id"])
                    cfg.setdefault("relation_property_id", None)
                    cfg.setdefault("rollup_property_id", None)
                    sch["rollup"] = {k: cfg.get(k) for k in (
                        "rollup_property_name", "relation_property_name", "rollup_property_id",
                        "relation_property_id", "function")}

    def find_prop(self, db, key):
        if key in db["properties"]:
            return key, db["properties"][key]
        for name, sch in db["properties"].items():
            if isinstance(key, str) and same_prop_id(sch["id"], key):
                return name, sch
        return None, None

    # -- pages --------------------------------------------------------------------------------
    def page_db(self, page):
        """The data source holding a database row (its schema), or None for other pages."""
        return self.sources.get(page["parent"].get("data_source_id"))

    def page_title(self, page):
        db = self.page_db(page)
        if db:
            for name, sch in db["properties"].items():
                if sch["type"] == "title":
                    return page["props"].get(name) or []
            return []
        return page["props"].get("title") or []

    def title_prop_name(self, page):
        db = self.page_db(page)
        if db:
            return next(n for n, s in db["properties"].items() if s["type"] == "title")
        return "title"

    def norm_parent(self, parent, where="body.parent", allow_ds=True, allow_block=False):
        """{"type", key: id} of a request's parent (data_source_id only when allow_ds, block_id
        only when allow_block: workspace documents and the admin API)."""
        if not isinstance(parent, dict):
            raise validation(f"body failed validation: {where} should be an object, instead was "
                             f"`{jdump(parent)}`.")
        keys = ("data_source_id", "database_id", "page_id") if allow_ds else ("database_id", "page_id")
        if allow_block:
            keys += ("block_id",)
        for key in keys:
            if key in parent:
                oid = norm_id(parent[key])
                if oid is None:
                    raise validation(f"body failed validation: {where}.{key} should be a valid "
                                     f"uuid, instead was `{jdump(parent[key])}`.")
                return {"type": key, key: oid}
        if parent.get("type") == "workspace" or parent.get("workspace") is True:
            return {"type": "workspace", "workspace": True}
        raise validation(f"body failed validation. Fix one:\n{where}.page_id should be defined, "
                         f"instead was `undefined`.\n{where}.database_id should be defined, "
                         f"instead was `undefined`.")

    def resolve_parent(self, parent, where="body.parent"):
        """The internal parent of a page: a database row names its data source and database
        ({"type": "data_source_id", "data_source_id", "database_id"}); a database_id parent
        means its only data source."""
        if parent["type"] == "data_source_id":
            sid = parent["data_source_id"]
            if sid not in self.sources:
                raise self.not_found("database", sid)
            return {"type": "data_source_id", "data_source_id": sid,
                    "database_id": self.sources[sid]["database_id"]}
        if parent["type"] == "database_id":
            did = parent["database_id"]
            if did not in self.databases:
                raise self.not_found("database", did)
            self.old_guard(did)
            if self.is_multi(did):
                raise validation(f"{where}.database_id {did} is a database with several data "
                                 f"sources: give {where}.data_source_id instead.")
            return {"type": "data_source_id", "data_source_id": self.databases[did]["sources"][0],
                    "database_id": did}
        return parent

    def render_parent(self, parent):
        """A page's parent as the request's version shows it."""
        if parent.get("type") == "data_source_id" and not self.new_api():
            return {"type": "database_id", "database_id": parent["database_id"]}
        return copy.deepcopy(parent)

    def new_page_record(self, pid, parent, created_time, last_edited_time, created_by,
                        last_edited_by, archived=False, icon=None, cover=None):
        return {"id": pid, "parent": parent, "created_time": created_time,
                "last_edited_time": last_edited_time, "created_by": created_by,
                "last_edited_by": last_edited_by, "archived": archived, "icon": icon,
                "cover": cover, "props": {}, "seq": self.next_seq(), "shared": None}

    def convert_props(self, page_parent, props_in, api=True, keep_plain=False):
        """Validates property values; returns (values by name, pending new options)."""
        if not isinstance(props_in, dict):
            raise validation(f"body failed validation: body.properties should be an object, "
                             f"instead was `{jdump(props_in)}`.")
        db = self.sources.get(page_parent.get("data_source_id"))
        out, pending = {}, []
        for key, val in props_in.items():
            if db is None:
                if key != "title" and not (isinstance(val, dict) and "title" in val
                                           and key in ("Name", "Title")):
                    raise validation(f"{key} is not a property that exists.")
                sch, name = {"id": "title", "type": "title", "title": {}}, "title"
            else:
                name, sch = self.find_prop(db, key)
                if sch is None:
                    raise validation(f"{key} is not a property that exists.")
            out[name] = self.convert_value(db, name, sch, val, api, pending, keep_plain)
        return out, pending

    def convert_value(self, db, name, sch, val, api, pending, keep_plain):
        t = sch["type"]
        where = f"body.properties.{name}.{t}"
        if api and t in READ_ONLY_PROPS:
            raise validation(f"{name} is a {t} property and cannot be updated through the API.")
        if isinstance(val, list) and t in ("title", "rich_text", "multi_select", "people",
                                           "relation", "files"):
            inner = val
        elif isinstance(val, dict) and t in val and val.get("type", t) == t:
            inner = val[t]
        else:
            raise validation(f"{name} is expected to be {t}.")
        if t in ("title", "rich_text"):
            return self.norm_rich_text(inner, where, keep_plain=keep_plain)
        if t == "number":
            if inner is not None and (isinstance(inner, bool) or not isinstance(inner, (int, float))):
                raise validation(f"body failed validation: {where} should be a number or `null`, "
                                 f"instead was `{jdump(inner)}`.")
            return inner
        if t == "checkbox":
            if not isinstance(inner, bool):
                raise validation(f"body failed validation: {where} should be a boolean, instead "
                                 f"was `{jdump(inner)}`.")
            return inner
        if t in ("url", "email", "phone_number"):
            if inner is not None and not isinstance(inner, str):
                raise validation(f"body failed validation: {where} should be a string or `null`, "
                                 f"instead was `{jdump(inner)}`.")
            if isinstance(inner, str) and len(inner) > 2000:
                raise validation(f"body failed validation: {where}.length should be ≤ `2000`, "
                                 f"instead was `{len(inner)}`.")
            return inner or None
        if t in ("select", "status"):
            if inner is None:
                if t == "status":
                    raise validation(f"body failed validation: {where} should be an object, "
                                     f"instead was `null`.")
                return None
            return self.option_ref(sch, name, t, inner, where, pending)
        if t == "multi_select":
            if not isinstance(inner, list):
                raise validation(f"body failed validation: {where} should be an array, instead "
                                 f"was `{jdump(inner)}`.")
            ids = []
            for i, o in enumerate(inner):
                oid = self.option_ref(sch, name, t, o, f"{where}[{i}]", pending)
                if oid not in ids:
                    ids.append(oid)
            return ids
        if t == "date":
            return self.norm_date(inner, where)
        if t == "people":
            if not isinstance(inner, list):
                raise validation(f"body failed validation: {where} should be an array.")
            ids = []
            for i, u in enumerate(inner):
                uid = norm_id(u.get("id")) if isinstance(u, dict) else None
                if uid is None:
                    raise validation(f"body failed validation: {where}[{i}].id should be a valid uuid.")
                if uid not in self.users:
                    raise validation(f"Could not find user with ID: {uid} (property {name}).")
                if uid not in ids:
                    ids.append(uid)
            return ids
        if t == "files":
            if not isinstance(inner, list):
                raise validation(f"body failed validation: {where} should be an array.")
            files = []
            for i, f in enumerate(inner):
                if not isinstance(f, dict):
                    raise validation(f"body failed validation: {where}[{i}] should be an object.")
                ft = f.get("type") or ("external" if "external" in f else "file" if "file" in f else None)
                if ft not in ("external", "file") or not isinstance((f.get(ft) or {}).get("url"), str):
                    raise validation(f"body failed validation: {where}[{i}].external should be "
                                     f"defined, instead was `undefined`.")
                fname = f.get("name") or f[ft]["url"].rstrip("/").rsplit("/", 1)[-1].split("?")[0]
                files.append({"name": fname, "type": ft, ft: {"url": f[ft]["url"].split("?")[0]
                                                              if ft == "file" else f[ft]["url"]}})
            return files
        if t == "relation":
            if not isinstance(inner, list):
                raise validation(f"body failed validation: {where} should be an array.")
            if api and len(inner) > 100:
                raise validation(f"body failed validation: {where}.length should be ≤ `100`, "
                                 f"instead was `{len(inner)}`.")
            ids = []
            for i, r in enumerate(inner):
                rid = norm_id(r.get("id")) if isinstance(r, dict) else None
                if rid is None:
                    raise validation(f"body failed validation: {where}[{i}].id should be a valid uuid.")
                if api and rid not in self.pages:
                    raise validation(f"Could not find page with ID: {rid} (property {name}).")
                if rid not in ids:
                    ids.append(rid)
            return ids
        if t == "unique_id":
            return inner.get("number") if isinstance(inner, dict) else inner
        # formula, verification, place and types this emulator does not know: stored as given
        return copy.deepcopy(inner)

    def option_ref(self, sch, name, t, o, where, pending):
        cfg = sch[t]
        if not isinstance(o, dict) or not ("name" in o or "id" in o):
            raise validation(f"body failed validation: {where}.name should be defined, instead was "
                             f"`undefined`.")
        if o.get("id"):
            for opt in cfg["options"]:
                if opt["id"] == o["id"]:
                    return opt["id"]
            if t == "status":
                raise validation(f"Invalid status option. Status option ID \"{o['id']}\" does not "
                                 f"exist for property \"{name}\".")
            raise validation(f"Invalid {t} option ID \"{o['id']}\" for property \"{name}\".")
        oname = o["name"]
        if not isinstance(oname, str) or not oname.strip():
            raise validation(f"body failed validation: {where}.name should be a non-empty string.")
        for opt in cfg["options"]:
            if opt["name"] == oname:
                return opt["id"]
        for (s, opt) in pending:
            if s is sch and opt["name"] == oname:
                return opt["id"]
        if t == "status":
            raise validation(f"Invalid status option. Status option \"{oname}\" does not exist for "
                             f"property \"{name}\".")
        if "," in oname:
            raise validation(f"Invalid {t} option for property \"{name}\": option names cannot "
                             f"contain commas.")
        if len(oname) > 100:
            raise validation(f"body failed validation: {where}.name.length should be ≤ `100`.")
        n = len(cfg["options"]) + sum(1 for s, _ in pending if s is sch)
        opt = {"id": str(uuid.uuid4()), "name": oname, "color": o.get("color") or COLORS[n % len(COLORS)],
               "description": None}
        pending.append((sch, opt))
        return opt["id"]

    def commit_props(self, page, values, pending, actor, now):
        for sch, opt in pending:
            sch[sch["type"]]["options"].append(opt)
        db = self.page_db(page)
        if pending and db:
            db["last_edited_time"] = now
            db["last_edited_by"] = actor
        for name, v in values.items():
            sch = db["properties"][name] if db else {"type": "title"}
            old = page["props"].get(name)
            page["props"][name] = v
            if db and sch["type"] == "relation":
                self.sync_dual(page, sch, old or [], v, actor, now)

    def sync_dual(self, page, sch, old, new, actor, now):
        cfg = sch["relation"]
        if cfg.get("type") != "dual_property":
            return
        back = cfg["dual_property"].get("synced_property_name")
        tgt_db = self.sources.get(cfg.get("data_source_id"))
        if not tgt_db or back not in tgt_db["properties"]:
            return
        for rid in set(old) - set(new):
            other = self.pages.get(rid)
            if other and page["id"] in other["props"].get(back, []):
                other["props"][back] = [x for x in other["props"][back] if x != page["id"]]
                other["last_edited_time"], other["last_edited_by"] = now, actor
        for rid in new:
            other = self.pages.get(rid)
            if other and other["parent"].get("data_source_id") == tgt_db["id"]:
                lst = other["props"].setdefault(back, [])
                if page["id"] not in lst:
                    lst.append(page["id"])
                    other["last_edited_time"], other["last_edited_by"] = now, actor

    def fill_defaults(self, page):
        db = self.page_db(page)
        if not db:
            page["props"].setdefault("title", [])
            return
        for name, sch in db["properties"].items():
            t = sch["type"]
            if name in page["props"] or t in COMPUTED_PROPS:
                continue
            if t == "status":
                opts = sch["status"]["options"]
                first = sch["status"]["groups"][0]["option_ids"] if sch["status"].get("groups") else []
                page["props"][name] = (first[0] if first else opts[0]["id"]) if opts else None
            elif t == "unique_id":
                nums = [p["props"].get(name) or 0 for p in self.pages.values()
                        if p["parent"].get("data_source_id") == db["id"]]
                page["props"][name] = max(nums, default=0) + 1
            elif t in ("title", "rich_text", "multi_select", "people", "relation", "files"):
                page["props"][name] = []
            elif t == "checkbox":
                page["props"][name] = False
            elif t == "formula":
                page["props"][name] = {"type": "string", "string": None}
            elif t == "verification":
                page["props"][name] = {"state": "unverified", "verified_by": None, "date": None}
            else:
                page["props"][name] = None

    # -- blocks --------------------------------------------------------------------------------
    def prep_block(self, obj, where, depth, api=True):
        """Validates one block of a request; returns a spec {type, body, children, meta}."""
        if not isinstance(obj, dict):
            raise validation(f"body failed validation: {where} should be an object, instead was "
                             f"`{jdump(obj)}`.")
        t = obj.get("type")
        if t is None:
            t = next((k for k in obj if k in self.creatable() or (not api and k not in (
                "object", "id", "children", "created_time", "last_edited_time", "created_by",
                "last_edited_by", "archived", "in_trash", "has_children", "parent"))), None)
        body_in = obj.get(t) if t else None
        if t is None or (api and t not in self.creatable()) or not isinstance(body_in, dict):
            raise validation("body failed validation. Fix one:\n" + "\n".join(
                f"{where}.{k} should be defined, instead was `undefined`." for k in FIX_ONE_ORDER))
        kids_in = body_in.get("children", obj.get("children")) or []
        if not isinstance(kids_in, list):
            raise validation(f"body failed validation: {where}.{t}.children should be an array.")
        if api and kids_in and depth >= 2 and t != "column":
            raise validation(f"body failed validation: {where}.{t}.children should be not present, "
                             f"instead was `{jdump(kids_in)[:200]}`.")
        if api and len(kids_in) > 100:
            raise validation(f"body failed validation: {where}.{t}.children.length should be ≤ "
                             f"`100`, instead was `{len(kids_in)}`.")
        body = self.norm_block_body(t, body_in, f"{where}.{t}", api, keep_plain=not api)
        next_depth = depth if t == "column" else depth + 1
        kids = [self.prep_block(k, f"{where}.{t}.children[{i}]", next_depth, api)
                for i, k in enumerate(kids_in)]
        if api:
            if t == "table" and not kids:
                raise validation(f"body failed validation: {where}.table.children should be "
                                 f"defined, instead was `undefined`.")
            if t == "table":
                for i, k in enumerate(kids):
                    if k["type"] != "table_row":
                        raise validation(f"body failed validation: {where}.table.children[{i}] "
                                         f"should be a table_row.")
                    if len(k["body"]["cells"]) != body["table_width"]:
                        raise validation("Number of cells in table row must match the table width "
                                         "of the parent.")
            if t == "column_list" and (len(kids) < 2 or any(k["type"] != "column" or not k["children"]
                                                           for k in kids)):
                raise validation(f"body failed validation: {where}.column_list.children should "
                                 f"contain at least 2 columns, each with at least one child.")
        meta = {k: obj[k] for k in ("id", "created_time", "last_edited_time", "created_by",
                                    "last_edited_by", "archived", "in_trash") if k in obj}
        return {"type": t, "body": body, "children": kids, "meta": meta}

    def norm_block_body(self, t, b, where, api, keep_plain, old=None):
        """Returns the stored body of a block of type t from request body b (merged onto old)."""
        out = copy.deepcopy(old) if old is not None else {}

        def rt(key, default_empty=True):
            if key in b:
                out[key] = self.norm_rich_text(b[key], f"{where}.{key}", keep_plain=keep_plain)
            elif old is None and default_empty:
                out[key] = []

        def color():
            if "color" in b:
                c = b["color"]
                if c not in COLORS and not (isinstance(c, str) and c.endswith("_background")):
                    raise validation(f"body failed validation: {where}.color should be a valid "
                                     f"color, instead was `{jdump(c)}`.")
                out["color"] = c
            elif old is None:
                out["color"] = "default"

        def boolean(key, default):
            if key in b:
                if not isinstance(b[key], bool):
                    raise validation(f"body failed validation: {where}.{key} should be a boolean, "
                                     f"instead was `{jdump(b[key])}`.")
                out[key] = b[key]
            elif old is None:
                out[key] = default

        def string(key, required=True, default=None):
            if key in b:
                if not isinstance(b[key], str):
                    raise validation(f"body failed validation: {where}.{key} should be a string, "
                                     f"instead was `{jdump(b[key])}`.")
                out[key] = b[key]
            elif old is None:
                if required:
                    raise validation(f"body failed validation: {where}.{key} should be defined, "
                                     f"instead was `undefined`.")
                out[key] = default

        if t in TEXT_BLOCKS or t == "heading_4":
            rt("rich_text")
            if t != "template":
                color()
            if t.startswith("heading_"):
                boolean("is_toggleable", False)
            if t == "to_do":
                boolean("checked", False)
            if t == "callout":
                if "icon" in b:
                    out["icon"] = self.norm_icon(b["icon"], f"{where}.icon")
                elif old is None:
                    out["icon"] = {"type": "emoji", "emoji": "💡"}
        elif t == "code":
            rt("caption")
            rt("rich_text")
            string("language", required=False, default="plain text")
        elif t in MEDIA_BLOCKS:
            rt("caption")
            ft = b.get("type") or ("external" if "external" in b else "file" if "file" in b
                                   else "file_upload" if "file_upload" in b else None)
            if ft is None and old is not None:
                ft = old.get("type")
            if ft == "file_upload" or (api and ft == "file" and old is None):
                raise validation(f"body failed validation: {where}.external should be defined, "
                                 f"instead was `undefined`. (file uploads are not emulated)")
            if ft in b:
                if not isinstance(b[ft], dict) or not isinstance(b[ft].get("url"), str):
                    raise validation(f"body failed validation: {where}.{ft}.url should be a "
                                     f"string, instead was `undefined`.")
                url = b[ft]["url"]
                for k in ("external", "file"):
                    out.pop(k, None)
                out["type"] = ft
                out[ft] = {"url": url.split("?")[0] if ft == "file" else url}
            elif old is None:
                raise validation(f"body failed validation: {where}.external should be defined, "
                                 f"instead was `undefined`.")
            if t == "file":
                if "name" in b:
                    out["name"] = b["name"]
                elif old is None:
                    out["name"] = out[out["type"]]["url"].rstrip("/").rsplit("/", 1)[-1].split("?")[0]
        elif t in ("bookmark", "embed"):
            rt("caption")
            string("url")
        elif t == "link_preview":
            string("url")
        elif t == "equation":
            string("expression")
        elif t in ("divider", "breadcrumb", "column_list", "column"):
            pass
        elif t == "table_of_contents":
            color()
        elif t == "link_to_page":
            key = b.get("type") or ("page_id" if "page_id" in b else "database_id"
                                    if "database_id" in b else None)
            if key not in ("page_id", "database_id") or norm_id(b.get(key)) is None:
                raise validation(f"body failed validation: {where}.page_id should be a valid uuid.")
            out = {"type": key, key: norm_id(b[key])}
        elif t == "table":
            if "table_width" in b:
                w = b["table_width"]
                if isinstance(w, bool) or not isinstance(w, int) or w < 1:
                    raise validation(f"body failed validation: {where}.table_width should be a "
                                     f"positive integer.")
                if old is not None and w != old["table_width"]:
                    raise validation("Cannot change the table_width of an existing table.")
                out["table_width"] = w
            elif old is None:
                raise validation(f"body failed validation: {where}.table_width should be defined, "
                                 f"instead was `undefined`.")
            boolean("has_column_header", False)
            boolean("has_row_header", False)
        elif t == "table_row":
            if "cells" in b:
                if not isinstance(b["cells"], list):
                    raise validation(f"body failed validation: {where}.cells should be an array.")
                out["cells"] = [self.norm_rich_text(c, f"{where}.cells[{i}]", keep_plain=keep_plain)
                                for i, c in enumerate(b["cells"])]
            elif old is None:
                raise validation(f"body failed validation: {where}.cells should be defined, "
                                 f"instead was `undefined`.")
        elif t == "synced_block":
            if "synced_from" in b or old is None:
                sf = b.get("synced_from")
                if sf is None:
                    out["synced_from"] = None
                else:
                    bid = norm_id((sf or {}).get("block_id")) if isinstance(sf, dict) else None
                    if bid is None:
                        raise validation(f"body failed validation: {where}.synced_from.block_id "
                                         f"should be a valid uuid.")
                    if api and (bid not in self.blocks or self.blocks[bid]["type"] != "synced_block"
                                or self.blocks[bid]["body"].get("synced_from") is not None):
                        raise validation(f"Could not find original synced block with ID: {bid}.")
                    out["synced_from"] = {"type": "block_id", "block_id": bid}
        elif t in ("child_page", "child_database"):
            string("title", required=False, default="")
        else:
            # unsupported, template-likes and types this emulator does not know: stored as given
            extra = {k: copy.deepcopy(v) for k, v in b.items() if k != "children"}
            out.update(extra)
        return out

    def norm_icon(self, icon, where):
        if icon is None:
            return None
        if isinstance(icon, dict):
            it = icon.get("type") or ("emoji" if "emoji" in icon else "external"
                                      if "external" in icon else "file" if "file" in icon else None)
            if it == "emoji" and isinstance(icon.get("emoji"), str):
                return {"type": "emoji", "emoji": icon["emoji"]}
            if it in ("external", "file") and isinstance((icon.get(it) or {}).get("url"), str):
                return {"type": it, it: {"url": icon[it]["url"].split("?")[0] if it == "file"
                                         else icon[it]["url"]}}
        raise validation(f"body failed validation: {where} should be an emoji or an external "
                         f"file, instead was `{jdump(icon)}`.")

    def commit_block(self, spec, parent, page_id, actor, now):
        meta = spec["meta"]
        bid = norm_id(meta.get("id")) or str(uuid.uuid4())
        rec = {"id": bid, "type": spec["type"], "body": spec["body"], "parent": parent,
               "page_id": page_id,
               "created_time": meta.get("created_time") or now,
               "last_edited_time": meta.get("last_edited_time") or meta.get("created_time") or now,
               "created_by": meta.get("created_by") or actor,
               "last_edited_by": meta.get("last_edited_by") or meta.get("created_by") or actor,
               "archived": bool(meta.get("archived") or meta.get("in_trash"))}
        self.blocks[bid] = rec
        kids = self.children.setdefault(bid, [])
        for k in spec["children"]:
            kids.append(self.commit_block(k, {"type": "block_id", "block_id": bid}, page_id,
                                          actor, now))
        return bid

    def block_parent_ref(self, parent_id):
        return ({"type": "page_id", "page_id": parent_id} if parent_id in self.pages
                else {"type": "block_id", "block_id": parent_id})

    def owning_page(self, oid):
        if oid in self.pages:
            return oid
        b = self.blocks.get(oid)
        return b["page_id"] if b else None

    @staticmethod
    def holder_id(parent):
        """The page or block id a parent object names (None for data sources and the workspace)."""
        return parent.get("page_id") or parent.get("block_id")

    def parent_id_of(self, oid):
        """What holds oid: a page or block (for pages, blocks, databases), a data source (for a
        database row), a database (for a data source); None at the top or when unknown."""
        if oid in self.pages:
            par = self.pages[oid]["parent"]
            return par.get("data_source_id") or self.holder_id(par)
        if oid in self.blocks:
            return self.holder_id(self.blocks[oid]["parent"])
        if oid in self.databases:
            return self.holder_id(self.databases[oid]["parent"])
        if oid in self.sources:
            return self.sources[oid]["database_id"]
        return None

    def ancestors(self, oid):
        """The ids holding oid, innermost first (cycle-safe)."""
        seen = {oid}
        x = self.parent_id_of(oid)
        while x is not None and x not in seen:
            yield x
            seen.add(x)
            x = self.parent_id_of(x)

    @staticmethod
    def shared_flag(doc, what):
        v = doc.get("shared")
        if v is not None and not isinstance(v, bool):
            raise validation(f"{what}: shared should be true, false or absent")
        return v

    def accessible(self, oid):
        """Shared with the integration (see *Sharing* at the top): the innermost explicit
        "shared" of oid and what holds it decides; none at all means shared."""
        for x in (oid, *self.ancestors(oid)):
            rec = self.pages.get(x) or self.databases.get(x)
            if rec is not None and rec["shared"] is not None:
                return rec["shared"]
        return True

    def check_shared(self, oid, what):
        """A known object that is not shared with the integration is not found, as on Notion."""
        if self.kind(oid) is not None or oid in self.sources:
            if not self.accessible(oid):
                raise self.not_found(what, oid)

    def in_trashed_tree(self, oid):
        """oid or something holding it is in the trash (search leaves such pages out)."""
        for x in (oid, *self.ancestors(oid)):
            rec = self.pages.get(x) or self.blocks.get(x) or self.databases.get(x) or self.sources.get(x)
            if rec is not None and rec["archived"]:
                return True
        return False

    def visible(self, cid, parent_id):
        if cid in self.blocks:
            return not self.blocks[cid]["archived"]
        if cid in self.pages:
            p = self.pages[cid]
            return not p["archived"] and self.holder_id(p["parent"]) == parent_id
        if cid in self.databases:
            return not self.databases[cid]["archived"]
        return False

    def child_ids(self, oid):
        """Visible children ids of a page or block, as GET .../children lists them."""
        b = self.blocks.get(oid)
        if b and b["type"] == "synced_block" and b["body"].get("synced_from"):
            src = b["body"]["synced_from"]["block_id"]
            if src in self.blocks:
                oid = src
        return [c for c in self.children.get(oid, []) if self.visible(c, oid)]

    def touch_block_chain(self, bid, actor, now):
        """Bumps a changed block's last_edited_* and those of the page that holds it."""
        if bid in self.blocks:
            b = self.blocks[bid]
            b["last_edited_time"], b["last_edited_by"] = now, actor
        pid = self.owning_page(bid)
        if pid and pid in self.pages:
            p = self.pages[pid]
            p["last_edited_time"], p["last_edited_by"] = now, actor

    # -- rendering -----------------------------------------------------------------------------
    def signed(self, url):
        now = self.clock()
        stamp = now.strftime("%Y%m%dT%H%M00Z")
        sig = hashlib.sha256(f"{url}/{stamp}".encode()).hexdigest()
        sep = "&" if "?" in url else "?"
        return (f"{url}{sep}X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD"
                f"&X-Amz-Date={stamp}&X-Amz-Expires=3600&X-Amz-Signature={sig}"
                f"&X-Amz-SignedHeaders=host&x-id=GetObject",
                (now.replace(second=0, microsecond=0) + timedelta(hours=1))
                .strftime("%Y-%m-%dT%H:%M:%S.000Z"))

    def render_file(self, f):
        f = copy.deepcopy(f)
        if f.get("type") == "file" and isinstance(f.get("file"), dict):
            url, exp = self.signed(f["file"]["url"])
            f["file"] = {"url": url, "expiry_time": exp}
        return f

    def block_type_name(self, t):
        """meeting_notes is called transcription before 2026-03-11 (2022-06-28 shows it as stored)."""
        if t == "meeting_notes" and self.new_api() and not self.v2026():
            return "transcription"
        return t

    def render_block_record(self, b):
        t = b["type"]
        body = copy.deepcopy(b["body"])
        if t in MEDIA_BLOCKS:
            body = self.render_file(body)
        if t == "callout" and isinstance(body.get("icon"), dict):
            body["icon"] = self.render_file(body["icon"])
        if t == "paragraph" and self.new_api() and "icon" not in body:
            body = {k: body[k] for k in ("rich_text",) if k in body} | {"icon": None} | \
                {k: v for k, v in body.items() if k != "rich_text"}     # as recorded: a null icon
        if t == "unsupported":
            if self.new_api():
                body.setdefault("block_type", "unsupported")
            else:
                body.pop("block_type", None)
        has_children = bool(self.child_ids(b["id"])) or (t == "table" and bool(self.children.get(b["id"])))
        name = self.block_type_name(t)
        return dict({"object": "block", "id": b["id"], "parent": copy.deepcopy(b["parent"]),
                     "created_time": b["created_time"], "last_edited_time": b["last_edited_time"],
                     "created_by": user_ref(b["created_by"]), "last_edited_by": user_ref(b["last_edited_by"]),
                     "has_children": has_children}, **self.trash_keys(b["archived"]),
                    type=name, **{name: body})

    def render_block(self, oid):
        if oid in self.blocks:
            return self.render_block_record(self.blocks[oid])
        if oid in self.pages:
            p = self.pages[oid]
            return dict({"object": "block", "id": oid, "parent": self.render_parent(p["parent"]),
                         "created_time": p["created_time"], "last_edited_time": p["last_edited_time"],
                         "created_by": user_ref(p["created_by"]), "last_edited_by": user_ref(p["last_edited_by"]),
                         "has_children": bool(self.child_ids(oid))}, **self.trash_keys(p["archived"]),
                        type="child_page", child_page={"title": plain_title(self.page_title(p))})
        d = self.databases[oid]
        return dict({"object": "block", "id": oid, "parent": copy.deepcopy(d["parent"]),
                     "created_time": d["created_time"], "last_edited_time": d["last_edited_time"],
                     "created_by": user_ref(d["created_by"]), "last_edited_by": user_ref(d["last_edited_by"]),
                     "has_children": False}, **self.trash_keys(d["archived"]),
                    type="child_database", child_database={"title": plain_title(d["title"])})

    def render_database(self, d):
        """2022-06-28: the database with its (only) data source's schema; later versions: the
        container with its data_sources list."""
        if not self.new_api():
            self.old_guard(d["id"])
            src = self.sources[d["sources"][0]]
            return {"object": "database", "id": d["id"], "cover": copy.deepcopy(d["cover"]),
                    "icon": copy.deepcopy(d["icon"]), "created_time": d["created_time"],
                    "created_by": user_ref(d["created_by"]), "last_edited_by": user_ref(d["last_edited_by"]),
                    "last_edited_time": max(d["last_edited_time"], src["last_edited_time"]),
                    "title": copy.deepcopy(d["title"]),
                    "description": copy.deepcopy(d["description"]), "is_inline": d["is_inline"],
                    "properties": self.render_schema(src), "parent": copy.deepcopy(d["parent"]),
                    "url": slug_url("", d["id"]), "public_url": None, "archived": d["archived"],
                    "in_trash": d["archived"]}
        out = {"object": "database", "id": d["id"], "title": copy.deepcopy(d["title"]),
               "description": copy.deepcopy(d["description"]), "parent": copy.deepcopy(d["parent"]),
               "is_inline": d["is_inline"], "in_trash": d["archived"], "is_locked": False,
               "created_time": d["created_time"], "last_edited_time": d["last_edited_time"],
               "data_sources": [{"id": sid, "name": plain_title(self.sources[sid]["title"])}
                                for sid in d["sources"]],
               "icon": copy.deepcopy(d["icon"]), "cover": copy.deepcopy(d["cover"]),
               "url": slug_url("", d["id"]), "public_url": None}
        if not self.v2026():
            out["archived"] = d["archived"]
        return out

    def render_schema(self, src):
        """A data source's properties; 2022-06-28 relations name only the target database."""
        props = copy.deepcopy(src["properties"])
        if not self.new_api():
            for sch in props.values():
                if sch["type"] == "relation":
                    sch["relation"].pop("data_source_id", None)
        return props

    def render_source(self, s):
        d = self.databases[s["database_id"]]
        out = {"object": "data_source", "id": s["id"], "cover": None,
               "icon": copy.deepcopy(s["icon"]),
               "created_time": s["created_time"], "created_by": user_ref(s["created_by"]),
               "last_edited_by": user_ref(s["last_edited_by"]), "last_edited_time": s["last_edited_time"],
               "title": copy.deepcopy(s["title"]), "description": copy.deepcopy(s["description"]),
               "is_inline": d["is_inline"], "properties": self.render_schema(s),
               "parent": {"type": "database_id", "database_id": d["id"]},
               "database_parent": copy.deepcopy(d["parent"]), "url": slug_url("", d["id"]),
               "public_url": None, "in_trash": s["archived"] or d["archived"]}
        if not self.v2026():
            out["archived"] = out["in_trash"]
        return out

    def option_obj(self, sch, oid):
        for o in sch[sch["type"]]["options"]:
            if o["id"] == oid:
                return {"id": o["id"], "name": o["name"], "color": o["color"]}
        return None

    def value_of(self, page, db, name, sch, depth=0, full=False):
        """The inner value of a page property as the API shows it (relations/people capped
        unless full); returns (value, has_more)."""
        t = sch["type"]
        v = page["props"].get(name)
        if t in ("title", "rich_text"):
            return copy.deepcopy(v or []), False
        if t in ("select", "status"):
            return (self.option_obj(sch, v) if v else None), False
        if t == "multi_select":
            return [o for o in (self.option_obj(sch, x) for x in v or []) if o], False
        if t == "people":
            lst = [user_ref(u) for u in v or []]
            return (lst, False) if full or len(lst) <= REF_LIMIT else (lst[:REF_LIMIT], True)
        if t == "relation":
            lst = [{"id": r} for r in v or [] if r in self.pages]
            return (lst, False) if full or len(lst) <= REF_LIMIT else (lst[:REF_LIMIT], True)
        if t == "files":
            return [self.render_file(f) for f in v or []], False
        if t == "created_time":
            return page["created_time"], False
        if t == "last_edited_time":
            return page["last_edited_time"], False
        if t == "created_by":
            return self.full_user(page["created_by"]), False
        if t == "last_edited_by":
            return self.full_user(page["last_edited_by"]), False
        if t == "unique_id":
            return {"prefix": sch["unique_id"].get("prefix"), "number": v}, False
        if t == "rollup":
            return self.rollup_value(page, db, sch, depth), False
        if t == "button":
            return {}, False
        if t == "verification":
            v = copy.deepcopy(v) or {"state": "unverified", "verified_by": None, "date": None}
            if isinstance(v.get("verified_by"), dict) and v["verified_by"].get("id") in self.users:
                v["verified_by"] = self.full_user(v["verified_by"]["id"])
            return v, False
        if t == "formula":
            return copy.deepcopy(v) if v is not None else {"type": "string", "string": None}, False
        if t == "checkbox":
            return bool(v), False
        return copy.deepcopy(v), False

    def rollup_value(self, page, db, sch, depth):
        cfg = sch["rollup"]
        fn = cfg.get("function") or "show_original"
        rel = db["properties"].get(cfg.get("relation_property_name")) if db else None
        related, tgt_db, tsch = [], None, None
        if rel and rel["type"] == "relation" and depth < 3:
            tgt_db = self.sources.get(rel["relation"].get("data_source_id"))
            if tgt_db:
                tname, tsch = self.find_prop(tgt_db, cfg.get("rollup_property_name"))
                related = [self.pages[r] for r in page["props"].get(
                    cfg["relation_property_name"]) or [] if r in self.pages and not self.pages[r]["archived"]]
        vals = []
        if tsch:
            for p in related:
                v, _ = self.value_of(p, tgt_db, tname, tsch, depth + 1, full=True)
                vals.append((tsch["type"], v))
        if fn == "show_original":
            return {"type": "array", "array": [{"type": tt, tt: v} for tt, v in vals],
                    "function": fn}
        nums = []
        for tt, v in vals:
            if tt == "number" and isinstance(v, (int, float)):
                nums.append(v)
            elif tt == "formula" and isinstance(v, dict) and v.get("type") == "number" and v.get("number") is not None:
                nums.append(v["number"])
            elif tt == "rollup" and isinstance(v, dict) and v.get("type") == "number" and v.get("number") is not None:
                nums.append(v["number"])
        dates = []
        for tt, v in vals:
            d = v if tt == "date" else (v.get("date") if isinstance(v, dict) and v.get("type") == "date" else None)
            if tt in ("created_time", "last_edited_time"):
                d = {"start": v}
            if isinstance(d, dict) and d.get("start"):
                for s in (d.get("start"), d.get("end")):
                    if s:
                        try:
                            dates.append((parse_time(s)[0], s))
                        except ValueError:
                            pass
        empty = lambda v: v in (None, [], "", False) or (isinstance(v, dict) and v.get(v.get("type", "")) in (None, []))
        number = None
        if fn in ("count", "count_all"):
            number = len(related)
        elif fn == "count_values":
            number = sum(len(v) if isinstance(v, list) else (0 if empty(v) else 1) for _, v in vals)
        elif fn in ("count_unique_values", "unique"):
            number = len({jdump(v) for _, v in vals if not empty(v)})
        elif fn in ("count_empty", "empty"):
            number = sum(1 for _, v in vals if empty(v))
        elif fn in ("count_not_empty", "not_empty"):
            number = sum(1 for _, v in vals if not empty(v))
        elif fn in ("percent_empty", "percent_not_empty"):
            e = sum(1 for _, v in vals if empty(v))
            number = (e if fn == "percent_empty" else len(vals) - e) / len(vals) if vals else 0
        elif fn in ("checked", "unchecked", "count_checked", "count_unchecked"):
            c = sum(1 for tt, v in vals if v is True)
            number = c if "unchecked" not in fn else len(vals) - c
        elif fn in ("percent_checked", "percent_unchecked"):
            c = sum(1 for tt, v in vals if v is True)
            number = ((c if fn == "percent_checked" else len(vals) - c) / len(vals)) if vals else 0
        elif fn == "sum":
            number = sum(nums) if nums else 0
        elif fn == "average":
            number = sum(nums) / len(nums) if nums else None
        elif fn == "median":
            s = sorted(nums)
            number = (s[len(s) // 2] if len(s) % 2 else (s[len(s) // 2 - 1] + s[len(s) // 2]) / 2) if s else None
        elif fn == "min":
            number = min(nums) if nums else None
        elif fn == "max":
            number = max(nums) if nums else None
        elif fn == "range":
            number = (max(nums) - min(nums)) if nums else None
        elif fn in ("earliest_date", "latest_date", "date_range"):
            if not dates:
                return {"type": "date", "date": None, "function": fn}
            dates.sort()
            if fn == "earliest_date":
                d = {"start": dates[0][1], "end": None, "time_zone": None}
            elif fn == "latest_date":
                d = {"start": dates[-1][1], "end": None, "time_zone": None}
            else:
                d = {"start": dates[0][1], "end": dates[-1][1], "time_zone": None}
            return {"type": "date", "date": d, "function": fn}
        else:
            return {"type": "unsupported", "unsupported": {}, "function": fn}
        if isinstance(number, float) and number.is_integer() and fn not in ("average", "median"):
            number = int(number)
        return {"type": "number", "number": number, "function": fn}

    def render_page(self, p):
        db = self.page_db(p)
        props = {}
        if db:
            for name, sch in db["properties"].items():
                t = sch["type"]
                v, more = self.value_of(p, db, name, sch)
                props[name] = {"id": sch["id"], "type": t, t: v}
                if t == "relation":
                    props[name]["has_more"] = more
                elif t == "people" and more:
                    props[name]["has_more"] = True
        else:
            props["title"] = {"id": "title", "type": "title", "title": copy.deepcopy(p["props"].get("title") or [])}
        out = {"object": "page", "id": p["id"], "created_time": p["created_time"],
               "last_edited_time": p["last_edited_time"], "created_by": user_ref(p["created_by"]),
               "last_edited_by": user_ref(p["last_edited_by"]),
               "cover": self.render_file(p["cover"]) if p["cover"] else None,
               "icon": self.render_file(p["icon"]) if p["icon"] else None,
               "parent": self.render_parent(p["parent"])}
        if self.new_api():      # is_archived (Notion's archive, not the trash) is never set here
            out.update({"in_trash": p["archived"], "is_archived": False, "is_locked": False})
            if not self.v2026():
                out["archived"] = p["archived"]
        else:
            out.update({"archived": p["archived"], "in_trash": p["archived"]})
        out.update({"properties": props, "url": slug_url(plain_title(self.page_title(p)), p["id"]),
                    "public_url": None})
        return out

    # -- load / export -----------------------------------------------------------------------------
    def load(self, ws):
        """Replaces everything with the workspace document ws (format described at the top)."""
        if not isinstance(ws, dict):
            raise validation("workspace must be a JSON object")
        self.reset()
        self.bot_id = norm_id(ws.get("bot_id")) or DEFAULT_BOT_ID
        self.other_editor_id = norm_id(ws.get("other_editor_id")) or DEFAULT_OTHER_EDITOR_ID
        for u in ws.get("users") or []:
            self.add_user(u)
        if self.bot_id not in self.users:
            self.add_user({"id": self.bot_id, "name": "notionfs emulator", "type": "bot",
                           "bot": {"owner": {"type": "workspace", "workspace": True},
                                   "workspace_name": "Emulated Workspace"}})
        if self.other_editor_id not in self.users:
            self.add_user({"id": self.other_editor_id, "name": "Other Editor", "type": "person",
                           "person": {"email": "other.editor@example.com"}})
        for d in ws.get("databases") or []:
            self.add_database(d)
        self.fix_schema_links()
        now = self.now()
        page_docs = []
        for pd in ws.get("pages") or []:
            pid = norm_id(pd.get("id"))
            if pid is None:
                raise validation(f"page id {pd.get('id')!r} is not a valid uuid")
            parent = self.norm_parent(pd.get("parent") or {"type": "workspace", "workspace": True},
                                      f"page {pid} parent", allow_block=True)
            if parent["type"] == "database_id" and self.is_multi(parent["database_id"]):
                raise validation(f"page {pid}: database {parent['database_id']} has several data "
                                 f"sources; give parent data_source_id")
            parent = self.resolve_parent(parent, f"page {pid} parent")
            ct = pd.get("created_time") or now
            rec = self.new_page_record(pid, parent, ct, pd.get("last_edited_time") or ct,
                                       pd.get("created_by") or self.bot_id,
                                       pd.get("last_edited_by") or pd.get("created_by") or self.bot_id,
                                       bool(pd.get("archived") or pd.get("in_trash")),
                                       self.norm_icon(pd.get("icon"), "icon") if pd.get("icon") else None,
                                       copy.deepcopy(pd.get("cover")))
            rec["shared"] = self.shared_flag(pd, f"page {pid}")
            self.pages[pid] = rec
            page_docs.append((rec, pd))
        # titles first (mentions elsewhere need them), then the other values
        for rec, pd in page_docs:
            db = self.page_db(rec)
            props = pd.get("properties") or {}
            tname = self.title_prop_name(rec)
            for key, val in props.items():
                name = key
                if db:
                    name, sch = self.find_prop(db, key)
                if name == tname:
                    vals, _ = self.convert_props(rec["parent"], {key: val}, api=False, keep_plain=True)
                    rec["props"].update(vals)
        for rec, pd in page_docs:
            db = self.page_db(rec)
            props = {}
            for key, val in (pd.get("properties") or {}).items():
                if db:
                    name, sch = self.find_prop(db, key)
                    if sch is None:
                        raise validation(f"page {rec['id']}: {key} is not a property of its database")
                    if sch["type"] in COMPUTED_PROPS or name == self.title_prop_name(rec):
                        continue
                elif key == "title":
                    continue
                props[key] = val
            vals, pending = self.convert_props(rec["parent"], props, api=False, keep_plain=True)
            for sch, opt in pending:
                sch[sch["type"]]["options"].append(opt)
            rec["props"].update(vals)
        for rec, _ in page_docs:
            self.fill_defaults(rec)
        self.reconcile_duals()
        for rec, pd in page_docs:
            self.load_children(rec["id"], pd.get("children") or [], rec)
        for rec in [r for r, _ in page_docs] + list(self.databases.values()):
            par = self.holder_id(rec["parent"])     # sub-pages, inline databases not placed explicitly
            if par and (par in self.pages or par in self.blocks) and \
                    rec["id"] not in self.children.setdefault(par, []):
                self.children[par].append(rec["id"])

    def load_children(self, parent_id, items, page):
        lst = self.children.setdefault(parent_id, [])
        for i, item in enumerate(items):
            t = item.get("type")
            if t in ("child_page", "child_database") and norm_id(item.get("id")) in (
                    self.pages if t == "child_page" else self.databases):
                lst.append(norm_id(item["id"]))
                continue
            shallow = {k: v for k, v in item.items() if k != "children"}
            if isinstance(shallow.get(t), dict) and "children" in shallow[t]:
                shallow[t] = {k: v for k, v in shallow[t].items() if k != "children"}
            # nested children below, keeping their own child_page / child_database references
            spec = self.prep_block(shallow, f"page {page['id']} block", 0, api=False)
            meta = spec["meta"]
            for k, dflt in (("created_time", page["created_time"]), ("last_edited_time", None),
                            ("created_by", page["created_by"]), ("last_edited_by", None)):
                if k not in meta:
                    meta[k] = dflt or meta.get(k.replace("last_edited", "created")) or page[k]
            if not norm_id(meta.get("id")):
                meta["id"] = det_id(page["id"], parent_id, "block", i)
            bid = self.commit_block(spec, self.block_parent_ref(parent_id), page["id"],
                                    page["created_by"], page["created_time"])
            lst.append(bid)
            kids = (item.get(t) or {}).get("children", item.get("children")) or []
            self.load_children(bid, kids, page)

    def reconcile_duals(self):
        for db in self.sources.values():
            for name, sch in db["properties"].items():
                if sch["type"] != "relation" or sch["relation"]["type"] != "dual_property":
                    continue
                back = sch["relation"]["dual_property"].get("synced_property_name")
                tgt = self.sources.get(sch["relation"].get("data_source_id"))
                if not tgt or back not in tgt["properties"]:
                    continue
                for p in list(self.pages.values()):
                    if p["parent"].get("data_source_id") != db["id"]:
                        continue
                    for rid in p["props"].get(name) or []:
                        other = self.pages.get(rid)
                        if other and other["parent"].get("data_source_id") == tgt["id"]:
                            lst = other["props"].setdefault(back, [])
                            if p["id"] not in lst:
                                lst.append(p["id"])

    def export(self):
        def export_children(oid):
            out = []
            for cid in self.children.get(oid, []):
                if cid in self.blocks:
                    b = self.blocks[cid]
                    body = copy.deepcopy(b["body"])
                    kids = export_children(cid)
                    e = {"id": cid, "type": b["type"], b["type"]: body,
                         "created_time": b["created_time"], "last_edited_time": b["last_edited_time"],
                         "created_by": b["created_by"], "last_edited_by": b["last_edited_by"],
                         "archived": b["archived"]}
                    if kids:
                        e["children"] = kids
                    out.append(e)
                elif cid in self.pages:
                    out.append({"type": "child_page", "id": cid})
                elif cid in self.databases:
                    out.append({"type": "child_database", "id": cid})
            return out

        dbs = []
        for d in sorted(self.databases.values(), key=lambda d: d["seq"]):
            e = {"id": d["id"], "title": copy.deepcopy(d["title"]),
                 "description": copy.deepcopy(d["description"]), "parent": copy.deepcopy(d["parent"]),
                 "is_inline": d["is_inline"], "icon": copy.deepcopy(d["icon"]),
                 "cover": copy.deepcopy(d["cover"]), "created_time": d["created_time"],
                 "last_edited_time": d["last_edited_time"], "created_by": d["created_by"],
                 "last_edited_by": d["last_edited_by"], "archived": d["archived"]}
            if d["shared"] is not None:
                e["shared"] = d["shared"]
            srcs = [self.sources[x] for x in d["sources"]]
            if len(srcs) == 1 and srcs[0]["owner"] == d["id"] and not srcs[0]["archived"]:
                src = srcs[0]           # the one-source form, as before data sources
                if src["last_edited_time"] > d["last_edited_time"]:
                    e["last_edited_time"], e["last_edited_by"] = src["last_edited_time"], src["last_edited_by"]
                e["data_source_id"] = src["id"]
                if src["title"] != d["title"]:
                    e["data_source_title"] = copy.deepcopy(src["title"])
                e["properties"] = copy.deepcopy(src["properties"])
            else:
                e["data_sources"] = [{
                    "id": x["id"], "title": copy.deepcopy(x["title"]),
                    "description": copy.deepcopy(x["description"]), "icon": copy.deepcopy(x["icon"]),
                    "created_time": x["created_time"], "last_edited_time": x["last_edited_time"],
                    "created_by": x["created_by"], "last_edited_by": x["last_edited_by"],
                    "archived": x["archived"], "properties": copy.deepcopy(x["properties"])}
                    for x in srcs]
            dbs.append(e)
        pages = []
        for p in sorted(self.pages.values(), key=lambda p: p["seq"]):
            db = self.page_db(p)
            props = {}
            if db:
                for name, sch in db["properties"].items():
                    t = sch["type"]
                    if t in COMPUTED_PROPS:
                        continue
                    if t == "files":
                        v = copy.deepcopy(p["props"].get(name) or [])
                    else:
                        v, _ = self.value_of(p, db, name, sch, full=True)
                    props[name] = {"type": t, t: v}
            else:
                props["title"] = {"type": "title", "title": copy.deepcopy(p["props"].get("title") or [])}
            par = copy.deepcopy(p["parent"])
            if db and not self.is_multi(par["database_id"]):
                par = {"type": "database_id", "database_id": par["database_id"]}
            pages.append({"id": p["id"], "parent": par,
                          "created_time": p["created_time"], "last_edited_time": p["last_edited_time"],
                          "created_by": p["created_by"], "last_edited_by": p["last_edited_by"],
                          "archived": p["archived"], "icon": copy.deepcopy(p["icon"]),
                          "cover": copy.deepcopy(p["cover"]), "properties": props,
                          "children": export_children(p["id"])})
            if p["shared"] is not None:
                pages[-1]["shared"] = p["shared"]
        return {"format": 1, "bot_id": self.bot_id, "other_editor_id": self.other_editor_id,
                "users": [copy.deepcopy(self.users[u]) for u in self.user_order],
                "databases": dbs, "pages": pages}

    # -- API operations --------------------------------------------------------------------------
    def get_page(self, oid):
        if oid not in self.pages:
            raise self.not_found("page", oid)
        self.old_guard_page(self.pages[oid])
        return self.render_page(self.pages[oid])

    def get_database(self, oid):
        if oid not in self.databases:
            raise self.not_found("database", oid)
        return self.render_database(self.databases[oid])

    def create_page(self, body, actor, api=True):
        if not isinstance(body, dict):
            raise validation("body failed validation: body should be an object.")
        parent = self.norm_parent(body.get("parent"), allow_ds=self.new_api() or not api)
        if api and parent["type"] != "workspace":
            self.check_shared(parent[parent["type"]], "page" if parent["type"] == "page_id" else "database")
        if parent["type"] in ("database_id", "data_source_id"):
            parent = self.resolve_parent(parent)
            if self.databases[parent["database_id"]]["archived"] or \
                    self.sources[parent["data_source_id"]]["archived"]:
                raise validation("Can't edit block that is archived. You must unarchive the block "
                                 "before editing.")
        elif parent["type"] == "page_id":
            if parent["page_id"] not in self.pages:
                raise self.not_found("page", parent["page_id"])
            if self.pages[parent["page_id"]]["archived"]:
                raise validation("Can't edit block that is archived. You must unarchive the block "
                                 "before editing.")
        elif api:
            raise validation("body failed validation: body.parent.page_id should be defined, "
                             "instead was `undefined`.")
        values, pending = self.convert_props(parent, body.get("properties") or {}, api=api)
        kids = body.get("children") or []
        if not isinstance(kids, list):
            raise validation("body failed validation: body.children should be an array.")
        if api and len(kids) > 100:
            raise validation(f"body failed validation: body.children.length should be ≤ `100`, "
                             f"instead was `{len(kids)}`.")
        specs = [self.prep_block(k, f"body.children[{i}]", 1 if api else -100, api)
                 for i, k in enumerate(kids)]
        icon = self.norm_icon(body.get("icon"), "body.icon") if body.get("icon") is not None else None
        cover = self.norm_icon(body.get("cover"), "body.cover") if body.get("cover") is not None else None
        now = self.now()
        pid = str(uuid.uuid4())
        rec = self.new_page_record(pid, parent, now, now, actor, actor, False, icon, cover)
        self.pages[pid] = rec
        self.commit_props(rec, values, pending, actor, now)
        self.fill_defaults(rec)
        lst = self.children.setdefault(pid, [])
        for s in specs:
            lst.append(self.commit_block(s, {"type": "page_id", "page_id": pid}, pid, actor, now))
        if parent["type"] == "page_id":
            self.children.setdefault(parent["page_id"], []).append(pid)
            self.touch_block_chain(parent["page_id"], actor, now)
        return self.render_page(rec)

    def update_page(self, oid, body, actor, api=True):
        if oid not in self.pages:
            raise self.not_found("page", oid)
        if not isinstance(body, dict):
            raise validation("body failed validation: body should be an object.")
        p = self.pages[oid]
        self.old_guard_page(p)
        self.refuse_archived_key(body)
        arch = None
        for key in ("archived", "in_trash"):
            if key in body:
                if not isinstance(body[key], bool):
                    raise validation(f"body failed validation: body.{key} should be a boolean, "
                                     f"instead was `{jdump(body[key])}`.")
                arch = body[key]
        will_be_archived = p["archived"] if arch is None else arch
        other = {k for k in body if k not in ("archived", "in_trash")}
        if p["archived"] and will_be_archived and other:
            raise validation("Can't edit block that is archived. You must unarchive the block "
                             "before editing.")
        values, pending = self.convert_props(p["parent"], body.get("properties") or {}, api=api)
        icon = cover = None
        if "icon" in body:
            icon = self.norm_icon(body["icon"], "body.icon")
        if "cover" in body:
            cover = self.norm_icon(body["cover"], "body.cover")
        now = self.now()
        self.commit_props(p, values, pending, actor, now)
        if "icon" in body:
            p["icon"] = icon
        if "cover" in body:
            p["cover"] = cover
        if arch is not None:
            p["archived"] = arch
        p["last_edited_time"], p["last_edited_by"] = now, actor
        return self.render_page(p)

    def refuse_archived_key(self, body):
        if self.v2026() and isinstance(body, dict) and "archived" in body:
            raise validation("body failed validation: body.archived should be not present, instead "
                             f"was `{jdump(body['archived'])}`. Use in_trash.")

    def move_page(self, oid, body, actor, api=True):
        """POST /v1/pages/{id}/move (2025-09-03 and later): a new parent page or data source.
        Into a data source the title is kept and values of properties with the same name and
        type in the target (other than relations); the rest get the defaults of a new row.
        Not into the page itself nor anything inside it; the new parent must be shared.  With
        api=False (the admin API, a person moving it in Notion) the parent may also be a block
        (into a column, toggle, ...) or the workspace, and sharing does not apply."""
        if oid not in self.pages:
            raise self.not_found("page", oid)
        if not isinstance(body, dict):
            raise validation("body failed validation: body should be an object.")
        p = self.pages[oid]
        if p["archived"]:
            raise validation("Can't edit block that is archived. You must unarchive the block "
                             "before editing.")
        par = body.get("parent")
        if isinstance(par, dict) and "database_id" in par and "data_source_id" not in par:
            raise validation("body failed validation: body.parent.data_source_id should be defined, "
                             "instead was `undefined`.")
        new = self.norm_parent(par, allow_block=not api)
        if new["type"] == "page_id" and new["page_id"] in self.databases:
            # Notion's one exception: a database with a single data source named as page_id
            did = new["page_id"]
            if self.is_multi(did):
                raise validation(f"body.parent.page_id {did} is a database with several data "
                                 f"sources: give body.parent.data_source_id instead.")
            new = {"type": "database_id", "database_id": did}
        elif new["type"] == "page_id" and new["page_id"] in self.blocks and api:
            raise validation("body.parent.page_id must be a page, not a block of type "
                             f"{self.blocks[new['page_id']]['type']}.")
        if new["type"] == "workspace" and api:
            raise validation("body failed validation: body.parent.page_id should be defined, instead "
                             "was `undefined`.")
        if api:
            self.check_shared(new[new["type"]], "page" if new["type"] == "page_id" else "database")
        new = self.resolve_parent(new)
        tgt = new.get("page_id") or new.get("block_id") or new.get("data_source_id")
        if new["type"] in ("page_id", "block_id"):
            table = self.pages if new["type"] == "page_id" else self.blocks
            if tgt not in table:
                raise self.not_found(new["type"][:-3], tgt)
            if table[tgt]["archived"]:
                raise validation("Can't edit block that is archived. You must unarchive the block "
                                 "before editing.")
        if tgt is not None and (tgt == oid or oid in self.ancestors(tgt)):
            raise validation("Cannot move a page into itself or one of its descendants.")
        now = self.now()
        title = copy.deepcopy(self.page_title(p))
        old_db = self.page_db(p)
        old_par = self.holder_id(p["parent"])
        if old_par and oid in self.children.get(old_par, []):
            self.children[old_par].remove(oid)
            self.touch_block_chain(old_par, actor, now)
        old_props = p["props"]
        p["parent"] = new
        new_db = self.page_db(p)
        p["props"] = {}
        if new_db is None:
            p["props"]["title"] = title
            if new["type"] != "workspace":
                self.children.setdefault(tgt, []).append(oid)
                self.touch_block_chain(tgt, actor, now)
        else:
            p["props"][self.title_prop_name(p)] = title
            if old_db is not None:
                for name, sch in new_db["properties"].items():
                    was = old_db["properties"].get(name)
                    if was and was["type"] == sch["type"] and sch["type"] not in (
                            "title", "relation", "select", "multi_select", "status", "unique_id") \
                            and name in old_props:
                        p["props"][name] = copy.deepcopy(old_props[name])
        self.fill_defaults(p)
        p["last_edited_time"], p["last_edited_by"] = now, actor
        return self.render_page(p)

    def update_database(self, oid, body, actor):
        if oid not in self.databases:
            raise self.not_found("database", oid)
        d = self.databases[oid]
        self.old_guard(oid)
        if not isinstance(body, dict):
            raise validation("body failed validation: body should be an object.")
        self.refuse_archived_key(body)
        if self.new_api() and "properties" in body:
            raise validation("body failed validation: body.properties should be not present: a "
                             "database's schema belongs to its data sources (PATCH /v1/data_sources/{id}).")
        if "is_inline" in body and not isinstance(body["is_inline"], bool):
            raise validation("body failed validation: body.is_inline should be a boolean.")
        if "title" in body:
            d["title"] = self.norm_rich_text(body["title"], "body.title")
        if "description" in body:
            d["description"] = self.norm_rich_text(body["description"], "body.description")
        if "icon" in body:
            d["icon"] = self.norm_icon(body["icon"], "body.icon")
        for key in ("archived", "in_trash"):
            if isinstance(body.get(key), bool):
                d["archived"] = body[key]
        if "is_inline" in body:
            d["is_inline"] = body["is_inline"]
        if "properties" in body:
            raise validation("Changing a database schema is not supported by this emulator.")
        d["last_edited_time"], d["last_edited_by"] = self.now(), actor
        return self.render_database(d)

    # -- data sources (2025-09-03 and later) ----------------------------------------------------
    def get_source(self, sid):
        if sid not in self.sources:
            raise self.not_found("database", sid)
        return self.render_source(self.sources[sid])

    def create_source(self, body, actor):
        """POST /v1/data_sources: a new data source in an existing database."""
        if not isinstance(body, dict):
            raise validation("body failed validation: body should be an object.")
        parent = body.get("parent")
        did = norm_id(parent.get("database_id")) if isinstance(parent, dict) else None
        if did is None:
            raise validation("body failed validation: body.parent.database_id should be a valid uuid, "
                             f"instead was `{jdump((parent or {}).get('database_id') if isinstance(parent, dict) else parent)}`.")
        if did not in self.databases:
            raise self.not_found("database", did)
        if self.databases[did]["archived"]:
            raise validation("Can't edit block that is archived. You must unarchive the block "
                             "before editing.")
        props = body.get("properties")
        if not isinstance(props, dict) or not any(isinstance(v, dict) and (v.get("type") == "title" or "title" in v)
                                                  for v in props.values()):
            raise validation("body failed validation: body.properties should have exactly one title "
                             "property.")
        title = self.norm_rich_text(body.get("title") or [], "body.title")
        schema = {}
        for name, sch in props.items():
            schema[name] = self.schema_request(name, sch, "body.properties")
        icon = self.norm_icon(body.get("icon"), "body.icon") if body.get("icon") is not None else None
        now = self.now()
        d = self.databases[did]
        src = self.add_source(d, {"title": title, "properties": schema, "icon": icon,
                                  "created_time": now, "last_edited_time": now}, str(uuid.uuid4()),
                              actor=actor)
        self.fix_schema_links()
        d["last_edited_time"], d["last_edited_by"] = now, actor
        return self.render_source(src)

    def schema_request(self, name, sch, where):
        """One property of a schema in a request ({"type"?, "<type>": {config}}); checked."""
        if not isinstance(sch, dict):
            raise validation(f"body failed validation: {where}.{name} should be an object, instead "
                             f"was `{jdump(sch)}`.")
        t = sch.get("type") or next((k for k in sch if k not in ("id", "name", "description", "type")), None)
        if t is None or not isinstance(sch.get(t, {}), dict):
            raise validation(f"body failed validation: {where}.{name} should name a property type.")
        out = {"type": t, t: copy.deepcopy(sch.get(t) or {})}
        if t == "relation":
            cfg = out[t]
            ds = norm_id(cfg.get("data_source_id"))
            if ds is None or ds not in self.sources:
                raise validation(f"body failed validation: {where}.{name}.relation.data_source_id should "
                                 f"be the id of a data source, instead was `{jdump(cfg.get('data_source_id'))}`.")
            cfg["data_source_id"] = ds
            cfg["database_id"] = self.sources[ds]["database_id"]
        return out

    def follow_renames(self, sid, renames):
        """Properties renamed in data source sid: the names other configs refer them by (the
        synced side of dual relations into sid, rollups over them) follow."""
        if not renames:
            return
        for other in self.sources.values():
            for sch in other["properties"].values():
                if sch["type"] == "relation" and sch["relation"].get("data_source_id") == sid and \
                        sch["relation"]["type"] == "dual_property":
                    dp = sch["relation"]["dual_property"]
                    dp["synced_property_name"] = renames.get(dp.get("synced_property_name"),
                                                             dp.get("synced_property_name"))
                if sch["type"] == "rollup":
                    cfg = sch["rollup"]
                    if other["id"] == sid:
                        cfg["relation_property_name"] = renames.get(cfg.get("relation_property_name"),
                                                                    cfg.get("relation_property_name"))
                    rel = other["properties"].get(cfg.get("relation_property_name"))
                    if rel and rel["type"] == "relation" and rel["relation"].get("data_source_id") == sid:
                        cfg["rollup_property_name"] = renames.get(cfg.get("rollup_property_name"),
                                                                  cfg.get("rollup_property_name"))

    def update_source(self, sid, body, actor):
        """PATCH /v1/data_sources/{id}: title, description, icon, in_trash (archived before
        2026-03-11), and properties: {name or id: null} removes, {"name": new} renames,
        {"<type>": {config}} adds or changes the type (values of a changed type are dropped)."""
        if sid not in self.sources:
            raise self.not_found("database", sid)
        src = self.sources[sid]
        if not isinstance(body, dict):
            raise validation("body failed validation: body should be an object.")
        self.refuse_archived_key(body)
        arch = None
        for key in ("archived", "in_trash"):
            if key in body:
                if not isinstance(body[key], bool):
                    raise validation(f"body failed validation: body.{key} should be a boolean.")
                arch = body[key]
        title = self.norm_rich_text(body["title"], "body.title") if "title" in body else None
        desc = self.norm_rich_text(body["description"], "body.description") if "description" in body else None
        icon = self.norm_icon(body["icon"], "body.icon") if "icon" in body else None
        props = body.get("properties") or {}
        if not isinstance(props, dict):
            raise validation("body failed validation: body.properties should be an object.")
        new_schema = copy.deepcopy(src["properties"])
        renames, changed = {}, set()
        for key, change in props.items():
            name, sch = self.find_prop({"properties": new_schema}, key)
            if change is None:
                if sch is None:
                    raise validation(f"{key} is not a property that exists.")
                if sch["type"] == "title":
                    raise validation("Cannot delete the title property.")
                del new_schema[name]
                continue
            if not isinstance(change, dict):
                raise validation(f"body failed validation: body.properties.{key} should be an object "
                                 f"or `null`.")
            new_name = change.get("name", name if sch else key)
            if not isinstance(new_name, str) or not new_name.strip():
                raise validation(f"body failed validation: body.properties.{key}.name should be a "
                                 f"non-empty string.")
            types = [k for k in change if k not in ("name", "type", "description", "id")]
            if sch is None:
                if not types:
                    raise validation(f"{key} is not a property that exists.")
                req = self.schema_request(new_name, change, "body.properties")
                norm = self.norm_schema(src["owner"], new_name, req)
            else:
                norm = copy.deepcopy(sch)
                norm["name"] = new_name
                if types:
                    req = self.schema_request(new_name, change, "body.properties")
                    if sch["type"] == "title" and req["type"] != "title":
                        raise validation("Cannot change the type of the title property.")
                    norm = self.norm_schema(src["owner"], new_name, dict(req, id=sch["id"]))
                    if req["type"] != sch["type"]:
                        changed.add(new_name)
                del new_schema[name]
                if new_name != name:
                    renames[name] = new_name
            if new_name in new_schema:
                raise validation(f"A property named {new_name} already exists.")
            new_schema[new_name] = norm
        now = self.now()
        src["properties"] = new_schema
        self.follow_renames(sid, renames)
        self.fix_schema_links()
        for p in self.pages.values():
            if p["parent"].get("data_source_id") != sid:
                continue
            vals = {}
            for old, v in p["props"].items():
                nm = renames.get(old, old)
                if nm in new_schema and nm not in changed and (old in renames or old not in renames.values()):
                    vals[nm] = v
            p["props"] = vals
            self.fill_defaults(p)
        if title is not None:
            src["title"] = title
        if desc is not None:
            src["description"] = desc
        if "icon" in body:
            src["icon"] = icon
        if arch is not None:
            src["archived"] = arch
        src["last_edited_time"], src["last_edited_by"] = now, actor
        return self.render_source(src)

    def paginate(self, items, start_cursor, page_size, cursor_of=lambda x: x):
        start = 0
        if start_cursor is not None:
            if not isinstance(start_cursor, str):
                raise validation(f"body failed validation: body.start_cursor should be a string, "
                                 f"instead was `{jdump(start_cursor)}`.")
            for i, it in enumerate(items):
                if cursor_of(it) == start_cursor:
                    start = i
                    break
            else:
                raise validation(f"The start_cursor provided is invalid: {start_cursor}")
        chunk = items[start:start + page_size]
        more = start + page_size < len(items)
        return chunk, (cursor_of(items[start + page_size]) if more else None), more

    def search(self, body):
        """2022-06-28: pages and databases (never one with several data sources, nor its rows);
        2025-09-03 and later: pages and data sources."""
        if not isinstance(body, dict):
            raise validation("body failed validation: body should be an object.")
        size = page_size_of(body.get("page_size"), "body")
        kinds = ("page", "data_source") if self.new_api() else ("page", "database")
        flt = body.get("filter")
        want = None
        if flt is not None:
            if not isinstance(flt, dict) or flt.get("property") != "object" or \
                    flt.get("value") not in kinds:
                raise validation(f"body failed validation: body.filter.value should be `\"page\"` or "
                                 f"`\"{kinds[1]}\"`, instead was `{jdump((flt or {}).get('value'))}`.")
            want = flt["value"]
        q = body.get("query") or ""
        if not isinstance(q, str):
            raise validation("body failed validation: body.query should be a string.")
        srt = body.get("sort") or {}
        desc = srt.get("direction", "descending") != "ascending"
        items = []
        def found(oid):     # shared with the integration, and neither it nor what holds it trashed
            return self.accessible(oid) and not self.in_trashed_tree(oid)
        if want in (None, "page"):
            items += [("page", p, p["last_edited_time"]) for p in self.pages.values() if found(p["id"])
                      and (self.new_api() or not self.is_multi(p["parent"].get("database_id")))]
        if want in (None, "database") and not self.new_api():
            items += [("database", d, max(d["last_edited_time"], self.sole_source(d["id"])["last_edited_time"]))
                      for d in self.databases.values() if found(d["id"]) and not self.is_multi(d["id"])]
        if want in (None, "data_source") and self.new_api():
            items += [("data_source", x, x["last_edited_time"]) for x in self.sources.values()
                      if found(x["id"])]
        if self.search_index is not None:   # a stale index: later edits are not in it yet
            items = [it for it in items
                     if self.search_index.get(it[1]["id"]) == self.search_fingerprint(it[1])]
        if q:
            ql = q.lower()
            items = [it for it in items if ql in plain_title(
                self.page_title(it[1]) if it[0] == "page" else it[1]["title"]).lower()]
        items.sort(key=lambda it: (it[2], it[1]["seq"]), reverse=desc)
        chunk, nxt, more = self.paginate(items, body.get("start_cursor"), size, lambda it: it[1]["id"])
        render = {"page": self.render_page, "database": self.render_database,
                  "data_source": self.render_source}
        results = [render[k](o) for k, o, _ in chunk]
        lt = "page_or_data_source" if self.new_api() else "page_or_database"
        return {"object": "list", "results": results, "next_cursor": nxt, "has_more": more,
                "type": lt, lt: {}}

    def query(self, did, body):
        """POST /v1/databases/{id}/query (2022-06-28): the rows of its only data source."""
        if did not in self.databases:
            raise self.not_found("database", did)
        self.old_guard(did)
        return self.query_rows(self.sole_source(did), body)

    def query_source(self, sid, body):
        """POST /v1/data_sources/{id}/query (2025-09-03 and later)."""
        if sid not in self.sources:
            raise self.not_found("database", sid)
        return self.query_rows(self.sources[sid], body)

    def query_rows(self, db, body):
        if not isinstance(body, dict):
            raise validation("body failed validation: body should be an object.")
        size = page_size_of(body.get("page_size"), "body")
        flt = body.get("filter")
        pages = [p for p in self.pages.values()
                 if p["parent"].get("data_source_id") == db["id"] and not p["archived"]]
        if flt is not None:
            pred = self.compile_filter(db, flt, "body.filter", 0)
            pages = [p for p in pages if pred(p)]
        pages.sort(key=lambda p: (p["created_time"], p["seq"]), reverse=True)
        sorts = body.get("sorts") or []
        if not isinstance(sorts, list):
            raise validation("body failed validation: body.sorts should be an array.")
        for i, s in reversed(list(enumerate(sorts))):
            pages = self.apply_sort(db, pages, s, f"body.sorts[{i}]")
        chunk, nxt, more = self.paginate(pages, body.get("start_cursor"), size, lambda p: p["id"])
        lt = "page_or_data_source" if self.new_api() else "page_or_database"
        return {"object": "list", "results": [self.render_page(p) for p in chunk],
                "next_cursor": nxt, "has_more": more, "type": lt, lt: {}}

    def apply_sort(self, db, pages, s, where):
        if not isinstance(s, dict):
            raise validation(f"body failed validation: {where} should be an object.")
        direction = s.get("direction", "ascending")
        if direction not in ("ascending", "descending"):
            raise validation(f"body failed validation: {where}.direction should be `\"ascending\"` "
                             f"or `\"descending\"`, instead was `{jdump(direction)}`.")
        rev = direction == "descending"
        if "timestamp" in s:
            ts = s["timestamp"]
            if ts not in ("created_time", "last_edited_time"):
                raise validation(f"body failed validation: {where}.timestamp should be "
                                 f"`\"created_time\"` or `\"last_edited_time\"`, instead was `{jdump(ts)}`.")
            return sorted(pages, key=lambda p: p[ts], reverse=rev)
        if "property" in s:
            name, sch = self.find_prop(db, s["property"])
            if sch is None:
                raise validation(f"Could not find sort property with name or id: {s['property']}")

            def key(p):
                v, _ = self.value_of(p, db, name, sch, full=True)
                sv = self.sortable(sch["type"], v)
                return (sv is None, sv if sv is not None else 0) if not rev else (sv is not None, sv if sv is not None else 0)
            try:
                return sorted(pages, key=key, reverse=rev)
            except TypeError:
                return sorted(pages, key=lambda p: jdump(key(p)), reverse=rev)
        raise validation(f"body failed validation: {where}.property should be defined, instead was "
                         f"`undefined`.")

    def sortable(self, t, v):
        if t in ("title", "rich_text"):
            return plain_title(v).lower() if v else None
        if t in ("select", "status"):
            return v["name"].lower() if v else None
        if t == "multi_select":
            return ",".join(o["name"] for o in v).lower() if v else None
        if t == "date":
            return parse_time(v["start"])[0].timestamp() if v else None
        if t in ("created_time", "last_edited_time"):
            return v
        if t == "checkbox":
            return 1 if v else 0
        if t == "number":
            return v
        if t == "unique_id":
            return v.get("number")
        if t == "formula" and isinstance(v, dict):
            return v.get(v.get("type"))
        if isinstance(v, (str, int, float)):
            return v
        return None

    def compile_filter(self, db, f, where, depth):
        if not isinstance(f, dict):
            raise validation(f"body failed validation: {where} should be an object, instead was "
                             f"`{jdump(f)}`.")
        for comp in ("and", "or"):
            if comp in f:
                if depth >= 2:
                    raise validation(f"body failed validation: {where}.{comp} cannot be nested more "
                                     f"than two levels deep.")
                subs = f[comp]
                if not isinstance(subs, list):
                    raise validation(f"body failed validation: {where}.{comp} should be an array.")
                preds = [self.compile_filter(db, s, f"{where}.{comp}[{i}]", depth + 1)
                         for i, s in enumerate(subs)]
                return (lambda p: all(x(p) for x in preds)) if comp == "and" else \
                    (lambda p: any(x(p) for x in preds))
        if "timestamp" in f:
            ts = f["timestamp"]
            if ts not in ("created_time", "last_edited_time") or not isinstance(f.get(ts), dict):
                raise validation(f"body failed validation: {where}.timestamp should be "
                                 f"`\"created_time\"` or `\"last_edited_time\"` with a matching "
                                 f"condition, instead was `{jdump(ts)}`.")
            cond = self.date_condition(f[ts], f"{where}.{ts}")
            return lambda p: cond(p[ts])
        if "property" in f:
            name, sch = self.find_prop(db, f["property"])
            if sch is None:
                raise validation(f"Could not find property with name or id: {f['property']}")
            t = sch["type"]
            ftype = next((k for k in f if k != "property" and k != "type"), None)
            if ftype is None or not isinstance(f.get(ftype), dict):
                raise validation(f"body failed validation: {where}.{t} should be defined, instead "
                                 f"was `undefined`.")
            cond = f[ftype]
            return self.property_condition(db, name, sch, ftype, cond, f"{where}.{ftype}")
        raise validation(f"body failed validation: {where}.property should be defined, instead was "
                         f"`undefined`.")

    def date_condition(self, cond, where):
        if len(cond) != 1:
            raise validation(f"body failed validation: {where} should have exactly one condition.")
        op, val = next(iter(cond.items()))
        if op in ("is_empty", "is_not_empty"):
            return (lambda s: s is None) if op == "is_empty" else (lambda s: s is not None)
        rel = {"past_week": -7, "past_month": -30, "past_year": -365,
               "next_week": 7, "next_month": 30, "next_year": 365, "this_week": 0}
        if op in rel:
            now = self.clock()
            lo, hi = (now + timedelta(days=rel[op]), now) if rel[op] < 0 else (now, now + timedelta(days=rel[op] or 7))

            def relf(s):
                if s is None:
                    return False
                d = parse_time(s)[0]
                return lo <= d <= hi
            return relf
        if op not in ("equals", "before", "after", "on_or_before", "on_or_after", "does_not_equal"):
            raise validation(f"body failed validation: {where}.{op} is not a supported date condition.")
        try:
            ref, date_only = parse_time(val)
        except (ValueError, TypeError):
            raise validation(f"body failed validation: {where}.{op} should be a valid ISO 8601 date "
                             f"string, instead was `{jdump(val)}`.")
        day_end = ref + timedelta(days=1)

        def check(s):
            if s is None:
                return False
            d = parse_time(s)[0]
            if date_only:
                return {"equals": ref <= d < day_end, "does_not_equal": not (ref <= d < day_end),
                        "before": d < ref, "on_or_after": d >= ref,
                        "after": d >= day_end, "on_or_before": d < day_end}[op]
            return {"equals": d == ref, "does_not_equal": d != ref, "before": d < ref,
                    "after": d > ref, "on_or_before": d <= ref, "on_or_after": d >= ref}[op]
        return check

    def property_condition(self, db, name, sch, ftype, cond, where):
        t = sch["type"]

        def val(p):
            return self.value_of(p, db, name, sch, full=True)[0]
        if ftype in ("date", "created_time", "last_edited_time") or t in ("date",):
            dc = self.date_condition(cond, where)

            def f(p):
                v = val(p)
                if isinstance(v, dict):
                    v = v.get("start") if "start" in v else (v.get("date") or {}).get("start") \
                        if v.get("type") == "date" else None
                return dc(v)
            return f
        if len(cond) != 1:
            raise validation(f"body failed validation: {where} should have exactly one condition.")
        op, ref = next(iter(cond.items()))
        if ftype in ("title", "rich_text", "url", "email", "phone_number"):
            def text(p):
                v = val(p)
                return plain_title(v) if isinstance(v, list) else (v or "")
            ops = {"equals": lambda s: s == ref, "does_not_equal": lambda s: s != ref,
                   "contains": lambda s: str(ref).lower() in s.lower(),
                   "does_not_contain": lambda s: str(ref).lower() not in s.lower(),
                   "starts_with": lambda s: s.startswith(str(ref)),
                   "ends_with": lambda s: s.endswith(str(ref)),
                   "is_empty": lambda s: s == "", "is_not_empty": lambda s: s != ""}
            if op not in ops:
                raise validation(f"body failed validation: {where}.{op} is not a supported condition.")
            return lambda p: ops[op](text(p))
        if ftype == "number":
            ops = {"equals": lambda v: v == ref, "does_not_equal": lambda v: v != ref,
                   "greater_than": lambda v: v is not None and v > ref,
                   "less_than": lambda v: v is not None and v < ref,
                   "greater_than_or_equal_to": lambda v: v is not None and v >= ref,
                   "less_than_or_equal_to": lambda v: v is not None and v <= ref,
                   "is_empty": lambda v: v is None, "is_not_empty": lambda v: v is not None}
            if op not in ops:
                raise validation(f"body failed validation: {where}.{op} is not a supported condition.")

            def num(p):
                v = val(p)
                if isinstance(v, dict):
                    v = v.get("number")
                return v
            return lambda p: ops[op](num(p))
        if ftype == "checkbox":
            if op not in ("equals", "does_not_equal"):
                raise validation(f"body failed validation: {where}.{op} is not a supported condition.")
            return lambda p: (bool(val(p)) == ref) == (op == "equals")
        if ftype in ("select", "status"):
            ops = {"equals": lambda v: v is not None and v["name"] == ref,
                   "does_not_equal": lambda v: v is None or v["name"] != ref,
                   "is_empty": lambda v: v is None, "is_not_empty": lambda v: v is not None}
            if op not in ops:
                raise validation(f"body failed validation: {where}.{op} is not a supported condition.")
            return lambda p: ops[op](val(p))
        if ftype in ("multi_select", "relation", "people"):
            def members(p):
                v = val(p) or []
                return [x.get("name") if ftype == "multi_select" else x.get("id") for x in v]
            ops = {"contains": lambda m: ref in m, "does_not_contain": lambda m: ref not in m,
                   "is_empty": lambda m: not m, "is_not_empty": lambda m: bool(m)}
            if op not in ops:
                raise validation(f"body failed validation: {where}.{op} is not a supported condition.")
            if ftype != "multi_select" and isinstance(ref, str):
                ref = norm_id(ref) or ref
            return lambda p: ops[op](members(p))
        raise validation(f"body failed validation: {where} filters on {ftype} are not supported by "
                         f"this emulator.")

    def get_block(self, oid):
        if self.kind(oid) is None:
            raise self.not_found("block", oid)
        return self.render_block(oid)

    def list_children(self, oid, start_cursor, page_size):
        if self.kind(oid) is None:
            raise self.not_found("block", oid)
        ids = self.child_ids(oid)
        chunk, nxt, more = self.paginate(ids, start_cursor, page_size)
        return {"object": "list", "results": [self.render_block(c) for c in chunk],
                "next_cursor": nxt, "has_more": more, "type": "block", "block": {}}

    def check_editable(self, oid):
        k = self.kind(oid)
        arch = (self.blocks[oid]["archived"] if k == "block" else self.pages[oid]["archived"]
                if k == "page" else self.databases[oid]["archived"])
        if arch:
            raise validation("Can't edit block that is archived. You must unarchive the block "
                             "before editing.")

    def append_children(self, oid, body, actor, api=True):
        k = self.kind(oid)
        if k is None:
            raise self.not_found("block", oid)
        if not isinstance(body, dict):
            raise validation("body failed validation: body should be an object.")
        kids = body.get("children")
        if not isinstance(kids, list):
            raise validation("body failed validation: body.children should be an array, instead "
                             f"was `{jdump(kids)}`.")
        if api and len(kids) > 100:
            raise validation(f"body failed validation: body.children.length should be ≤ `100`, "
                             f"instead was `{len(kids)}`.")
        if k == "database":
            raise validation("Block type child_database does not support children.")
        self.check_editable(oid)
        if k == "block":
            t = self.blocks[oid]["type"]
            if t in ("divider", "breadcrumb", "equation", "code", "image", "video", "file", "pdf",
                     "audio", "bookmark", "embed", "link_preview", "link_to_page",
                     "table_of_contents", "table_row", "child_database", "unsupported"):
                raise validation(f"Block type {t} does not support children.")
            if self.blocks[oid]["type"] == "synced_block" and self.blocks[oid]["body"].get("synced_from"):
                raise validation("Cannot append children to a synced block reference; append to the "
                                 "original synced block.")
        after = body.get("after")
        if after is not None and self.v2026():
            raise validation(f"body failed validation: body.after should be not present, instead was "
                             f"`{jdump(after)}`. Use body.position.")
        position = body.get("position") if self.new_api() else None
        if after is not None and position is not None:
            raise validation("body failed validation: give body.after or body.position, not both.")
        lst = self.children.setdefault(oid, [])
        pos = len(lst)
        if position is not None:
            ptype = position.get("type") if isinstance(position, dict) else None
            if ptype == "after_block":
                after = (position.get("after_block") or {}).get("id") if isinstance(
                    position.get("after_block"), dict) else None
                if after is None:
                    raise validation("body failed validation: body.position.after_block.id should be "
                                     "defined, instead was `undefined`.")
            elif ptype == "start":
                pos = 0
            elif ptype != "end":
                raise validation("body failed validation: body.position.type should be "
                                 "`\"after_block\"`, `\"start\"` or `\"end\"`, instead was "
                                 f"`{jdump(ptype)}`.")
        if after is not None:
            aid = norm_id(after)
            if aid is None:
                raise validation(f"body failed validation: body.after should be a valid uuid, "
                                 f"instead was `{jdump(after)}`.")
            if aid not in lst or not self.visible(aid, oid):
                raise validation(f"Could not find block with ID: {aid} among the children of {oid}.")
            pos = lst.index(aid) + 1
        specs = [self.prep_block(c, f"body.children[{i}]", 1 if api else -100, api)
                 for i, c in enumerate(kids)]
        now = self.now()
        page_id = self.owning_page(oid)
        parent = self.block_parent_ref(oid)
        new_ids = [self.commit_block(s, parent, page_id, actor, now) for s in specs]
        lst[pos:pos] = new_ids
        self.touch_block_chain(oid, actor, now)
        # Notion lists the new blocks followed by the siblings after them (unless at the end)
        visible_after = [c for c in lst[pos + len(new_ids):] if self.visible(c, oid)] \
            if after or pos == 0 else []
        results = [self.render_block(c) for c in new_ids + visible_after]
        return {"object": "list", "results": results, "next_cursor": None, "has_more": False,
                "type": "block", "block": {}}

    def update_block(self, oid, body, actor, api=True):
        k = self.kind(oid)
        if k is None:
            raise self.not_found("block", oid)
        if not isinstance(body, dict):
            raise validation("body failed validation: body should be an object.")
        self.refuse_archived_key(body)
        arch = None
        for key in ("archived", "in_trash"):
            if key in body:
                if not isinstance(body[key], bool):
                    raise validation(f"body failed validation: body.{key} should be a boolean.")
                arch = body[key]
        content_keys = [x for x in body if x not in ("archived", "in_trash", "type", "object", "id")]
        if k == "page":
            if content_keys:
                raise validation("Block type child_page cannot be updated through the blocks "
                                 "endpoint; use PATCH /v1/pages.")
            self.update_page(oid, {"archived": arch} if arch is not None else {}, actor, api)
            return self.render_block(oid)
        if k == "database":
            if content_keys:
                raise validation("Block type child_database cannot be updated through the blocks "
                                 "endpoint; use PATCH /v1/databases.")
            if arch is not None:
                self.databases[oid]["archived"] = arch
            self.databases[oid]["last_edited_time"], self.databases[oid]["last_edited_by"] = self.now(), actor
            return self.render_block(oid)
        b = self.blocks[oid]
        if b["archived"] and arch is not False:
            raise validation("Can't edit block that is archived. You must unarchive the block "
                             "before editing.")
        new_body = None
        for key in content_keys:
            if key != b["type"]:
                raise validation(f"body failed validation: body.{key} is not valid for a block of "
                                 f"type {b['type']}; the block type cannot be changed.")
            if not isinstance(body[key], dict):
                raise validation(f"body failed validation: body.{key} should be an object.")
            if "children" in body[key]:
                raise validation(f"body failed validation: body.{key}.children should be not "
                                 f"present; use PATCH /v1/blocks/{{id}}/children.")
            if b["type"] in ("child_page", "child_database", "unsupported", "link_preview") or \
                    b["type"] not in self.creatable() | {"child_page"}:
                raise validation(f"Block type {b['type']} is not supported for updates via the API.")
            new_body = self.norm_block_body(b["type"], body[key], f"body.{key}", api, False,
                                            old=b["body"])
        now = self.now()
        if new_body is not None:
            b["body"] = new_body
        if arch is not None:
            b["archived"] = arch
        self.touch_block_chain(oid, actor, now)
        return self.render_block_record(b)

    def delete_block(self, oid, actor):
        k = self.kind(oid)
        if k is None:
            raise self.not_found("block", oid)
        self.check_editable(oid)
        now = self.now()
        if k == "block":
            self.blocks[oid]["archived"] = True
            self.touch_block_chain(oid, actor, now)
        elif k == "page":
            p = self.pages[oid]
            p["archived"], p["last_edited_time"], p["last_edited_by"] = True, now, actor
        else:
            d = self.databases[oid]
            d["archived"], d["last_edited_time"], d["last_edited_by"] = True, now, actor
        return self.render_block(oid)

    def list_users(self, start_cursor, page_size):
        chunk, nxt, more = self.paginate(self.user_order, start_cursor, page_size)
        return {"object": "list", "results": [copy.deepcopy(self.users[u]) for u in chunk],
                "next_cursor": nxt, "has_more": more, "type": "user", "user": {}}

    def get_user(self, uid):
        if uid not in self.users:
            raise ApiError(404, "object_not_found", f"Could not find user with ID: {uid}.")
        return copy.deepcopy(self.users[uid])

    def property_item(self, pid, prop_key, start_cursor, page_size):
        if pid not in self.pages:
            raise self.not_found("page", pid)
        p = self.pages[pid]
        self.old_guard_page(p)
        db = self.page_db(p)
        if db:
            name, sch = self.find_prop(db, prop_key)
        elif same_prop_id("title", prop_key):
            name, sch = "title", {"id": "title", "type": "title", "title": {}}
        else:
            name, sch = None, None
        if sch is None:
            raise ApiError(404, "object_not_found", f"Could not find property with ID: {prop_key}.")
        t, prid = sch["type"], sch["id"]
        value, _ = self.value_of(p, db, name, sch, full=True)
        if t not in PAGINATED_PROPS:
            return {"object": "property_item", "type": t, "id": prid, t: value}
        if t == "rollup":
            items, summary = [], value
            if value.get("type") == "array":
                items = [dict({"object": "property_item", "id": prid}, **el) for el in value["array"]]
                summary = {"type": "array", "array": [], "function": value.get("function")}
        else:
            if t == "people":
                value = [self.full_user(u["id"]) for u in value]
            items = [{"object": "property_item", "type": t, "id": prid, t: el} for el in value]
            summary = {}
        start = 0
        if start_cursor is not None:
            m = re.fullmatch(r"pi_([0-9a-f]+)", start_cursor or "")
            if not m or int(m.group(1), 16) > len(items):
                raise validation(f"The start_cursor provided is invalid: {start_cursor}")
            start = int(m.group(1), 16)
        chunk = items[start:start + page_size]
        more = start + page_size < len(items)
        nxt = f"pi_{start + page_size:08x}" if more else None
        return {"object": "list", "results": chunk, "next_cursor": nxt, "has_more": more,
                "type": "property_item",
                "property_item": {"id": prid,
                                  "next_url": (f"https://api.notion.com/v1/pages/{pid}/properties/"
                                               f"{prid}?start_cursor={nxt}") if more else None,
                                  "type": t, t: summary}}

    # -- admin operations ----------------------------------------------------------------------
    def admin_edit_page(self, body):
        pid = norm_id(body.get("page_id"))
        if pid not in self.pages:
            raise self.not_found("page", body.get("page_id"))
        actor = self.other_editor_id
        p = self.pages[pid]
        props = dict(body.get("properties") or {})
        if "title" in body:
            props[self.title_prop_name(p)] = {"title": [text_item(body["title"])] if body["title"] else []}
        values, pending = self.convert_props(p["parent"], props, api=False)
        rep = body.get("replace_text")
        if rep:
            bid = norm_id(rep.get("block_id"))
            if bid not in self.blocks:
                raise self.not_found("block", rep.get("block_id"))
            if "rich_text" not in self.blocks[bid]["body"]:
                raise validation(f"block {bid} of type {self.blocks[bid]['type']} has no rich_text")
        specs = [self.prep_block(c, f"append_blocks[{i}]", -100, api=True)
                 for i, c in enumerate(body.get("append_blocks") or [])]
        now = self.now()
        self.commit_props(p, values, pending, actor, now)
        if rep:
            b = self.blocks[bid]
            b["body"]["rich_text"] = [text_item(rep.get("text", ""))]
            self.touch_block_chain(bid, actor, now)
        lst = self.children.setdefault(pid, [])
        for s in specs:
            lst.append(self.commit_block(s, {"type": "page_id", "page_id": pid}, pid, actor, now))
        p["last_edited_time"], p["last_edited_by"] = now, actor
        return self.render_page(p)

    def admin_set_archived(self, body, value):
        pid = norm_id(body.get("page_id"))
        if pid not in self.pages:
            raise self.not_found("page", body.get("page_id"))
        p = self.pages[pid]
        p["archived"] = value
        p["last_edited_time"], p["last_edited_by"] = self.now(), self.other_editor_id
        return self.render_page(p)

    def admin_delete_page(self, body):
        pid = norm_id(body.get("page_id"))
        if pid not in self.pages:
            raise self.not_found("page", body.get("page_id"))

        def drop_tree(oid):
            for c in self.children.pop(oid, []):
                if c in self.blocks:
                    drop_tree(c)
                    del self.blocks[c]
                elif c in self.pages and self.holder_id(self.pages[c]["parent"]) == oid:
                    drop_page(c)

        def drop_page(x):
            drop_tree(x)
            self.pages.pop(x, None)
            for lst in self.children.values():
                if x in lst:
                    lst.remove(x)
            for other in self.pages.values():
                for k, v in other["props"].items():
                    if isinstance(v, list) and x in v:
                        other["props"][k] = [r for r in v if r != x]
        drop_page(pid)
        return {"deleted": pid}

    def admin_move_page(self, body):
        """A person moves a page in Notion: {"page_id", "parent": {"page_id"} | {"block_id"} |
        {"data_source_id"} | {"database_id"} | {"workspace": true}}."""
        pid = norm_id(body.get("page_id"))
        if pid not in self.pages:
            raise self.not_found("page", body.get("page_id"))
        return self.move_page(pid, {"parent": body.get("parent")}, self.other_editor_id, api=False)

    def admin_share(self, body):
        """{"id" (a page or database), "shared": true | false | null}: shares it with the
        integration, stops sharing it, or lets it follow what holds it (what it holds follows,
        see *Sharing*); answers {"id", "shared", "accessible"}."""
        oid = norm_id(body.get("id"))
        rec = self.pages.get(oid) or self.databases.get(oid)
        if rec is None:
            raise self.not_found("page", body.get("id"))
        rec["shared"] = self.shared_flag(body, "body")
        return {"id": oid, "shared": rec["shared"], "accessible": self.accessible(oid)}

    def admin_create_page(self, body):
        req = {"properties": body.get("properties") or {}, "children": body.get("children") or []}
        if body.get("data_source_id"):
            req["parent"] = {"type": "data_source_id", "data_source_id": body["data_source_id"]}
        elif body.get("database_id"):
            req["parent"] = {"database_id": body["database_id"]}
        elif body.get("page_id"):
            req["parent"] = {"page_id": body["page_id"]}
        else:
            req["parent"] = body.get("parent")
        for k in ("icon", "cover"):
            if k in body:
                req[k] = body[k]
        return self.create_page(req, self.other_editor_id, api=False)


# ----------------------------------------------------------------------------------------------
# generated workspaces
# ----------------------------------------------------------------------------------------------

def generate_workspace(n, k=3, sources=1, pages=0):
    """One database "Bench" with n pages of k body blocks each (deterministic); with sources > 1
    the database has that many data sources ("Bench 1", ...) and the pages are dealt among them.
    The database is shared on its own; its page "Bench root" is not.  pages > 0 adds that many
    standalone pages in a tree (generate_page_tree)."""
    base = datetime(2025, 6, 2, 8, 0, tzinfo=timezone.utc)
    bot, person = DEFAULT_BOT_ID, DEFAULT_OTHER_EDITOR_ID
    root = det_id("bench", "root")
    db = det_id("bench", "db")
    users = [{"object": "user", "id": bot, "name": "notionfs emulator", "avatar_url": None, "type": "bot",
              "bot": {"owner": {"type": "workspace", "workspace": True}, "workspace_name": "Bench"}},
             {"object": "user", "id": person, "name": "Other Editor", "avatar_url": None,
              "type": "person", "person": {"email": "other.editor@example.com"}}]
    t0 = iso_minute(base)
    statuses = ["Not started", "In progress", "Done"]
    tags = ["alpha", "beta", "gamma", "delta", "epsilon"]
    ws = {"format": 1, "bot_id": bot, "other_editor_id": person, "users": users,
          "databases": [{
              "id": db, "title": "Bench", "parent": {"type": "page_id", "page_id": root}, "shared": True,
              "created_time": t0, "last_edited_time": t0, "created_by": person, "last_edited_by": person,
              "properties": {
                  "Name": {"type": "title", "title": {}},
                  "Status": {"type": "status", "status": {
                      "options": [{"name": s, "color": c} for s, c in zip(statuses, ["default", "blue", "green"])],
                      "groups": [{"name": "To-do", "color": "gray", "option_ids": ["Not started"]},
                                 {"name": "In progress", "color": "blue", "option_ids": ["In progress"]},
                                 {"name": "Complete", "color": "green", "option_ids": ["Done"]}]}},
                  "Points": {"type": "number", "number": {"format": "number"}},
                  "Due": {"type": "date", "date": {}},
                  "Tags": {"type": "multi_select", "multi_select": {
                      "options": [{"name": t, "color": COLORS[i + 3]} for i, t in enumerate(tags)]}},
                  "Notes": {"type": "rich_text", "rich_text": {}},
              }}],
          "pages": [{"id": root, "parent": {"type": "workspace", "workspace": True}, "shared": False,
                     "created_time": t0, "last_edited_time": t0, "created_by": person,
                     "last_edited_by": person,
                     "properties": {"title": {"type": "title", "title": [text_item("Bench root")]}},
                     "children": [{"type": "child_database", "id": db}]}]}
    if sources > 1:
        d = ws["databases"][0]
        props = d.pop("properties")
        d["data_sources"] = [{"id": det_id("bench", "data_source", j), "title": f"Bench {j + 1}",
                              "created_time": t0, "last_edited_time": t0, "created_by": person,
                              "last_edited_by": person, "properties": copy.deepcopy(props)}
                             for j in range(sources)]
    for i in range(n):
        ct = iso_minute(base + timedelta(minutes=i + 1))
        pid = det_id("bench", "page", i)
        blocks = []
        for j in range(k):
            kind = ("paragraph", "heading_2", "to_do")[j % 3]
            txt = f"Item {i} block {j}"
            body = {"rich_text": [text_item(txt)], "color": "default"}
            if kind == "heading_2":
                body["is_toggleable"] = False
            if kind == "to_do":
                body["checked"] = (i + j) % 2 == 0
            blocks.append({"id": det_id("bench", "block", i, j), "type": kind, kind: body})
        ws["pages"].append({
            "id": pid, "parent": ({"type": "database_id", "database_id": db} if sources <= 1 else
                                  {"type": "data_source_id",
                                   "data_source_id": det_id("bench", "data_source", i % sources)}),
            "created_time": ct, "last_edited_time": ct, "created_by": person, "last_edited_by": person,
            "properties": {
                "Name": {"type": "title", "title": [text_item(f"Item {i:05d}")]},
                "Status": {"type": "status", "status": {"name": statuses[i % 3]}},
                "Points": {"type": "number", "number": i % 13},
                "Due": {"type": "date", "date": {"start": (base + timedelta(days=i % 365)).strftime("%Y-%m-%d"),
                                                 "end": None, "time_zone": None}},
                "Tags": {"type": "multi_select", "multi_select": [{"name": tags[i % 5]}] +
                         ([{"name": tags[(i + 2) % 5]}] if i % 2 else [])},
                "Notes": {"type": "rich_text", "rich_text": [text_item(f"Generated note {i}")]},
            },
            "children": blocks})
    ws["pages"] += generate_page_tree(pages, k, base + timedelta(minutes=n + 1), person)
    return ws


def generate_page_tree(count, k, base, person, top=10, branching=5):
    """count standalone pages "Page 00000" ... in a tree: the first `top` at workspace level, then
    each page in turn gets `branching` sub-pages (breadth first); every third page has k text
    blocks (paragraphs "Page J text B"), the others none.  Deterministic ids and times."""
    out = []
    for j in range(count):
        pid = det_id("bench", "tree", j)
        parent = ({"type": "workspace", "workspace": True} if j < top else
                  {"type": "page_id", "page_id": det_id("bench", "tree", (j - top) // branching)})
        t = iso_minute(base + timedelta(minutes=j))
        blocks = [{"id": det_id("bench", "tree-block", j, b), "type": "paragraph",
                   "paragraph": {"rich_text": [text_item(f"Page {j} text {b}")], "color": "default"}}
                  for b in range(k)] if j % 3 == 0 else []
        out.append({"id": pid, "parent": parent, "created_time": t, "last_edited_time": t,
                    "created_by": person, "last_edited_by": person,
                    "properties": {"title": {"type": "title", "title": [text_item(f"Page {j:05d}")]}},
                    "children": blocks})        # sub-pages are appended after the blocks on load
    return out


def empty_workspace():
    return {"format": 1, "bot_id": DEFAULT_BOT_ID, "other_editor_id": DEFAULT_OTHER_EDITOR_ID,
            "users": [], "databases": [], "pages": []}


# ----------------------------------------------------------------------------------------------
# the emulator (state + faults + rate limits + log) and its HTTP server
# ----------------------------------------------------------------------------------------------

class Emulator:
    def __init__(self, token, rate, burst, quiet=False, latency_ms=0, jitter_ms=0, seed=0):
        self.lock = threading.RLock()
        self.token = token
        self.quiet = quiet
        self.clock_offset = 0.0
        self.ws = Workspace(self.clock)
        self.rate, self.burst = float(rate), float(burst)
        self.buckets = {}                   # token -> [tokens, last refill monotonic]
        # request-matching fault rules, each with "count" and the filters of parse_rule
        self.fail_rules = []                # + "status", "html"
        self.drop_rules = []
        self.lose_rules = []
        self.delay_rules = []               # + "ms", "apply"
        # latency of every /v1 answer: slow_ms + uniform(0, jitter_ms), drawn from rng (seeded)
        self.slow_ms, self.jitter_ms = max(0, int(latency_ms)), max(0, int(jitter_ms))
        self.rng = random.Random(seed)
        self.storm = {"count": 0, "retry_after": 1, "rate_limit_reason": None}
        self.log = deque(maxlen=200000)
        self.log_seq = 0
        self.in_flight = 0                  # /v1 requests being handled now (GET /_admin/idle)
        self.served = 0                     # /v1 requests handled since the start

    def clock(self):
        return datetime.now(timezone.utc) + timedelta(seconds=self.clock_offset)

    # -- rate limiting --------------------------------------------------------------------------
    def take_token(self, key):
        """Returns None when allowed, else the Retry-After seconds."""
        with self.lock:
            if self.rate <= 0:
                return None
            now = time.monotonic()
            b = self.buckets.get(key)
            if b is None:
                b = self.buckets[key] = [self.burst, now]
            b[0] = min(self.burst, b[0] + (now - b[1]) * self.rate)
            b[1] = now
            if b[0] >= 1.0:
                b[0] -= 1.0
                return None
            return max(1, int(math.ceil((1.0 - b[0]) / self.rate)))

    def set_rate(self, rate=None, burst=None):
        with self.lock:
            if rate is not None:
                self.rate = float(rate)
            if burst is not None:
                self.burst = max(1.0, float(burst))
            self.buckets.clear()

    # -- faults ------------------------------------------------------------------------------
    @staticmethod
    def parse_rule(v, name):
        """A fault rule from the admin body: an int N means {"count": N}; the optional filters are
        "method" (any case, stored upper-case; null = any), "path_prefix" and "path_suffix"
        (of the path without the query; "" = any).  Raises ValueError on a bad rule."""
        if isinstance(v, bool) or not isinstance(v, (int, dict)):
            raise ValueError(f"{name}: expected a count or an object")
        if isinstance(v, int):
            v = {"count": v}
        count = v.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"{name}.count must be an integer >= 0")
        method = v.get("method")
        if method is not None and (not isinstance(method, str) or not method.isalpha()):
            raise ValueError(f"{name}.method must be an HTTP method name")
        rule = {"count": count, "method": method.upper() if method else None}
        for key in ("path_prefix", "path_suffix"):
            x = v.get(key) or ""
            if not isinstance(x, str):
                raise ValueError(f"{name}.{key} must be a string")
            rule[key] = x
        return rule, v

    @staticmethod
    def parse_reason(v, name):
        """The optional "rate_limit_reason" of a fault (a string: the additional_data member of
        Notion's 429 answers naming the limit that was hit), or None.  Raises ValueError."""
        r = v.get("rate_limit_reason")
        if r is not None and not isinstance(r, str):
            raise ValueError(f"{name}.rate_limit_reason must be a string")
        return r

    def pop_rule(self, rules, method, path):
        """Takes one use of the first rule matching the request; returns a copy of it or None."""
        with self.lock:
            for r in rules:
                if (r["count"] > 0 and (r["method"] is None or r["method"] == method)
                        and path.startswith(r["path_prefix"]) and path.endswith(r["path_suffix"])):
                    r["count"] -= 1
                    if r["count"] <= 0:
                        rules.remove(r)
                    return dict(r)
        return None

    def pop_storm(self):
        """One use of the 429 storm: (Retry-After seconds, rate_limit_reason or None), or None."""
        with self.lock:
            if self.storm["count"] > 0:
                self.storm["count"] -= 1
                return (max(1, int(self.storm.get("retry_after") or 1)),
                        self.storm.get("rate_limit_reason"))
        return None

    def faults_state(self):
        with self.lock:
            return {"fail_next": copy.deepcopy(self.fail_rules), "drop_next": copy.deepcopy(self.drop_rules),
                    "lose_answer": copy.deepcopy(self.lose_rules), "delay_answer": copy.deepcopy(self.delay_rules),
                    "slow_ms": self.slow_ms, "jitter_ms": self.jitter_ms, "storm_429": dict(self.storm), "rate": self.rate,
                    "search_stale": self.ws.search_index is not None,
                    "burst": self.burst}

    def set_faults(self, body):
        """Applies an admin faults body; a bad body raises ValueError and changes nothing."""
        if not isinstance(body, dict):
            raise ValueError("expected a JSON object")
        add = []                                        # (rule list, rule)
        if "fail_next" in body:
            rule, f = self.parse_rule(body["fail_next"], "fail_next")
            rule["status"] = int(f.get("status", 500))
            rule["html"] = f.get("html")
            ra = f.get("retry_after")
            if ra is not None and (isinstance(ra, bool) or not isinstance(ra, int) or ra < 0):
                raise ValueError("fail_next.retry_after must be an integer number of seconds >= 0")
            rule["retry_after"] = ra
            rule["rate_limit_reason"] = self.parse_reason(f, "fail_next")
            add.append((self.fail_rules, rule))
        if "drop_next" in body:
            add.append((self.drop_rules, self.parse_rule(body["drop_next"], "drop_next")[0]))
        if "lose_answer" in body:
            add.append((self.lose_rules, self.parse_rule(body["lose_answer"], "lose_answer")[0]))
        if "delay_answer" in body:
            rule, d = self.parse_rule(body["delay_answer"], "delay_answer")
            ms = d.get("ms")
            if isinstance(ms, bool) or not isinstance(ms, (int, float)) or ms < 0:
                raise ValueError("delay_answer.ms (a number of milliseconds >= 0) is required")
            apply = d.get("apply", "before")
            if apply not in ("before", "after"):
                raise ValueError('delay_answer.apply must be "before" or "after"')
            rule["ms"], rule["apply"] = ms, apply
            add.append((self.delay_rules, rule))
        slow = max(0, int(body["slow_ms"])) if "slow_ms" in body else None
        jitter = max(0, int(body["jitter_ms"])) if "jitter_ms" in body else None
        storm = None
        if "storm_429" in body:
            s = body["storm_429"]
            if isinstance(s, int):
                s = {"count": s}
            storm = {"count": int(s.get("count", 1)), "retry_after": int(s.get("retry_after", 1)),
                     "rate_limit_reason": self.parse_reason(s, "storm_429")}
        if "rate" in body and body["rate"] is not None:
            float(body["rate"])
        if "burst" in body and body["burst"] is not None:
            float(body["burst"])
        stale = body.get("search_stale")
        if stale is not None and not isinstance(stale, bool):
            raise ValueError("search_stale must be true or false")
        with self.lock:
            if stale is not None:
                self.ws.freeze_search(stale)
            for rules, rule in add:
                if rule["count"] > 0:
                    rules.append(rule)
            if slow is not None:
                self.slow_ms = slow
            if jitter is not None:
                self.jitter_ms = jitter
            if storm is not None:
                self.storm = storm
            if "rate" in body or "burst" in body:
                self.set_rate(body.get("rate"), body.get("burst"))
            return self.faults_state()

    def clear_faults(self):
        with self.lock:
            self.fail_rules, self.drop_rules, self.lose_rules, self.delay_rules = [], [], [], []
            self.slow_ms = self.jitter_ms = 0
            self.storm = {"count": 0, "retry_after": 1, "rate_limit_reason": None}
            self.ws.freeze_search(False)
            return self.faults_state()

    def latency(self):
        """Seconds this /v1 answer waits: slow_ms + uniform(0, jitter_ms), drawn under the lock
        (the caller sleeps without it)."""
        with self.lock:
            ms = self.slow_ms + (self.rng.uniform(0, self.jitter_ms) if self.jitter_ms else 0)
        return ms / 1000.0

    # -- request log and idle counters ----------------------------------------------------------
    def log_request(self, method, path, query, body):
        """Logs a /v1 request as it starts; it is in flight until settle()."""
        with self.lock:
            self.log_seq += 1
            e = {"seq": self.log_seq, "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                 "t": time.monotonic(), "t_answered": None,
                 "method": method, "path": path, "query": query, "status": None, "body": body}
            self.log.append(e)
            self.in_flight += 1
            e["in_flight"] = self.in_flight
            return e

    def settle(self, entry, status, first, extra=None):
        """Records a /v1 request's outcome in its log entry; the first time, it stops being in
        flight and counts as served.  Called just before its answer is written (or lost)."""
        with self.lock:
            entry["status"] = status
            entry.update(extra or {})
            if first:
                entry["t_answered"] = time.monotonic()
                self.in_flight -= 1
                self.served += 1

    def idle_state(self):
        with self.lock:
            return {"in_flight": self.in_flight, "served": self.served}


NEW_ROUTES = {"create_source", "get_source", "update_source", "query_source", "move_page"}
OLD_ROUTES = {"query"}           # gone with 2025-09-03 (rows are queried by data source)
ROUTES = [
    ("POST", re.compile(r"^/v1/search$"), "search"),
    ("GET", re.compile(r"^/v1/databases/([^/]+)$"), "get_database"),
    ("PATCH", re.compile(r"^/v1/databases/([^/]+)$"), "update_database"),
    ("POST", re.compile(r"^/v1/databases/([^/]+)/query$"), "query"),
    ("POST", re.compile(r"^/v1/data_sources$"), "create_source"),
    ("GET", re.compile(r"^/v1/data_sources/([^/]+)$"), "get_source"),
    ("PATCH", re.compile(r"^/v1/data_sources/([^/]+)$"), "update_source"),
    ("POST", re.compile(r"^/v1/data_sources/([^/]+)/query$"), "query_source"),
    ("POST", re.compile(r"^/v1/pages/([^/]+)/move$"), "move_page"),
    ("POST", re.compile(r"^/v1/pages$"), "create_page"),
    ("GET", re.compile(r"^/v1/pages/([^/]+)$"), "get_page"),
    ("PATCH", re.compile(r"^/v1/pages/([^/]+)$"), "update_page"),
    ("GET", re.compile(r"^/v1/pages/([^/]+)/properties/([^/]+)$"), "property_item"),
    ("GET", re.compile(r"^/v1/blocks/([^/]+)/children$"), "list_children"),
    ("PATCH", re.compile(r"^/v1/blocks/([^/]+)/children$"), "append_children"),
    ("GET", re.compile(r"^/v1/blocks/([^/]+)$"), "get_block"),
    ("PATCH", re.compile(r"^/v1/blocks/([^/]+)$"), "update_block"),
    ("DELETE", re.compile(r"^/v1/blocks/([^/]+)$"), "delete_block"),
    ("GET", re.compile(r"^/v1/users$"), "list_users"),
    ("GET", re.compile(r"^/v1/users/me$"), "users_me"),
    ("GET", re.compile(r"^/v1/users/([^/]+)$"), "get_user"),
]

GATEWAY_HTML = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
                b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
                b"</body>\r\n</html>\r\n")
FAULT_CODES = {500: ("internal_server_error", "Unexpected error occurred."),
               502: ("bad_gateway", "Bad gateway."),
               503: ("service_unavailable", "Notion is unavailable, please try again later."),
               504: ("gateway_timeout", "Notion timed out while processing the request."),
               409: ("conflict_error", "Conflict occurred while saving. Please try again."),
               429: ("rate_limited", "You have been rate limited. Please try again in a few minutes."),
               529: ("service_overload", "Notion is overloaded, please try again later.")}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "notion-emulator/1"
    sys_version = ""

    def setup(self):
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def log_message(self, fmt, *args):
        if not self.server.emu.quiet:
            sys.stderr.write("notion-emulator: %s - %s\n" % (self.address_string(), fmt % args))

    def do_GET(self):
        self.dispatch()

    do_POST = do_PATCH = do_DELETE = do_PUT = do_HEAD = do_OPTIONS = do_GET

    # -- I/O ------------------------------------------------------------------------------------
    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            data = b""
            while True:
                line = self.rfile.readline()
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def settle(self, status, **extra):
        """The outcome of the /v1 request being handled (no-op for admin calls)."""
        if self.entry is not None:
            self.server.emu.settle(self.entry, status, not self.settled, extra)
            self.settled = True

    def close_without_answer(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def peer_gone(self):
        """Has the client closed (or reset) its end of the connection?"""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    def send_raw(self, status, payload, ctype="application/json; charset=utf-8", headers=None):
        if self.entry is not None:          # a /v1 answer: delay_answer, lose_answer
            extra = {"delay_ms": self.delay["ms"]} if self.delay else {}
            if "Retry-After" in (headers or {}):
                extra["retry_after"] = int(headers["Retry-After"])
            if self.delay and self.delay["apply"] == "before":
                time.sleep(self.delay["ms"] / 1000.0)   # this thread only, no lock held
            if self.lose:
                self.settle(status, lost=True, **extra)
                self.close_without_answer()     # the request was applied; not a byte of its answer goes out
                return
            if self.delay and self.peer_gone():
                self.settle(status, client_gone=True, **extra)
                self.close_connection = True    # the client gave up meanwhile: drop the answer quietly
                return
            self.settle(status, **extra)
        reason = self.responses.get(status, ("Error",))[0]
        lines = [f"HTTP/1.1 {status} {reason}", f"Content-Type: {ctype}",
                 f"Content-Length: {len(payload)}",
                 f"Date: {self.date_time_string()}"]
        for k, v in (headers or {}).items():
            lines.append(f"{k}: {v}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if self.command == "HEAD":
            payload = b""
        self.wfile.write(head + payload)
        try:
            self.wfile.flush()
        except (AttributeError, OSError):
            pass
        if not self.server.emu.quiet:
            self.log_request(status, len(payload))

    def send_json(self, status, obj, rid=None, headers=None):
        h = dict(headers or {})
        if rid:
            h["x-notion-request-id"] = rid
        self.send_raw(status, json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
                      headers=h)

    def send_error_obj(self, err, rid, headers=None):
        body = {"object": "error", "status": err.status, "code": err.code, "message": err.message}
        if err.additional_data:
            body["additional_data"] = err.additional_data
        body["request_id"] = rid
        self.send_json(err.status, body, rid, headers)
        return err.status

    # -- dispatch ---------------------------------------------------------------------------------
    def dispatch(self):
        emu = self.server.emu
        self.entry, self.settled = None, False      # this handler serves a keep-alive connection
        self.lose, self.delay = False, None
        try:
            raw = self.read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        parts = urlsplit(self.path)
        path = parts.path
        if path.startswith("/_admin/") or path == "/_admin":
            return self.admin(path, raw)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        try:
            parsed = json.loads(raw.decode("utf-8")) if raw.strip() else None
            bad_json = False
        except (ValueError, UnicodeDecodeError):
            parsed, bad_json = None, True
        self.entry = emu.log_request(self.command, path, query, parsed)
        rid = str(uuid.uuid4())
        status = 0
        try:
            status = self.api(emu, path, query, raw, parsed, bad_json, rid)
        except (BrokenPipeError, ConnectionResetError):
            self.settle(0)
            self.close_connection = True
        finally:
            if not self.settled:
                self.settle(status)

    def api(self, emu, path, query, raw, parsed, bad_json, rid):
        if emu.pop_rule(emu.drop_rules, self.command, path):
            self.settle(0)
            self.close_without_answer()
            return 0
        wait = emu.latency()
        if wait:
            time.sleep(wait)                            # this thread only, no lock held
        storm = emu.pop_storm()
        if storm:
            ra, reason = storm
            return self.send_error_obj(ApiError(429, "rate_limited", "You have been rate limited. "
                                                "Please try again in a few minutes.",
                                                {"rate_limit_reason": reason} if reason else None), rid,
                                       {"Retry-After": str(ra)})
        rule = emu.pop_rule(emu.fail_rules, self.command, path)
        if rule:
            st = rule["status"]
            if (st == 502 and rule.get("html") is not False) or rule.get("html"):
                self.send_raw(st, GATEWAY_HTML, "text/html")
                return st
            code, msg = FAULT_CODES.get(st, ("internal_server_error", "Unexpected error occurred."))
            ra = rule.get("retry_after")
            if ra is None and st == 429:
                ra = 1
            reason = rule.get("rate_limit_reason")
            return self.send_error_obj(ApiError(st, code, msg,
                                                {"rate_limit_reason": reason} if reason else None), rid,
                                       {"Retry-After": str(ra)} if ra is not None else None)
        # the request goes on (to whatever answer it gets) but its answer is delayed / lost
        self.lose = emu.pop_rule(emu.lose_rules, self.command, path) is not None
        self.delay = emu.pop_rule(emu.delay_rules, self.command, path)
        if self.delay and self.delay["apply"] == "after":
            time.sleep(self.delay["ms"] / 1000.0)       # before anything of the request happens
        auth = self.headers.get("Authorization") or ""
        if auth != f"Bearer {emu.token}":
            return self.send_error_obj(ApiError(401, "unauthorized", "API token is invalid."), rid)
        if not self.headers.get("Notion-Version"):
            return self.send_error_obj(ApiError(
                400, "missing_version", "Notion-Version header failed validation: Notion-Version "
                "header should be defined, instead was `undefined`."), rid)
        ra = emu.take_token(auth)
        if ra:
            return self.send_error_obj(ApiError(429, "rate_limited", "You have been rate limited. "
                                                "Please try again in a few minutes."), rid,
                                       {"Retry-After": str(ra)})
        try:
            for method, rx, name in ROUTES:
                m = rx.match(path)
                if m and method == self.command:
                    break
            else:
                raise ApiError(400, "invalid_request_url", "Invalid request URL.")
            if self.command in ("POST", "PATCH"):
                if bad_json:
                    raise ApiError(400, "invalid_json", "Error parsing JSON body.")
                body = parsed if parsed is not None else {}
            else:
                body = None
            with emu.lock:
                emu.ws.version = self.headers.get("Notion-Version").strip()
                try:
                    result = self.route(emu.ws, name, m.groups(), query, body)
                finally:
                    emu.ws.version = API_VERSION    # admin calls answer as 2022-06-28
            self.send_json(200, dict(result, request_id=rid), rid)
            return 200
        except ApiError as e:
            return self.send_error_obj(e, rid)
        except Exception as e:  # a bug in the emulator: answer like Notion's 500
            import traceback
            traceback.print_exc()
            return self.send_error_obj(ApiError(500, "internal_server_error",
                                                f"Unexpected error occurred ({type(e).__name__})."), rid)

    def route(self, ws, name, groups, query, body):
        actor = ws.bot_id
        if (name in NEW_ROUTES and not ws.new_api()) or (name in OLD_ROUTES and ws.new_api()):
            raise ApiError(400, "invalid_request_url", "Invalid request URL.")
        if name == "search":
            return ws.search(body)
        if name == "create_page":
            return ws.create_page(body, actor)
        if name == "create_source":
            return ws.create_source(body, actor)
        if name == "list_users":
            return ws.list_users(query.get("start_cursor"), page_size_of(query.get("page_size"), "query"))
        if name == "users_me":
            return ws.get_user(ws.bot_id)
        if name == "get_user":
            return ws.get_user(ws.path_id(groups[0], "user_id", "user"))
        param = {"get_database": "database_id", "update_database": "database_id", "query": "database_id",
                 "get_page": "page_id", "update_page": "page_id", "property_item": "page_id",
                 "move_page": "page_id", "get_source": "data_source_id", "update_source": "data_source_id",
                 "query_source": "data_source_id"}.get(name, "block_id")
        oid = ws.path_id(groups[0], param, "")
        ws.check_shared(oid, {"page_id": "page", "block_id": "block"}.get(param, "database"))
        if name == "get_database":
            return ws.get_database(oid)
        if name == "update_database":
            return ws.update_database(oid, body, actor)
        if name == "query":
            return ws.query(oid, body)
        if name == "get_source":
            return ws.get_source(oid)
        if name == "update_source":
            return ws.update_source(oid, body, actor)
        if name == "query_source":
            return ws.query_source(oid, body)
        if name == "move_page":
            return ws.move_page(oid, body, actor)
        if name == "get_page":
            return ws.get_page(oid)
        if name == "update_page":
            return ws.update_page(oid, body, actor)
        if name == "property_item":
            return ws.property_item(oid, groups[1], query.get("start_cursor"),
                                    page_size_of(query.get("page_size"), "query"))
        if name == "list_children":
            return ws.list_children(oid, query.get("start_cursor"), page_size_of(query.get("page_size"), "query"))
        if name == "append_children":
            return ws.append_children(oid, body, actor)
        if name == "get_block":
            return ws.get_block(oid)
        if name == "update_block":
            return ws.update_block(oid, body, actor)
        if name == "delete_block":
            return ws.delete_block(oid, actor)
        raise ApiError(400, "invalid_request_url", "Invalid request URL.")

    # -- admin ---------------------------------------------------------------------------------
    def admin(self, path, raw):
        emu = self.server.emu
        try:
            body = json.loads(raw.decode("utf-8")) if raw.strip() else {}
        except (ValueError, UnicodeDecodeError):
            return self.send_json(400, {"error": "invalid JSON body"})
        name = path[len("/_admin/"):].strip("/")
        cmd = self.command
        try:
            with emu.lock:
                ws = emu.ws
                if cmd == "GET" and name == "state":
                    return self.send_json(200, ws.export())
                if cmd == "GET" and name == "log":
                    return self.send_json(200, {"requests": list(emu.log)})
                if cmd == "GET" and name == "faults":
                    return self.send_json(200, emu.faults_state())
                if cmd == "GET" and name == "idle":
                    return self.send_json(200, emu.idle_state())
                if cmd == "GET" and name == "health":
                    return self.send_json(200, {"ok": True, "pages": len(ws.pages),
                                                "databases": len(ws.databases), "blocks": len(ws.blocks),
                                                "users": len(ws.users), "now": ws.now()})
                if cmd == "GET" and name == "clock":
                    return self.send_json(200, {"offset_seconds": emu.clock_offset, "now": ws.now()})
                if cmd != "POST":
                    return self.send_json(404, {"error": f"unknown admin endpoint {cmd} {path}"})
                if name == "seed":
                    fresh = Workspace(emu.clock)
                    fresh.load(body)              # a bad document leaves the old state untouched
                    emu.ws = ws = fresh
                    return self.send_json(200, {"ok": True, "pages": len(ws.pages),
                                                "databases": len(ws.databases), "blocks": len(ws.blocks)})
                if name == "edit_page":
                    return self.send_json(200, ws.admin_edit_page(body))
                if name == "archive":
                    return self.send_json(200, ws.admin_set_archived(body, True))
                if name == "unarchive":
                    return self.send_json(200, ws.admin_set_archived(body, False))
                if name == "delete_page":
                    return self.send_json(200, ws.admin_delete_page(body))
                if name == "create_page":
                    return self.send_json(200, ws.admin_create_page(body))
                if name == "move_page":
                    ws.version = IN_TRASH_VERSION       # data_source_id parents; answers that shape
                    try:
                        out = ws.admin_move_page(body)
                    finally:
                        ws.version = API_VERSION
                    return self.send_json(200, out)
                if name == "share":
                    return self.send_json(200, ws.admin_share(body))
                if name in ("update_data_source", "create_data_source"):
                    ws.version = IN_TRASH_VERSION       # answers a data source object
                    try:
                        if name == "create_data_source":
                            out = ws.create_source(body, ws.other_editor_id)
                        else:
                            sid = norm_id(body.get("data_source_id"))
                            out = ws.update_source(sid, {k: v for k, v in body.items()
                                                         if k != "data_source_id"}, ws.other_editor_id)
                    finally:
                        ws.version = API_VERSION
                    return self.send_json(200, out)
                if name == "log/clear":
                    emu.log.clear()
                    return self.send_json(200, {"ok": True})
                if name == "faults":
                    return self.send_json(200, emu.set_faults(body))
                if name == "faults/clear":
                    return self.send_json(200, emu.clear_faults())
                if name == "clock":
                    emu.clock_offset = float(body.get("offset_seconds", 0))
                    return self.send_json(200, {"offset_seconds": emu.clock_offset, "now": ws.now()})
                return self.send_json(404, {"error": f"unknown admin endpoint {cmd} {path}"})
        except ApiError as e:
            return self.send_json(e.status, {"object": "error", "status": e.status, "code": e.code,
                                             "message": e.message})
        except (TypeError, ValueError, KeyError, AttributeError) as e:
            return self.send_json(400, {"error": f"{type(e).__name__}: {e}"})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def load_workspace_arg(spec):
    if spec == "empty":
        return empty_workspace()
    if spec == "sample":
        here = os.path.dirname(os.path.abspath(__file__))
        if here not in sys.path:
            sys.path.insert(0, here)
        import sample_workspace
        return sample_workspace.build()
    with open(spec, encoding="utf-8") as f:
        return json.load(f)


def make_server(host="127.0.0.1", port=0, token="secret_demo_token", workspace="sample",
                rate=3.0, burst=10.0, quiet=True, generate=None, generate_blocks=3, generate_sources=1,
                generate_pages=0, latency_ms=0, jitter_ms=0, seed=0):
    """Builds (server, emulator); call server.serve_forever() to run. Used by main() and tests."""
    emu = Emulator(token, rate, burst, quiet, latency_ms, jitter_ms, seed)
    if generate is None and generate_pages:
        generate = 0
    ws_doc = generate_workspace(generate, generate_blocks, generate_sources, generate_pages) \
        if generate is not None else load_workspace_arg(workspace)
    emu.ws.load(ws_doc)
    srv = Server((host, port), Handler)
    srv.emu = emu
    return srv, emu


def main(argv=None):
    ap = argparse.ArgumentParser(description="Local emulator of the Notion API (Notion-Version "
                                 "2022-06-28, 2025-09-03 and 2026-03-11, chosen per request).")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--token", default=os.environ.get("NOTION_EMULATOR_TOKEN") or "secret_demo_token")
    ap.add_argument("--workspace", default="sample", help="sample | empty | PATH.json")
    ap.add_argument("--generate", type=int, metavar="N", help="replace the workspace with a generated "
                    "database 'Bench' of N pages")
    ap.add_argument("--generate-blocks", type=int, default=3, metavar="K")
    ap.add_argument("--generate-sources", type=int, default=1, metavar="S",
                    help="data sources of the generated database (rows dealt among them)")
    ap.add_argument("--generate-pages", type=int, default=0, metavar="P",
                    help="with --generate (N may be 0): P standalone pages in a tree besides the database")
    ap.add_argument("--rate", type=float, default=3.0, help="requests/second per token, 0 = unlimited")
    ap.add_argument("--burst", type=float, default=10.0)
    ap.add_argument("--latency-ms", type=int, default=0, metavar="N",
                    help="every /v1 answer waits N ms (+ --jitter-ms); POST /_admin/faults slow_ms")
    ap.add_argument("--jitter-ms", type=int, default=0, metavar="J",
                    help="plus a uniform draw in [0, J] ms per answer; /_admin/faults jitter_ms")
    ap.add_argument("--seed", type=int, default=0, help="seed of the jitter draws (default 0)")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    try:
        srv, emu = make_server(a.host, a.port, a.token, a.workspace, a.rate, a.burst, a.quiet,
                               a.generate, a.generate_blocks, a.generate_sources, a.generate_pages,
                               a.latency_ms, a.jitter_ms, a.seed)
    except (OSError, ValueError, ApiError) as e:
        print(f"notion-emulator: cannot start: {getattr(e, 'message', e)}", file=sys.stderr)
        return 1
    port = srv.server_address[1]

    def stop(signum, frame):
        threading.Thread(target=srv.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if a.port_file:
        tmp = f"{a.port_file}.tmp.{os.getpid()}"
        with open(tmp, "w") as f:
            f.write(f"{port}\n")
        os.replace(tmp, a.port_file)
    print(f"notion-emulator listening on http://{a.host}:{port}", flush=True)
    try:
        srv.serve_forever(poll_interval=0.2)
    finally:
        srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
