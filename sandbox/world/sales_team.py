"""The go-to-market team in Salesforce (User): SDRs, account executives, CSMs, admins."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from sandbox.world.arrow_columns import timestamps
from sandbox.world.config import WorldConfig
from sandbox.world.ids import salesforce_ids
from sandbox.world.people import draw_names, emails
from sandbox.world.rng import stream

SDR, AE, CSM, MARKETING, ADMIN = (
    "Sales Development Representative",
    "Account Executive",
    ("Customer Success Manager"),
    "Marketing Operations Manager",
    "System Administrator",
)
_DEPARTMENT = {
    SDR: "Sales",
    AE: "Sales",
    CSM: "Customer Success",
    MARKETING: "Marketing",
    ADMIN: "IT",
}
_COMPANY_DOMAIN = "mdp-demo.example"


@dataclass(frozen=True)
class SalesTeam:
    """Users and the ownership rules of the CRM."""

    ids: np.ndarray
    titles: np.ndarray
    table: pa.Table
    departed_sdr: int  # user index of the SDR who leaves during the year
    successor_sdr: int
    departure: np.datetime64  # second at which the leaver's open leads are reassigned

    def of(self, title: str) -> np.ndarray:
        """User indices holding a title (active or not)."""
        return np.flatnonzero(self.titles == title)

    def round_robin(self, title: str, n: int, offset: int = 0) -> np.ndarray:
        """Owner indices for n records assigned in turn."""
        pool = self.of(title)
        return pool[(np.arange(n) + offset) % len(pool)]

    @property
    def integration_user(self) -> int:
        return int(self.of(MARKETING)[0])


def build_sales_team(config: WorldConfig) -> SalesTeam:
    """Users created before the world starts; one SDR leaves two thirds into the year."""
    rng = stream(config, "sales_team")
    preset = config.preset
    titles = np.array(
        [ADMIN, MARKETING]
        + [SDR] * preset.sdrs
        + [AE] * preset.account_executives
        + [CSM] * preset.csms
    )
    n = len(titles)
    first, last = draw_names(rng, n)
    start = np.datetime64(config.start, "s")
    created = start - (rng.integers(60, 900, n) * 86_400).astype("timedelta64[s]")
    departed = int(np.flatnonzero(titles == SDR)[0])
    successor = int(np.flatnonzero(titles == SDR)[1])
    departure = start + np.timedelta64(int(config.n_days * 0.66) * 86_400 + 17 * 3_600 + 1_800, "s")
    modified = created.copy()
    modified[departed] = departure
    active = np.ones(n, dtype=bool)
    active[departed] = False
    ids = salesforce_ids("User", n, first=1)
    email = emails(first, last, np.full(n, _COMPANY_DOMAIN))
    table = pa.table(
        {
            "Id": ids,
            "FirstName": first,
            "LastName": last,
            "Name": np.char.add(np.char.add(first, " "), last),
            "Email": email,
            "Username": email,
            "Title": titles,
            "Department": [_DEPARTMENT[t] for t in titles],
            "IsActive": active,
            "CreatedDate": timestamps(created),
            "LastModifiedDate": timestamps(modified),
            "SystemModstamp": timestamps(modified),
        }
    )
    return SalesTeam(ids, titles, table, departed, successor, departure)
