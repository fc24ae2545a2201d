from django.urls import re_path

from stations.consumers import OcppConsumer

websocket_urlpatterns = [
    re_path(r"^ocpp(?:/.*)?$", OcppConsumer.as_asgi()),
]
