"""The org tree (district, street, community) and grids: models and point-in-grid with shapely.
Its pages are in ``app.grids``."""
