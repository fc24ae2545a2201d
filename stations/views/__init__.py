"""Operator pages: server-rendered, refreshed live over /ws/live/ (stations.sockets.live).

One module per page or group of pages; stations/urls.py routes to them.
"""
