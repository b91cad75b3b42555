-- Custom SQL migration file, put your code below! ---- Invalidation of the web processes' token and membership caches (src/auth/cache.ts): NOTIFY is
-- delivered at commit to every process listening on the database, whichever process (or SQL) wrote.
CREATE FUNCTION notify_auth_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  old_row record;
BEGIN
  IF TG_OP = 'INSERT' THEN old_row := NEW; ELSE old_row := OLD; END IF;
  IF TG_TABLE_NAME = 'api_tokens' THEN
    PERFORM pg_notify('analylit_auth', 't:' || old_row.id);
  ELSIF TG_TABLE_NAME = 'users' THEN
    PERFORM pg_notify('analylit_auth', 'u:' || old_row.id);
  ELSIF TG_TABLE_NAME = 'project_members' THEN
    PERFORM pg_notify('analylit_auth', 'm:' || old_row.project_id || ':' || old_row.user_id);
    IF TG_OP = 'UPDATE' AND (NEW.project_id, NEW.user_id) IS DISTINCT FROM (OLD.project_id, OLD.user_id) THEN
      PERFORM pg_notify('analylit_auth', 'm:' || NEW.project_id || ':' || NEW.user_id);
    END IF;
  END IF;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER api_tokens_auth_change AFTER UPDATE OF user_id, token_hash OR DELETE ON api_tokens
  FOR EACH ROW EXECUTE FUNCTION notify_auth_change();--> statement-breakpoint
CREATE TRIGGER users_auth_change AFTER UPDATE OF email, name, is_admin, kind OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION notify_auth_change();--> statement-breakpoint
CREATE TRIGGER project_members_auth_change AFTER INSERT OR UPDATE OR DELETE ON project_members
  FOR EACH ROW EXECUTE FUNCTION notify_auth_change();
