"""Changes delivered outside the service: webhooks and a NATS JetStream stream, both read from
the organizations' change logs (`service.store.records`), so nothing written is ever missed by a
consumer that was away, and nothing is held up by one that is slow."""
