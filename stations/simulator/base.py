"""One simulated charging station as every OCPP version shares it: `StationBase`.

`StationBase` is the station itself - its state, the connection, calls to the CSMS,
boot and heartbeat, what commands of every version share - with a few hooks for the
messages a version words differently; `SimulatedStation` (OCPP 1.6, `station.py`) and
`SimulatedStation201` (OCPP 2.0.1, `station201.py`) fill them in on top of the
library's ChargePoint. What each connector does (drivers plugging in, charging,
the transaction queue, statuses) is the `ConnectorLife` it inherits
(`connector_life.py`).

A station outlives its sockets: `serve(connection)` speaks OCPP over one open
WebSocket until it closes (or a reset needs a new one), and the runner calls it
again after reconnecting. What the station was doing - a transaction in progress, a
StartTransaction or StopTransaction not yet confirmed - survives the reconnect; an
unconfirmed StartTransaction/StopTransaction is sent again with the same payload,
as a real charge point replays its queue.

Per connection the station runs one small set of asyncio tasks: the reader (the
library's routing), the boot/heartbeat task and one task per connector. CSMS calls
are answered by the version's `@on` handlers, which never await a call of their own;
anything a command makes the station send afterwards (TriggerMessage, firmware and
diagnostics progress, status changes) runs from an `@after` hook as a separate task.
"""

import asyncio
import logging
import random
import time
from datetime import UTC, datetime

from ocpp.exceptions import OCPPError

from stations.simulator import power as curves
from stations.simulator.connector_life import ConnectorLife
from stations.simulator.errors import DeadConnection, describe, is_connection_error
from stations.simulator.faults import Faults
from stations.simulator.state import (
    DEFAULT_HEARTBEAT,
    FINISHING,
    IDLE,
    PREPARING,
    Connector,
    Profile,
    Reservation,
    StationConfig,
    default_configuration,
)
from stations.simulator.stats import Stats

logger = logging.getLogger("stations.simulator")


class StationBase(ConnectorLife, Faults):
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
        self.attempts_ended = 0  # connections that closed or never opened
        self.settled = asyncio.Event()  # set by the first accepted boot or ended attempt
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
        answering), "hard_reset" (reconnect at once), "offline" (a fault: stay away for
        `offline_for` seconds) or "error".
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
                    if is_connection_error(error):
                        return "closed"
                    logger.error("%s: station task failed", self.id, exc_info=error)
                    return "error"
                kind, self._restart = self._restart, None
                self._restart_event.clear()
                if kind == "Hard":
                    logger.info("%s: hard reset: rebooting", self.id)
                    return "hard_reset"
                if kind == "Offline":
                    return "offline"
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
            logger.warning("%s: %s", self.id, describe(error))

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
            logger.warning("%s: %s failed: %s", self.id, type(payload).__name__, describe(error))

    # --- boot and heartbeat ------------------------------------------------------------

    async def _life(self) -> None:
        await self._boot()
        await self._notify_status(0, self._station_status())
        for connector in self.connectors.values():
            await self._notify_status(connector.id, connector.status)
        loops = [asyncio.create_task(self._heartbeat_loop())]
        if self.config.faults > 0:
            loops.append(asyncio.create_task(self._fault_loop()))
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
                    describe(error),
                    delay,
                )
                await asyncio.sleep(delay)
                continue
            interval = reply.interval if reply.interval and reply.interval > 0 else None
            if reply.status == "Accepted":
                self._set_accepted(True)
                self.boot_count += 1
                self.settled.set()
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
                logger.warning("%s: Heartbeat failed: %s", self.id, describe(error))
