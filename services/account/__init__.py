"""Account service: persons, personal accounts, wallets, relatives, credentials, ledger, payments (SPEC R5-R12a)."""
