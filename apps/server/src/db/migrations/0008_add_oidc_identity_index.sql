-- One account per identity at an OIDC provider: sign-in finds the user by (provider slug, subject), and a second
-- account claiming the same identity is refused by the database, not only by the application.
CREATE UNIQUE INDEX users_oidc_identity_idx ON users (oidc_provider, oidc_subject) WHERE oidc_subject IS NOT NULL;
