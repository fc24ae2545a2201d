"""A simulator of OCPP 1.6 charging stations: cars and e-bikes charging for real.

`station.SimulatedStation` is one charge point (the `ocpp` library's ChargePoint),
`runner.Simulation` runs many of them over `websockets` with reconnects, and
`power` holds the vehicles' power curves. It is a client only: it never touches the
database. `python manage.py simulate --help` drives it from the command line.
"""
