"""What rules ask about one Worker: its configuration per environment (code facts join later)."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.config.model import Environment, WorkerConfig


@dataclass(frozen=True)
class Program:
    config: WorkerConfig
    # `--env NAME`: audit only that deploy target; None audits every one.
    only_environment: str | None = None

    def environments(self) -> tuple[Environment, ...]:
        if self.only_environment is None:
            return self.config.views()
        if self.only_environment == "":
            return (self.config.top,)
        return (self.config.environments[self.only_environment],)
