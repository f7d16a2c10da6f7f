"""Run Workers in workerd and count their KV and Durable Object operations (see harness.py)."""
