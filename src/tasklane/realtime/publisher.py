"""The dispatcher's real-time consumer: committed events to the broker, for every hub."""

from __future__ import annotations

from collections.abc import Sequence

from tasklane.models import Event
from tasklane.realtime.broker import Broker
from tasklane.realtime.protocol import event_wire


class RealtimePublisher:
    name = "realtime"

    def __init__(self, broker: Broker) -> None:
        self.broker = broker

    async def handle(self, events: Sequence[Event]) -> None:
        # BrokerUnavailable propagates: the dispatcher keeps the position and retries.
        await self.broker.publish_events([event_wire(e) for e in events])
