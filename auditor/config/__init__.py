"""The configuration frontend: wrangler files read into a typed model with source spans."""
