"""The ledger's pure core (no Django): quantities and balances, the hash chain, deadlines."""
