"""What each connector of a simulated station does, for every OCPP version.

A connector's life: idle until a driver arrives (or a remote start, or the driver
who reserved it), plug in and authorise, start the transaction, charge along the
vehicle's power curve under the installed charging profiles while sending meter
values, stop, unplug. Transaction messages stay queued until the CSMS answers them.
Its statuses and the idle status a connector should report live here too.
`StationBase` (`base.py`) inherits it; the version hooks it calls (`_authorize`,
`_start_payload`, `_started`, `_send_meter_values`, `_stop_payload`,
`_notify_status`) are the version's station's.
"""

import asyncio
import contextlib
import logging
import time

from ocpp.exceptions import OCPPError

from stations.simulator import power as curves
from stations.simulator import smart_charging
from stations.simulator.errors import describe
from stations.simulator.state import CHARGING, FINISHING, IDLE, PREPARING, Connector, Profile

logger = logging.getLogger("stations.simulator")

RETRY_DELAY = (2.0, 5.0)  # seconds before re-sending an unanswered transaction message


class ConnectorLife:
    """Mixed into `StationBase`: connector statuses and one connector's life."""

    # --- statuses ---------------------------------------------------------------------

    def _station_status(self) -> str:
        operative = any(c.operative for c in self.connectors.values())
        return "Available" if operative or not self.connectors else "Unavailable"

    def _idle_status(self, connector: Connector) -> str:
        if not connector.operative:
            return "Unavailable"
        if connector.reservation is not None:
            return "Reserved"
        return "Available"

    async def _set_status(self, connector: Connector, status: str) -> None:
        connector.status = status
        await self._notify_status(connector.id, status)

    def _cancel_reservation(self, reservation_id: int) -> bool:
        """Drop the reservation with that id; False when no connector holds it."""
        for connector in self.connectors.values():
            if connector.reservation is not None and connector.reservation.id == reservation_id:
                connector.reservation = None
                logger.info("%s: reservation %s cancelled", self.id, reservation_id)
                self._spawn(self._sync_idle_statuses([connector]))
                return True
        return False

    async def _sync_idle_statuses(self, connectors, station: bool = False) -> None:
        """Report the status an idle connector should have now, where it changed."""
        if station:
            await self._notify_status(0, self._station_status())
        for connector in connectors:
            if connector.phase == IDLE and not connector.busy:
                status = self._idle_status(connector)
                if status != connector.status:
                    await self._set_status(connector, status)

    def _apply_scheduled_availability(self, connector: Connector) -> None:
        if connector.scheduled_operative is not None:
            connector.operative = connector.scheduled_operative
            connector.scheduled_operative = None

    # --- one connector's life -----------------------------------------------------------

    async def _connector_loop(self, connector: Connector) -> None:
        if connector.idle_until == 0.0:
            connector.idle_until = time.monotonic() + self.rng.uniform(*self.config.idle)
        while True:
            connector.wake.clear()
            if connector.backlog:
                await self._send_backlog(connector)
            elif connector.stop_payload is not None:
                await self._send_stop(connector)
            elif connector.start_payload is not None:
                await self._send_start(connector)
            elif connector.transaction_id is not None:
                await self._charge(connector)
            elif connector.phase == FINISHING:
                await self._unplug(connector)
            else:
                await self._idle(connector)

    def _authorize_remote_start(self) -> bool:
        """Whether a remotely started driver is authorized first (1.6: never)."""
        return False

    async def _sleep(self, connector: Connector, seconds: float) -> None:
        """Sleep, unless a command for this connector comes first."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(connector.wake.wait(), max(seconds, 0.0))

    async def _idle(self, connector: Connector) -> None:
        if connector.start_request is not None:
            id_tag, reservation_id = connector.start_request
            connector.start_request = None
            await self._plug_in(
                connector, id_tag, reservation_id, authorize=self._authorize_remote_start()
            )
            connector.remote_start_id = None
            return
        if not connector.operative or connector.fault == "faulted":
            await connector.wake.wait()
            return
        remaining = connector.idle_until - time.monotonic()
        if remaining > 0:
            await self._sleep(connector, remaining)
            return
        connector.idle_until = time.monotonic() + self.rng.uniform(*self.config.idle)
        if connector.reservation is not None:  # the driver who reserved arrives
            reservation = connector.reservation
            await self._plug_in(connector, reservation.id_tag, reservation.id, authorize=True)
        else:
            cards = [card for card in self.config.tokens if card not in self.cards_in_use]
            if cards:  # else every driver is charging somewhere already
                await self._plug_in(connector, self.rng.choice(cards), None, True)

    async def _plug_in(
        self, connector: Connector, id_tag: str, reservation_id: int | None, authorize: bool
    ) -> None:
        connector.phase = PREPARING
        connector.id_tag = id_tag
        self.cards_in_use.add(id_tag)
        await self._set_status(connector, "Preparing")
        if authorize:
            try:
                status = await self._authorize(connector)
            except (TimeoutError, OCPPError) as error:
                status = describe(error)
            if status != "Accepted":
                logger.info(
                    "%s: connector %d: card %s not accepted (%s)",
                    self.id,
                    connector.id,
                    id_tag,
                    status,
                )
                await asyncio.sleep(self.rng.uniform(*self.config.finishing))
                connector.phase = IDLE
                self._release_card(connector)
                await self._set_status(connector, self._idle_status(connector))
                return
        if reservation_id is not None and connector.reservation is not None:
            connector.reservation = None  # used by this start
        connector.vehicle = curves.random_vehicle(self.config.kind, self.rng)
        connector.soc = connector.vehicle.soc_start
        connector.meter_start = int(connector.meter_wh)
        connector.start_payload = self._start_payload(connector, id_tag, reservation_id)

    async def _send_start(self, connector: Connector) -> None:
        try:
            reply = await self.request(connector.start_payload)
        except TimeoutError:
            logger.warning("%s: connector %d: transaction start unanswered", self.id, connector.id)
            await asyncio.sleep(self.rng.uniform(*RETRY_DELAY))
            return
        except OCPPError as error:
            logger.warning(
                "%s: connector %d: transaction start refused: %s",
                self.id,
                connector.id,
                describe(error),
            )
            connector.start_payload = None
            connector.start_profile = None
            connector.phase = IDLE
            self._release_card(connector)
            await self._set_status(connector, self._idle_status(connector))
            return
        transaction_id, status = self._started(connector, reply)
        connector.start_payload = None
        connector.transaction_id = transaction_id
        connector.phase = CHARGING
        now = time.monotonic()
        connector.charging_since = connector.last_tick = now
        connector.plugged_until = now + self.rng.uniform(*self.config.session)
        self.stats.sessions_started += 1
        vehicle = connector.vehicle
        logger.info(
            "%s: connector %d: transaction %s started for %s (%s), %s at %.0f%% drawing %.0f W",
            self.id,
            connector.id,
            transaction_id,
            connector.id_tag,
            status,
            vehicle.kind,
            connector.soc,
            vehicle.rated_w,
        )
        if connector.start_profile is not None:
            profile = dict(connector.start_profile, transaction_id=transaction_id)
            self._install_profile(connector.id, profile)
            connector.start_profile = None
        if status != "Accepted":
            connector.stop_request = "DeAuthorized"
            return
        connector.power_w = self._vehicle_power(connector)
        await self._set_status(connector, "Charging")

    def _install_profile(self, connector_id: int, data: dict) -> None:
        profile = Profile(connector_id, data, time.monotonic())
        self.profiles = smart_charging.install(self.profiles, profile)

    def _limit_w(self, connector: Connector) -> float | None:
        """The power a connector may draw now under the installed charging profiles."""
        charging = sum(1 for c in self.connectors.values() if c.transaction_id is not None)
        return smart_charging.limit_w(self.profiles, connector, charging, time.monotonic())

    def _vehicle_power(self, connector: Connector) -> float:
        if connector.vehicle is None:
            return 0.0
        return curves.power_w(connector.vehicle, connector.soc, self._limit_w(connector))

    def _advance(self, connector: Connector, now: float) -> None:
        """Account the energy charged since the last tick."""
        if connector.vehicle is None:
            connector.last_tick = now
            return
        seconds = now - connector.last_tick
        power = self._vehicle_power(connector)
        energy, connector.soc = curves.charge(connector.vehicle, connector.soc, power, seconds)
        connector.meter_wh += energy
        connector.last_tick = now
        drawn = self._vehicle_power(connector)
        connector.power_w = drawn * self.rng.uniform(0.985, 1.0) if drawn else 0.0

    async def _charge(self, connector: Connector) -> None:
        if connector.stop_request is not None:
            reason, connector.stop_request = connector.stop_request, None
            self._begin_stop(connector, reason)
            return
        now = time.monotonic()
        if now >= connector.plugged_until:
            self._begin_stop(connector, self.rng.choice(("EVDisconnected", "Local")))
            return
        due = connector.last_tick + self.meter_interval
        if now < due:
            await self._sleep(connector, min(due, connector.plugged_until) - now)
            return
        self._advance(connector, now)
        status = "Charging" if connector.power_w > 0 else "SuspendedEV"
        if status != connector.status:
            await self._set_status(connector, status)
        await self._send_meter_values(connector, "Sample.Periodic")
        connector.meter_ticks += 1
        every = self.config.status_every
        if every and connector.meter_ticks % every == 0:
            await self._notify_status(connector.id, connector.status)

    def _sampled_values(self, connector: Connector, context: str) -> list[dict]:
        phases = connector.vehicle.phases if connector.vehicle else 1
        voltage = curves.NOMINAL_VOLTAGE + self.rng.uniform(-3.0, 3.0)
        power = connector.power_w if connector.transaction_id is not None else 0.0
        power, fault_values = self.fault_samples(connector, power, context)
        values = [
            {
                "value": str(int(connector.meter_wh)),
                "context": context,
                "measurand": "Energy.Active.Import.Register",
                "location": "Outlet",
                "unit": "Wh",
            },
            {
                "value": f"{power:.0f}",
                "context": context,
                "measurand": "Power.Active.Import",
                "location": "Outlet",
                "unit": "W",
            },
            {
                "value": f"{curves.current_a(power, phases, voltage):.2f}",
                "context": context,
                "measurand": "Current.Import",
                "location": "Outlet",
                "unit": "A",
            },
            {
                "value": f"{voltage:.1f}",
                "context": context,
                "measurand": "Voltage",
                "location": "Outlet",
                "unit": "V",
            },
        ]
        if connector.vehicle is not None and connector.vehicle.kind == "car":
            values.append(
                {
                    "value": f"{connector.soc:.0f}",
                    "context": context,
                    "measurand": "SoC",
                    "location": "EV",
                    "unit": "Percent",
                }
            )
        return values + fault_values

    def _begin_stop(self, connector: Connector, reason: str) -> None:
        self._advance(connector, time.monotonic())
        if connector.fault == "overload":
            connector.fault = ""
        connector.meter_stop = int(connector.meter_wh)
        connector.stop_reason = reason
        connector.stop_payload = self._stop_payload(connector, reason, connector.meter_stop)
        connector.power_w = 0.0

    async def _send_backlog(self, connector: Connector) -> None:
        """Send the oldest queued transaction message; keep it until it is answered."""
        try:
            await self.request(connector.backlog[0])
        except TimeoutError:
            logger.warning("%s: connector %d: transaction event unanswered", self.id, connector.id)
            await asyncio.sleep(self.rng.uniform(*RETRY_DELAY))
            return
        except OCPPError as error:
            logger.warning("%s: connector %d: %s", self.id, connector.id, describe(error))
        connector.backlog.pop(0)

    async def _send_stop(self, connector: Connector) -> None:
        payload = connector.stop_payload
        try:
            await self.request(payload)
        except TimeoutError:
            logger.warning("%s: connector %d: transaction end unanswered", self.id, connector.id)
            await asyncio.sleep(self.rng.uniform(*RETRY_DELAY))
            return
        except OCPPError as error:
            logger.warning(
                "%s: connector %d: transaction end refused: %s",
                self.id,
                connector.id,
                describe(error),
            )
        self.stats.sessions_stopped += 1
        logger.info(
            "%s: connector %d: transaction %s stopped (%s), %.2f kWh",
            self.id,
            connector.id,
            connector.transaction_id,
            connector.stop_reason,
            (connector.meter_stop - connector.meter_start) / 1000,
        )
        self.profiles = [
            p
            for p in self.profiles
            if not (
                p.purpose == "TxProfile"
                and p.data.get("transaction_id") == connector.transaction_id
            )
        ]
        connector.stop_payload = None
        connector.stop_request = None
        connector.transaction_id = None
        connector.vehicle = None
        connector.seq_no = 0
        self._release_card(connector)
        connector.phase = FINISHING
        await self._set_status(connector, "Finishing")

    async def _unplug(self, connector: Connector) -> None:
        await asyncio.sleep(self.rng.uniform(*self.config.finishing))
        connector.phase = IDLE
        connector.idle_until = time.monotonic() + self.rng.uniform(*self.config.idle)
        self._apply_scheduled_availability(connector)
        await self._set_status(connector, self._idle_status(connector))
        if connector.id and not connector.operative:
            await self._sync_idle_statuses([], station=True)
