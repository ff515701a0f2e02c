"""The platform-neutral desk: domain, rules, use cases and the ports the outside plugs into.

Nothing in this package imports a chat SDK, an ORM or a scheduler library; adapters and
storage depend on it, never the reverse.
"""
