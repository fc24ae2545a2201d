"""Commands from ChargeNet to stations: the service every face calls, its REST API,
serializers, admin actions and page views.
"""
