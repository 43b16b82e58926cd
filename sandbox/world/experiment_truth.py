"""True conversion rates of the website experiments among the users who were exposed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from sandbox.world import experiments as ex
from sandbox.world.arrow_columns import dates
from sandbox.world.stats import group_cumsum
from sandbox.world.timeline import Timeline
from sandbox.world.web import Web


def experiment_truth(web: Web, timeline: Timeline) -> pa.Table:
    """Per experiment and variant: exposed users and their expected conversion rate.

    A user's conversion counts when the experiment's conversion event is their first one and
    happens at or after their first exposure. Given the realised history up to that exposure,
    P(convert) = 1 − Π_{s ≥ first exposure} (1 − p_s), or 0 if they had already converted.
    """
    rows = []
    for experiment in ex.EXPERIMENTS:
        rows.append(_one_experiment(web, timeline, experiment))
    frame = pd.concat(rows, ignore_index=True)
    columns = {name: frame[name].to_numpy() for name in frame.columns}
    for name in ("start_date", "end_date"):
        columns[name] = dates(frame[name].to_numpy())
    return pa.table(columns)


def _one_experiment(web: Web, timeline: Timeline, experiment: ex.Experiment) -> pd.DataFrame:
    sessions = web.sessions
    user = sessions["user"].to_numpy()
    variant = sessions[experiment.experiment_id].to_numpy()
    lead_event = experiment.conversion_event == "generate_lead"
    p = sessions["p_lead" if lead_event else "p_signup"].to_numpy()
    converted = sessions["lead" if lead_event else "sign_up"].to_numpy()
    exposed = variant >= 0
    exposed_before = group_cumsum(exposed.astype(np.float64), user, exclusive=True) > 0
    first_exposure = exposed & ~exposed_before
    converted_before = group_cumsum(converted.astype(np.float64), user, exclusive=True) > 0
    # log P(no conversion from this session on) = suffix sum of log(1 − p) within the user.
    log_stay = np.log1p(-np.minimum(p, 1 - 1e-12))
    suffix = group_cumsum(log_stay[::-1], user[::-1])[::-1]
    p_convert = np.where(converted_before, 0.0, -np.expm1(suffix))
    rows = np.flatnonzero(first_exposure)
    frame = pd.DataFrame({"variant": variant[rows], "p": p_convert[rows]})
    summary = (
        frame.groupby("variant")["p"]
        .agg(["size", "sum"])
        .reindex(range(len(experiment.variants)), fill_value=0)
    )
    start, stop = ex.window(experiment, timeline.n_days)
    return pd.DataFrame(
        {
            "experiment_id": experiment.experiment_id,
            "variant_id": list(experiment.variants),
            "allocation": list(experiment.allocation),
            "true_lift_odds": list(experiment.lifts),
            "conversion_event": experiment.conversion_event,
            "exposure_event_loss": list(experiment.exposure_loss),
            "start_date": np.full(len(experiment.variants), timeline.days[start]),
            "end_date": np.full(len(experiment.variants), timeline.days[stop - 1]),
            "exposed_users": summary["size"].to_numpy().astype(np.int64),
            "expected_conversions": summary["sum"].to_numpy(),
            "true_conversion_rate": summary["sum"].to_numpy() / np.maximum(summary["size"], 1),
        }
    )
