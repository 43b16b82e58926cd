"""Lead scoring: P(a lead is closed-won within 90 days of its creation), tiers and reasons."""
