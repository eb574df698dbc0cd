"""KuraDB: a self-hosted, multi-AZ, DynamoDB-style NoSQL database."""

__version__ = "0.1.0"
