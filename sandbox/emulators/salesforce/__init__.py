"""Salesforce emulator: OAuth, REST query/sObjects and Bulk API 2.0 over HTTPS."""

from .emulator import SalesforceEmulator

__all__ = ["SalesforceEmulator"]
