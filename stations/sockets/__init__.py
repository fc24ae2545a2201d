"""Thin Channels consumers: the OCPP station socket and the operators' live socket."""
