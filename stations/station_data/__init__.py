"""What a station holds besides its configuration, as rows: variable monitors,
display messages, installed certificates and customer-information reports.

Written from the station's answers to ChargeNet's commands (`results.py`, fed by
`stations.commands.service.command_finish`) and from its notifications (NotifyMonitoringReport,
NotifyDisplayMessages, NotifyCustomerInformation). Every function takes version-neutral
values; stations/ocpp/ reads the versions' messages.
"""
