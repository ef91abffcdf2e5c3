"""Places: UK postcodes, geocoding (offline first, online as an upgrade) and distances."""
