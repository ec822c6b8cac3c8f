"""State shared by a host's workers or by replicas (SQLite or Redis): revocations; may import base only."""
