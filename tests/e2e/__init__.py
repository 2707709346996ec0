"""End-to-end tests: the real OpenCode binary, isolated and offline, against a fake provider."""
