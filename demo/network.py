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
        "station_id": "CN-CAR-003",
        "kind": "car",
        "connectors": 2,
        "version": "ocpp2.0.1",
        "vendor": "Zaptec",
        "model": "Pro 2.0.1",
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

# Enough cards for every demo connector (15) to charge at once, and one to spare.
DEMO_TOKENS = [f"DEMO-CARD-{number:03d}" for number in range(1, 17)]
