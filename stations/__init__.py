"""The network and its OCPP protocol: models, services, adapters, sockets, commands, API,
pages, admin, simulator.
"""
