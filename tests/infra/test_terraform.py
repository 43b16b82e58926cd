"""infra/terraform parses, covers every schema and grants each stage exactly its least privilege."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from activation.crm.state import SCHEMA as ACTIVATION_SCHEMA
from mdp import PROJECT_ROOT
from mdp.settings import SCHEMAS, AlertSettings, ConnectionIds
from tests.infra.conftest import TERRAFORM_DIR, Terraform

EDIT = "roles/bigquery.dataEditor"
VIEW = "roles/bigquery.dataViewer"

# Who reads (VIEW) and who writes (EDIT) which dataset, from the brief and the code's data flow:
# dbt also reads scores (fct_channel_roi_daily joins scores.attribution_credits).
EXPECTED_DATASET_ROLES = {
    "ingestion": {"raw": EDIT, "quarantine": EDIT, "mdp_meta": EDIT},
    "dbt": {
        "raw": VIEW,
        "scores": VIEW,
        "staging": EDIT,
        "intermediate": EDIT,
        "seeds": EDIT,
        "marts": EDIT,
    },
    "ml": {"marts": VIEW, "scores": EDIT},
    "activation": {"marts": VIEW, "scores": VIEW, "activation": EDIT},
}
EXPECTED_SECRET_READERS = {
    "ga4": ["ingestion"],
    "facebook_ads": ["ingestion"],
    "google_ads": ["ingestion"],
    "salesforce": ["ingestion", "activation"],
    "hubspot": ["activation"],
    "alerts_webhook": ["activation"],
    "smtp": ["activation"],
}
ALLOWED_PROJECT_ROLES = {"roles/bigquery.jobUser", "roles/composer.worker"}
FORBIDDEN_ROLES = ("roles/owner", "roles/editor", "roles/bigquery.admin", "roles/bigquery.user")


def test_every_file_parses_and_the_layout_is_complete(terraform: Terraform) -> None:
    names = {path.name for path in terraform.files}
    assert {"versions.tf", "variables.tf", "outputs.tf", "main.tf", "iam.tf"} <= names
    assert names == {path.name for path in Path(TERRAFORM_DIR).glob("*.tf")}
    assert all(parsed for parsed in terraform.files.values())


def test_the_provider_is_pinned_exactly(terraform: Terraform) -> None:
    (block,) = terraform.blocks("terraform")
    google = block["required_providers"][0]["google"]
    assert google["source"] == "hashicorp/google"
    assert re.fullmatch(r"= ?\d+\.\d+\.\d+", google["version"])


def test_one_dataset_per_schema_the_code_writes(terraform: Terraform) -> None:
    dbt_project = yaml.safe_load((PROJECT_ROOT / "dbt_project" / "dbt_project.yml").read_text())
    seeds_schema = dbt_project["seeds"]["mdp"]["+schema"]
    written = set(SCHEMAS) | {ACTIVATION_SCHEMA, seeds_schema}
    assert set(terraform.locals["datasets"]) == written

    dataset = terraform.resources("google_bigquery_dataset")["schema"]
    assert dataset["for_each"] == "${local.datasets}"
    # the same name the warehouse layer and dbt compute: <prefix><schema>
    assert dataset["dataset_id"] == "${var.dataset_prefix}${each.key}"
    assert dataset["location"] == "${var.location}"
    assert "var.labels" in dataset["labels"]
    assert dataset["delete_contents_on_destroy"] is False
    # partitions expire in quarantine only
    expiry = dataset["default_partition_expiration_ms"]
    assert re.search(r'each\.key == "quarantine" \? .* : null', expiry)


def test_each_stage_gets_exactly_its_dataset_roles(terraform: Terraform) -> None:
    assert terraform.locals["dataset_roles"] == EXPECTED_DATASET_ROLES
    assert set(terraform.locals["stages"]) == set(EXPECTED_DATASET_ROLES)

    grants = terraform.resources("google_bigquery_dataset_iam_member")
    assert set(grants) == {"stage", "ga4_export", "composer"}
    stage = grants["stage"]
    assert stage["for_each"] == "${local.dataset_grants}"
    assert stage["role"] == "${each.value.role}"
    member = "serviceAccount:${google_service_account.stage[each.value.stage].email}"
    assert stage["member"] == member
    assert stage["dataset_id"] == "${google_bigquery_dataset.schema[each.value.schema].dataset_id}"
    # the flattening keeps stage, schema and role of every matrix cell
    flatten = terraform.locals["dataset_grants"]
    assert "local.dataset_roles" in flatten
    assert all(f"{key} = {key}" in flatten for key in ("stage", "schema", "role"))

    export = grants["ga4_export"]
    assert export["role"] == VIEW
    assert 'google_service_account.stage["ingestion"]' in export["member"]


def test_composer_account_holds_the_union_and_nothing_more(terraform: Terraform) -> None:
    union: dict[str, str] = {}
    for roles in EXPECTED_DATASET_ROLES.values():
        for schema, role in roles.items():
            union[schema] = EDIT if EDIT in (role, union.get(schema)) else VIEW
    assert union == {
        "raw": EDIT, "quarantine": EDIT, "mdp_meta": EDIT, "staging": EDIT, "intermediate": EDIT,
        "seeds": EDIT, "marts": EDIT, "scores": EDIT, "activation": EDIT,
    }  # fmt: skip
    expression = terraform.locals["composer_dataset_roles"]
    assert "local.dataset_grants" in expression and EDIT in expression and VIEW in expression
    composer = terraform.resources("google_bigquery_dataset_iam_member")["composer"]
    assert "local.composer_dataset_roles" in composer["for_each"]
    assert "var.enable_composer" in composer["for_each"]


def test_no_project_wide_data_or_basic_roles(terraform: Terraform) -> None:
    for forbidden in ("google_project_iam_binding", "google_project_iam_policy"):
        assert not terraform.resources(forbidden)
    project_roles = set()
    for resource in terraform.resources("google_project_iam_member").values():
        role = resource["role"]
        if role == "${each.value}":  # composer: roles listed in its for_each
            project_roles |= set(re.findall(r'"(roles/[^"]+)"', resource["for_each"]))
        else:
            project_roles.add(role)
    assert project_roles == ALLOWED_PROJECT_ROLES
    text = "\n".join(path.read_text() for path in terraform.files)
    for role in FORBIDDEN_ROLES:
        assert f'"{role}"' not in text


def test_every_stage_can_run_jobs(terraform: Terraform) -> None:
    job_user = terraform.resources("google_project_iam_member")["stage_job_user"]
    assert job_user["for_each"] == "${local.stages}"
    assert job_user["role"] == "roles/bigquery.jobUser"
    assert "google_service_account.stage[each.key]" in job_user["member"]


def test_secrets_are_containers_named_for_the_backend_and_read_by_their_stage(
    terraform: Terraform,
) -> None:
    # no secret value can be in code: no version resource, no secret_data anywhere
    assert not terraform.resources("google_secret_manager_secret_version")
    text = "\n".join(path.read_text() for path in terraform.files)
    assert "secret_data" not in text

    defaults = ConnectionIds()
    expected_ids = {name: getattr(defaults, name) for name in type(defaults).model_fields}
    expected_ids["smtp"] = AlertSettings().email_connection
    assert terraform.variables["connection_ids"]["default"] == expected_ids

    secret = terraform.resources("google_secret_manager_secret")["connection"]
    assert secret["for_each"] == "${var.connection_ids}"
    assert secret["secret_id"] == "airflow-connections-${each.value}"

    assert terraform.locals["secret_readers"] == EXPECTED_SECRET_READERS
    reader = terraform.resources("google_secret_manager_secret_iam_member")["reader"]
    assert reader["for_each"] == "${local.secret_grants}"
    assert reader["role"] == "roles/secretmanager.secretAccessor"
    assert "google_service_account.stage[each.value.stage]" in reader["member"]


def test_composer_is_optional_and_on_airflow_3(terraform: Terraform) -> None:
    assert terraform.variables["enable_composer"]["default"] is False
    environment = terraform.resources("google_composer_environment")["airflow"]
    assert environment["for_each"] == "${local.composer}"
    image = terraform.variables["composer_image_version"]["default"]
    assert re.fullmatch(r"composer-3-airflow-3\.\d+\.\d+(-build\.\d+)?", image)
    software = environment["config"][0]["software_config"][0]
    assert "CloudSecretManagerBackend" in software["airflow_config_overrides"]["secrets-backend"]
