"""Reliability: the figures regulators ask of a public network and what feeds them.

Each port's outage log is read from three histories: the station's connectivity
(kept here), the connector status periods billing keeps, and the central system's own
liveness (kept here, so that a gap while ChargeNet was down is never blamed on a
station). Operators record exclusions; uptime follows the US NEVI formula and the UK
Public Charge Point Regulations' method. The arithmetic is pure (`intervals`,
`uptime`); `timeline` reads the rows.
"""
