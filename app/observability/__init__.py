"""What an operator sees: Prometheus metrics (metrics.py, served by router.py) and JSON log lines
(logs.py), both fed by the request middleware's one record per request (app/middleware.py)."""
