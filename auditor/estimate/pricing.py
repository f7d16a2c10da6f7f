"""The dated price list in `auditor/data/pricing.toml`, and what a month costs on each plan."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from auditor.estimate.model import CATEGORIES, CostLine, PlanCost, Range

# Months are billed whole; an average month of the Gregorian calendar.
DAYS_PER_MONTH = 365.2425 / 12


@dataclass(frozen=True)
class Pricing:
    as_of: str
    free_daily: dict[str, float]
    paid_base_usd: float
    paid_included: dict[str, float]
    paid_usd_per_million: dict[str, float]


@lru_cache(maxsize=1)
def pricing() -> Pricing:
    text = resources.files("auditor.data").joinpath("pricing.toml").read_text(encoding="utf-8")
    try:  # the standard library's reader where there is one: no tomlkit import for a JSON config
        import tomllib

        data = tomllib.loads(text)
    except ModuleNotFoundError:  # Python 3.10
        import tomlkit

        data = tomlkit.parse(text).unwrap()
    paid = data["paid"]
    return Pricing(
        as_of=str(data["as-of"]),
        free_daily={k: float(v) for k, v in data["free"]["daily"].items()},
        paid_base_usd=float(paid["base-usd"]),
        paid_included={k: float(v) for k, v in paid["included"].items()},
        paid_usd_per_million={k: float(v) for k, v in paid["usd-per-million"].items()},
    )


def plan_costs(daily: dict[str, Range], prices: Pricing) -> dict[str, PlanCost]:
    """A month of `daily` on each plan. The free plan costs nothing: past a daily limit the
    operations fail instead (the breaches say which)."""
    lines = []
    for category in CATEGORIES:
        used = daily.get(category, Range(0, 0)) * DAYS_PER_MONTH
        included = prices.paid_included.get(category, 0.0)
        price = prices.paid_usd_per_million.get(category, 0.0)
        usd = Range(max(0.0, used.min - included) * price / 1e6, max(0.0, used.max - included) * price / 1e6)
        lines.append(CostLine(category, used, included, price, usd))
    return {
        "free": PlanCost("free", 0.0, ()),
        "paid": PlanCost("paid", prices.paid_base_usd, tuple(lines)),
    }
