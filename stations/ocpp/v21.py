"""OCPP 2.1-J, as far as the `ocpp` library carries it: the 2.0.1 handlers on 2.1 schemas.

Messages new in 2.1 that a station may send (DER, tariffs, battery swap, ...) are known
actions ChargeNet does not implement, so they get NotSupported.
"""

from ocpp.v21 import call, call_result
from ocpp.v21.enums import Action

from stations.ocpp.commands201 import builders_for
from stations.ocpp.v201 import INCOMING_201, V201Adapter


class V21Adapter(V201Adapter):
    version = "2.1"
    results = call_result
    known_actions = frozenset(action.value for action in Action)
    incoming_actions = INCOMING_201
    request_builders = builders_for(call)
