"""Meta Marketing API (Graph v26.0) emulator for the facebook-business SDK."""

from sandbox.emulators.facebook_ads.app import Credentials, GraphApp, GraphOptions
from sandbox.emulators.facebook_ads.emulator import CONNECTION_ID, FacebookAdsEmulator

__all__ = ["CONNECTION_ID", "Credentials", "FacebookAdsEmulator", "GraphApp", "GraphOptions"]
