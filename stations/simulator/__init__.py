"""A simulator of OCPP 1.6 and 2.0.1 charging stations: cars and e-bikes charging for real.

It is a client only: it never touches the database. `python manage.py simulate
--help` drives it from the command line.

- base: `StationBase`, one charge point's life shared by every version (connection,
  calls to the CSMS, boot, heartbeat, resets)
- connector_life: `ConnectorLife`, what each connector does (drivers, transactions,
  charging, statuses), inherited by `StationBase`
- station: `SimulatedStation`, the 1.6 station on the library's ChargePoint;
  handlers: its answers to the CSMS
- station201: `SimulatedStation201`, the 2.0.1 station; handlers201 (with
  handlers201_device_model and handlers201_smart_charging): its answers
- state: the station's configuration, connectors, reservations, profiles (plain data)
- smart_charging: charging-profile arithmetic; power: the vehicles' power curves
- errors: failures told apart and worded for the log
- runner: `Simulation`, many stations over `websockets` with reconnects
- stats: counters and reply-time percentiles
"""
