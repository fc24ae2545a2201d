"""Currencies and money rounding; pure functions.

Amounts are `Decimal` in a currency's major unit (euros, yuan). Each amount is rounded
to the currency's minor unit (ISO 4217 exponent: 2 for EUR, 0 for JPY, 3 for KWD) with
ROUND_HALF_UP, the rounding accountants and drivers expect (0.005 EUR -> 0.01 EUR).
"""

from decimal import ROUND_HALF_UP, Decimal

# Active ISO 4217 codes (2025), and the few whose minor unit is not the cent.
_CODES = """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD
BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD
EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD
IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL
MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN
PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN
SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES
VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
"""
_ZERO_DECIMALS = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE_DECIMALS = "BHD IQD JOD KWD LYD OMR TND"
_FOUR_DECIMALS = "CLF UYW"
_EXPONENTS = {
    code: exponent
    for codes, exponent in ((_ZERO_DECIMALS, 0), (_THREE_DECIMALS, 3), (_FOUR_DECIMALS, 4))
    for code in codes.split()
}
CURRENCIES: frozenset[str] = frozenset(_CODES.split())
ZERO = Decimal(0)


def is_currency(code: str) -> bool:
    return code in CURRENCIES


def minor_unit(currency: str) -> Decimal:
    """The smallest amount of the currency: Decimal('0.01') for EUR, Decimal('1') for JPY."""
    return Decimal(1).scaleb(-_EXPONENTS.get(currency, 2))


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round half up to the currency's minor unit (2.345 EUR -> 2.35, -2.345 -> -2.35)."""
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)
