// duckdb_check.js: runs the DuckDB query of docs/sessions-table.md (P95
// cost per session by workflow) on session tables with real DuckDB, and
// prints its rows as JSON lines: {"workflow","sessions","p95_cost_usd",
// "total_cost_usd"}. Node's DuckDB client (@duckdb/node-api) must be
// resolvable: npm install it, then set NODE_PATH to its node_modules.
//
//   node scripts/duckdb_check.js 'sessions/*.parquet'
//
// The query text is read from docs/sessions-table.md itself (the first
// ```sql block after "## DuckDB"), so the check runs what users copy.
"use strict";
const fs = require("fs");
const path = require("path");
const { DuckDBInstance } = require("@duckdb/node-api");

function docQuery() {
  const doc = fs.readFileSync(path.join(__dirname, "..", "docs", "sessions-table.md"), "utf8");
  const at = doc.indexOf("## DuckDB");
  const m = /```sql\n([\s\S]*?)```/.exec(doc.slice(at));
  if (at < 0 || !m) throw new Error("no ```sql block after ## DuckDB in docs/sessions-table.md");
  return m[1];
}

async function main() {
  const glob = process.argv[2];
  if (!glob) throw new Error("usage: node scripts/duckdb_check.js 'DIR/*.parquet'");
  // The documented query reads 'sessions/*.parquet'; point it at ours.
  const sql = docQuery().replace("'sessions/*.parquet'", "'" + glob.replace(/'/g, "''") + "'");
  if (!sql.includes(glob)) throw new Error("the documented query does not read 'sessions/*.parquet'");
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  const reader = await con.runAndReadAll(sql);
  for (const row of reader.getRowObjectsJS()) {
    const out = {};
    for (const [k, v] of Object.entries(row)) out[k] = typeof v === "bigint" ? Number(v) : v;
    process.stdout.write(JSON.stringify(out) + "\n");
  }
  const v = await con.runAndReadAll("SELECT version() AS v");
  process.stderr.write("duckdb " + v.getRowObjectsJS()[0].v + "\n");
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e) + "\n");
  process.exit(1);
});
