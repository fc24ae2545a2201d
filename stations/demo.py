"""The demo network `make run` loads and the simulator drives.

Demo credentials are public by design: they exist only in a local embedded install.
"""

DEMO_SITE = {
    "name": "Harbour Square",
    "timezone": "Europe/Amsterdam",
    "address": "Harbour Square 1, 1011 AB Amsterdam",
}
DEMO_STATION_PASSWORD = "demo-station-password"
DEMO_OPERATOR = "operator"

DEMO_STATIONS = [
    {
        "station_id": "CN-CAR-001",
        "kind": "car",
        "connectors": 2,
        "version": "ocpp1.6",
        "vendor": "Alfen",
        "model": "Eve Double",
    },
    {
        "station_id": "CN-CAR-002",
        "kind": "car",
        "connectors": 1,
        "version": "ocpp1.6",
        "vendor": "ABB",
        "model": "Terra AC",
    },
    {
        "station_id": "CN-EBIKE-001",
        "kind": "ebike",
        "connectors": 10,
        "version": "ocpp1.6",
        "vendor": "Weeyu",
        "model": "E-Bike Pile 10",
    },
]

DEMO_TOKENS = ["DEMO-CARD-001", "DEMO-CARD-002", "DEMO-CARD-003", "DEMO-CARD-004"]
