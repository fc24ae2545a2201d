"""OCPI's HTTP faces: versions, credentials and the CPO's SENDER modules, all through
`OcpiView` (envelope, token, request ids) and `paginate` (offset, limit, dates)."""
