"""OCPI 2.2.1's objects as JSON Schemas, written from the specification's tables:
field names, types, string lengths (CiString/string(n)), enums, required fields.
`validate(name, obj)` raises on the first mismatch; additional fields are refused so
a misspelt name fails too.
"""

import jsonschema


def s(length: int) -> dict:
    return {"type": "string", "maxLength": length}


DATETIME = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$"}
URL = s(255)
NUMBER = {"type": "number"}
INT = {"type": "integer"}


def obj(required: dict, optional: dict | None = None) -> dict:
    return {
        "type": "object",
        "properties": {**required, **(optional or {})},
        "required": list(required),
        "additionalProperties": False,
    }


def array(item: dict, min_items: int = 0) -> dict:
    return {"type": "array", "items": item, "minItems": min_items}


def enum(*values: str) -> dict:
    return {"type": "string", "enum": list(values)}


ROLE = enum("CPO", "EMSP", "HUB", "NAP", "NSP", "OTHER", "SCSP")
BUSINESS_DETAILS = obj({"name": s(100)}, {"website": URL, "logo": {"type": "object"}})
CREDENTIALS_ROLE = obj(
    {"role": ROLE, "business_details": BUSINESS_DETAILS, "party_id": s(3), "country_code": s(2)}
)
CREDENTIALS = obj({"token": s(64), "url": URL, "roles": array(CREDENTIALS_ROLE, 1)})
ENDPOINT = obj(
    {
        "identifier": enum(
            "cdrs",
            "chargingprofiles",
            "commands",
            "credentials",
            "hubclientinfo",
            "locations",
            "sessions",
            "tariffs",
            "tokens",
        ),
        "role": enum("SENDER", "RECEIVER"),
        "url": URL,
    }
)
VERSION_DETAILS = obj({"version": enum("2.2.1"), "endpoints": array(ENDPOINT, 1)})

CONNECTOR_TYPES = [
    "CHADEMO",
    "CHAOJI",
    "DOMESTIC_A",
    "DOMESTIC_B",
    "DOMESTIC_C",
    "DOMESTIC_D",
    "DOMESTIC_E",
    "DOMESTIC_F",
    "DOMESTIC_G",
    "DOMESTIC_H",
    "DOMESTIC_I",
    "DOMESTIC_J",
    "DOMESTIC_K",
    "DOMESTIC_L",
    "DOMESTIC_M",
    "DOMESTIC_N",
    "DOMESTIC_O",
    "GBT_AC",
    "GBT_DC",
    "IEC_60309_2_single_16",
    "IEC_60309_2_three_16",
    "IEC_60309_2_three_32",
    "IEC_60309_2_three_64",
    "IEC_62196_T1",
    "IEC_62196_T1_COMBO",
    "IEC_62196_T2",
    "IEC_62196_T2_COMBO",
    "IEC_62196_T3A",
    "IEC_62196_T3C",
    "NEMA_5_20",
    "NEMA_6_30",
    "NEMA_6_50",
    "NEMA_10_30",
    "NEMA_10_50",
    "NEMA_14_30",
    "NEMA_14_50",
    "PANTOGRAPH_BOTTOM_UP",
    "PANTOGRAPH_TOP_DOWN",
    "TESLA_R",
    "TESLA_S",
]
CONNECTOR = obj(
    {
        "id": s(36),
        "standard": enum(*CONNECTOR_TYPES),
        "format": enum("SOCKET", "CABLE"),
        "power_type": enum("AC_1_PHASE", "AC_2_PHASE", "AC_2_PHASE_SPLIT", "AC_3_PHASE", "DC"),
        "max_voltage": INT,
        "max_amperage": INT,
        "last_updated": DATETIME,
    },
    {
        "max_electric_power": INT,
        "tariff_ids": array(s(36)),
        "terms_and_conditions": URL,
    },
)
EVSE_STATUS = enum(
    "AVAILABLE",
    "BLOCKED",
    "CHARGING",
    "INOPERATIVE",
    "OUTOFORDER",
    "PLANNED",
    "REMOVED",
    "RESERVED",
    "UNKNOWN",
)
CAPABILITY = enum(
    "CHARGING_PROFILE_CAPABLE",
    "CHARGING_PREFERENCES_CAPABLE",
    "CHIP_CARD_SUPPORT",
    "CONTACTLESS_CARD_SUPPORT",
    "CREDIT_CARD_PAYABLE",
    "DEBIT_CARD_PAYABLE",
    "PED_TERMINAL",
    "REMOTE_START_STOP_CAPABLE",
    "RESERVABLE",
    "RFID_READER",
    "START_SESSION_CONNECTOR_REQUIRED",
    "TOKEN_GROUP_CAPABLE",
    "UNLOCK_CAPABLE",
)
EVSE = obj(
    {
        "uid": s(36),
        "status": EVSE_STATUS,
        "connectors": array(CONNECTOR, 1),
        "last_updated": DATETIME,
    },
    {
        "evse_id": {
            "type": "string",
            "maxLength": 48,
            "pattern": r"^[A-Z]{2}\*?[A-Z0-9]{3}\*?E[A-Z0-9\*]{1,30}$",
        },
        "capabilities": array(CAPABILITY),
        "physical_reference": s(16),
        "floor_level": s(4),
        "coordinates": {"type": "object"},
    },
)
COORDINATES = obj(
    {
        "latitude": {"type": "string", "maxLength": 10, "pattern": r"^-?[0-9]{1,2}\.[0-9]{5,7}$"},
        "longitude": {
            "type": "string",
            "maxLength": 11,
            "pattern": r"^-?[0-9]{1,3}\.[0-9]{5,7}$",
        },
    }
)
LOCATION = obj(
    {
        "country_code": {"type": "string", "pattern": "^[A-Z]{2}$"},
        "party_id": {"type": "string", "pattern": "^[A-Z0-9]{3}$"},
        "id": s(36),
        "publish": {"type": "boolean"},
        "address": s(45),
        "city": s(45),
        "country": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "coordinates": COORDINATES,
        "time_zone": s(255),
        "last_updated": DATETIME,
    },
    {
        "name": s(255),
        "postal_code": s(10),
        "state": s(20),
        "parking_type": enum(
            "ALONG_MOTORWAY",
            "PARKING_GARAGE",
            "PARKING_LOT",
            "ON_DRIVEWAY",
            "ON_STREET",
            "UNDERGROUND_GARAGE",
        ),
        "evses": array(EVSE),
        "operator": BUSINESS_DETAILS,
        "opening_times": {"type": "object"},
        "charging_when_closed": {"type": "boolean"},
    },
)

TOKEN = obj(
    {
        "country_code": s(2),
        "party_id": s(3),
        "uid": s(36),
        "type": enum("AD_HOC_USER", "APP_USER", "OTHER", "RFID"),
        "contract_id": s(36),
        "issuer": s(64),
        "valid": {"type": "boolean"},
        "whitelist": enum("ALWAYS", "ALLOWED", "ALLOWED_OFFLINE", "NEVER"),
        "last_updated": DATETIME,
    },
    {
        "visual_number": s(64),
        "group_id": s(36),
        "language": s(2),
        "default_profile_type": enum("CHEAP", "FAST", "GREEN", "REGULAR"),
        "energy_contract": obj({"supplier_name": s(64)}, {"contract_id": s(64)}),
    },
)
LOCATION_REFERENCES = obj({"location_id": s(36)}, {"evse_uids": array(s(36))})

DISPLAY_TEXT = obj({"language": s(2), "text": s(512)})
COMMAND_RESPONSE = obj(
    {
        "result": enum("NOT_SUPPORTED", "REJECTED", "ACCEPTED", "UNKNOWN_SESSION"),
        "timeout": INT,
    },
    {"message": array(DISPLAY_TEXT)},
)
COMMAND_RESULT = obj(
    {
        "result": enum(
            "ACCEPTED",
            "CANCELED_RESERVATION",
            "EVSE_OCCUPIED",
            "EVSE_INOPERATIVE",
            "FAILED",
            "NOT_SUPPORTED",
            "REJECTED",
            "TIMEOUT",
            "UNKNOWN_RESERVATION",
        )
    },
    {"message": array(DISPLAY_TEXT)},
)

PRICE = obj({"excl_vat": NUMBER}, {"incl_vat": NUMBER})
CDR_TOKEN = obj(
    {
        "country_code": s(2),
        "party_id": s(3),
        "uid": s(36),
        "type": enum("AD_HOC_USER", "APP_USER", "OTHER", "RFID"),
        "contract_id": s(36),
    }
)
AUTH_METHOD = enum("AUTH_REQUEST", "COMMAND", "WHITELIST")
SESSION = obj(
    {
        "country_code": s(2),
        "party_id": s(3),
        "id": s(36),
        "start_date_time": DATETIME,
        "kwh": NUMBER,
        "cdr_token": CDR_TOKEN,
        "auth_method": AUTH_METHOD,
        "location_id": s(36),
        "evse_uid": s(36),
        "connector_id": s(36),
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "status": enum("ACTIVE", "COMPLETED", "INVALID", "PENDING", "RESERVATION"),
        "last_updated": DATETIME,
    },
    {
        "end_date_time": DATETIME,
        "authorization_reference": s(36),
        "meter_id": s(255),
        "charging_periods": array({"type": "object"}),
        "total_cost": PRICE,
    },
)
RESTRICTIONS = obj(
    {},
    {
        "start_time": {"type": "string", "pattern": r"^([0-1][0-9]|2[0-3]):[0-5][0-9]$"},
        "end_time": {"type": "string", "pattern": r"^([0-1][0-9]|2[0-3]):[0-5][0-9]$"},
        "start_date": s(10),
        "end_date": s(10),
        "min_kwh": NUMBER,
        "max_kwh": NUMBER,
        "min_current": NUMBER,
        "max_current": NUMBER,
        "min_power": NUMBER,
        "max_power": NUMBER,
        "min_duration": INT,
        "max_duration": INT,
        "day_of_week": array(
            enum("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
        ),
        "reservation": enum("RESERVATION", "RESERVATION_EXPIRES"),
    },
)
PRICE_COMPONENT = obj(
    {
        "type": enum("ENERGY", "FLAT", "PARKING_TIME", "TIME"),
        "price": NUMBER,
        "step_size": INT,
    },
    {"vat": NUMBER},
)
TARIFF = obj(
    {
        "country_code": s(2),
        "party_id": s(3),
        "id": s(36),
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "elements": array(
            obj({"price_components": array(PRICE_COMPONENT, 1)}, {"restrictions": RESTRICTIONS}),
            1,
        ),
        "last_updated": DATETIME,
    },
    {
        "type": enum("AD_HOC_PAYMENT", "PROFILE_CHEAP", "PROFILE_FAST", "PROFILE_GREEN", "REGULAR"),
        "tariff_alt_text": array(DISPLAY_TEXT),
        "tariff_alt_url": URL,
        "min_price": PRICE,
        "max_price": PRICE,
        "start_date_time": DATETIME,
        "end_date_time": DATETIME,
        "energy_mix": {"type": "object"},
    },
)
CDR_LOCATION = obj(
    {
        "id": s(36),
        "address": s(45),
        "city": s(45),
        "country": s(3),
        "coordinates": COORDINATES,
        "evse_uid": s(36),
        "evse_id": s(48),
        "connector_id": s(36),
        "connector_standard": enum(*CONNECTOR_TYPES),
        "connector_format": enum("SOCKET", "CABLE"),
        "connector_power_type": enum(
            "AC_1_PHASE", "AC_2_PHASE", "AC_2_PHASE_SPLIT", "AC_3_PHASE", "DC"
        ),
    },
    {"name": s(255), "postal_code": s(10), "state": s(20)},
)
CDR_DIMENSION = obj(
    {
        "type": enum(
            "CURRENT",
            "ENERGY",
            "ENERGY_EXPORT",
            "ENERGY_IMPORT",
            "MAX_CURRENT",
            "MIN_CURRENT",
            "MAX_POWER",
            "MIN_POWER",
            "PARKING_TIME",
            "POWER",
            "RESERVATION_TIME",
            "STATE_OF_CHARGE",
            "TIME",
        ),
        "volume": NUMBER,
    }
)
CDR = obj(
    {
        "country_code": s(2),
        "party_id": s(3),
        "id": s(39),
        "start_date_time": DATETIME,
        "end_date_time": DATETIME,
        "cdr_token": CDR_TOKEN,
        "auth_method": AUTH_METHOD,
        "cdr_location": CDR_LOCATION,
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "charging_periods": array(
            obj(
                {"start_date_time": DATETIME, "dimensions": array(CDR_DIMENSION, 1)},
                {"tariff_id": s(36)},
            ),
            1,
        ),
        "total_cost": PRICE,
        "total_energy": NUMBER,
        "total_time": NUMBER,
        "last_updated": DATETIME,
    },
    {
        "session_id": s(36),
        "authorization_reference": s(36),
        "meter_id": s(255),
        "tariffs": array(TARIFF),
        "signed_data": {"type": "object"},
        "total_fixed_cost": PRICE,
        "total_energy_cost": PRICE,
        "total_time_cost": PRICE,
        "total_parking_time": NUMBER,
        "total_parking_cost": PRICE,
        "total_reservation_cost": PRICE,
        "remark": s(255),
        "invoice_reference_id": s(39),
        "credit": {"type": "boolean"},
        "credit_reference_id": s(39),
        "home_charging_compensation": {"type": "boolean"},
    },
)

SCHEMAS = {
    "Session": SESSION,
    "Tariff": TARIFF,
    "CDR": CDR,
    "CommandResponse": COMMAND_RESPONSE,
    "CommandResult": COMMAND_RESULT,
    "Token": TOKEN,
    "LocationReferences": LOCATION_REFERENCES,
    "Credentials": CREDENTIALS,
    "VersionDetails": VERSION_DETAILS,
    "Location": LOCATION,
    "EVSE": EVSE,
    "Connector": CONNECTOR,
}


def validate(name: str, instance: object) -> None:
    jsonschema.validate(instance, SCHEMAS[name])
