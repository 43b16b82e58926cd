"""The emulators `python -m sandbox serve` starts, in order."""

from __future__ import annotations

from sandbox.emulators.base import Emulator


def default_emulators() -> list[Emulator]:
    """One instance of every emulator, with its default options."""
    from sandbox.emulators.facebook_ads.emulator import FacebookAdsEmulator
    from sandbox.emulators.ga4.emulator import Ga4Emulator
    from sandbox.emulators.google_ads.emulator import GoogleAdsEmulator
    from sandbox.emulators.hubspot import HubSpotEmulator
    from sandbox.emulators.salesforce.emulator import SalesforceEmulator
    from sandbox.emulators.webhook import WebhookEmulator

    return [
        Ga4Emulator(),
        FacebookAdsEmulator(),
        GoogleAdsEmulator(),
        SalesforceEmulator(),
        HubSpotEmulator(score_properties=True),
        WebhookEmulator(),
    ]
