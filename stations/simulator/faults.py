"""Faults a simulated station can play, so alarms and the outage log have something to
show (`simulate --faults SECONDS`; `make run` plays them now and then):

- `faulted`: a free connector reports Faulted (GroundFailure) for a few minutes;
- `overload`: a charging e-bike connector reports drawing 60 % over its rating;
- `overheating`: a charging connector reports a Temperature of 85 °C for a while,
  then a cool one;
- `offline`: the station drops its connection and stays away for a while.
"""

import asyncio
import logging

from stations.simulator.state import IDLE, Connector

logger = logging.getLogger("stations.simulator")

FAULTS = ("faulted", "overload", "overheating", "offline")
FAULT_SECONDS = (120.0, 300.0)  # how long a faulted connector or overheating lasts
OFFLINE_SECONDS = (120.0, 900.0)
OVERLOAD_FACTOR = 1.6
HOT_C, COOL_C = 85, 30


class Faults:
    """Mixed into `StationBase`: plays a random fault every `config.faults` seconds on
    average. Its hooks: `_notify_status(connector, status, error_code)`, `_restart`."""

    offline_for: float = 0.0

    async def _fault_loop(self) -> None:
        while True:
            await asyncio.sleep(self.rng.expovariate(1.0 / self.config.faults))
            kinds = [k for k in FAULTS if self._fault_target(k) is not None or k == "offline"]
            await self.play_fault(self.rng.choice(kinds))

    def _fault_target(self, kind: str) -> Connector | None:
        if kind == "faulted":
            free = [
                c
                for c in self.connectors.values()
                if c.phase == IDLE and c.operative and not c.fault and c.reservation is None
            ]
        elif kind in ("overload", "overheating"):
            free = [
                c
                for c in self.connectors.values()
                if c.transaction_id is not None and not c.fault
                and (kind != "overload" or self.config.kind == "ebike")
            ]  # fmt: skip
        else:
            return None
        return self.rng.choice(free) if free else None

    async def play_fault(self, kind: str, seconds: float | None = None) -> None:
        """Play one fault now (tests call it directly)."""
        seconds = seconds if seconds is not None else self.rng.uniform(*FAULT_SECONDS)
        if kind == "offline":
            self.offline_for = self.rng.uniform(*OFFLINE_SECONDS) if seconds is None else seconds
            logger.info("%s: fault: offline for %.0f s", self.id, self.offline_for)
            self._restart = "Offline"
            self._restart_event.set()
            return
        connector = self._fault_target(kind)
        if connector is None:
            return
        logger.info("%s: fault: %s on connector %s", self.id, kind, connector.id)
        connector.fault = kind
        if kind == "faulted":
            connector.status = "Faulted"
            await self._notify_status(connector.id, "Faulted", "GroundFailure")
        if kind != "overload":  # an overload lasts until the session is stopped
            self._spawn(self._fault_ends(connector, kind, seconds))

    async def _fault_ends(self, connector: Connector, kind: str, seconds: float) -> None:
        await asyncio.sleep(seconds)
        if connector.fault != kind:
            return
        if kind == "faulted":
            connector.fault = ""
            await self._set_status(connector, self._idle_status(connector))
            connector.wake.set()
        else:
            connector.fault = "cooled"  # the next sample reports a cool temperature

    def fault_samples(self, connector: Connector, power: float, context: str) -> tuple[float, list]:
        """The power to report, and a Temperature sample while overheating or after."""
        extra = []
        if connector.fault == "overload":  # well over what the connector is rated for
            power = max(power, self.config.max_power_w) * OVERLOAD_FACTOR
        if connector.fault in ("overheating", "cooled"):
            celsius = HOT_C if connector.fault == "overheating" else COOL_C
            extra.append(
                {
                    "value": str(celsius),
                    "context": context,
                    "measurand": "Temperature",
                    "location": "Body",
                    "unit": "Celsius",
                }
            )
            if connector.fault == "cooled":
                connector.fault = ""
        return power, extra
