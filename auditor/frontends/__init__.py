"""Source frontends: Worker source files read into syntactic Facts (see auditor.facts)."""
