-- Walking-skeleton schema: tenancy, accounts, keys and the core inventory.
-- Column names follow the reference model (api-model.md) so JSON maps 1:1.

CREATE TABLE organizations (
  id uuid PRIMARY KEY,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  plan jsonb,
  plan_status text,
  onboarding jsonb NOT NULL DEFAULT '[]',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  email text NOT NULL,
  password_hash text,
  permissions text NOT NULL DEFAULT 'Member' CHECK (permissions IN ('Owner', 'Admin', 'Member', 'Viewer')),
  email_verified boolean NOT NULL DEFAULT false,
  terms_accepted_at timestamptz,
  oidc_provider text,
  oidc_subject text,
  oidc_linked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_lower_idx ON users (lower(email));
CREATE INDEX users_org_idx ON users (organization_id);

CREATE TABLE sessions (
  id text PRIMARY KEY, -- SHA-256 hex of the cookie value; the cookie itself is never stored
  user_id uuid REFERENCES users(id) ON DELETE CASCADE,
  data jsonb NOT NULL DEFAULT '{}',
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

CREATE TABLE networks (
  id uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX networks_org_idx ON networks (organization_id);

CREATE TABLE user_network_access (
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  network_id uuid NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
  PRIMARY KEY (user_id, network_id)
);

CREATE TABLE tags (
  id uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  description text,
  color text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, name)
);

CREATE TABLE entity_tags (
  entity_id uuid NOT NULL,
  entity_type text NOT NULL,
  tag_id uuid NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
  PRIMARY KEY (entity_id, entity_type, tag_id)
);
CREATE INDEX entity_tags_tag_idx ON entity_tags (tag_id);

CREATE TABLE subnets (
  id uuid PRIMARY KEY,
  network_id uuid NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
  cidr cidr NOT NULL,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  description text,
  subnet_type text NOT NULL,
  source jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subnets_network_idx ON subnets (network_id);

CREATE TABLE hosts (
  id uuid PRIMARY KEY,
  network_id uuid NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  hostname text,
  description text,
  source jsonb NOT NULL,
  virtualization jsonb,
  hidden boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX hosts_network_idx ON hosts (network_id, created_at);

CREATE TABLE interfaces (
  id uuid PRIMARY KEY,
  host_id uuid NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
  subnet_id uuid NOT NULL REFERENCES subnets(id) ON DELETE CASCADE,
  network_id uuid NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
  ip_address inet NOT NULL,
  mac_address macaddr,
  name text,
  position integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (host_id, subnet_id, ip_address)
);
CREATE INDEX interfaces_host_idx ON interfaces (host_id);
CREATE INDEX interfaces_network_ip_idx ON interfaces (network_id, ip_address);
CREATE INDEX interfaces_mac_idx ON interfaces (network_id, mac_address);

CREATE TABLE ports (
  id uuid PRIMARY KEY,
  host_id uuid NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
  network_id uuid NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
  port_number integer NOT NULL CHECK (port_number BETWEEN 0 AND 65535),
  protocol text NOT NULL CHECK (protocol IN ('Tcp', 'Udp')),
  port_type text NOT NULL DEFAULT 'Custom',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (host_id, port_number, protocol)
);

CREATE TABLE services (
  id uuid PRIMARY KEY,
  host_id uuid NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
  network_id uuid NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  service_definition text NOT NULL,
  position integer NOT NULL DEFAULT 0,
  source jsonb NOT NULL,
  virtualization jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX services_host_idx ON services (host_id);

CREATE TABLE bindings (
  id uuid PRIMARY KEY,
  service_id uuid NOT NULL REFERENCES services(id) ON DELETE CASCADE,
  network_id uuid NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
  binding_type text NOT NULL CHECK (binding_type IN ('Interface', 'Port')),
  interface_id uuid REFERENCES interfaces(id) ON DELETE CASCADE,
  port_id uuid REFERENCES ports(id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (
    (binding_type = 'Interface' AND interface_id IS NOT NULL AND port_id IS NULL)
    OR (binding_type = 'Port' AND port_id IS NOT NULL)
  )
);
CREATE INDEX bindings_service_idx ON bindings (service_id);

CREATE TABLE api_keys (
  id uuid PRIMARY KEY,
  network_id uuid NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  key_hash text NOT NULL UNIQUE,
  last_used timestamptz,
  expires_at timestamptz,
  is_enabled boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE daemons (
  id uuid PRIMARY KEY,
  network_id uuid NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
  host_id uuid NOT NULL,
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name text,
  url text NOT NULL DEFAULT '',
  mode text NOT NULL DEFAULT 'daemon_poll',
  capabilities jsonb NOT NULL DEFAULT '{"has_docker_socket": false, "interfaced_subnet_ids": []}',
  last_seen timestamptz,
  version text,
  api_key_id uuid REFERENCES api_keys(id) ON DELETE SET NULL,
  is_unreachable boolean NOT NULL DEFAULT false,
  standby boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX daemons_network_idx ON daemons (network_id);

CREATE TABLE user_api_keys (
  id uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  key_hash text NOT NULL UNIQUE,
  permissions text NOT NULL DEFAULT 'Viewer' CHECK (permissions IN ('Owner', 'Admin', 'Member', 'Viewer')),
  last_used timestamptz,
  expires_at timestamptz,
  is_enabled boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE user_api_key_network_access (
  api_key_id uuid NOT NULL REFERENCES user_api_keys(id) ON DELETE CASCADE,
  network_id uuid NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
  PRIMARY KEY (api_key_id, network_id)
);

-- Discovery configurations and sessions live in the database (not in memory, unlike the reference) so a
-- server restart or a second replica never loses or double-dispatches a session.
CREATE TABLE discovery (
  id uuid PRIMARY KEY,
  network_id uuid NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
  daemon_id uuid NOT NULL REFERENCES daemons(id) ON DELETE CASCADE,
  name text NOT NULL,
  discovery_type jsonb NOT NULL,
  run_type jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE discovery_sessions (
  id uuid PRIMARY KEY,
  daemon_id uuid NOT NULL REFERENCES daemons(id) ON DELETE CASCADE,
  network_id uuid NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
  discovery_id uuid REFERENCES discovery(id) ON DELETE SET NULL,
  discovery_type jsonb NOT NULL,
  phase text NOT NULL DEFAULT 'Pending',
  progress integer NOT NULL DEFAULT 0,
  error text,
  cancel_requested boolean NOT NULL DEFAULT false,
  started_at timestamptz,
  finished_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX discovery_sessions_daemon_idx ON discovery_sessions (daemon_id, phase, created_at);

-- Server-wide state that is not an entity (e.g. which network the integrated daemon reports to).
CREATE TABLE server_state (
  key text PRIMARY KEY,
  value jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
