"""Accounts: people, their memberships of the partner organisations (a role each), API
keys, web sessions and one-time links, and the one table of who may do what
(:mod:`.roles`). See ``docs/accounts.md``."""
