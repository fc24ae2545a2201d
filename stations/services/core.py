"""Former home of the station services, now one module per concept: kept only so that
callers not yet moved (stations/ocpp/*, stations/sockets/station.py,
stations/writers/meter_writer.py, stations/commands/admin.py,
stations/management/commands/serve.py) keep working. It holds no code of its own:
import from the concept modules instead, and delete this module once nothing
imports it.
"""

from stations.commands.service import REMOTE_START_WINDOW, command_finish
from stations.services.authorization import (
    ACCEPTED,
    BLOCKED,
    CONCURRENT_TX,
    EXPIRED,
    INVALID,
    UNKNOWN,
    Authorization,
    id_token_authorize,
    token_find,
)
from stations.services.connections import (
    all_in_one_transaction,
    station_connect,
    station_disconnect,
    station_touch,
    stations_mark_offline,
)
from stations.services.device_model import device_model_report
from stations.services.meter_values import MeterValuesIn, meter_values_record_many
from stations.services.reconcile import session_soft_stop
from stations.services.registration import (
    BOOT_FIELDS,
    BootResult,
    station_boot,
    station_registration,
)
from stations.services.sessions import StartResult, session_find, session_start, session_stop
from stations.services.status import (
    OCCUPIED_STATUSES,
    connector_status_update,
    station_event_record,
)
from stations.services.transaction_events import (
    SessionEventIn,
    SessionEventResult,
    session_event_apply,
)

__all__ = [
    "ACCEPTED",
    "BLOCKED",
    "BOOT_FIELDS",
    "CONCURRENT_TX",
    "EXPIRED",
    "INVALID",
    "OCCUPIED_STATUSES",
    "REMOTE_START_WINDOW",
    "UNKNOWN",
    "Authorization",
    "BootResult",
    "MeterValuesIn",
    "SessionEventIn",
    "SessionEventResult",
    "StartResult",
    "all_in_one_transaction",
    "command_finish",
    "connector_status_update",
    "device_model_report",
    "id_token_authorize",
    "meter_values_record_many",
    "session_event_apply",
    "session_find",
    "session_soft_stop",
    "session_start",
    "session_stop",
    "station_boot",
    "station_connect",
    "station_disconnect",
    "station_event_record",
    "station_registration",
    "station_touch",
    "stations_mark_offline",
    "token_find",
]
