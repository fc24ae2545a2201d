"""Drivers' pages: their charging now and before, cards, balance; starting from a QR code."""
