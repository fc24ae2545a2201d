"""How ChargeNet's processes run: daphne with our extensions, the resilient channel layer,
garbage-collector tuning, the balancer's health check, login throttling.
"""
