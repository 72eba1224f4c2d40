-- The collector's schema. The PostgreSQL store mirrors it; where the two
-- differ, the PostgreSQL type is given in the comment.
--
-- Times are INTEGER microseconds since 1970-01-01 UTC (PostgreSQL:
-- timestamptz, which keeps microseconds too). Call IDs and sites compare
-- byte-wise (SQLite's BINARY collation; PostgreSQL: COLLATE "C").

-- lines holds every record line as received, once per site and text.
CREATE TABLE lines (
	id               INTEGER PRIMARY KEY, -- PostgreSQL: bigint generated always as identity
	site             TEXT    NOT NULL,
	source           TEXT    NOT NULL,
	seq              INTEGER NOT NULL,   -- the source's sequence number, 0 if none
	received_at      INTEGER NOT NULL,
	text             TEXT    NOT NULL,   -- the line without its line ending
	call_id          TEXT    NOT NULL,
	time             INTEGER NOT NULL,   -- the record's time
	event            TEXT    NOT NULL,
	extension        TEXT    NOT NULL,
	source_extension TEXT    NOT NULL,
	warnings         TEXT    NOT NULL,   -- JSON array of strings, '[]' for a clean line (PostgreSQL: jsonb or text[])
	UNIQUE (site, text)
);
CREATE INDEX lines_call ON lines (site, call_id, id);
CREATE INDEX lines_seq ON lines (site, source, seq);

-- parse_errors holds the lines that could not be read as records.
CREATE TABLE parse_errors (
	id          INTEGER PRIMARY KEY, -- PostgreSQL: bigint generated always as identity
	site        TEXT    NOT NULL,
	source      TEXT    NOT NULL,
	seq         INTEGER NOT NULL,
	line_no     INTEGER NOT NULL,
	received_at INTEGER NOT NULL,
	raw         BLOB    NOT NULL,    -- any bytes (PostgreSQL: bytea)
	reason      TEXT    NOT NULL
);
CREATE INDEX parse_errors_seq ON parse_errors (site, source, seq);
CREATE INDEX parse_errors_site ON parse_errors (site, id);

-- calls holds one row per call (smdr.Call), replaced as records arrive.
CREATE TABLE calls (
	site            TEXT    NOT NULL,
	call_id         TEXT    NOT NULL,
	direction       TEXT    NOT NULL,  -- 'IN' or 'OUT'
	trunk           TEXT    NOT NULL,
	number          TEXT    NOT NULL,
	name            TEXT    NOT NULL,
	ddi             TEXT    NOT NULL,
	ddi_name        TEXT    NOT NULL,
	account_code    TEXT    NOT NULL,
	start           INTEGER NOT NULL,
	first_ring      INTEGER,           -- NULL: none
	answered_at     INTEGER,           -- NULL: not answered
	end_at          INTEGER,           -- NULL: in progress
	ring_seconds    INTEGER NOT NULL,
	talk_seconds    INTEGER NOT NULL,
	hold_seconds    INTEGER NOT NULL,
	queue_seconds   INTEGER NOT NULL,
	outcome         TEXT    NOT NULL,  -- '' while in progress
	answered_by     TEXT    NOT NULL,
	final_extension TEXT    NOT NULL,
	extensions      TEXT    NOT NULL,  -- JSON array, in order of involvement (PostgreSQL: jsonb or text[])
	transfers       INTEGER NOT NULL,
	diversions      INTEGER NOT NULL,
	closed_by       TEXT    NOT NULL,  -- '' while in progress
	state           TEXT    NOT NULL,
	state_since     INTEGER NOT NULL,
	last_event      INTEGER NOT NULL,
	records         INTEGER NOT NULL,
	PRIMARY KEY (site, call_id)
);
-- Listings are newest first, (start, call_id, site) descending, and page
-- by keyset on those three: the indexes below lead with them or with an
-- equality filter and then them, so that a page reads an index in listing
-- order. calls_start also holds number and ddi, so that a number substring
-- is looked for in the index, not in the rows. Open calls are few: a
-- listing of them is sorted.
CREATE INDEX calls_start ON calls (start, call_id, site, number, ddi);
CREATE INDEX calls_site_start ON calls (site, start, call_id);
CREATE INDEX calls_direction_start ON calls (direction, start, call_id, site);
CREATE INDEX calls_outcome_start ON calls (outcome, start, call_id, site);
CREATE INDEX calls_open ON calls (closed_by, site, start, call_id);

-- call_extensions is calls.extensions one row each, so that selecting the
-- calls an extension was involved in is an exact, indexed match. start is
-- a copy of the call's (the rows are written again with the call), so
-- that a listing by extension reads the index in listing order.
CREATE TABLE call_extensions (
	site      TEXT    NOT NULL,
	call_id   TEXT    NOT NULL,
	extension TEXT    NOT NULL,
	start     INTEGER NOT NULL,
	PRIMARY KEY (site, call_id, extension),
	FOREIGN KEY (site, call_id) REFERENCES calls (site, call_id) ON DELETE CASCADE
);
CREATE INDEX call_extensions_extension ON call_extensions (extension, start, call_id, site);
