"""Evidence: hash-chained records of gates, handoffs and readiness."""
