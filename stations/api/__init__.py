"""REST API v1 of the network: stations, sessions and ID tokens (views, serializers, filters)."""
