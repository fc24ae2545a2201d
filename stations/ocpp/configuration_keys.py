"""The standard OCPP 1.6 configuration keys and their OCPP 2.0.1 component/variable.

`set_configuration` and `get_configuration` take the same keys for every station: a
1.6 key (`HeartbeatInterval`) is sent to a 2.0.1 / 2.1 station as its standardized
component and variable (OCPP 2.0.1 Part 2, Appendix 3 "Standardized Components" and
the 1.6 -> 2.0.1 migration table), and a 2.0.1 key of this table
(`OCPPCommCtrlr.HeartbeatInterval`) is sent to a 1.6 station as the 1.6 key.
Any other key goes as given: `Component[/instance].Variable[/instance]` (or
`Variable[instance]`) to 2.x stations, the key itself to 1.6 stations.

1.6 keys without a 2.0.1 variable are not in the table and go to 2.x stations as given
(BlinkRepeat, LightIntensity, NumberOfConnectors, SupportedFeatureProfiles, ...). Nor
are the read-only `...MaxLength` keys whose 2.0.1 counterpart is the maxLimit
characteristic of a variable rather than its value (LocalAuthListMaxLength:
LocalAuthListCtrlr.Entries; CertificateStoreMaxLength: SecurityCtrlr.CertificateEntries;
MeterValuesSampledDataMaxLength, ...): reading the variable would answer another
question (how many there are, not how many fit).

Keys are written here in that key syntax; `Variable[instance]` names the variable's
instance (`OCPPCommCtrlr.MessageAttempts[TransactionEvent]`).
"""

KEYS_16_TO_201 = {
    # Core profile
    "AllowOfflineTxForUnknownId": "AuthCtrlr.OfflineTxForUnknownIdEnabled",
    "AuthorizationCacheEnabled": "AuthCacheCtrlr.Enabled",
    "AuthorizeRemoteTxRequests": "AuthCtrlr.AuthorizeRemoteStart",
    "ClockAlignedDataInterval": "AlignedDataCtrlr.Interval",
    "ConnectionTimeOut": "TxCtrlr.EVConnectionTimeOut",
    "ConnectorPhaseRotation": "ChargingStation.PhaseRotation",
    "GetConfigurationMaxKeys": "DeviceDataCtrlr.ItemsPerMessage[GetVariables]",
    "HeartbeatInterval": "OCPPCommCtrlr.HeartbeatInterval",
    "LocalAuthorizeOffline": "AuthCtrlr.LocalAuthorizeOffline",
    "LocalPreAuthorize": "AuthCtrlr.LocalPreAuthorize",
    "MaxEnergyOnInvalidId": "TxCtrlr.MaxEnergyOnInvalidId",
    "MeterValuesAlignedData": "AlignedDataCtrlr.Measurands",
    "MeterValuesSampledData": "SampledDataCtrlr.TxUpdatedMeasurands",
    "MeterValueSampleInterval": "SampledDataCtrlr.TxUpdatedInterval",
    "ResetRetries": "OCPPCommCtrlr.ResetRetries",
    "StopTransactionOnEVSideDisconnect": "TxCtrlr.StopTxOnEVSideDisconnect",
    "StopTransactionOnInvalidId": "TxCtrlr.StopTxOnInvalidId",
    "StopTxnAlignedData": "AlignedDataCtrlr.TxEndedMeasurands",
    "StopTxnSampledData": "SampledDataCtrlr.TxEndedMeasurands",
    "TransactionMessageAttempts": "OCPPCommCtrlr.MessageAttempts[TransactionEvent]",
    "TransactionMessageRetryInterval": "OCPPCommCtrlr.MessageAttemptInterval[TransactionEvent]",
    "UnlockConnectorOnEVSideDisconnect": "OCPPCommCtrlr.UnlockOnEVSideDisconnect",
    "WebSocketPingInterval": "OCPPCommCtrlr.WebSocketPingInterval",
    # Local auth list management profile
    "LocalAuthListEnabled": "LocalAuthListCtrlr.Enabled",
    "SendLocalListMaxLength": "LocalAuthListCtrlr.ItemsPerMessage",
    # Reservation profile
    "ReserveConnectorZeroSupported": "ReservationCtrlr.NonEvseSpecific",
    # Smart charging profile
    "ChargeProfileMaxStackLevel": "SmartChargingCtrlr.ProfileStackLevel",
    "ChargingScheduleAllowedChargingRateUnit": "SmartChargingCtrlr.RateUnit",
    "ChargingScheduleMaxPeriods": "SmartChargingCtrlr.PeriodsPerSchedule",
    "ConnectorSwitch3to1PhaseSupported": "SmartChargingCtrlr.Phases3to1",
    "MaxChargingProfilesInstalled": "SmartChargingCtrlr.Entries[ChargingProfiles]",
    # Security extension
    "AdditionalRootCertificateCheck": "SecurityCtrlr.AdditionalRootCertificateCheck",
    "AuthorizationKey": "SecurityCtrlr.BasicAuthPassword",
    "CertificateSignedMaxChainSize": "SecurityCtrlr.MaxCertificateChainSize",
    "CpoName": "SecurityCtrlr.OrganizationName",
    "SecurityProfile": "SecurityCtrlr.SecurityProfile",
    # ISO 15118 Plug & Charge with OCPP 1.6
    "CentralContractValidationAllowed": "ISO15118Ctrlr.CentralContractValidationAllowed",
    "CertSigningRepeatTimes": "SecurityCtrlr.CertSigningRepeatTimes",
    "CertSigningWaitMinimum": "SecurityCtrlr.CertSigningWaitMinimum",
    "ContractValidationOffline": "ISO15118Ctrlr.ContractValidationOffline",
}
KEYS_201_TO_16 = {key201: key16 for key16, key201 in KEYS_16_TO_201.items()}


def key_201(key):
    """A configuration key as a 2.x station knows it (objects pass unchanged)."""
    return KEYS_16_TO_201.get(key, key) if isinstance(key, str) else key


def key_16(key) -> str:
    """A configuration key as a 1.6 station knows it; an object key (the device
    model's field names) as its `Component.Variable[instance]` text."""
    if isinstance(key, dict):
        text = f"{key.get('component')}.{key.get('variable')}"
        key = f"{text}[{key['variable_instance']}]" if key.get("variable_instance") else text
    return KEYS_201_TO_16.get(str(key), str(key))
