"""Churn: P(a customer churns this month) and within three months, risk levels and reasons."""
