"""OCPI 2.2.1 in the charge point operator (CPO) role, and the public open-data feed.

Other networks' mobility providers (eMSPs) register here (`credentials`), read the
network (`locations`, `tariffs`) and receive what happens on it; ChargeNet's station
core never imports this app: it listens to `stations/events.py` and calls the command
service like any other face.
"""
