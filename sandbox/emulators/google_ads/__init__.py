"""Google Ads API emulator (GoogleAdsService v26 over gRPC, GAQL subset, OAuth2 token server)."""

from sandbox.emulators.google_ads.emulator import CONNECTION_ID, GoogleAdsEmulator

__all__ = ["CONNECTION_ID", "GoogleAdsEmulator"]
