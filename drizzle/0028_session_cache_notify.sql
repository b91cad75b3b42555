-- Custom SQL migration file, put your code below! ---- Browser sessions in the web processes' auth cache (src/auth/cache.ts): a session that ends (sign-out,
-- revocation, password set again, account removed by cascade, or its expiry moved) notifies every
-- listening process at commit. Recording its use (last_seen_at moving forward) does not: the cache checks
-- both expiries at each use, and reads a session again when it looks expired.
CREATE FUNCTION notify_session_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('analylit_auth', 's:' || OLD.id);
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER sessions_auth_change AFTER DELETE ON sessions
  FOR EACH ROW EXECUTE FUNCTION notify_session_change();--> statement-breakpoint
CREATE TRIGGER sessions_auth_update AFTER UPDATE ON sessions FOR EACH ROW
  WHEN ((NEW.user_id, NEW.token_hash, NEW.expires_at) IS DISTINCT FROM (OLD.user_id, OLD.token_hash, OLD.expires_at) OR NEW.last_seen_at < OLD.last_seen_at)
  EXECUTE FUNCTION notify_session_change();
