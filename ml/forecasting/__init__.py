"""Daily and weekly revenue and lead forecasts per channel (statsmodels, rolling-origin chosen)."""
