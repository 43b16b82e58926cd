"""Typed configuration from `MDP_*` environment variables and `.env` (pydantic-settings)."""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from mdp import PROJECT_ROOT
from mdp.errors import ConfigError


class WarehouseKind(StrEnum):
    """Which warehouse backend the platform reads and writes."""

    DUCKDB = "duckdb"
    BIGQUERY = "bigquery"


#: Logical schemas of the platform; each backend maps them to a physical schema or dataset.
SCHEMAS = ("raw", "quarantine", "staging", "intermediate", "marts", "scores", "mdp_meta")


class BigQuerySettings(BaseModel):
    """Production warehouse: one GCP project, one dataset per logical schema."""

    project: str | None = None
    location: str = "US"
    dataset_prefix: str = Field(
        default="", description="Prefix for every dataset, e.g. 'mdp_' gives mdp_raw, mdp_marts."
    )
    maximum_bytes_billed: int = Field(
        default=50 * 1024**3, gt=0, description="Guard on every query the platform runs."
    )
    credentials_json: SecretStr | None = Field(
        default=None, description="Service-account key JSON; empty means Application Default."
    )
    job_labels: dict[str, str] = Field(default_factory=lambda: {"app": "mdp"})
    ga4_export_dataset: str | None = Field(
        default=None,
        description="The property's GA4 export dataset (analytics_<property>), read in place.",
    )
    ga4_export_project: str | None = Field(
        default=None, description="Project of the GA4 export dataset; default: `project`."
    )

    def dataset(self, schema: str) -> str:
        """Physical dataset name for a logical schema."""
        return f"{self.dataset_prefix}{schema}"


class ConnectionIds(BaseModel):
    """Airflow connection ids holding each source's and CRM's credentials."""

    ga4: str = "mdp_ga4"
    facebook_ads: str = "mdp_facebook_ads"
    google_ads: str = "mdp_google_ads"
    salesforce: str = "mdp_salesforce"
    hubspot: str = "mdp_hubspot"
    alerts_webhook: str = "mdp_slack_alerts"


class MlSettings(BaseModel):
    """Model promotion and the cut-offs score tables apply (MDP_ML__<FIELD>)."""

    min_roc_auc: float = Field(
        default=0.75, ge=0.5, le=1.0, description="A model below this never becomes champion."
    )
    markov_order: int = Field(
        default=2,
        ge=1,
        le=4,
        description="Markov attribution order: 2 ranks the sandbox's channels as their true "
        "incremental effects do (benchmarks/attribution.py; tests/ml/attribution).",
    )
    lead_closed_statuses: list[str] = Field(
        default=["Converted", "Disqualified", "Closed - Converted", "Closed - Not Converted"],
        description="Lead statuses that close a lead: never scored nor synced (nor converted).",
    )
    lead_hot_threshold: float = Field(default=0.30, gt=0.0, lt=1.0, description="Hot at or above.")
    lead_warm_threshold: float = Field(
        default=0.10, gt=0.0, lt=1.0, description="Warm at or above (and below hot)."
    )
    churn_thresholds: dict[int, tuple[float, float]] = Field(
        default={1: (0.05, 0.15), 3: (0.15, 0.35)},
        description=(
            "Churn risk levels per horizon in months: (Medium above, High above), as "
            "probabilities (a 3-month risk runs about three times a 1-month one)."
        ),
    )

    @field_validator("churn_thresholds")
    @classmethod
    def _ordered(cls, value: dict[int, tuple[float, float]]) -> dict[int, tuple[float, float]]:
        for months, (medium, high) in value.items():
            if not 0 < medium < high < 1:
                raise ValueError(f"horizon {months}: need 0 < medium < high < 1")
        return value

    def churn_levels(self, months: int) -> tuple[float, float]:
        """(Medium above, High above) for a horizon; the nearest configured one otherwise."""
        nearest = min(self.churn_thresholds, key=lambda m: abs(m - months))
        return self.churn_thresholds.get(months, self.churn_thresholds[nearest])


class IngestSettings(BaseModel):
    """Record-level quarantine of the connectors (MDP_INGEST__<FIELD>)."""

    max_bad_records: int = Field(
        default=10,
        ge=0,
        description="A load window with at most this many bad records loads the rest.",
    )
    max_bad_share: float = Field(
        default=0.01,
        ge=0.0,
        le=1.0,
        description="...or with at most this share of its records bad (whichever allows more).",
    )

    def allowance(self, rows: int) -> int:
        """Bad records a window of `rows` may hold and still load its good ones."""
        return max(self.max_bad_records, int(self.max_bad_share * rows))


class SyncSettings(BaseModel):
    """CRM sync (reverse ETL) of the score tables (MDP_SYNC__<FIELD>)."""

    min_score_change: float = Field(
        default=1.0,
        ge=0.0,
        description="A 0-100 score (lead score, churn risk) moving by fewer points is not re-sent.",
    )
    max_error_rate: float = Field(
        default=0.05, ge=0.0, le=1.0, description="Fail above this share of records not synced."
    )
    guardrail_share: float = Field(
        default=0.5, gt=0.0, le=1.0, description="Abort (unless --force) above this share changing."
    )
    salesforce_job_records: int = Field(
        default=10_000, gt=0, le=150_000_000, description="Records per Bulk 2.0 ingest job."
    )
    salesforce_poll_seconds: float = Field(
        default=2.0, gt=0.0, description="Wait between polls of a Bulk 2.0 job."
    )
    hubspot_batch_size: int = Field(
        default=100, gt=0, le=100, description="Inputs per HubSpot batch upsert (API max 100)."
    )
    max_retries: int = Field(
        default=5, ge=0, description="Retries of a rate-limited (429) or 5xx call."
    )
    mapping: Path | None = Field(
        default=None, description="Mapping YAML; default activation/crm/mapping.yml."
    )


#: A Slack member id (users U…, Enterprise Grid users W…), as `<@…>` mentions need it.
SLACK_MEMBER_ID = re.compile(r"[UW][A-Z0-9]{2,}")


class AlertSettings(BaseModel):
    """Alert rules, anomaly detection and delivery (MDP_ALERTS__<FIELD>); defaults from the seed."""

    window_days: int = Field(default=7, ge=1, description="Trailing days every rule looks at.")
    min_spend: float = Field(
        default=100.0, ge=0, description="ROAS and no-conversion rules: spend above."
    )
    min_roas: float = Field(default=2.0, ge=0, description="Campaign ROAS below this alerts.")
    min_ctr: float = Field(default=0.01, ge=0, le=1, description="Ad set CTR below this alerts.")
    min_impressions: int = Field(default=1000, ge=1, description="CTR rule: impressions at least.")
    daily_budgets: dict[str, float] = Field(
        default_factory=dict, description="Planned daily spend per campaign id or name (pacing)."
    )
    pacing_tolerance: float = Field(default=0.25, gt=0, description="Pacing off plan beyond ±.")
    churn_horizon_months: int = Field(default=3, ge=1, description="Churn score horizon watched.")
    hot_lead_days: int = Field(default=2, ge=0, description="Hot lead untouched after N days.")
    attribution_model: str = Field(default="linear", description="Model for leads and revenue.")
    anomaly_lookback_days: int = Field(default=3, ge=1, description="Latest days checked.")
    anomaly_baseline_weeks: int = Field(default=4, ge=2, description="Same weekdays compared.")
    anomaly_z: float = Field(default=4.0, gt=0, description="Robust z-score that alerts.")
    anomaly_min_change: float = Field(
        default=0.1, ge=0, description="Relative floor on the baseline spread (noise floor)."
    )
    email_connection: str = Field(default="mdp_smtp", description="SMTP connection id.")
    email_to: list[str] = Field(default_factory=list, description="Alert e-mail recipients.")
    slack_users: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Slack member id (U0123ABCD) per CRM owner, keyed by the owner's name or CRM user "
            "id: the owner's hot leads in the alert digest mention them."
        ),
    )

    @field_validator("slack_users")
    @classmethod
    def _slack_member_ids(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [
            f"{owner!r}: {member!r}"
            for owner, member in value.items()
            if not SLACK_MEMBER_ID.fullmatch(member)
        ]
        if bad:
            raise ValueError(
                f"not a Slack member id ({', '.join(bad)}); use the id from the person's "
                "Slack profile (More > Copy member ID), e.g. U0123ABCD"
            )
        return value


class ExperimentSettings(BaseModel):
    """A/B test analysis (MDP_EXPERIMENTS__<FIELD>); the marts do not carry the design."""

    alpha: float = Field(
        default=0.05, gt=0.0, lt=0.5, description="Two-sided; split over a test's treatments."
    )
    power: float = Field(default=0.8, gt=0.5, lt=1.0, description="For the MDE and sample size.")
    srm_alpha: float = Field(
        default=0.001, gt=0.0, lt=0.5, description="Sample-ratio mismatch below this p-value."
    )
    control_variant: str = "control"
    allocations: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description="Designed share per experiment and variant; unlisted ones are assumed equal.",
    )
    primary_events: dict[str, str] = Field(
        default_factory=dict,
        description="The conversion event each experiment was designed to move.",
    )


class ReportSettings(BaseModel):
    """The weekly report (MDP_REPORT__<FIELD>): where it goes and who gets it."""

    recipients: list[str] = Field(default_factory=list, description="Empty: no email is sent.")
    smtp_conn_id: str = Field(default="smtp_default", description="Airflow SMTP connection.")
    top_n: int = Field(default=10, ge=1, le=100, description="Rows in the at-risk and lead lists.")
    attribution_model: str = Field(
        default="linear", description="Rule-based model behind the spend and ROAS section."
    )


class Settings(BaseSettings):
    """Everything mdp needs to know about where it runs. Secrets are SecretStr and never printed."""

    model_config = SettingsConfigDict(
        env_prefix="MDP_",
        env_file=".env",
        env_nested_delimiter="__",
        extra="ignore",
        validate_default=True,
    )

    home: Path = Field(
        default=PROJECT_ROOT / ".local", description="All local state (warehouse, Airflow, MLflow)."
    )
    warehouse: WarehouseKind = WarehouseKind.DUCKDB
    duckdb_path: Path | None = Field(
        default=None, description="DuckDB file; default <home>/warehouse.duckdb."
    )
    duckdb_memory_limit: str = Field(
        default="2GB",
        description=(
            "DuckDB's buffer-pool cap for the platform's and dbt's connections (DuckDB's own "
            "default is 80% of RAM); larger work spills to <warehouse>.duckdb.tmp."
        ),
    )
    bigquery: BigQuerySettings = Field(default_factory=BigQuerySettings)
    currency: str = Field(
        default="USD",
        pattern=r"^[A-Z]{3}$",
        description="ISO 4217 code of the money in the sources (MRR, revenue, LTV, reasons).",
    )
    mlflow_tracking_uri: str | None = Field(
        default=None, description="Default: sqlite database under <home>/mlflow."
    )
    connections: ConnectionIds = Field(default_factory=ConnectionIds)
    ml: MlSettings = Field(default_factory=MlSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    sync: SyncSettings = Field(default_factory=SyncSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    experiments: ExperimentSettings = Field(default_factory=ExperimentSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)
    sandbox: bool = Field(default=True, description="Point every source at the local emulators.")
    transform_mode: Literal["build", "cosmos"] = Field(
        default="build",
        description=(
            "How the transform DAG runs dbt: 'build' = one `dbt build` task (measured ~10x "
            "faster locally, benchmarks/transform.py), 'cosmos' = a task per model (Cosmos)."
        ),
    )
    dbt_target: str | None = Field(
        default=None, description="dbt target; default 'local' on DuckDB, 'bigquery' on BigQuery."
    )

    @field_validator("home", "duckdb_path")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        if value is None:
            return None
        return value if value.is_absolute() else (PROJECT_ROOT / value).resolve()

    @property
    def duckdb_file(self) -> Path:
        """The DuckDB file shared by the warehouse layer, dbt and the demo."""
        return self.duckdb_path or self.home / "warehouse.duckdb"

    @property
    def mlflow_uri(self) -> str:
        """MLflow tracking URI (a local SQLite store unless configured)."""
        return self.mlflow_tracking_uri or f"sqlite:///{self.home / 'mlflow' / 'mlflow.db'}"

    @property
    def mlflow_artifacts(self) -> Path:
        """Where runs store their artifacts when tracking to the local SQLite store."""
        return self.home / "mlflow" / "artifacts"

    @property
    def airflow_home(self) -> Path:
        """AIRFLOW_HOME: metadata DB (SQLite), logs and config for local runs."""
        return self.home / "airflow"

    @property
    def effective_dbt_target(self) -> str:
        """dbt target matching the warehouse backend unless set explicitly."""
        if self.dbt_target:
            return self.dbt_target
        return "bigquery" if self.warehouse is WarehouseKind.BIGQUERY else "local"

    def require_bigquery_project(self) -> str:
        """The GCP project, or a clear error when BigQuery is chosen without one."""
        if not self.bigquery.project:
            raise ConfigError(
                "MDP_BIGQUERY__PROJECT is not set: the bigquery warehouse needs a GCP project id."
            )
        return self.bigquery.project

    def redacted(self) -> dict[str, Any]:
        """The effective configuration as plain data, secrets replaced by '**********'."""
        data: dict[str, Any] = self.model_dump(mode="json")
        data["bigquery"]["credentials_json"] = (
            "**********" if self.bigquery.credentials_json else None
        )
        data["duckdb_path"] = str(self.duckdb_file)
        data["mlflow_tracking_uri"] = self.mlflow_uri
        data["dbt_target"] = self.effective_dbt_target
        return data


def _explain(error: ValidationError) -> str:
    """One line per invalid field, named as the user sets it (MDP_<FIELD>)."""
    lines = []
    for item in error.errors():
        name = "MDP_" + "__".join(str(part) for part in item["loc"]).upper()
        given = item.get("input")
        shown = "" if isinstance(given, dict) or given is None else f" (got {given!r})"
        lines.append(f"{name}: {item['msg']}{shown}")
    return "invalid configuration: " + "; ".join(lines)


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment, turning validation errors into one ConfigError."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise ConfigError(_explain(error)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings (cached); call `get_settings.cache_clear()` after changing env."""
    return load_settings()
