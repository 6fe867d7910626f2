-- Scheduled discoveries: the instant the next run is due. A replica claims a due run by moving this forward in the
-- same statement that reads it (FOR UPDATE SKIP LOCKED), so each due time starts exactly one session.
ALTER TABLE discovery ADD COLUMN next_run_at timestamptz;
CREATE INDEX discovery_next_run_idx ON discovery (next_run_at) WHERE next_run_at IS NOT NULL;
-- Enabled schedules still without a due time (the loop plans them); Historical rows, the bulk of the table, are not in it.
CREATE INDEX discovery_unplanned_idx ON discovery (id)
  WHERE next_run_at IS NULL AND run_type->>'type' = 'Scheduled';

-- The last time the daemon showed it was working on a session (dispatch, a progress report, a server_poll poll that
-- lists it). The stall sweep fails running sessions whose daemon fell silent.
ALTER TABLE discovery_sessions ADD COLUMN last_activity_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX discovery_sessions_running_idx ON discovery_sessions (last_activity_at)
  WHERE phase IN ('Starting', 'Started', 'Scanning');

-- One queued or running session per discovery configuration. Older databases may hold duplicates: all but the first
-- are closed before the index is built.
UPDATE discovery_sessions s SET phase = 'Failed', error = 'Superseded by an earlier session of the same discovery',
  finished_at = now(), updated_at = now()
WHERE s.discovery_id IS NOT NULL AND s.phase IN ('Pending', 'Starting', 'Started', 'Scanning')
  AND EXISTS (
    SELECT 1 FROM discovery_sessions o
    WHERE o.discovery_id = s.discovery_id AND o.phase IN ('Pending', 'Starting', 'Started', 'Scanning')
      AND (o.created_at, o.id) < (s.created_at, s.id));
CREATE UNIQUE INDEX discovery_sessions_one_open_idx ON discovery_sessions (discovery_id)
  WHERE discovery_id IS NOT NULL AND phase IN ('Pending', 'Starting', 'Started', 'Scanning');

-- server_poll ("DMZ mode"): the server calls the daemon with the daemon's own key, so keys minted by provisioning keep
-- their plaintext. Every other key is stored as a hash only.
ALTER TABLE api_keys ADD COLUMN plaintext_key text;

-- Which replica polls which server_poll daemon, until when. Kept out of the daemons table so a claim does not
-- announce a Daemon change to every browser each poll.
CREATE TABLE server_poll_claims (
  daemon_id uuid PRIMARY KEY REFERENCES daemons(id) ON DELETE CASCADE,
  claimed_until timestamptz NOT NULL
);
