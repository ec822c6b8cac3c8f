"""OAuth 2.1 for MCP clients: the sign-in flows (codes, tokens) and client registration."""
