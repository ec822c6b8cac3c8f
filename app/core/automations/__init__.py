"""The tools beyond CRUD: files, reports, chatter, wizards, the change feed, upserts, idempotent replays."""
