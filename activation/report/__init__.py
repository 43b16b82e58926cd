"""The weekly marketing report: one self-contained HTML file and its PDF rendering."""

from __future__ import annotations

from activation.report.build import BuiltReport, build_report, report_week
from activation.report.email import email_report

__all__ = ["BuiltReport", "build_report", "email_report", "report_week"]
