"""Money in the API: always a decimal string, in the responses and in the schema.

A JSON number would lose cents in clients that read it as a float, so amounts are
strings such as "12.50" or "-3.1" (credit notes), and the schema says so: type string,
format decimal, with a pattern a generated client can check. Billing's and the driver
API's serializers use these too.
"""

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

#: A signed decimal number written out in digits, e.g. "12.50", "-3.1", "0".
DECIMAL_PATTERN = r"^-?\d+(\.\d+)?$"
DECIMAL_STRING_SCHEMA = {"type": "string", "format": "decimal", "pattern": DECIMAL_PATTERN}


@extend_schema_field(DECIMAL_STRING_SCHEMA)
class DecimalStringField(serializers.Field):
    """A read-only amount (a Decimal, or a decimal string as stored in JSON) as a decimal
    string, never a number."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value) -> str:
        return str(Decimal(str(value)))


class PriceLineSerializer(serializers.Serializer):
    """One priced component of a session, as billing computed it."""

    kind = serializers.CharField(
        read_only=True,
        help_text="session_fee, energy, time, power_tier, prepaid_block, idle, minimum or maximum.",
    )
    description = serializers.CharField(read_only=True, help_text="What was charged, in words.")
    quantity = DecimalStringField(help_text="How much, in `unit` (kWh, min, session, block).")
    unit = serializers.CharField(read_only=True, help_text="Unit of the quantity.")
    unit_price = DecimalStringField(help_text="Net price per `price_unit`.")
    price_unit = serializers.CharField(read_only=True, help_text="Unit of the unit price.")
    amount = DecimalStringField(help_text="Net amount of the line, rounded to the currency.")
