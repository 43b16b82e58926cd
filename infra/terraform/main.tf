# The access model in one place: who reads and who writes which dataset, and which connection
# secrets each stage may open. Everything else in this directory is derived from these maps.
locals {
  # Logical schemas (mdp.settings.SCHEMAS plus activation), each one dataset.
  datasets = {
    raw          = "Source data as the APIs return it, merged by key (ingestion)."
    quarantine   = "Batches that failed their quality checks, with the reason (ingestion)."
    mdp_meta     = "Incremental cursors of the ingestion streams."
    staging      = "dbt views, 1:1 with the raw tables."
    intermediate = "dbt joins and reshaping."
    seeds        = "dbt seeds (channel mapping, reference tables)."
    marts        = "dbt facts and dimensions: the contract ML, activation and BI read."
    scores       = "ML outputs: lead, churn, LTV, forecasts, attribution, budget recommendations."
    activation   = "CRM sync state and log, alerts, experiment results, report runs."
  }

  # One service account per stage. A stage gets dataViewer where it reads and dataEditor where it
  # writes (dataEditor includes read); never a project-wide data role.
  stages = {
    ingestion  = "Ingestion DAGs: source APIs to raw (or quarantine)."
    dbt        = "Transform DAG: dbt build from raw to staging and marts."
    ml         = "ML DAGs: train on marts, write scores."
    activation = "CRM sync, alerts, experiments and the weekly report."
  }

  dataset_roles = {
    ingestion = {
      raw        = "roles/bigquery.dataEditor"
      quarantine = "roles/bigquery.dataEditor"
      mdp_meta   = "roles/bigquery.dataEditor"
    }
    dbt = {
      raw          = "roles/bigquery.dataViewer"
      scores       = "roles/bigquery.dataViewer" # fct_channel_roi_daily reads scores.attribution_credits
      staging      = "roles/bigquery.dataEditor"
      intermediate = "roles/bigquery.dataEditor"
      seeds        = "roles/bigquery.dataEditor"
      marts        = "roles/bigquery.dataEditor"
    }
    ml = {
      marts  = "roles/bigquery.dataViewer"
      scores = "roles/bigquery.dataEditor"
    }
    activation = {
      marts      = "roles/bigquery.dataViewer" # alerts and the weekly report
      scores     = "roles/bigquery.dataViewer" # CRM sync
      activation = "roles/bigquery.dataEditor"
    }
  }

  # Connection secrets each stage opens (Salesforce is read by ingestion and written by CRM sync).
  secret_readers = {
    ga4            = ["ingestion"]
    facebook_ads   = ["ingestion"]
    google_ads     = ["ingestion"]
    salesforce     = ["ingestion", "activation"]
    hubspot        = ["activation"]
    alerts_webhook = ["activation"]
    smtp           = ["activation"]
  }

  dataset_grants = merge([
    for stage, roles in local.dataset_roles : {
      for schema, role in roles : "${stage}/${schema}" => {
        stage  = stage
        schema = schema
        role   = role
      }
    }
  ]...)

  secret_grants = merge([
    for key, readers in local.secret_readers : {
      for stage in readers : "${key}/${stage}" => { key = key, stage = stage }
    }
  ]...)

  # Composer 3 runs every task as the environment's account: it needs the union of the stages.
  # On GKE each task pod runs as its stage's account instead (Workload Identity, see iam.tf).
  composer_dataset_roles = {
    for schema in distinct([for grant in values(local.dataset_grants) : grant.schema]) : schema => (
      anytrue([
        for grant in values(local.dataset_grants) :
        grant.schema == schema && grant.role == "roles/bigquery.dataEditor"
      ]) ? "roles/bigquery.dataEditor" : "roles/bigquery.dataViewer"
    )
  }
}

resource "google_project_service" "apis" {
  for_each = toset(concat(
    ["bigquery.googleapis.com", "iam.googleapis.com", "secretmanager.googleapis.com"],
    var.enable_composer ? ["composer.googleapis.com"] : [],
  ))

  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}
