"""A simulator of OCPP 1.6 and 2.0.1 charging stations: cars and e-bikes charging for real.

`station.StationBase` is one charge point's life, shared by every version;
`station.SimulatedStation` (1.6) and `station201.SimulatedStation201` (2.0.1) put it
on the `ocpp` library's ChargePoint of their version. `runner.Simulation` runs many
of them over `websockets` with reconnects, and `power` holds the vehicles' power
curves. It is a client only: it never touches the database. `python manage.py
simulate --help` drives it from the command line.
"""
