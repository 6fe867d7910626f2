-- Invitations into an organization; single use (registration deletes the row).
CREATE TABLE invites (
  id uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  permissions text NOT NULL CHECK (permissions IN ('Owner', 'Admin', 'Member', 'Viewer')),
  network_ids uuid[] NOT NULL DEFAULT '{}',
  url text NOT NULL,
  created_by uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  send_to text,
  expires_at timestamptz NOT NULL DEFAULT now() + interval '168 hours',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invites_org_idx ON invites (organization_id, created_at);

-- A user's daemons must outlive the user: the users routes hand them to another Owner before deleting, and this
-- guard turns a missed hand-over into an error instead of silently deleting daemons (the reference behaves alike).
ALTER TABLE daemons DROP CONSTRAINT daemons_user_id_fkey;
ALTER TABLE daemons ADD CONSTRAINT daemons_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id);
CREATE INDEX daemons_user_idx ON daemons (user_id);
