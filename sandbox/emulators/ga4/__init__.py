"""GA4 Data API emulator (REST transport of `google-analytics-data`)."""

from sandbox.emulators.ga4.emulator import CONNECTION_ID, Ga4Emulator, Ga4Options

__all__ = ["CONNECTION_ID", "Ga4Emulator", "Ga4Options"]
