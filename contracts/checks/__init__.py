"""The server contracts: one module per contract, each a set of registered checks."""
