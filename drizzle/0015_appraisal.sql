CREATE TABLE "atn_criteria_sets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"key" text,
	"project_id" uuid,
	"definition" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "atn_scores" (
	"article_id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"score" real NOT NULL,
	"category" text NOT NULL,
	"justification" jsonb NOT NULL,
	"set_version" text NOT NULL,
	"scored_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rob_assessment_history" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"assessment_id" uuid NOT NULL,
	"user_id" uuid,
	"state" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rob_assessments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"article_id" uuid NOT NULL,
	"outcome" text DEFAULT '' NOT NULL,
	"tool" text NOT NULL,
	"kind" text DEFAULT 'reviewer' NOT NULL,
	"reviewer_id" uuid NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"answers" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"judgements" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"support" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"overrides" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"derived" jsonb,
	"model" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "atn_criteria_sets" ADD CONSTRAINT "atn_criteria_sets_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "atn_scores" ADD CONSTRAINT "atn_scores_article_id_articles_id_fk" FOREIGN KEY ("article_id") REFERENCES "public"."articles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "atn_scores" ADD CONSTRAINT "atn_scores_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rob_assessment_history" ADD CONSTRAINT "rob_assessment_history_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rob_assessment_history" ADD CONSTRAINT "rob_assessment_history_assessment_id_rob_assessments_id_fk" FOREIGN KEY ("assessment_id") REFERENCES "public"."rob_assessments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rob_assessment_history" ADD CONSTRAINT "rob_assessment_history_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rob_assessments" ADD CONSTRAINT "rob_assessments_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rob_assessments" ADD CONSTRAINT "rob_assessments_article_id_articles_id_fk" FOREIGN KEY ("article_id") REFERENCES "public"."articles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rob_assessments" ADD CONSTRAINT "rob_assessments_reviewer_id_users_id_fk" FOREIGN KEY ("reviewer_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "atn_criteria_sets_key_idx" ON "atn_criteria_sets" USING btree ("key");--> statement-breakpoint
CREATE UNIQUE INDEX "atn_criteria_sets_project_idx" ON "atn_criteria_sets" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "atn_scores_project_idx" ON "atn_scores" USING btree ("project_id","score");--> statement-breakpoint
CREATE INDEX "rob_assessment_history_idx" ON "rob_assessment_history" USING btree ("assessment_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "rob_assessments_reviewer_idx" ON "rob_assessments" USING btree ("article_id","outcome","tool","reviewer_id") WHERE kind = 'reviewer';--> statement-breakpoint
CREATE UNIQUE INDEX "rob_assessments_consensus_idx" ON "rob_assessments" USING btree ("article_id","outcome","tool") WHERE kind = 'consensus';--> statement-breakpoint
CREATE INDEX "rob_assessments_project_idx" ON "rob_assessments" USING btree ("project_id","tool");--> statement-breakpoint
-- The ATN v2.2 criteria set (src/appraisal/atn.ts, ATN_V2_2), available to every project.
INSERT INTO "atn_criteria_sets" ("key", "definition") VALUES ('atn-v2.2', '{"name":"ATN","version":"2.2","criteria":[{"id":"therapeutic_alliance","label":"therapeutic alliance","cap":20,"terms":[{"term":"therapeutic alliance","weight":6},{"term":"working alliance","weight":6},{"term":"digital therapeutic alliance","weight":8}]},{"id":"digital_health","label":"digital health","cap":18,"terms":[{"term":"digital health","weight":3},{"term":"digital therapeutic","weight":4},{"term":"prescribable app","weight":5},{"term":"diga","weight":5}]},{"id":"conversational_ai_empathy","label":"conversational AI empathy","cap":15,"terms":[{"term":"artificial empathy","weight":8},{"term":"ai empathy","weight":8},{"term":"empathic ai","weight":8},{"term":"conversational ai","weight":6}]},{"id":"patient_centred","label":"patient-centred approach","cap":15,"terms":[{"term":"patient-centered","weight":4},{"term":"patient engagement","weight":5},{"term":"user experience","weight":4}]},{"id":"technology_acceptance","label":"technology acceptance","cap":12,"terms":[{"term":"technology acceptance","weight":4},{"term":"user experience","weight":4},{"term":"digital literacy","weight":4}]},{"id":"equity_accessibility","label":"equity/accessibility","cap":10,"terms":[{"term":"health equity","weight":5},{"term":"digital divide","weight":5},{"term":"accessibility","weight":4},{"term":"inclusive design","weight":4}]},{"id":"clinical_validation","label":"clinical validation","cap":10,"terms":[{"term":"clinical validation","weight":5},{"term":"randomized controlled trial","weight":5},{"term":"rct","weight":4},{"term":"fda approved","weight":6}]}],"recencyBonuses":[{"minYear":2022,"points":10},{"minYear":2020,"points":7}],"longitudinalBonus":{"points":5,"terms":["longitudinal","follow-up","long-term","cohort study"]},"divisor":110,"categories":[{"label":"very relevant","min":75},{"label":"relevant","min":60},{"label":"not very relevant","min":0}]}'::jsonb);--> statement-breakpoint
-- ATN scores change the articles list (sort by score, minimum score): they bump the project's data version like articles do (0009).
CREATE TRIGGER atn_scores_inserted_change AFTER INSERT ON atn_scores REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION note_project_change();--> statement-breakpoint
CREATE TRIGGER atn_scores_updated_change AFTER UPDATE ON atn_scores REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION note_project_change();--> statement-breakpoint
CREATE TRIGGER atn_scores_deleted_change AFTER DELETE ON atn_scores REFERENCING OLD TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION note_project_change();
