#!/usr/bin/env python3
"""The deterministic sample workspace of the Notion emulator (fixed ids, fixed times).

    python3 contrib/sample_workspace.py > sample.json      # the workspace as JSON
    notion_emulator.py --workspace sample                    # what the emulator loads by default

Sharing: the root page "Sample Workspace" is not shared with the integration (nor its sub-page
"Salary bands"); its databases Tasks, Projects, Notes and its sub-page "Team handbook" are shared
on their own, so they are seen at the top and still name the root as their parent, as on Notion.
The top-level page "Support desk" is not shared either; its database "Support" is.

Three databases under the root page "Sample Workspace" - Tasks, Projects and Notes - use every
property type (title, rich_text, number, select, multi_select, status, date incl. a range and a
date-time, people, files (external and notion-hosted), checkbox, url, email, phone_number,
relation (Tasks <-> Projects, dual), formula (string/number/boolean/date), rollup
(number/array/date), created_time, created_by, last_edited_time, last_edited_by, unique_id with a
prefix, verification, button and the newer `place`).  The Notes page "Block gallery" holds every
block type, including an inline database ("Reading list"), a sub-page, a synced block and its
reference, and a block type the 2022-06-28 API does not document (`meeting_notes`).

Edge cases: two Tasks titled "Weekly review", "Q1/Q2 planning", ".env cleanup" (leading dot), an
empty title, a unicode title, archived pages (Tasks and Notes), the project "Platform rewrite"
related to 27 tasks (relation has_more) and "All hands" whose Team has 31 people, the Notes page
"Engineering handbook" with 103 top-level blocks, lists nested 3 levels deep and a toggle with
105 children.

A top-level page "Support desk" holds the database "Support" with two data sources of different
schemas, "Tickets" and "Customers", related to each other (dual relation Customer <-> Tickets); the
ticket "Cannot log in" holds a heading_4, a tab block and a meeting_notes block.  Seen with
Notion-Version 2025-09-03 or later; a 2022-06-28 request touching it fails with
multiple_data_sources_for_database and search leaves it out, as on Notion, so the older databases
hold no reference into it.  The format is described at the top of notion_emulator.py.

The page tree "Team handbook" (fixed ids in TREE, times from minute 3200 on):

    Team handbook             text in a column_list (a word per column), a toggle, a synced block
    |                         (original), page mentions of Onboarding and of "Salary bands" (not
    |                         shared: the mention's target is never seen), the inline database
    |                         "Equipment" (rows Laptop, Monitor)
    +- Desk setup             parent: a column of the handbook (block_id)
    +- Travel policy          parent: a toggle of the handbook (block_id)
    +- Onboarding
    |  +- First week
    |  |  +- Day one checklist    (mentions the first "Code review")
    |  +- Accounts
    +- Engineering            link_to_page Desk setup, a reference to the handbook's synced block
       +- Code review         link_to_page Onboarding
       +- Code review         same title, created a minute later
       +- Releases            a page ...
       |  +- Release calendar
       +- Releases            ... and a full-page database of the same title (Name, Date, Shipped):
          +- v1.0             a row with the sub-pages "Release notes" and "Rollback plan"
          +- v1.1

Every page of the tree holds a word no other page holds: UNIQUE_WORDS maps the page's path in the
mount (DESIGN.md section 2, collision suffixes included) to it; COLUMN_WORDS, TOGGLE_WORDS and SYNCED
name the words inside columns, the toggle and the synced block and the files that show them;
UNSHARED_WORD is only in the unshared "Salary bands".
"""
import json
import sys
import uuid
from datetime import datetime, timedelta, timezone

NS = uuid.UUID("2b6f0c8e-91d4-4a57-b3e2-7c1d9f0a5e64")
BOT_ID = "3b7f6a52-6d1e-4c0a-9f4e-2a1d5c7e9b10"
OTHER_EDITOR_ID = "5c2e8d41-7a93-4b6f-8e12-9d0c3b4a6f21"
BASE = datetime(2025, 3, 3, 9, 0, tzinfo=timezone.utc)
TODAY = datetime(2025, 4, 1, tzinfo=timezone.utc)
HOSTED = "https://prod-files-secure.s3.us-west-2.amazonaws.com/7d1f3c2a-5b4e-4f60-9a8b-1c2d3e4f5a6b"


def uid(name):
    return str(uuid.uuid5(NS, "sample/" + name))


def ts(minutes):
    return (BASE + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:00.000Z")


# ---- rich text ---------------------------------------------------------------------------------

def T(text, link=None, **ann):
    a = {"bold": False, "italic": False, "strikethrough": False, "underline": False, "code": False,
         "color": "default"}
    a.update(ann)
    return {"type": "text", "text": {"content": text, "link": {"url": link} if link else None},
            "annotations": a, "plain_text": text, "href": link}


def _mention(m, plain, href=None):
    return {"type": "mention", "mention": m, "annotations": T("")["annotations"], "plain_text": plain,
            "href": href}


def M_user(user):
    return _mention({"type": "user", "user": user}, "@" + user["name"])


def M_page(pid, title):
    return _mention({"type": "page", "page": {"id": pid}}, title,
                    "https://www.notion.so/" + pid.replace("-", ""))


def M_db(did, title):
    return _mention({"type": "database", "database": {"id": did}}, title,
                    "https://www.notion.so/" + did.replace("-", ""))


def M_date(start, end=None):
    return _mention({"type": "date", "date": {"start": start, "end": end, "time_zone": None}},
                    start + (f" → {end}" if end else ""))


def M_link(url):
    return _mention({"type": "link_preview", "link_preview": {"url": url}}, url, url)


def EQ(expr):
    return {"type": "equation", "equation": {"expression": expr}, "annotations": T("")["annotations"],
            "plain_text": expr, "href": None}


def rt(*parts):
    return [T(p) if isinstance(p, str) else p for p in parts]


# ---- blocks --------------------------------------------------------------------------------------

def B(kind, body=None, children=None, id=None):
    if kind in ("child_page", "child_database"):
        return {"type": kind, "id": id}       # places a sub-page / inline database here
    b = {"type": kind, kind: body if body is not None else {}}
    if children:
        b["children"] = children
    if id:
        b["id"] = id
    return b


def text_block(kind, *parts, children=None, color="default", **extra):
    body = {"rich_text": rt(*parts), "color": color}
    body.update(extra)
    return B(kind, body, children)


def P(*parts, children=None, color="default"):
    return text_block("paragraph", *parts, children=children, color=color)


def H(level, text, toggle=False, children=None):
    return text_block(f"heading_{level}", text, children=children, is_toggleable=toggle)


def BUL(*parts, children=None):
    return text_block("bulleted_list_item", *parts, children=children)


def NUM(*parts, children=None):
    return text_block("numbered_list_item", *parts, children=children)


def TODO(text, checked=False, children=None):
    return text_block("to_do", text, children=children, checked=checked)


def TOGGLE(text, children=None):
    return text_block("toggle", text, children=children)


def QUOTE(text):
    return text_block("quote", text)


def CALLOUT(text, emoji="💡", color="gray_background"):
    return text_block("callout", text, color=color, icon={"type": "emoji", "emoji": emoji})


def CODE(code, language="python", caption=""):
    return B("code", {"caption": rt(caption) if caption else [], "rich_text": rt(code),
                      "language": language})


def MEDIA(kind, url, hosted=False, caption="", name=None):
    body = {"caption": rt(caption) if caption else [], "type": "file" if hosted else "external",
            ("file" if hosted else "external"): {"url": url}}
    if kind == "file":
        body["name"] = name or url.rsplit("/", 1)[-1]
    return B(kind, body)


def assign_ids(blocks, prefix):
    for i, b in enumerate(blocks):
        if b["type"] in ("child_page", "child_database") and "id" in b and len(b) == 2:
            continue
        b.setdefault("id", uid(f"{prefix}/{i}"))
        assign_ids(b.get("children") or [], f"{prefix}/{i}")
    return blocks


# ---- the page tree "Team handbook" ------------------------------------------------------------------
# Shared with the integration on its own (its parent, the root page, is not), so the mount shows it at
# its root.  Fixed ids and times; every page has a word of its own in its body (UNIQUE_WORDS below).

TREE = {k: uid("page/" + k) for k in (
    "team-handbook", "onboarding", "first-week", "day-one", "accounts", "engineering", "code-review-1",
    "code-review-2", "releases", "release-calendar", "release-notes", "rollback-plan", "desk-setup",
    "travel-policy", "salary-bands")}
TREE.update({"releases-db": uid("db/releases"), "releases-ds": uid("ds/releases"),
             "equipment-db": uid("db/equipment"), "equipment-ds": uid("ds/equipment"),
             "v1.0": uid("release/v1-0"), "v1.1": uid("release/v1-1"),
             "laptop": uid("equipment/laptop"), "monitor": uid("equipment/monitor"),
             "column-left": uid("block/handbook-column-left"), "column-right": uid("block/handbook-column-right"),
             "policies-toggle": uid("block/handbook-policies"), "synced": uid("block/handbook-synced"),
             "synced-ref": uid("block/engineering-synced-ref")})

WORDS = {
    "team-handbook": "quillmarsh", "onboarding": "wrenfallow", "first-week": "tamarindcove",
    "day-one": "pipistrellum", "accounts": "cobaltheron", "engineering": "basaltmoor",
    "code-review-1": "sorrelwick", "code-review-2": "thistlequay", "releases": "marramgate",
    "release-calendar": "ospreyvale", "v1.0": "kestrelford", "v1.1": "umberlake",
    "release-notes": "juniperlode", "rollback-plan": "gannetmere", "laptop": "corvidstone",
    "monitor": "heronwisp", "desk-setup": "alderquoin", "travel-policy": "sedgeborough",
    "column-left": "larkspindle", "column-right": "fennelgrove", "toggle": "brackenhollow",
    "synced": "zinniaharbor", "salary": "cinnabarvault",
}

_HB = "Team handbook"
_ENG = _HB + "/Engineering"
_REL_DB_DIR = f"{_ENG}/Releases ({TREE['releases-db'][-8:]})"   # collides with the page folder "Releases/"
# path in the mount (DESIGN.md section 2) -> the word only that page's own body holds
UNIQUE_WORDS = {
    f"{_HB}.md": WORDS["team-handbook"],
    f"{_HB}/Onboarding.md": WORDS["onboarding"],
    f"{_HB}/Onboarding/First week.md": WORDS["first-week"],
    f"{_HB}/Onboarding/First week/Day one checklist.md": WORDS["day-one"],
    f"{_HB}/Onboarding/Accounts.md": WORDS["accounts"],
    f"{_HB}/Desk setup.md": WORDS["desk-setup"],                   # parent: a column of the handbook
    f"{_HB}/Travel policy.md": WORDS["travel-policy"],             # parent: a toggle of the handbook
    f"{_HB}/Equipment/Laptop.md": WORDS["laptop"],                 # rows of the inline database
    f"{_HB}/Equipment/Monitor.md": WORDS["monitor"],
    f"{_ENG}.md": WORDS["engineering"],
    f"{_ENG}/Code review.md": WORDS["code-review-1"],              # two siblings titled alike:
    f"{_ENG}/Code review ({TREE['code-review-2'][-8:]}).md": WORDS["code-review-2"],   # created later
    f"{_ENG}/Releases.md": WORDS["releases"],                      # a page, and a database, "Releases"
    f"{_ENG}/Releases/Release calendar.md": WORDS["release-calendar"],
    f"{_REL_DB_DIR}/v1.0.md": WORDS["v1.0"],                       # a row with sub-pages
    f"{_REL_DB_DIR}/v1.0/Release notes.md": WORDS["release-notes"],
    f"{_REL_DB_DIR}/v1.0/Rollback plan.md": WORDS["rollback-plan"],
    f"{_REL_DB_DIR}/v1.1.md": WORDS["v1.1"],
}
# words in the text of blocks that hold other blocks: word -> the files showing it
COLUMN_WORDS = {WORDS["column-left"]: [f"{_HB}.md"], WORDS["column-right"]: [f"{_HB}.md"]}
TOGGLE_WORDS = {WORDS["toggle"]: [f"{_HB}.md"]}
# the synced block's text: in its original (the handbook) and in its reference (Engineering)
SYNCED = {"word": WORDS["synced"], "original": f"{_HB}.md", "reference": f"{_ENG}.md",
          "block_id": TREE["synced"], "reference_block_id": TREE["synced-ref"]}
UNSHARED_WORD = WORDS["salary"]        # only in "Salary bands", which the integration cannot see


def tree_databases(owner):
    """The two databases of the tree: "Releases" (full page, in Engineering, beside a page of the same
    title) and "Equipment" (inline, in the handbook)."""
    def db(key, name, parent, created, inline, props):
        return {"id": TREE[key + "-db"], "data_source_id": TREE[key + "-ds"], "title": rt(name),
                "description": [], "parent": {"type": "page_id", "page_id": parent}, "is_inline": inline,
                "icon": None, "cover": None, "archived": False, "created_time": ts(created),
                "last_edited_time": ts(created + 5), "created_by": owner, "last_edited_by": owner,
                "properties": props}
    return [db("releases", "Releases", TREE["engineering"], 3250, False, {
                "Name": {"type": "title", "title": {}}, "Date": {"type": "date", "date": {}},
                "Shipped": {"type": "checkbox", "checkbox": {}}}),
            db("equipment", "Equipment", TREE["team-handbook"], 3260, True, {
                "Item": {"type": "title", "title": {}},
                "Count": {"type": "number", "number": {"format": "number"}}})]


def handbook_tree(page, title, hb, onboard, salary, ada, grace, kath):
    """The pages of the tree (page() and title() are build()'s helpers)."""
    t, w = TREE, WORDS

    def sub(key, parent, created, name, body, edited=None, by=ada, kind="page_id", shared=None):
        page(t[key], {"type": kind, kind: parent}, created, {"title": title(name)}, body,
             edited=edited if edited is not None else created + 7, by=by, shared=shared)

    def link(pid):
        return B("link_to_page", {"type": "page_id", "page_id": pid})

    columns = B("column_list", {}, children=[
        B("column", {}, children=[P("Left column: ", w["column-left"], " desks and chairs."),
                                  B("child_page", id=t["desk-setup"])], id=t["column-left"]),
        B("column", {}, children=[P("Right column: ", w["column-right"], " quiet rooms."),
                                  BUL("Book a room a day ahead")], id=t["column-right"]),
    ])
    policies = TOGGLE("Policies", children=[P("Inside the toggle: ", w["toggle"], "."),
                                            B("child_page", id=t["travel-policy"])])
    policies["id"] = t["policies-toggle"]
    sub("team-handbook", ROOT_ID, 20, "Team handbook", [
        P("How we work (", w["team-handbook"], "). See also ", M_page(onboard, "Onboarding"), ", and ",
          M_page(salary, "Salary bands"), " for people with access."),
        BUL("Be kind"), BUL("Write things down", children=[BUL("Decisions go to the Notes database")]),
        columns,
        policies,
        B("synced_block", {"synced_from": None}, children=[
            P("Office hours every Thursday: ", w["synced"], ".")], id=t["synced"]),
        B("child_database", id=t["equipment-db"]),
        B("child_page", id=onboard),
        B("child_page", id=t["engineering"]),
    ], edited=3300, shared=True)       # shared on its own: the root page holding it is not
    sub("onboarding", hb, 22, "Onboarding", [
        NUM("Get an account"), NUM("Read the handbook"), TODO("Say hello in #general", checked=True),
        P("Welcome aboard: ", w["onboarding"], "."),
        B("child_page", id=t["first-week"]), B("child_page", id=t["accounts"]),
    ], edited=3290)
    sub("first-week", onboard, 3200, "First week", [
        P("Your first week: ", w["first-week"], "."), B("child_page", id=t["day-one"])])
    sub("day-one", t["first-week"], 3202, "Day one checklist", [
        P("On day one (", w["day-one"], ") read ", M_page(t["code-review-1"], "Code review"), "."),
        TODO("Collect your laptop"), TODO("Meet your buddy")])
    sub("accounts", onboard, 3204, "Accounts", [P("Accounts to request: ", w["accounts"], ".")], by=grace)
    sub("desk-setup", t["column-left"], 3206, "Desk setup",
        [P("Adjust the desk: ", w["desk-setup"], ".")], kind="block_id")
    sub("travel-policy", t["policies-toggle"], 3208, "Travel policy",
        [P("Book trains over planes: ", w["travel-policy"], ".")], kind="block_id", by=kath)
    sub("engineering", hb, 3210, "Engineering", [
        P("How engineering works here: ", w["engineering"], "."),
        link(t["desk-setup"]),
        B("synced_block", {"synced_from": {"type": "block_id", "block_id": t["synced"]}}, id=t["synced-ref"]),
        B("child_page", id=t["code-review-1"]), B("child_page", id=t["code-review-2"]),
        B("child_page", id=t["releases"]), B("child_database", id=t["releases-db"]),
    ], edited=3280, by=grace)
    sub("code-review-1", t["engineering"], 3230, "Code review", [
        P("Review within a day: ", w["code-review-1"], "."), link(onboard)], by=grace)
    sub("code-review-2", t["engineering"], 3231, "Code review", [
        P("A second page of the same title: ", w["code-review-2"], ".")], by=kath)
    sub("releases", t["engineering"], 3240, "Releases", [
        P("How we release: ", w["releases"], "."), B("child_page", id=t["release-calendar"])], by=grace)
    sub("release-calendar", t["releases"], 3242, "Release calendar", [
        P("Every other Tuesday: ", w["release-calendar"], ".")], by=grace)
    in_releases = {"type": "database_id", "database_id": t["releases-db"]}
    for i, (key, date, shipped) in enumerate((("v1.0", "2025-03-11", True), ("v1.1", "2025-03-25", False))):
        body = [P(f"Release {key}: ", w[key], ".")]
        if key == "v1.0":
            body += [B("child_page", id=t["release-notes"]), B("child_page", id=t["rollback-plan"])]
        page(t[key], in_releases, 3252 + i, {
            "Name": title(key), "Date": {"type": "date", "date": {"start": date, "end": None, "time_zone": None}},
            "Shipped": {"type": "checkbox", "checkbox": shipped}}, body, edited=3270 + i, by=grace)
    sub("release-notes", t["v1.0"], 3256, "Release notes", [P("What changed: ", w["release-notes"], ".")],
        by=grace)
    sub("rollback-plan", t["v1.0"], 3257, "Rollback plan", [P("How to undo: ", w["rollback-plan"], ".")],
        by=grace)
    in_equipment = {"type": "database_id", "database_id": t["equipment-db"]}
    for i, (key, name, n) in enumerate((("laptop", "Laptop", 12), ("monitor", "Monitor", 20))):
        page(t[key], in_equipment, 3262 + i, {"Item": title(name), "Count": {"type": "number", "number": n}},
             [P(f"{name}s on hand: ", w[key], ".")], edited=3266 + i, by=kath)


ROOT_ID = uid("page/root")


# ---- the workspace ---------------------------------------------------------------------------------

def build():
    users = [
        {"object": "user", "id": BOT_ID, "name": "notionfs emulator", "avatar_url": None, "type": "bot",
         "bot": {"owner": {"type": "workspace", "workspace": True}, "workspace_name": "Sample Workspace"}},
        {"object": "user", "id": OTHER_EDITOR_ID, "name": "Other Editor", "avatar_url": None,
         "type": "person", "person": {"email": "other.editor@example.com"}},
    ]
    named = [("ada", "Ada Lovelace", "ada@example.com"), ("grace", "Grace Hopper", "grace@example.com"),
             ("alan", "Alan Turing", "alan@example.com"), ("kath", "Katherine Johnson", "katherine@example.com"),
             ("linus", "Linus Østergaard", "linus@example.com")]
    U = {}
    for key, name, mail in named:
        u = {"object": "user", "id": uid("user/" + key), "name": name,
             "avatar_url": f"https://example.com/avatars/{key}.png", "type": "person", "person": {"email": mail}}
        users.append(u)
        U[key] = u
    for i in range(1, 26):
        users.append({"object": "user", "id": uid(f"user/member{i:02d}"), "name": f"Team Member {i:02d}",
                      "avatar_url": None, "type": "person",
                      "person": {"email": f"member{i:02d}@example.com"}})
    users.append({"object": "user", "id": uid("user/ci-bot"), "name": "CI Helper", "avatar_url": None,
                  "type": "bot", "bot": {}})
    people = [u["id"] for u in users if u["type"] == "person"]
    P_ADA, P_GRACE, P_ALAN, P_KATH, P_LINUS = (U[k]["id"] for k in ("ada", "grace", "alan", "kath", "linus"))

    ROOT = uid("page/root")
    SALARY = TREE["salary-bands"]
    HANDBOOK_PAGE = TREE["team-handbook"]
    ONBOARD = TREE["onboarding"]
    TASKS, PROJECTS, NOTES, READING = uid("db/tasks"), uid("db/projects"), uid("db/notes"), uid("db/reading")
    GALLERY = uid("note/gallery")
    GALLERY_SUB = uid("page/gallery-subpage")

    def meta(created, edited=None, by=P_ADA, edit_by=None):
        return {"created_time": ts(created), "last_edited_time": ts(edited if edited is not None else created),
                "created_by": by, "last_edited_by": edit_by or by}

    # ---- databases ----
    status_cfg = {"options": [{"name": "Not started", "color": "default"}, {"name": "In progress", "color": "blue"},
                              {"name": "Blocked", "color": "red"}, {"name": "Done", "color": "green"}],
                  "groups": [{"name": "To-do", "color": "gray", "option_ids": ["Not started"]},
                             {"name": "In progress", "color": "blue", "option_ids": ["In progress", "Blocked"]},
                             {"name": "Complete", "color": "green", "option_ids": ["Done"]}]}
    tasks_db = dict(meta(0, 2000), id=TASKS, title=rt("Tasks"),
                    description=rt("Everything the team is working on. ", T("Keep it current.", italic=True)),
                    parent={"type": "page_id", "page_id": ROOT}, is_inline=False,
                    icon={"type": "emoji", "emoji": "✅"}, cover=None, archived=False, properties={
        "Name": {"type": "title", "title": {}},
        "Status": {"type": "status", "status": status_cfg},
        "Priority": {"type": "select", "select": {"options": [
            {"name": "Urgent", "color": "red"}, {"name": "High", "color": "orange"},
            {"name": "Medium", "color": "yellow"}, {"name": "Low", "color": "gray"}]}},
        "Tags": {"type": "multi_select", "multi_select": {"options": [
            {"name": n, "color": c} for n, c in [("backend", "blue"), ("frontend", "purple"), ("docs", "green"),
                                                 ("ops", "brown"), ("research", "pink"), ("bug", "red")]]}},
        "Due": {"type": "date", "date": {}},
        "Assignee": {"type": "people", "people": {}},
        "Estimate": {"type": "number", "number": {"format": "number"}},
        "Done": {"type": "checkbox", "checkbox": {}},
        "Project": {"type": "relation", "relation": {"database_id": PROJECTS, "type": "dual_property",
                                                     "dual_property": {"synced_property_name": "Tasks"}}},
        "Attachments": {"type": "files", "files": {}},
        "Link": {"type": "url", "url": {}},
        "Contact": {"type": "email", "email": {}},
        "Phone": {"type": "phone_number", "phone_number": {}},
        "Task ID": {"type": "unique_id", "unique_id": {"prefix": "TASK"}},
        "Created": {"type": "created_time", "created_time": {}},
        "Created by": {"type": "created_by", "created_by": {}},
        "Updated": {"type": "last_edited_time", "last_edited_time": {}},
        "Updated by": {"type": "last_edited_by", "last_edited_by": {}},
        "Days left": {"type": "formula", "formula": {"expression": "dateBetween(prop(\"Due\"), now(), \"days\")"}},
        "Overdue": {"type": "formula", "formula": {"expression": "prop(\"Due\") < now() and not prop(\"Done\")"}},
        "Label": {"type": "formula", "formula": {"expression": "prop(\"Priority\") + \": \" + prop(\"Name\")"}},
        "Review date": {"type": "formula", "formula": {"expression": "dateAdd(prop(\"Due\"), 7, \"days\")"}},
        "Notes": {"type": "rich_text", "rich_text": {}},
        "Project stage": {"type": "rollup", "rollup": {"relation_property_name": "Project",
                                                       "rollup_property_name": "Stage", "function": "show_original"}},
    })
    projects_db = dict(meta(5, 1900), id=PROJECTS, title=rt("Projects"), description=[],
                       parent={"type": "page_id", "page_id": ROOT}, is_inline=False,
                       icon={"type": "emoji", "emoji": "🗂️"}, cover=None, archived=False, properties={
        "Name": {"type": "title", "title": {}},
        "Stage": {"type": "select", "select": {"options": [
            {"name": "Idea", "color": "gray"}, {"name": "Planned", "color": "blue"},
            {"name": "Active", "color": "green"}, {"name": "Shipped", "color": "purple"}]}},
        "Status": {"type": "status", "status": status_cfg},
        "Owner": {"type": "people", "people": {}},
        "Team": {"type": "people", "people": {}},
        "Budget": {"type": "number", "number": {"format": "dollar"}},
        "Contact email": {"type": "email", "email": {}},
        "Phone": {"type": "phone_number", "phone_number": {}},
        "Website": {"type": "url", "url": {}},
        "Timeline": {"type": "date", "date": {}},
        "Kickoff": {"type": "date", "date": {}},
        "Location": {"type": "place", "place": {}},
        "Tasks": {"type": "relation", "relation": {"database_id": TASKS, "type": "dual_property",
                                                   "dual_property": {"synced_property_name": "Project"}}},
        "Task count": {"type": "rollup", "rollup": {"relation_property_name": "Tasks",
                                                    "rollup_property_name": "Name", "function": "count"}},
        "Total estimate": {"type": "rollup", "rollup": {"relation_property_name": "Tasks",
                                                        "rollup_property_name": "Estimate", "function": "sum"}},
        "Latest due": {"type": "rollup", "rollup": {"relation_property_name": "Tasks",
                                                    "rollup_property_name": "Due", "function": "latest_date"}},
        "Task names": {"type": "rollup", "rollup": {"relation_property_name": "Tasks",
                                                    "rollup_property_name": "Name", "function": "show_original"}},
        "Created by": {"type": "created_by", "created_by": {}},
        "Project ID": {"type": "unique_id", "unique_id": {"prefix": "PRJ"}},
    })
    notes_db = dict(meta(10, 1950), id=NOTES, title=rt("Notes"),
                    description=rt("Meeting notes, decisions and ", T("reference", bold=True), " material."),
                    parent={"type": "page_id", "page_id": ROOT}, is_inline=False,
                    icon={"type": "emoji", "emoji": "📝"}, cover=None, archived=False, properties={
        "Name": {"type": "title", "title": {}},
        "Category": {"type": "select", "select": {"options": [
            {"name": "Meeting", "color": "blue"}, {"name": "Decision", "color": "green"},
            {"name": "Reference", "color": "purple"}, {"name": "Idea", "color": "yellow"}]}},
        "Keywords": {"type": "multi_select", "multi_select": {"options": [
            {"name": n} for n in ("api", "sync", "fuse", "cache", "markdown", "release", "hiring")]}},
        "Summary": {"type": "rich_text", "rich_text": {}},
        "Author": {"type": "people", "people": {}},
        "Verification": {"type": "verification", "verification": {}},
        "Reviewed": {"type": "checkbox", "checkbox": {}},
        "Source": {"type": "url", "url": {}},
        "Attachments": {"type": "files", "files": {}},
        "Created": {"type": "created_time", "created_time": {}},
        "Edited": {"type": "last_edited_time", "last_edited_time": {}},
        "Edited by": {"type": "last_edited_by", "last_edited_by": {}},
        "Word count": {"type": "number", "number": {"format": "number_with_commas"}},
        "Note ID": {"type": "unique_id", "unique_id": {"prefix": "NOTE"}},
        "Action": {"type": "button", "button": {}},
    })
    reading_db = dict(meta(400, 420), id=READING, title=rt("Reading list"), description=[],
                      parent={"type": "page_id", "page_id": GALLERY}, is_inline=True, icon=None, cover=None,
                      archived=False, properties={
        "Title": {"type": "title", "title": {}},
        "Author": {"type": "rich_text", "rich_text": {}},
        "Read": {"type": "checkbox", "checkbox": {}},
    })

    pages = []

    def page(pid, parent, created, props, children=(), edited=None, by=P_ADA, edit_by=None, archived=False,
             icon=None, cover=None, shared=None):
        d = dict(meta(created, edited, by, edit_by), id=pid, parent=parent, archived=archived, icon=icon,
                 cover=cover, properties=props, children=assign_ids(list(children), pid))
        if shared is not None:
            d["shared"] = shared    # shared with the integration or not (see notion_emulator.py)
        pages.append(d)
        return d

    def title(text):
        return {"type": "title", "title": rt(text) if text else []}

    # ---- root and standalone pages ----
    page(ROOT, {"type": "workspace", "workspace": True}, 0, {"title": title("Sample Workspace")}, [
        H(1, "Welcome"),
        P("This workspace is served by the ", T("notionfs", code=True), " Notion emulator. It holds three "
          "databases and a handbook."),
        B("child_database", id=TASKS), B("child_database", id=PROJECTS), B("child_database", id=NOTES),
        B("divider"),
        B("child_page", id=HANDBOOK_PAGE),
        B("child_page", id=SALARY),
    ], edited=30, icon={"type": "emoji", "emoji": "🏠"},
        cover={"type": "external", "external": {"url": "https://images.example.com/covers/workspace.jpg"}},
        shared=False)
    # not shared on its own, and inside the unshared root: the integration never sees it (a page mention
    # of it in the handbook stays a Notion URL)
    page(SALARY, {"type": "page_id", "page_id": ROOT}, 28, {"title": title("Salary bands")},
         [P("Confidential: ", WORDS["salary"], " is never shown by the mount.")])
    handbook_tree(page, title, HANDBOOK_PAGE, ONBOARD, SALARY, P_ADA, P_GRACE, P_KATH)

    # ---- projects ----
    proj_specs = [
        ("platform", "Platform rewrite", "Active", "In progress", [P_ADA], 250000, "2025-02-01", "2025-09-30"),
        ("mobile", "Mobile app", "Planned", "Not started", [P_GRACE], 120000, "2025-05-01", "2025-12-15"),
        ("docs", "Documentation portal", "Active", "In progress", [P_KATH, P_LINUS], 40000.5, "2025-03-01", None),
        ("offsite", "All hands", "Planned", "Not started", [P_ALAN], 18000, "2025-06-10", "2025-06-12"),
        ("billing", "Billing migration", "Shipped", "Done", [P_GRACE, P_ADA], 95000, "2024-10-01", "2025-02-28"),
        ("research", "Search research", "Idea", "Not started", [], None, None, None),
        ("security", "Security review", "Active", "Blocked", [P_LINUS], 30000, "2025-03-15", "2025-04-30"),
        ("q1q2", "Q1/Q2 roadmap", "Shipped", "Done", [P_KATH], 0, "2025-01-05", "2025-06-30"),
    ]
    PRJ = {}
    for i, (key, name, stage, status, owners, budget, start, end) in enumerate(proj_specs):
        pid = uid("project/" + key)
        PRJ[key] = pid
        props = {
            "Name": title(name), "Stage": {"type": "select", "select": {"name": stage}},
            "Status": {"type": "status", "status": {"name": status}},
            "Owner": {"type": "people", "people": [{"object": "user", "id": o} for o in owners]},
            "Team": {"type": "people", "people": [{"object": "user", "id": p} for p in (
                people if key == "offsite" else owners + people[2 + i:4 + i])]},
            "Budget": {"type": "number", "number": budget},
            "Contact email": {"type": "email", "email": f"{key}@example.com" if i % 3 else None},
            "Phone": {"type": "phone_number", "phone_number": f"+1 555 01{i:02d}" if i % 2 == 0 else None},
            "Website": {"type": "url", "url": f"https://example.com/projects/{key}" if i % 4 != 3 else None},
            "Timeline": {"type": "date", "date": {"start": start, "end": end, "time_zone": None} if start else None},
            "Kickoff": {"type": "date", "date": {"start": f"{start}T09:30:00.000+01:00", "end": None,
                                                 "time_zone": None} if start and i % 2 == 0 else None},
            "Location": {"type": "place", "place": None},
        }
        body = [H(2, "Goal"), P(f"Deliver {name.lower()} with a small, focused team."),
                H(2, "Milestones"), TODO("Kick-off", checked=True), TODO("First demo"), TODO("Launch")]
        if key == "platform":
            body += [CALLOUT("This project has more than 25 related tasks.", "⚠️", "yellow_background")]
        page(pid, {"type": "database_id", "database_id": PROJECTS}, 100 + i * 7, props, body,
             edited=1500 + i * 11, by=[P_ADA, P_GRACE][i % 2],
             icon={"type": "emoji", "emoji": "🚀"} if key == "platform" else None)

    # ---- tasks ----
    task_names = [
        "Weekly review", "Weekly review", "Q1/Q2 planning", ".env cleanup", "",
        "Café ☕ — 日本語のタスク", "Set up CI pipeline", "Write API client", "Design cache schema",
        "Implement FUSE readdir", "Markdown renderer", "Conflict resolution", "Rate limit handling",
        "Retry with backoff", "Pagination helper", "Property mapping", "Block to Markdown",
        "Markdown to blocks", "Inode table", "Attribute caching", "Release checklist",
        "Benchmark 10k pages", "Security audit fixes", "Docs: getting started", "Docs: configuration",
        "Fix unicode filenames", "Handle archived pages", "Sync engine spike", "Profile memory use",
        "Old archived task", "Onboard new contributor", "Triage bug reports",
    ]
    priorities = ["Urgent", "High", "Medium", "Low"]
    statuses = ["Not started", "In progress", "Blocked", "Done"]
    tagsets = [["backend"], ["frontend", "bug"], ["docs"], [], ["ops", "backend"], ["research"], ["bug"]]
    assignees = [P_ADA, P_GRACE, P_ALAN, P_KATH, P_LINUS]
    TASK = {}
    for i, name in enumerate(task_names):
        pid = uid(f"task/{i:02d}")
        TASK[i] = pid
        due = None
        if i % 5 == 1:
            due = {"start": f"2025-04-{(i % 27) + 1:02d}", "end": f"2025-04-{(i % 27) + 2:02d}", "time_zone": None}
        elif i % 5 == 2:
            due = {"start": f"2025-03-{(i % 27) + 1:02d}T14:00:00.000+00:00", "end": None, "time_zone": None}
        elif i % 5 != 0:
            due = {"start": f"2025-0{3 + i % 4}-{(i % 27) + 1:02d}", "end": None, "time_zone": None}
        done = statuses[i % 4] == "Done"
        due_dt = datetime.fromisoformat(due["start"][:10]).replace(tzinfo=timezone.utc) if due else None
        days_left = (due_dt - TODAY).days if due_dt else None
        if i < 27:
            project = [PRJ["platform"]] + ([PRJ["docs"]] if i % 6 == 0 else [])
        elif i < 30:
            project = [PRJ["mobile"]]
        else:
            project = [PRJ["security"], PRJ["q1q2"]]
        attachments = []
        if i % 7 == 0:
            attachments.append({"name": "spec.pdf", "type": "external",
                                "external": {"url": f"https://example.com/specs/task-{i}.pdf"}})
        if i % 9 == 0:
            attachments.append({"name": "screenshot.png", "type": "file",
                                "file": {"url": f"{HOSTED}/{uid(f'file/task{i}')}/screenshot.png"}})
        props = {
            "Name": title(name),
            "Status": {"type": "status", "status": {"name": statuses[i % 4]}},
            "Priority": {"type": "select", "select": {"name": priorities[i % 4]} if i % 6 != 5 else None},
            "Tags": {"type": "multi_select", "multi_select": [{"name": t} for t in tagsets[i % len(tagsets)]]},
            "Due": {"type": "date", "date": due},
            "Assignee": {"type": "people", "people": [{"object": "user", "id": assignees[i % 5]}] +
                         ([{"object": "user", "id": assignees[(i + 2) % 5]}] if i % 4 == 0 else [])},
            "Estimate": {"type": "number", "number": [1, 2, 3, 5, 8, 0.5, None][i % 7]},
            "Done": {"type": "checkbox", "checkbox": done},
            "Project": {"type": "relation", "relation": [{"id": p} for p in project]},
            "Attachments": {"type": "files", "files": attachments},
            "Link": {"type": "url", "url": f"https://github.com/example/notionfs/issues/{100 + i}" if i % 3 == 0 else None},
            "Contact": {"type": "email", "email": "team@example.com" if i % 8 == 0 else None},
            "Phone": {"type": "phone_number", "phone_number": "+44 20 7946 0000" if i % 10 == 0 else None},
            "Task ID": {"type": "unique_id", "unique_id": {"prefix": "TASK", "number": i + 1}},
            "Days left": {"type": "formula", "formula": {"type": "number", "number": days_left}},
            "Overdue": {"type": "formula", "formula": {"type": "boolean",
                                                       "boolean": bool(days_left is not None and days_left < 0 and not done)}},
            "Label": {"type": "formula", "formula": {"type": "string",
                                                     "string": f"{priorities[i % 4]}: {name}" if name else None}},
            "Review date": {"type": "formula", "formula": {"type": "date", "date": {
                "start": (due_dt + timedelta(days=7)).strftime("%Y-%m-%d"), "end": None, "time_zone": None}
                if due_dt else None}},
            "Notes": {"type": "rich_text", "rich_text": rt("Follow up with ", T("Grace", bold=True), " about ",
                                                           T("the API", link="https://developers.notion.com"), ".")
                      if i % 4 == 1 else rt(f"Task {i + 1} notes") if i % 4 == 2 else []},
        }
        body = [P(f"Context for “{name or 'Untitled'}”."),
                TODO("Investigate", checked=True, children=[TODO("Read the docs", checked=True),
                                                            TODO("Ask in chat")]),
                TODO("Implement"), TODO("Review")]
        if i % 3 == 0:
            body.append(CODE(f"def task_{i}():\n    return {i}\n", "python", "Sketch"))
        if i % 4 == 0:
            body.append(QUOTE("Make it work, make it right, make it fast."))
        if i == 0:
            body = [H(2, "Agenda"), NUM("Wins"), NUM("Blockers", children=[BUL("CI flakes")]), NUM("Next week")]
        if i == 4:
            body = []
        archived = name == "Old archived task"
        page(pid, {"type": "database_id", "database_id": TASKS}, 200 + i * 13, props, body,
             edited=800 + i * 29 if i % 3 else 200 + i * 13, by=assignees[i % 5],
             edit_by=assignees[(i + 1) % 5] if i % 2 else None, archived=archived)

    # ---- notes ----
    def note_props(name, cat, kw, summary, authors, ver, reviewed, source, att, words, num):
        return {"Name": title(name), "Category": {"type": "select", "select": {"name": cat} if cat else None},
                "Keywords": {"type": "multi_select", "multi_select": [{"name": k} for k in kw]},
                "Summary": {"type": "rich_text", "rich_text": summary},
                "Author": {"type": "people", "people": [{"object": "user", "id": a} for a in authors]},
                "Verification": {"type": "verification", "verification": ver},
                "Reviewed": {"type": "checkbox", "checkbox": reviewed},
                "Source": {"type": "url", "url": source},
                "Attachments": {"type": "files", "files": att},
                "Word count": {"type": "number", "number": words},
                "Note ID": {"type": "unique_id", "unique_id": {"prefix": "NOTE", "number": num}}}

    unverified = {"state": "unverified", "verified_by": None, "date": None}
    verified = {"state": "verified", "verified_by": {"object": "user", "id": P_KATH},
                "date": {"start": "2025-03-20T10:00:00.000Z", "end": "2025-06-18T10:00:00.000Z", "time_zone": None}}

    # Block gallery: every block type
    SYNC_ORIG = uid("gallery/synced-original")
    gallery = [
        B("table_of_contents", {"color": "default"}),
        B("breadcrumb", {}),
        H(1, "Text"),
        P(T("Bold", bold=True), ", ", T("italic", italic=True), ", ", T("strike", strikethrough=True), ", ",
          T("underline", underline=True), ", ", T("code", code=True), ", ", T("red", color="red"), ", ",
          T("on yellow", color="yellow_background"), ", ", T("all", bold=True, italic=True, underline=True),
          " and a ", T("link", link="https://example.com/docs"), "."),
        P("Mentions: ", M_user(U["grace"]), ", ", M_page(TASK[7], "Write API client"), ", ",
          M_db(TASKS, "Tasks"), ", ", M_date("2025-04-01"), ", ", M_date("2025-04-01", "2025-04-03"), ", ",
          M_link("https://github.com/example/notionfs/pull/1"), " and ", EQ("e^{i\\pi} + 1 = 0"), " inline."),
        P(""),
        H(2, "Toggle heading", toggle=True, children=[P("Hidden under a toggleable heading."),
                                                      BUL("with a list")]),
        H(3, "Small heading"),
        H(1, "Lists"),
        BUL("Level 1", children=[BUL("Level 2", children=[BUL("Level 3")])]),
        BUL("Second item"),
        NUM("First", children=[NUM("First.a", children=[NUM("First.a.i")])]),
        NUM("Second"),
        TODO("Done item", checked=True),
        TODO("Open item", children=[TODO("Nested open item")]),
        TOGGLE("A toggle", children=[P("Toggle content"), CODE("echo hi", "shell")]),
        H(1, "Blocks"),
        QUOTE("A quote with wisdom."),
        CALLOUT("A callout with an emoji icon.", "💡"),
        CODE("SELECT * FROM pages WHERE archived = 0;", "sql", "A query"),
        CODE("fn main() {\n    println!(\"hi\");\n}", "rust"),
        B("divider", {}),
        B("equation", {"expression": "\\int_0^1 x^2\\,dx = \\frac{1}{3}"}),
        B("table", {"table_width": 3, "has_column_header": True, "has_row_header": True}, children=[
            B("table_row", {"cells": [rt("Name"), rt("Type"), rt("Notes")]}),
            B("table_row", {"cells": [rt("id"), rt("uuid"), rt(T("primary", bold=True))]}),
            B("table_row", {"cells": [rt("title"), rt("text"), []]}),
        ]),
        B("table", {"table_width": 2, "has_column_header": False, "has_row_header": False}, children=[
            B("table_row", {"cells": [rt("a"), rt("b")]}),
        ]),
        H(1, "Media"),
        MEDIA("image", "https://images.example.com/diagram.png", caption="External image"),
        MEDIA("image", f"{HOSTED}/{uid('file/img')}/architecture.png", hosted=True, caption="Hosted image"),
        MEDIA("video", "https://www.youtube.com/watch?v=aqz-KE-bpKQ"),
        MEDIA("video", f"{HOSTED}/{uid('file/vid')}/demo.mp4", hosted=True),
        MEDIA("file", "https://example.com/files/report.xlsx", name="report.xlsx"),
        MEDIA("file", f"{HOSTED}/{uid('file/file')}/notes.txt", hosted=True, name="notes.txt", caption="Hosted file"),
        MEDIA("pdf", "https://example.com/files/paper.pdf"),
        MEDIA("pdf", f"{HOSTED}/{uid('file/pdf')}/scan.pdf", hosted=True),
        MEDIA("audio", "https://example.com/files/podcast.mp3"),
        MEDIA("audio", f"{HOSTED}/{uid('file/audio')}/memo.m4a", hosted=True),
        B("bookmark", {"caption": rt("A bookmark"), "url": "https://www.notion.so/help"}),
        B("embed", {"caption": [], "url": "https://gist.github.com/example/abc123"}),
        B("link_preview", {"url": "https://github.com/example/notionfs/issues/42"}),
        H(1, "Structure"),
        B("child_page", id=GALLERY_SUB),
        B("child_database", id=READING),
        B("link_to_page", {"type": "page_id", "page_id": TASK[6]}),
        B("column_list", {}, children=[
            B("column", {}, children=[P("Left column"), BUL("left item")]),
            B("column", {}, children=[P("Right column"), CALLOUT("Right callout", "🧭")]),
        ]),
        B("synced_block", {"synced_from": None}, children=[P("This paragraph is synced."), TODO("Synced to-do")],
          id=SYNC_ORIG),
        B("synced_block", {"synced_from": {"type": "block_id", "block_id": SYNC_ORIG}}),
        B("template", {"rich_text": rt("Add a meeting")}, children=[H(3, "Meeting"), TODO("Agenda")]),
        B("unsupported", {"block_type": "ai_block"}),      # block_type: shown from 2025-09-03 on
        B("meeting_notes", {"title": rt("Standup 2025-03-28"), "status": "notes_ready"}),
        P("End of gallery."),
    ]

    # Engineering handbook: long and deep
    eng = [H(1, "Engineering handbook"), P("A long document to exercise pagination.")]
    for s in range(1, 13):
        eng.append(H(2, f"Section {s}"))
        for j in range(1, 6):
            eng.append(P(f"Section {s}, paragraph {j}. ", T("Lorem ipsum", italic=True),
                         " dolor sit amet, consectetur adipiscing elit."))
        eng.append(BUL(f"Point {s}.1", children=[
            BUL(f"Point {s}.1.1", children=[BUL(f"Point {s}.1.1.1"), BUL(f"Point {s}.1.1.2")]),
            BUL(f"Point {s}.1.2")]))
        eng.append(NUM(f"Step {s}", children=[NUM(f"Step {s}.a", children=[TODO(f"Check {s}.a.i")])]))
        if s % 4 == 0:
            eng.append(CODE(f"make section-{s}", "makefile"))
    eng.append(TOGGLE("Appendix: error codes", children=[BUL(f"E{c:03d}: error number {c}") for c in range(105)]))
    eng.append(P("The end."))

    notes = [
        ("gallery", "Block gallery", "Reference", ["markdown"], rt("Every ", T("block", code=True), " type."),
         [P_ADA], verified, True, None, [], 321, gallery),
        ("engineering-handbook", "Engineering handbook", "Reference", ["fuse", "sync", "cache"],
         rt("Long ", T("and deep", bold=True), "."), [P_GRACE, P_ALAN], unverified, True,
         "https://example.com/handbook", [], 4200, eng),
        ("standup-1", "Standup 2025-03-10", "Meeting", ["sync"], rt("Discussed sync loops."), [P_ALAN],
         unverified, False, None, [], 180, [P("Attendees: ", M_user(U["ada"]), ", ", M_user(U["alan"])),
                                            BUL("Yesterday"), BUL("Today"), BUL("Blockers")]),
        ("standup-2", "Standup 2025-03-17", "Meeting", ["sync", "api"], rt(""), [P_ALAN], unverified, False,
         None, [], 150, [P("Short one.")]),
        ("decision-cache", "Decision: SQLite cache", "Decision", ["cache"],
         rt("Use ", T("SQLite", bold=True), " with WAL."), [P_KATH], verified, True,
         "https://sqlite.org/wal.html",
         [{"name": "benchmark.csv", "type": "file", "file": {"url": f"{HOSTED}/{uid('file/bench')}/benchmark.csv"}},
          {"name": "wal.html", "type": "external", "external": {"url": "https://sqlite.org/wal.html"}}],
         900, [H(2, "Context"), P("We need a local cache."), H(2, "Decision"), P("SQLite."),
               H(2, "Consequences"), BUL("One file"), BUL("Crash safe")]),
        ("decision-md", "Decision: Markdown flavour", "Decision", ["markdown"], rt("CommonMark + GFM tables."),
         [P_LINUS], unverified, True, "https://spec.commonmark.org/", [], 640,
         [P("Use CommonMark with GFM tables and task lists."), B("equation", {"expression": "a^2+b^2=c^2"})]),
        ("api-notes", "Notion API quirks", "Reference", ["api"],
         rt("Rate limits: ", T("3 req/s", code=True), ", see ", T("docs", link="https://developers.notion.com/reference/request-limits"), "."),
         [P_ADA], verified, True, "https://developers.notion.com", [], 1500,
         [BUL("Times are truncated to the minute"), BUL("Relations over 25 items have has_more"),
          BUL("Archived pages vanish from queries")]),
        ("release", "Release process", "Reference", ["release"], rt("Tag, build, publish."), [P_GRACE],
         unverified, False, None, [], 300, [NUM("Tag"), NUM("Build"), NUM("Publish")]),
        ("ideas", "Ideas backlog", "Idea", [], [], [], unverified, False, None, [], None,
         [TODO("Offline mode"), TODO("Search index")]),
        ("hiring", "Hiring plan", "Idea", ["hiring"], rt("Two engineers."), [P_KATH], unverified, False, None,
         [], 220, [P("Two backend engineers in Q3.")]),
        ("retro", "Retro: Q1", "Meeting", ["release", "sync"], rt("What went well."), [P_ADA, P_GRACE],
         unverified, True, None, [], 410, [H(2, "Went well"), BUL("Shipped billing"), H(2, "To improve"),
                                           BUL("Fewer meetings")]),
        ("old-note", "Old meeting notes", "Meeting", [], rt("Obsolete."), [P_ALAN], unverified, False, None,
         [], 50, [P("Nothing to see.")]),
        ("glossary", "Glossary", "Reference", ["fuse"], rt("Terms we use."), [P_LINUS], unverified, False,
         None, [], 260, [P(T("inode", bold=True), ": a file's identity."),
                         P(T("block", bold=True), ": a unit of Notion content.")]),
        ("faq", "FAQ — häufige Fragen", "Reference", ["api", "fuse"], rt("Fragen & Antworten."), [P_LINUS],
         unverified, False, None, [], 330, [TOGGLE("Why FUSE?", children=[P("Because files.")]),
                                            TOGGLE("Why Markdown?", children=[P("Because text.")])]),
    ]
    for i, (key, name, cat, kw, summary, authors, ver, reviewed, source, att, words, body) in enumerate(notes):
        pid = uid("note/" + key)
        page(pid, {"type": "database_id", "database_id": NOTES}, 300 + i * 17,
             note_props(name, cat, kw, summary, authors, ver, reviewed, source, att, words, i + 1), body,
             edited=1000 + i * 37, by=authors[0] if authors else P_ADA,
             edit_by=OTHER_EDITOR_ID if i % 5 == 3 else None, archived=key == "old-note",
             icon={"type": "emoji", "emoji": "🧱"} if key == "gallery" else None)

    page(GALLERY_SUB, {"type": "page_id", "page_id": GALLERY}, 410, {"title": title("Gallery sub-page")},
         [P("A page inside the gallery.")])
    for i, (t, a, r) in enumerate([("Designing Data-Intensive Applications", "Martin Kleppmann", True),
                                   ("The Linux Programming Interface", "Michael Kerrisk", False),
                                   ("SQLite Internals", "", False)]):
        page(uid(f"reading/{i}"), {"type": "database_id", "database_id": READING}, 420 + i,
             {"Title": title(t), "Author": {"type": "rich_text", "rich_text": rt(a) if a else []},
              "Read": {"type": "checkbox", "checkbox": r}}, [])

    # ---- a database with two data sources (seen from Notion-Version 2025-09-03 on; a 2022-06-28
    # client gets an error for it and does not find it by search, so nothing the older databases
    # hold points into it) ----
    SUPPORT_PAGE, SUPPORT = uid("page/support"), uid("db/support")
    TICKETS, CUSTOMERS = uid("ds/support-tickets"), uid("ds/support-customers")
    support_db = dict(meta(3000, 3100, by=P_GRACE), id=SUPPORT, title=rt("Support"),
                      description=rt("Tickets, and the customers who filed them."),
                      parent={"type": "page_id", "page_id": SUPPORT_PAGE}, is_inline=False,
                      icon={"type": "emoji", "emoji": "🎧"}, cover=None, archived=False, data_sources=[
        dict(meta(3000, 3100, by=P_GRACE), id=TICKETS, title=rt("Tickets"), properties={
            "Summary": {"type": "title", "title": {}},
            "State": {"type": "select", "select": {"options": [
                {"name": "Open", "color": "red"}, {"name": "Waiting", "color": "yellow"},
                {"name": "Closed", "color": "green"}]}},
            "Opened": {"type": "date", "date": {}},
            "Severity": {"type": "number", "number": {"format": "number"}},
            "Customer": {"type": "relation", "relation": {
                "data_source_id": CUSTOMERS, "type": "dual_property",
                "dual_property": {"synced_property_name": "Tickets"}}},
        }),
        dict(meta(3001, 3050, by=P_GRACE), id=CUSTOMERS, title=rt("Customers"), properties={
            "Company": {"type": "title", "title": {}},
            "Contact": {"type": "email", "email": {}},
            "Plan": {"type": "select", "select": {"options": [
                {"name": "Free", "color": "gray"}, {"name": "Pro", "color": "blue"},
                {"name": "Enterprise", "color": "purple"}]}},
            "Seats": {"type": "number", "number": {"format": "number"}},
            "Tickets": {"type": "relation", "relation": {
                "data_source_id": TICKETS, "type": "dual_property",
                "dual_property": {"synced_property_name": "Customer"}}},
        })])
    page(SUPPORT_PAGE, {"type": "workspace", "workspace": True}, 3000, {"title": title("Support desk")},
         [P("The support team's database: tickets and customers, two data sources of one database."),
          B("child_database", id=SUPPORT)], by=P_GRACE, shared=False)
    in_customers = {"type": "data_source_id", "data_source_id": CUSTOMERS}
    in_tickets = {"type": "data_source_id", "data_source_id": TICKETS}
    customers = [("acme", "Acme Corp", "ops@acme.example", "Enterprise", 120),
                 ("globex", "Globex", "it@globex.example", "Pro", 14)]
    for i, (key, name, mail, plan, seats) in enumerate(customers):
        page(uid("customer/" + key), in_customers, 3010 + i,
             {"Company": title(name), "Contact": {"type": "email", "email": mail},
              "Plan": {"type": "select", "select": {"name": plan}},
              "Seats": {"type": "number", "number": seats}}, [P(f"{name} is on the {plan} plan.")], by=P_GRACE)
    tickets = [("login", "Cannot log in", "Open", "2025-03-20", 2, "acme"),
               ("export", "Export times out", "Waiting", "2025-03-22", 3, "acme"),
               ("invoice", "Wrong invoice address", "Closed", "2025-03-25", 1, "globex")]
    for i, (key, name, state, opened, sev, cust) in enumerate(tickets):
        body = [P(f"Reported by {dict((c[0], c[1]) for c in customers)[cust]}.")]
        if key == "login":      # the block types of the newer API versions
            body += [
                H(4, "Steps to reproduce"),
                B("tab", {}, [P("Overview", children=[P("The login form rejects a valid password.")]),
                              P("Logs", children=[CODE("401 /v1/session", language="plain text")])]),
                B("meeting_notes", {"title": rt("Triage call 2025-03-21"), "status": "notes_ready"}),
            ]
        page(uid("ticket/" + key), in_tickets, 3020 + i,
             {"Summary": title(name), "State": {"type": "select", "select": {"name": state}},
              "Opened": {"type": "date", "date": {"start": opened, "end": None, "time_zone": None}},
              "Severity": {"type": "number", "number": sev},
              "Customer": {"type": "relation", "relation": [{"id": uid("customer/" + cust)}]}},
             body, edited=3090 + i, by=P_GRACE)

    # the data source of each one-source database (what 2025-09-03 and later versions show)
    for d, key in ((tasks_db, "tasks"), (projects_db, "projects"), (notes_db, "notes"), (reading_db, "reading")):
        d["data_source_id"] = uid("ds/" + key)
    for d in (tasks_db, projects_db, notes_db, support_db):
        d["shared"] = True      # shared on their own: their parent pages are not
    return {"format": 1, "bot_id": BOT_ID, "other_editor_id": OTHER_EDITOR_ID, "users": users,
            "databases": [tasks_db, projects_db, notes_db, reading_db, support_db] + tree_databases(P_GRACE),
            "pages": pages}


# handy constants for tests and tools
IDS = {
    "root": uid("page/root"), "tasks": uid("db/tasks"), "projects": uid("db/projects"),
    "notes": uid("db/notes"), "reading": uid("db/reading"), "gallery": uid("note/gallery"),
    "engineering_handbook": uid("note/engineering-handbook"), "platform": uid("project/platform"),
    "all_hands": uid("project/offsite"), "archived_task": uid("task/29"), "archived_note": uid("note/old-note"),
    "weekly_review_1": uid("task/00"), "weekly_review_2": uid("task/01"), "slash_title": uid("task/02"),
    "dot_title": uid("task/03"), "empty_title": uid("task/04"), "unicode_title": uid("task/05"),
    "bot": BOT_ID, "other_editor": OTHER_EDITOR_ID,
    "support_page": uid("page/support"), "support": uid("db/support"),
    "tickets": uid("ds/support-tickets"), "customers": uid("ds/support-customers"),
    "ticket_login": uid("ticket/login"), "ticket_export": uid("ticket/export"),
    "ticket_invoice": uid("ticket/invoice"), "customer_acme": uid("customer/acme"),
    "customer_globex": uid("customer/globex"),
    "tasks_source": uid("ds/tasks"), "projects_source": uid("ds/projects"),
    "notes_source": uid("ds/notes"), "reading_source": uid("ds/reading"),
    "team_handbook": TREE["team-handbook"], "onboarding": TREE["onboarding"],
    "engineering": TREE["engineering"], "salary_bands": TREE["salary-bands"],
    "releases": TREE["releases-db"], "releases_source": TREE["releases-ds"],
    "equipment": TREE["equipment-db"], "equipment_source": TREE["equipment-ds"],
}                       # TREE names every id of the page tree


if __name__ == "__main__":
    json.dump(build(), sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
