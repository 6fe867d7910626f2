-- Email change: the new address waits in users.pending_email until the link mailed to it is followed. The link's
-- token is a user_tokens row of its own purpose, so it expires and is spent like the verification and reset tokens.
ALTER TABLE users ADD COLUMN pending_email text;
ALTER TABLE user_tokens DROP CONSTRAINT user_tokens_purpose_check;
ALTER TABLE user_tokens ADD CONSTRAINT user_tokens_purpose_check
  CHECK (purpose IN ('verify_email', 'reset_password', 'change_email'));
