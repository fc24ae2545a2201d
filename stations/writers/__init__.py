"""Batched writers of the OCPP hot path: the message log and meter samples, many rows per
statement.
"""
