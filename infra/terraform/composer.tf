# Optional managed Airflow (var.enable_composer). Composer 3 runs every task as one account, so
# that account holds the union of the stage grants (still dataset-level, no project data role);
# the GKE + Helm path (infra/helm) keeps one identity per stage instead.
locals {
  composer = var.enable_composer ? { airflow = true } : {}

  mdp_environment = {
    MDP_WAREHOUSE                      = "bigquery"
    MDP_SANDBOX                        = "false"
    MDP_BIGQUERY__PROJECT              = var.project_id
    MDP_BIGQUERY__LOCATION             = var.location
    MDP_BIGQUERY__DATASET_PREFIX       = var.dataset_prefix
    MDP_BIGQUERY__MAXIMUM_BYTES_BILLED = tostring(var.maximum_bytes_billed)
    MDP_BIGQUERY__JOB_LABELS           = jsonencode(var.labels)
    MDP_CONNECTIONS__GA4               = var.connection_ids["ga4"]
    MDP_CONNECTIONS__FACEBOOK_ADS      = var.connection_ids["facebook_ads"]
    MDP_CONNECTIONS__GOOGLE_ADS        = var.connection_ids["google_ads"]
    MDP_CONNECTIONS__SALESFORCE        = var.connection_ids["salesforce"]
    MDP_CONNECTIONS__HUBSPOT           = var.connection_ids["hubspot"]
    MDP_CONNECTIONS__ALERTS_WEBHOOK    = var.connection_ids["alerts_webhook"]
    MDP_ALERTS__EMAIL_CONNECTION       = var.connection_ids["smtp"]
    MDP_REPORT__SMTP_CONN_ID           = var.connection_ids["smtp"]
  }
}

resource "google_service_account" "composer" {
  for_each = local.composer

  project      = var.project_id
  account_id   = "mdp-composer"
  display_name = "mdp Composer environment"
  description  = "Runs the Composer environment and, on Composer, every mdp task."
}

resource "google_project_iam_member" "composer" {
  for_each = {
    for role in ["roles/composer.worker", "roles/bigquery.jobUser"] : role => role if var.enable_composer
  }

  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.composer["airflow"].email}"
}

resource "google_bigquery_dataset_iam_member" "composer" {
  for_each = var.enable_composer ? local.composer_dataset_roles : {}

  project    = var.project_id
  dataset_id = google_bigquery_dataset.schema[each.key].dataset_id
  role       = each.value
  member     = "serviceAccount:${google_service_account.composer["airflow"].email}"
}

resource "google_secret_manager_secret_iam_member" "composer" {
  for_each = var.enable_composer ? var.connection_ids : {}

  project   = var.project_id
  secret_id = google_secret_manager_secret.connection[each.key].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.composer["airflow"].email}"
}

resource "google_composer_environment" "airflow" {
  for_each = local.composer

  project = var.project_id
  name    = "mdp"
  region  = var.region
  labels  = var.labels

  config {
    environment_size = var.composer_environment_size

    software_config {
      image_version = var.composer_image_version
      env_variables = local.mdp_environment

      airflow_config_overrides = {
        "secrets-backend"        = "airflow.providers.google.cloud.secrets.secret_manager.CloudSecretManagerBackend"
        "secrets-backend_kwargs" = jsonencode({ connections_prefix = "airflow-connections", sep = "-" })
        "core-load_examples"     = "False"
      }
    }

    node_config {
      service_account = google_service_account.composer["airflow"].email
    }
  }

  depends_on = [
    google_project_service.apis,
    google_project_iam_member.composer,
    google_service_account_iam_member.composer_agent,
  ]
}

data "google_project" "this" {
  project_id = var.project_id
}

# Composer's service agent must be allowed to act for a user-managed environment account.
resource "google_service_account_iam_member" "composer_agent" {
  for_each = local.composer

  service_account_id = google_service_account.composer["airflow"].name
  role               = "roles/composer.ServiceAgentV2Ext"
  member             = "serviceAccount:service-${data.google_project.this.number}@cloudcomposer-accounts.iam.gserviceaccount.com"
}
