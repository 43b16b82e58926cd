"""Accounts and contacts: the customers live on day one, and every converted lead's company."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sandbox.world.config import WorldConfig
from sandbox.world.customers import initial_seats, plan_for
from sandbox.world.people import draw_names, emails
from sandbox.world.rng import stream
from sandbox.world.sales_team import AE, SalesTeam
from sandbox.world.sf_time import after, visible
from sandbox.world.vocab import COUNTRIES, INDUSTRIES, SENIORITIES, company_names

_BASE_LEAD_SOURCES = ("Web", "Paid Search", "Organic Search", "Referral", "Partner", "Event")


def base_customers(config: WorldConfig, first_world_month: np.datetime64) -> pd.DataFrame:
    """Customers already live when the world starts (signed 1-36 months before)."""
    rng = stream(config, "base_customers")
    n = config.preset.base_customers
    employees = np.clip(np.round(rng.lognormal(np.log(300), 1.3, n)), 5, 50_000).astype(np.int64)
    company, domain = company_names(np.arange(n))
    since = first_world_month - rng.integers(1, 37, n).astype("timedelta64[M]")
    plan = plan_for(employees)
    close = since.astype("datetime64[s]") - (rng.integers(1, 20, n) * 86_400).astype(
        "timedelta64[s]"
    )
    return pd.DataFrame(
        {
            "company": company,
            "domain": domain,
            "industry": rng.choice(len(INDUSTRIES), n, p=[i.weight for i in INDUSTRIES]),
            "employees": employees,
            "country": rng.choice(len(COUNTRIES), n, p=[c.weight for c in COUNTRIES]),
            "customer_since": since,
            "plan": plan,
            "seats": initial_seats(rng, employees),
            "discount": np.where(plan == 0, 0.0, np.round(rng.uniform(0, 0.2, n), 2)),
            "opp_created": after(rng, close, -90, -20),
            "close": close,
            "lead_source": np.array(_BASE_LEAD_SOURCES)[rng.integers(0, 6, n)],
        }
    )


def account_frame(
    base: pd.DataFrame, leads: pd.DataFrame, team: SalesTeam, end: np.datetime64
) -> pd.DataFrame:
    """One account per base customer and per lead converted by the end of the world."""
    converted = leads.loc[visible(leads["converted_at"].to_numpy(), end)]
    frame = pd.concat(
        [
            base.assign(lead=-1, created=base["opp_created"] - np.timedelta64(7, "D")),
            pd.DataFrame(
                {
                    "company": converted["company"].to_numpy(),
                    "domain": converted["domain"].to_numpy(),
                    "industry": converted["industry"].to_numpy(),
                    "employees": converted["employees"].to_numpy(),
                    "country": converted["country"].to_numpy(),
                    "lead": converted.index.to_numpy(),
                    "created": converted["converted_at"].to_numpy(),
                    "lead_source": "",
                }
            ),
        ],
        ignore_index=True,
    )
    frame["owner"] = team.round_robin(AE, len(frame))
    return frame


def contact_frame(
    config: WorldConfig,
    accounts: pd.DataFrame,
    leads: pd.DataFrame,
    onboarding: pd.DataFrame,
    end: np.datetime64,
) -> pd.DataFrame:
    """Contacts: converted leads, 1-3 people at each base customer, onboarding contacts."""
    rng = stream(config, "contacts")
    from_leads = accounts.loc[accounts["lead"] >= 0]
    lead = leads.loc[from_leads["lead"].to_numpy()]
    base = accounts.loc[accounts["lead"] < 0]
    n_base = rng.integers(1, 4, len(base))
    base_rows = np.repeat(base.index.to_numpy(), n_base)
    parts = [
        pd.DataFrame(
            {
                "account": from_leads.index.to_numpy(),
                "lead": from_leads["lead"].to_numpy(),
                "first_name": lead["first_name"].to_numpy(),
                "last_name": lead["last_name"].to_numpy(),
                "title": lead["title_text"].to_numpy(),
                "created": lead["converted_at"].to_numpy(),
            }
        ),
        _new_people(rng, accounts, base_rows, accounts["created"].to_numpy()[base_rows]),
        _new_people(rng, accounts, onboarding["account"].to_numpy(), onboarding["at"].to_numpy()),
    ]
    contacts = pd.concat(parts, ignore_index=True)
    contacts["email"] = emails(
        contacts["first_name"],
        contacts["last_name"],
        accounts["domain"].to_numpy()[contacts["account"]],
    )
    contacts["owner"] = accounts["owner"].to_numpy()[contacts["account"]]
    return contacts.loc[visible(contacts["created"].to_numpy(), end)].reset_index(drop=True)


def _new_people(
    rng: np.random.Generator, accounts: pd.DataFrame, account: np.ndarray, created: np.ndarray
) -> pd.DataFrame:
    first, last = draw_names(rng, len(account))
    titles = np.array([t for s in SENIORITIES[:5] for t in s.titles])
    return pd.DataFrame(
        {
            "account": account,
            "lead": -1,
            "first_name": first,
            "last_name": last,
            "title": titles[rng.integers(0, len(titles), len(account))],
            "created": after(rng, created, 0.1, 20),
        }
    )
