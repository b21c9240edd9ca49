"""The API's routes, one module per noun, all mounted under ``/api/v1``."""
