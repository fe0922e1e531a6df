-- The reconciler looks up dead letters by event id.
CREATE INDEX "function_dead_letters_event_id_idx" ON "function_dead_letters"("event_id");
