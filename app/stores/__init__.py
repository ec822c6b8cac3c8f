"""State a host's workers or replicas share (SQLite, Redis): revocations, rate limits, idempotency, OAuth."""
