"""One simulated charging station: what every OCPP version shares, and the 1.6 station.

`StationBase` is the station itself - connectors, drivers, power curves, the
reconnect-proof transaction queue - with a few hooks for the messages a version
words differently; `SimulatedStation` (OCPP 1.6, here) and `SimulatedStation201`
(OCPP 2.0.1, `station201.py`) fill them in on top of the library's ChargePoint.

A `SimulatedStation` outlives its sockets: `serve(connection)` speaks OCPP over one
open WebSocket until it closes (or a reset needs a new one), and the runner calls it
again after reconnecting. What the station was doing - a transaction in progress, a
StartTransaction or StopTransaction not yet confirmed - survives the reconnect; an
unconfirmed StartTransaction/StopTransaction is sent again with the same payload,
as a real charge point replays its queue.

Per connection the station runs one small set of asyncio tasks: the reader (the
library's routing), the boot/heartbeat task and one task per connector. CSMS calls
are answered by the `@on` handlers below, which never await a call of their own;
anything a command makes the station send afterwards (TriggerMessage, firmware and
diagnostics progress, status changes) runs from an `@after` hook as a separate task.
"""

import asyncio
import contextlib
import logging
import random
import time
from datetime import UTC, datetime

from ocpp.exceptions import OCPPError
from ocpp.v16 import ChargePoint, call

from stations.simulator import power as curves
from stations.simulator import smart_charging
from stations.simulator.handlers import CsmsHandlers
from stations.simulator.state import (
    CHARGING,
    DEFAULT_HEARTBEAT,
    FINISHING,
    IDLE,
    PREPARING,
    Connector,
    Profile,
    Reservation,
    StationConfig,
    default_configuration,
    now_iso,
)
from stations.simulator.stats import Stats

logger = logging.getLogger("stations.simulator")

RETRY_DELAY = (2.0, 5.0)  # seconds before re-sending an unanswered transaction message


class DeadConnection(Exception):
    """The CSMS stopped answering: drop the socket and reconnect."""


class StationBase:
    """A virtual charge point with cars or e-bikes plugging in and out.

    Mixed before a version's ChargePoint; the version fills in the hooks at the end
    (`_boot_payload`, `_heartbeat_payload`, `_notify_status`, `_authorize`,
    `_start_payload`, `_started`, `_send_meter_values`, `_stop_payload`).
    """

    ocpp_version = ""

    def __init__(
        self,
        config: StationConfig,
        stats: Stats | None = None,
        rng: random.Random | None = None,
        cards_in_use: set[str] | None = None,
    ):
        """`stats` and `cards_in_use` may be shared by the stations of one simulation,
        so a driver's card is never presented at two connectors at once."""
        super().__init__(config.station_id, None, response_timeout=config.response_timeout)
        self.config = config
        self.stats = stats if stats is not None else Stats(keep_samples=False)
        self.rng = rng or random.Random(config.seed)
        self.cards_in_use = cards_in_use if cards_in_use is not None else set()
        register_max = 2_000_000 if config.kind == "car" else 50_000
        self.connectors = {
            number: Connector(number, meter_wh=float(self.rng.randint(0, register_max)))
            for number in range(1, config.connectors + 1)
        }
        self.heartbeat_interval = float(config.heartbeat or DEFAULT_HEARTBEAT)
        self.meter_interval = float(config.meter_interval)
        self.configuration = default_configuration(
            config, self.heartbeat_interval, self.meter_interval
        )
        self.firmware_version = config.firmware_version
        self.firmware_status = "Idle"
        self.diagnostics_status = "Idle"
        self.local_list_version = 0
        self.local_list: dict[str, dict] = {}
        self.profiles: list[Profile] = []
        self.accepted = False
        self.connected = False
        self.boot_count = 0  # BootNotifications accepted
        self._tasks: set[asyncio.Task] = set()
        self._call_sent_at: float | None = None
        self._restart: str | None = None
        self._restart_event = asyncio.Event()
        self._heartbeat_changed = asyncio.Event()
        self._diagnostics_file = ""

    # --- the connection ------------------------------------------------------------

    async def serve(self, connection) -> str:
        """Speak OCPP over an open connection (async `send`/`recv`) until it ends.

        Returns why: "closed" (the socket went away), "dead" (the CSMS stopped
        answering), "hard_reset" (reconnect at once) or "error".
        """
        self._connection = connection
        self._response_queue = asyncio.Queue()
        self._call_lock = asyncio.Lock()
        self._call_sent_at = None
        self._restart = None
        self._restart_event.clear()
        self.connected = True
        self.stats.connected += 1
        reader = asyncio.create_task(self._read())
        life = None
        try:
            while True:
                self._reboot_state()
                life = asyncio.create_task(self._life())
                restart = asyncio.create_task(self._restart_event.wait())
                done, _ = await asyncio.wait(
                    {reader, life, restart}, return_when=asyncio.FIRST_COMPLETED
                )
                restart.cancel()
                life.cancel()
                await self._cancel(life, restart, *self._tasks)
                self._set_accepted(False)
                if reader in done:
                    return "closed"
                if life in done and not life.cancelled() and life.exception() is not None:
                    error = life.exception()
                    if isinstance(error, DeadConnection):
                        logger.warning("%s: %s; reconnecting", self.id, error)
                        return "dead"
                    if _is_connection_error(error):
                        return "closed"
                    logger.error("%s: station task failed", self.id, exc_info=error)
                    return "error"
                kind, self._restart = self._restart, None
                self._restart_event.clear()
                if kind == "Hard":
                    logger.info("%s: hard reset: rebooting", self.id)
                    return "hard_reset"
                logger.info("%s: soft reset: booting again", self.id)
        finally:
            reader.cancel()
            await self._cancel(reader, *([life] if life else []), *self._tasks)
            self._set_accepted(False)
            self.connected = False
            self.stats.connected -= 1

    async def _read(self) -> None:
        while True:
            message = await self._connection.recv()
            try:
                await self.route_message(message)
            except Exception:  # noqa: BLE001 - one bad frame must not end the station
                logger.exception("%s: could not handle %.200s", self.id, message)

    @staticmethod
    async def _cancel(*tasks) -> None:
        """Cancel `tasks` and wait for them to end.

        Python 3.11's `asyncio.wait_for` swallows a cancellation that arrives as the
        awaited event fires; a task that lived on is cancelled again.
        """
        pending = {task for task in tasks if not task.done()}
        while pending:
            for task in pending:
                task.cancel()
            _, pending = await asyncio.wait(pending, timeout=0.5)
        await asyncio.gather(*tasks, return_exceptions=True)

    def _spawn(self, coroutine) -> None:
        """Run `coroutine` beside the handlers; it ends with the connection."""
        task = asyncio.create_task(self._background(coroutine))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _background(self, coroutine) -> None:
        try:
            await coroutine
        except (TimeoutError, OCPPError) as error:
            logger.warning("%s: %s", self.id, _describe(error))

    def _release_card(self, connector: Connector) -> None:
        self.cards_in_use.discard(connector.id_tag)
        connector.id_tag = ""

    def _set_accepted(self, accepted: bool) -> None:
        if accepted != self.accepted:
            self.stats.accepted += 1 if accepted else -1
        self.accepted = accepted

    def _reboot_state(self) -> None:
        """After a (re)boot: half-done plug-ins are forgotten, finished ones unplugged."""
        for connector in self.connectors.values():
            connector.wake = asyncio.Event()
            if connector.phase in (PREPARING, FINISHING) and connector.start_payload is None:
                if connector.phase == PREPARING:
                    self._release_card(connector)
                connector.phase = IDLE
            if connector.transaction_id is None and connector.start_payload is None:
                self._apply_scheduled_availability(connector)
                connector.status = self._idle_status(connector)

    # --- what commands of every version share ---------------------------------------

    async def _reset(self, kind: str) -> None:
        """Stop the transactions (as a reset does), then boot again: Hard or Soft."""
        reason = "HardReset" if kind == "Hard" else "SoftReset"
        for connector in self.connectors.values():
            if connector.transaction_id is not None or connector.start_payload is not None:
                connector.stop_request = connector.stop_request or reason
                connector.wake.set()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(
            c.transaction_id is not None or c.start_payload is not None
            for c in self.connectors.values()
        ):
            await asyncio.sleep(0.1)
        self._restart = kind
        self._restart_event.set()

    def _free_for(self, connector: Connector, id_tag: str) -> bool:
        reservation = connector.reservation
        return (
            connector.operative
            and not connector.busy
            and (reservation is None or reservation.id_tag == id_tag)
        )

    async def _expire(self, connector: Connector, reservation: Reservation) -> bool:
        """Drop `reservation` when it expires unused; True if it did."""
        if reservation.expires_at is None:
            return False
        await asyncio.sleep((reservation.expires_at - datetime.now(UTC)).total_seconds())
        if connector.reservation is not reservation:
            return False
        connector.reservation = None
        logger.info("%s: reservation %s expired", self.id, reservation.id)
        await self._sync_idle_statuses([connector])
        return True

    def _schedule_limit(self, connector_id: int, unit: str) -> float:
        """The limit a composite schedule reports now: the station's (0) or a plug's."""
        if connector_id == 0:
            limit = self.config.max_power_w * len(self.connectors)
            phases = 3 if self.config.kind == "car" else 1
        else:
            connector = self.connectors[connector_id]
            limit = self._limit_w(connector)
            limit = self.config.max_power_w if limit is None else limit
            phases = connector.vehicle.phases if connector.vehicle else 3
            if self.config.kind != "car":
                phases = 1
        if unit == "A":
            limit = limit / (curves.NOMINAL_VOLTAGE * phases)
        return limit

    # --- calls to the CSMS -----------------------------------------------------------

    async def _send(self, message: str) -> None:
        if message.startswith("[2,"):
            self._call_sent_at = time.monotonic()
        await self._connection.send(message)

    async def route_message(self, raw_msg):
        sent_at = self._call_sent_at
        if sent_at is not None and raw_msg[:3] in ("[3,", "[4,"):
            self._call_sent_at = None
            self.stats.reply(time.monotonic() - sent_at, error=raw_msg[1] == "4")
        return await super().route_message(raw_msg)

    async def request(self, payload):
        """Send a Call and return the CallResult; raise on a CallError or no answer."""
        try:
            return await self.call(
                payload, suppress=False, skip_schema_validation=not self.config.validate
            )
        except TimeoutError:
            self._call_sent_at = None
            self.stats.timeouts += 1
            raise

    async def _notify(self, payload) -> None:
        """Send a notification whose answer changes nothing; log a failure."""
        try:
            await self.request(payload)
        except (TimeoutError, OCPPError) as error:
            logger.warning("%s: %s failed: %s", self.id, type(payload).__name__, _describe(error))

    # --- boot and heartbeat ------------------------------------------------------------

    async def _life(self) -> None:
        await self._boot()
        await self._notify_status(0, self._station_status())
        for connector in self.connectors.values():
            await self._notify_status(connector.id, connector.status)
        loops = [asyncio.create_task(self._heartbeat_loop())]
        loops += [asyncio.create_task(self._connector_loop(c)) for c in self.connectors.values()]
        try:
            done, _ = await asyncio.wait(loops, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                task.result()
        finally:
            await self._cancel(*loops)

    async def _boot(self) -> None:
        while True:
            try:
                reply = await self.request(self._boot_payload())
            except (TimeoutError, OCPPError) as error:
                delay = self.rng.uniform(5, 15)
                logger.warning(
                    "%s: BootNotification failed (%s); again in %.0fs",
                    self.id,
                    _describe(error),
                    delay,
                )
                await asyncio.sleep(delay)
                continue
            interval = reply.interval if reply.interval and reply.interval > 0 else None
            if reply.status == "Accepted":
                self._set_accepted(True)
                self.boot_count += 1
                self.stats.boots += 1
                self._set_heartbeat(self.config.heartbeat or interval or DEFAULT_HEARTBEAT)
                logger.info(
                    "%s: boot accepted, heartbeat every %.0fs", self.id, self.heartbeat_interval
                )
                return
            delay = interval or 60
            logger.info("%s: boot %s; booting again in %ss", self.id, reply.status, delay)
            await asyncio.sleep(delay)

    def _set_heartbeat(self, seconds: float) -> None:
        self.heartbeat_interval = float(seconds)
        self._store_heartbeat(int(seconds))
        self._heartbeat_changed.set()

    async def _heartbeat_loop(self) -> None:
        while True:
            self._heartbeat_changed.clear()
            try:
                await asyncio.wait_for(self._heartbeat_changed.wait(), self.heartbeat_interval)
                continue  # a new interval: start waiting again
            except TimeoutError:
                pass
            try:
                await self.request(self._heartbeat_payload())
            except TimeoutError as error:
                raise DeadConnection("no answer to Heartbeat") from error
            except OCPPError as error:
                logger.warning("%s: Heartbeat failed: %s", self.id, _describe(error))

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
        if not connector.operative:
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
                status = _describe(error)
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
                _describe(error),
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

    def _sampled_values(self, connector: Connector, context: str) -> list[dict]:
        phases = connector.vehicle.phases if connector.vehicle else 1
        voltage = curves.NOMINAL_VOLTAGE + self.rng.uniform(-3.0, 3.0)
        power = connector.power_w if connector.transaction_id is not None else 0.0
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
        return values

    def _begin_stop(self, connector: Connector, reason: str) -> None:
        self._advance(connector, time.monotonic())
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
            logger.warning("%s: connector %d: %s", self.id, connector.id, _describe(error))
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
                _describe(error),
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


class SimulatedStation(CsmsHandlers, StationBase, ChargePoint):
    """A virtual OCPP 1.6 charge point."""

    ocpp_version = "1.6"

    def _boot_payload(self) -> call.BootNotification:
        return call.BootNotification(
            charge_point_vendor=self.config.vendor,
            charge_point_model=self.config.model,
            charge_point_serial_number=self.config.serial_number or None,
            firmware_version=self.firmware_version,
            meter_type="SIM-METER",
        )

    def _heartbeat_payload(self):
        return call.Heartbeat()

    def _store_heartbeat(self, seconds: int) -> None:
        self.configuration["HeartbeatInterval"][0] = str(seconds)

    async def _notify_status(self, connector_id: int, status: str) -> None:
        await self._notify(
            call.StatusNotification(
                connector_id=connector_id,
                error_code="NoError",
                status=status,
                timestamp=now_iso(),
            )
        )

    async def _authorize(self, connector: Connector) -> str:
        reply = await self.request(call.Authorize(id_tag=connector.id_tag))
        return reply.id_tag_info.get("status")

    def _start_payload(self, connector: Connector, id_tag: str, reservation_id: int | None):
        return call.StartTransaction(
            connector_id=connector.id,
            id_tag=id_tag,
            meter_start=connector.meter_start,
            timestamp=now_iso(),
            reservation_id=reservation_id,
        )

    def _started(self, connector: Connector, reply) -> tuple[int, str | None]:
        return reply.transaction_id, (reply.id_tag_info or {}).get("status")

    async def _send_meter_values(self, connector: Connector, context: str) -> None:
        await self._notify(
            call.MeterValues(
                connector_id=connector.id,
                transaction_id=connector.transaction_id,
                meter_value=[
                    {
                        "timestamp": now_iso(),
                        "sampled_value": self._sampled_values(connector, context),
                    }
                ],
            )
        )

    def _stop_payload(self, connector: Connector, reason: str, meter_stop: int):
        return call.StopTransaction(
            meter_stop=meter_stop,
            timestamp=now_iso(),
            transaction_id=connector.transaction_id,
            reason=reason,
            id_tag=connector.id_tag if reason == "Local" else None,
            transaction_data=[
                {
                    "timestamp": now_iso(),
                    "sampled_value": [
                        {
                            "value": str(meter_stop),
                            "context": "Transaction.End",
                            "measurand": "Energy.Active.Import.Register",
                            "location": "Outlet",
                            "unit": "Wh",
                        }
                    ],
                }
            ],
        )


def _describe(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "no answer"
    if isinstance(error, OCPPError):
        return f"{error.code}: {error.description}"
    return repr(error)


def _is_connection_error(error: BaseException) -> bool:
    from websockets.exceptions import ConnectionClosed

    return isinstance(error, ConnectionClosed | ConnectionError)
