"""REST API v1 tests: stations, sessions, ID tokens, commands, schema, throttling, audit.

From tests/conftest.py: `operator`, `api_client` (the API as the operator, by token),
`station`, `token` and `schema` (the OpenAPI schema the API serves).
"""
