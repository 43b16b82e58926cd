"""What every connector shares: schema contracts, load metadata, retries, windows and state."""
