"""Registering many stations at once: the API's bulk call and the operators' CSV import.

All or nothing: every row is checked first, and one bad row registers none.
"""
