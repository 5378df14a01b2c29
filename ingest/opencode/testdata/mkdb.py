#!/usr/bin/env python3
"""Writes testdata/db/opencode.db (+ opencode.db-wal) in OpenCode's SQLite
schema, with python3's sqlite3 (the real SQLite library).

Usage: python3 testdata/mkdb.py   (from ingest/opencode; rewrites testdata/db)

Schema: the CREATE TABLE statements of OpenCode's first SQLite migration
(packages/opencode/migration/20260127222353_familiar_lady_ursula/migration.sql,
github.com/anomalyco/opencode, MIT), with the indexes later migrations made
(message_session_time_created_id_idx, part_message_id_id_idx) and the columns
later migrations added to session (workspace_id, path, agent, model, cost,
tokens_*), as packages/opencode/src/session/session.sql.ts declares them.

Contents:
- The base file holds the messages and parts of testdata/storage/ moved in
  as OpenCode's storage/json-migration.ts moves them: ids from the file
  names, the id/sessionID/messageID keys removed from data, time_created
  from time.created. Then a checkpoint, so they are in the file itself.
- The WAL holds, committed: session ses_C with msg_c1 (gpt-5-mini, two
  steps and a bash tool call) and its user message msg_c0, a step-finish
  part of a message that does not exist (msg_gone), and msg_d1, an
  assistant message with tokens but no parts.
- The WAL then holds the spilled frames of a transaction that was never
  committed (every message and step set to 999999 input tokens, and new
  messages msg_x*, ses_X): a reader must not see it.
"""
import glob
import json
import os
import shutil
import sqlite3

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "db")

SCHEMA = """
CREATE TABLE `project` (
	`id` text PRIMARY KEY,
	`worktree` text NOT NULL,
	`vcs` text,
	`name` text,
	`icon_url` text,
	`icon_color` text,
	`time_created` integer NOT NULL,
	`time_updated` integer NOT NULL,
	`time_initialized` integer,
	`sandboxes` text NOT NULL
);
CREATE TABLE `message` (
	`id` text PRIMARY KEY,
	`session_id` text NOT NULL,
	`time_created` integer NOT NULL,
	`time_updated` integer NOT NULL,
	`data` text NOT NULL,
	CONSTRAINT `fk_message_session_id_session_id_fk` FOREIGN KEY (`session_id`) REFERENCES `session`(`id`) ON DELETE CASCADE
);
CREATE TABLE `part` (
	`id` text PRIMARY KEY,
	`message_id` text NOT NULL,
	`session_id` text NOT NULL,
	`time_created` integer NOT NULL,
	`time_updated` integer NOT NULL,
	`data` text NOT NULL,
	CONSTRAINT `fk_part_message_id_message_id_fk` FOREIGN KEY (`message_id`) REFERENCES `message`(`id`) ON DELETE CASCADE
);
CREATE TABLE `session` (
	`id` text PRIMARY KEY,
	`project_id` text NOT NULL,
	`parent_id` text,
	`slug` text NOT NULL,
	`directory` text NOT NULL,
	`title` text NOT NULL,
	`version` text NOT NULL,
	`share_url` text,
	`summary_additions` integer,
	`summary_deletions` integer,
	`summary_files` integer,
	`summary_diffs` text,
	`revert` text,
	`permission` text,
	`time_created` integer NOT NULL,
	`time_updated` integer NOT NULL,
	`time_compacting` integer,
	`time_archived` integer,
	CONSTRAINT `fk_session_project_id_project_id_fk` FOREIGN KEY (`project_id`) REFERENCES `project`(`id`) ON DELETE CASCADE
);
ALTER TABLE `session` ADD `workspace_id` text;
ALTER TABLE `session` ADD `path` text;
ALTER TABLE `session` ADD `agent` text;
ALTER TABLE `session` ADD `model` text;
ALTER TABLE `session` ADD `cost` real DEFAULT 0 NOT NULL;
ALTER TABLE `session` ADD `tokens_input` integer DEFAULT 0 NOT NULL;
ALTER TABLE `session` ADD `tokens_output` integer DEFAULT 0 NOT NULL;
ALTER TABLE `session` ADD `tokens_reasoning` integer DEFAULT 0 NOT NULL;
ALTER TABLE `session` ADD `tokens_cache_read` integer DEFAULT 0 NOT NULL;
ALTER TABLE `session` ADD `tokens_cache_write` integer DEFAULT 0 NOT NULL;
CREATE INDEX `message_session_time_created_id_idx` ON `message` (`session_id`,`time_created`,`id`);
CREATE INDEX `part_message_id_id_idx` ON `part` (`message_id`,`id`);
CREATE INDEX `part_session_idx` ON `part` (`session_id`);
CREATE INDEX `session_project_idx` ON `session` (`project_id`);
CREATE INDEX `session_parent_idx` ON `session` (`parent_id`);
"""


def session(con, sid, t):
    con.execute("INSERT INTO session (id, project_id, slug, directory, title, version, time_created, time_updated)"
                " VALUES (?, 'prj_1', ?, '/home/dev/project', ?, '1.2.0', ?, ?)", (sid, sid, "title " + sid, t, t))


def message(con, mid, sid, data):
    t = data["time"]["created"]
    con.execute("INSERT INTO message VALUES (?, ?, ?, ?, ?)", (mid, sid, t, t, json.dumps(data)))


def part(con, pid, mid, sid, t, data):
    con.execute("INSERT INTO part VALUES (?, ?, ?, ?, ?, ?)", (pid, mid, sid, t, t, json.dumps(data)))


def tokens(i, o, r, cr, cw):
    return {"input": i, "output": o, "reasoning": r, "cache": {"read": cr, "write": cw}}


def main():
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    work = os.path.join(OUT, "work.db")
    con = sqlite3.connect(work, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA wal_autocheckpoint=0")
    con.execute("PRAGMA cache_size=10")
    con.executescript(SCHEMA)
    con.execute("INSERT INTO project VALUES ('prj_1', '/home/dev/project', 'git', NULL, NULL, NULL, 1772323100000, 1772323100000, NULL, '[]')")

    # testdata/storage, moved in as json-migration.ts does.
    storage = os.path.join(HERE, "storage")
    con.execute("BEGIN")
    sessions = sorted({os.path.basename(d) for d in glob.glob(os.path.join(storage, "message", "*"))})
    for sid in sessions:
        session(con, sid, 1772323100000)
    msg_session = {}
    for f in sorted(glob.glob(os.path.join(storage, "message", "*", "*.json"))):
        mid, sid = os.path.basename(f)[:-5], os.path.basename(os.path.dirname(f))
        data = json.load(open(f))
        data.pop("id", None)
        data.pop("sessionID", None)
        msg_session[mid] = sid
        message(con, mid, sid, data)
    for f in sorted(glob.glob(os.path.join(storage, "part", "*", "*.json"))):
        pid, mid = os.path.basename(f)[:-5], os.path.basename(os.path.dirname(f))
        data = json.load(open(f))
        for k in ("id", "messageID", "sessionID"):
            data.pop(k, None)
        t = data.get("time", {}).get("start", 1772323100000) if isinstance(data.get("time"), dict) else 1772323100000
        part(con, pid, mid, msg_session[mid], t, data)
    con.execute("COMMIT")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # Committed in the WAL.
    con.execute("BEGIN")
    session(con, "ses_C", 1772400000000)
    message(con, "msg_c0", "ses_C", {"role": "user", "time": {"created": 1772400000000}, "agent": "build",
                                      "model": {"providerID": "openai", "modelID": "gpt-5-mini"}})
    # msg_c1: two steps; its own tokens are the last step's, its cost the sum.
    message(con, "msg_c1", "ses_C", {
        "role": "assistant", "time": {"created": 1772400001000, "completed": 1772400009000},
        "parentID": "msg_c0", "modelID": "gpt-5-mini", "providerID": "openai", "mode": "build", "agent": "build",
        "path": {"cwd": "/home/dev/project", "root": "/home/dev/project"}, "cost": 0.0031,
        "tokens": tokens(500, 100, 0, 4500, 0), "finish": "stop"})
    part(con, "prt_c1000001", "msg_c1", "ses_C", 1772400001000, {"type": "step-start"})
    part(con, "prt_c1000002", "msg_c1", "ses_C", 1772400002000, {
        "type": "tool", "callID": "call_c1", "tool": "bash",
        "state": {"status": "completed", "input": {"command": "ls"}, "output": "x" * 9000, "title": "ls",
                  "metadata": {}, "time": {"start": 1772400002000, "end": 1772400003500}}})
    part(con, "prt_c1000003", "msg_c1", "ses_C", 1772400003600, {
        "type": "step-finish", "reason": "tool-calls", "tokens": tokens(1000, 200, 50, 3000, 0), "cost": 0.002})
    part(con, "prt_c1000004", "msg_c1", "ses_C", 1772400004000, {"type": "step-start"})
    part(con, "prt_c1000005", "msg_c1", "ses_C", 1772400008000, {"type": "text", "text": "done"})
    part(con, "prt_c1000006", "msg_c1", "ses_C", 1772400009000, {
        "type": "step-finish", "reason": "stop", "tokens": tokens(500, 100, 0, 4500, 0), "cost": 0.0011})
    # A step whose message is gone (foreign keys are not enforced here).
    part(con, "prt_g1", "msg_gone", "ses_C", 1772400010000, {
        "type": "step-finish", "reason": "stop", "tokens": tokens(7, 7, 0, 0, 0), "cost": 0})
    # An assistant message without parts: its tokens are the last step's only.
    message(con, "msg_d1", "ses_C", {
        "role": "assistant", "time": {"created": 1772400020000}, "modelID": "gpt-5-mini", "providerID": "openai",
        "mode": "build", "agent": "build", "cost": 0, "tokens": tokens(300, 40, 0, 0, 0)})
    con.execute("COMMIT")

    # Never committed: spilled into the WAL by a small page cache. The
    # committed rows are changed first, so that their pages are among the
    # spilled frames: a reader that took frames past the last commit would
    # see msg_c1 with 999999 input tokens.
    con.execute("BEGIN")
    con.execute("UPDATE message SET data = json_set(data, '$.tokens.input', 999999)")
    con.execute("UPDATE part SET data = json_set(data, '$.tokens.input', 999999) WHERE json_extract(data, '$.type') = 'step-finish'")
    session(con, "ses_X", 1772500000000)
    for i in range(40):
        message(con, "msg_x%02d" % i, "ses_X", {
            "role": "assistant", "time": {"created": 1772500000000 + i}, "modelID": "gpt-5-mini", "providerID": "openai",
            "tokens": tokens(999999, 1, 0, 0, 0), "pad": "p" * 4000})
    shutil.copy(work, os.path.join(OUT, "opencode.db"))
    shutil.copy(work + "-wal", os.path.join(OUT, "opencode.db-wal"))
    con.execute("ROLLBACK")
    con.close()
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(work + suffix):
            os.remove(work + suffix)


if __name__ == "__main__":
    main()
