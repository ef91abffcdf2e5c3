"""The UK bounding box used to reject impossible coordinates (pure)."""

# Generous box around GB and Northern Ireland (mainland, islands and Scilly). It excludes the
# Channel Islands, which have no place in the shipped data either.
UK_MIN_LAT, UK_MAX_LAT = 49.8, 60.9
UK_MIN_LON, UK_MAX_LON = -8.7, 1.8


def in_uk_box(latitude: float, longitude: float) -> bool:
    """True when the point lies inside the UK box (NaN is never inside)."""
    return UK_MIN_LAT <= latitude <= UK_MAX_LAT and UK_MIN_LON <= longitude <= UK_MAX_LON
