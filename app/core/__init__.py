"""Use cases, free of Flask: call machinery at the top; wings access/, automations/, oauth/."""
