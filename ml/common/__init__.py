"""Pieces every mdp model shares: tracking, metrics, calibration, splits, reasons, registry."""
