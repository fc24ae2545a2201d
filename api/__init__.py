"""The REST API's shared plumbing: the /api/v1/ routes, one error shape, permissions,
throttling and the audit of writes.
"""
