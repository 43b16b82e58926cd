"""Connectors: one package per source, each loading into the raw layer through the warehouse."""
