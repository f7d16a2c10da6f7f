"""workers-audit: static configuration and cost auditor for Cloudflare Workers."""

__version__ = "0.1.0"
