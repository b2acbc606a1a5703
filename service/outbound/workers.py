"""The outbound workers of one instance, as the app starts and stops them."""

from __future__ import annotations

from collections.abc import Callable

from service.config import Settings
from service.outbound.jetstream import NatsPublisher
from service.outbound.message import Naming
from service.outbound.targets import Targets
from service.outbound.webhooks import Sender, WebhookDeliverer
from service.readmodel import ReadModel
from service.store.interface import Store


class Outbound:
    """What this instance delivers outside: webhooks always (an instance with no endpoints to
    deliver only looks for some now and then), JetStream when NATS is configured."""

    def __init__(self, webhooks: WebhookDeliverer, publisher: NatsPublisher | None = None) -> None:
        self.webhooks = webhooks
        self.publisher = publisher

    @property
    def sender(self) -> Sender:
        """What sends webhook messages (and `webhookTest`'s)."""
        return self.webhooks.sender

    @classmethod
    def configure(
        cls, settings: Settings, store: Store, reads: ReadModel, *, naming: Naming
    ) -> Outbound:
        """The workers the settings ask for (none started yet)."""
        sender = Sender(Targets(settings.webhook_allow), timeout=settings.webhook_timeout)
        webhooks = WebhookDeliverer(store, reads, sender, naming=naming)
        publisher = None
        if settings.nats_url:
            publisher = NatsPublisher(
                store,
                reads,
                url=settings.nats_url,
                naming=naming,
                prefix=settings.nats_subject_prefix,
                stream=settings.nats_stream,
            )
        return cls(webhooks, publisher)

    def noticed(self, org_id: str, sequence: int) -> None:
        """A change was written, here or on another instance: deliver it without waiting for
        the next poll."""
        self.webhooks.noticed(org_id, sequence)
        if self.publisher is not None:
            self.publisher.noticed(org_id, sequence)

    def also(self, notify: Callable[[str, int], None]) -> Callable[[str, int], None]:
        """`notify`, and this instance's workers told too (for the writer of this process)."""

        def both(org_id: str, sequence: int) -> None:
            notify(org_id, sequence)
            self.noticed(org_id, sequence)

        return both

    async def start(self) -> None:
        """Start every worker in the background."""
        await self.webhooks.start()
        if self.publisher is not None:
            await self.publisher.start()

    async def close(self) -> None:
        """Stop every worker and give its leases up."""
        await self.webhooks.close()
        if self.publisher is not None:
            await self.publisher.close()
