-- The collector's schema: internal/store/sqlite/migrations/0001_init.sql
-- in PostgreSQL's types.
--
-- Times are timestamptz (microseconds). Sites and Call IDs compare
-- byte-wise (COLLATE "C") whatever the database's collation, as Go and
-- SQLite compare them, so that listings and cursors agree across stores.

-- lines holds every record line as received, once per site and text.
CREATE TABLE lines (
	id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	site             text COLLATE "C" NOT NULL,
	source           text        NOT NULL,
	seq              bigint      NOT NULL, -- the source's sequence number, 0 if none
	received_at      timestamptz NOT NULL,
	-- The line without its line ending. bytea, not text: a line the parser
	-- tolerates may hold a NUL or invalid UTF-8, which text cannot store.
	text             bytea       NOT NULL,
	call_id          text COLLATE "C" NOT NULL,
	time             timestamptz NOT NULL, -- the record's time
	event            text        NOT NULL,
	extension        text        NOT NULL,
	source_extension text        NOT NULL,
	warnings         text[]      NOT NULL, -- '{}' for a clean line
	UNIQUE (site, text)
);
CREATE INDEX lines_call ON lines (site, call_id, id);
CREATE INDEX lines_seq ON lines (site, source, seq);

-- parse_errors holds the lines that could not be read as records.
CREATE TABLE parse_errors (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	site        text COLLATE "C" NOT NULL,
	source      text        NOT NULL,
	seq         bigint      NOT NULL,
	line_no     bigint      NOT NULL,
	received_at timestamptz NOT NULL,
	raw         bytea       NOT NULL, -- any bytes
	reason      text        NOT NULL
);
CREATE INDEX parse_errors_seq ON parse_errors (site, source, seq);
CREATE INDEX parse_errors_site ON parse_errors (site, id);

-- calls holds one row per call (smdr.Call), replaced as records arrive.
CREATE TABLE calls (
	site            text COLLATE "C" NOT NULL,
	call_id         text COLLATE "C" NOT NULL,
	direction       text        NOT NULL, -- 'IN' or 'OUT'
	trunk           text        NOT NULL,
	number          text        NOT NULL,
	name            text        NOT NULL,
	ddi             text        NOT NULL,
	ddi_name        text        NOT NULL,
	account_code    text        NOT NULL,
	start           timestamptz NOT NULL,
	first_ring      timestamptz,          -- NULL: none
	answered_at     timestamptz,          -- NULL: not answered
	end_at          timestamptz,          -- NULL: in progress
	ring_seconds    integer     NOT NULL,
	talk_seconds    integer     NOT NULL,
	hold_seconds    integer     NOT NULL,
	queue_seconds   integer     NOT NULL,
	outcome         text        NOT NULL, -- '' while in progress
	answered_by     text        NOT NULL,
	final_extension text        NOT NULL,
	extensions      text[]      NOT NULL, -- in order of involvement
	transfers       integer     NOT NULL,
	diversions      integer     NOT NULL,
	closed_by       text        NOT NULL, -- '' while in progress
	state           text        NOT NULL,
	state_since     timestamptz NOT NULL,
	last_event      timestamptz NOT NULL,
	records         integer     NOT NULL,
	PRIMARY KEY (site, call_id)
);
-- Listings are newest first, (start, call_id, site) descending, and page
-- by keyset on those three: each index below ends with them so that a
-- filter on its leading column still reads in listing order (backwards).
CREATE INDEX calls_start ON calls (start, call_id, site);
CREATE INDEX calls_site_start ON calls (site, start, call_id);
CREATE INDEX calls_direction_start ON calls (direction, start, call_id, site);
CREATE INDEX calls_outcome_start ON calls (outcome, start, call_id, site);
CREATE INDEX calls_open ON calls (site) WHERE closed_by = '';
-- Selecting the calls an extension was involved in: extensions @> '{2042}'.
CREATE INDEX calls_extensions ON calls USING gin (extensions);
