"""HTTP face: views, request helpers, answers, OpenAPI, limits, MCP, metrics (imports core and below)."""
