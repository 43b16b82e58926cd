"""Google Analytics 4: the event-level BigQuery export (and, later, Data API reports)."""

from .export import RAW_EVENTS_TABLE, load_export_day

__all__ = ["RAW_EVENTS_TABLE", "load_export_day"]
