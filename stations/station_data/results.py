"""The rows a command's answer leaves: what the station now holds.

The version's adapter (stations/ocpp/) reads the station's answer and gives
version-neutral records, a dict of these keys (each optional):

- monitors_set: [monitor]; monitors_cleared: [monitor id]; monitors_none: True
- display_messages_set: [message]; display_messages_cleared: [message id];
  display_messages_none: True
- certificates_listed: {"certificate_types": [type] or None, "certificates": [certificate]}
- certificate_installed: {"certificate_type", "certificate"}; certificate_deleted: hash data

(the shapes of monitors.py, display_messages.py and certificates.py).
"""

from stations.station_data import certificates, display_messages, monitors


def command_records_store(*, station_pk: int, records: dict) -> None:
    """Store what an answer says the station holds; call inside the command's transaction."""
    if records.get("monitors_none"):
        monitors.monitors_none(station_pk=station_pk)
    if records.get("monitors_set"):
        monitors.monitors_store(station_pk=station_pk, monitors=records["monitors_set"])
    if records.get("monitors_cleared"):
        monitors.monitors_clear(station_pk=station_pk, monitor_ids=records["monitors_cleared"])
    if records.get("display_messages_none"):
        display_messages.display_messages_none(station_pk=station_pk)
    if records.get("display_messages_set"):
        display_messages.display_messages_store(
            station_pk=station_pk, messages=records["display_messages_set"]
        )
    if records.get("display_messages_cleared"):
        display_messages.display_messages_clear(
            station_pk=station_pk, message_ids=records["display_messages_cleared"]
        )
    if "certificates_listed" in records:
        certificates.certificates_listed(station_pk=station_pk, **records["certificates_listed"])
    if records.get("certificate_installed"):
        certificates.certificate_installed(
            station_pk=station_pk, **records["certificate_installed"]
        )
    if records.get("certificate_deleted"):
        certificates.certificate_deleted(
            station_pk=station_pk, hash_data=records["certificate_deleted"]
        )
