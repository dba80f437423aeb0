// sdk_export.js - the baseline of bench row 16: what a user does with the official Notion
// JavaScript SDK (@notionhq/client) and notion-to-md to export a data source to Markdown files.
//
//   node bench/sdk_export.js API_URL DATA_SOURCE_ID OUT_DIR [CONCURRENCY]
//
// NOTION_TOKEN holds the token.  Every row of the data source (dataSources.query, 100 a page),
// then each page's blocks as Markdown (n2m.pageToMarkdown: blocks/children, recursively), written
// to OUT_DIR/<title>.md; CONCURRENCY pages at once (default 4, as notionfs's pool).  Prints
// "pages N" on success.  The modules come from NODE_PATH (run-bench installs them).
"use strict";
const fs = require("fs");
const path = require("path");
const { Client } = require("@notionhq/client");
const { NotionToMarkdown } = require("notion-to-md");

async function main() {
  const [url, ds, out, conc] = process.argv.slice(2);
  const notion = new Client({ auth: process.env.NOTION_TOKEN, baseUrl: url });
  const n2m = new NotionToMarkdown({ notionClient: notion });
  const pages = [];
  let cursor;
  do {
    const r = await notion.dataSources.query({ data_source_id: ds, start_cursor: cursor, page_size: 100 });
    pages.push(...r.results);
    cursor = r.has_more ? r.next_cursor : undefined;
  } while (cursor);
  fs.mkdirSync(out, { recursive: true });
  let next = 0;
  async function worker() {
    while (next < pages.length) {
      const p = pages[next++];
      const title = Object.values(p.properties).find((v) => v.type === "title");
      const name = (title ? title.title.map((t) => t.plain_text).join("") : p.id) || "Untitled";
      const md = n2m.toMarkdownString(await n2m.pageToMarkdown(p.id));
      fs.writeFileSync(path.join(out, name.replace(/\//g, "\uff0f") + ".md"), md.parent || "");
    }
  }
  await Promise.all(Array.from({ length: Number(conc || 4) }, worker));
  console.log("pages " + pages.length);
}

main().catch((e) => { console.error(e && e.message ? e.message : e); process.exit(1); });
