"""The GraphQL layer: thin, typed resolvers over the use cases of `service.okrs`."""
