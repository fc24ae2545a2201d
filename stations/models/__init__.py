"""The stations app's models, one module per concept; import them from here.

Energy is integer Wh, power W, times aware UTC.

- network: Site, ChargingStation, Connector (the network's shape and live status)
- tokens: IdToken (cards, app tokens and their groups)
- sessions: ChargingSession, MeterSample, SessionMeterSummary, SessionEvent
- log: OcppMessage (the OCPP frame log), StationEvent (what operators should see)
- device_model: DeviceModelVariable (a station's reported configuration), VariableMonitor
- display_messages: DisplayMessage (what a station shows its drivers)
- certificates: InstalledCertificate (certificates a station holds)
- customer_information: CustomerInformationReport (a customer's data a station reported)
- commands: Command (calls to stations), DiagnosticsUpload (files they upload)
- reservations: Reservation and its ReservationQuerySet
- local_lists: LocalAuthList (the list each station holds)
- charging_profiles: ChargingProfile (limits set on stations)
- certificates: IssuedCertificate (what ChargeNet's certificate authority signed)
- presence: ServerLease (the renewable lease of each live server process)
"""

# Django finds an app's models by importing this package: every model is imported here.
from stations.models.certificates import InstalledCertificate, IssuedCertificate
from stations.models.charging_profiles import ChargingProfile
from stations.models.commands import Command, DiagnosticsUpload
from stations.models.customer_information import CustomerInformationReport
from stations.models.device_model import DeviceModelVariable, VariableMonitor
from stations.models.display_messages import DisplayMessage
from stations.models.local_lists import LocalAuthList
from stations.models.log import OcppMessage, StationEvent
from stations.models.network import ChargingStation, Connector, Site
from stations.models.presence import ServerLease
from stations.models.reservations import Reservation, ReservationQuerySet
from stations.models.sessions import (
    ChargingSession,
    MeterSample,
    SessionEvent,
    SessionMeterSummary,
)
from stations.models.tokens import IdToken

__all__ = [
    "ChargingProfile",
    "ChargingSession",
    "ChargingStation",
    "Command",
    "Connector",
    "CustomerInformationReport",
    "DeviceModelVariable",
    "DiagnosticsUpload",
    "DisplayMessage",
    "IdToken",
    "InstalledCertificate",
    "IssuedCertificate",
    "LocalAuthList",
    "MeterSample",
    "OcppMessage",
    "Reservation",
    "ReservationQuerySet",
    "SessionEvent",
    "ServerLease",
    "SessionMeterSummary",
    "Site",
    "StationEvent",
    "VariableMonitor",
]
