"""Tests of the Google Ads connector."""
