# Least privilege: dataset-level grants from local.dataset_roles, jobUser on the project (every
# query and load job runs in it), secret access per connection. No project-wide data roles.
resource "google_service_account" "stage" {
  for_each = local.stages

  project      = var.project_id
  account_id   = "mdp-${each.key}"
  display_name = "mdp ${each.key}"
  description  = each.value
}

resource "google_project_iam_member" "stage_job_user" {
  for_each = local.stages

  project = var.project_id
  role    = "roles/bigquery.jobUser"
  member  = "serviceAccount:${google_service_account.stage[each.key].email}"
}

resource "google_bigquery_dataset_iam_member" "stage" {
  for_each = local.dataset_grants

  project    = var.project_id
  dataset_id = google_bigquery_dataset.schema[each.value.schema].dataset_id
  role       = each.value.role
  member     = "serviceAccount:${google_service_account.stage[each.value.stage].email}"
}

# GA4's BigQuery export lives in analytics_<property> (often another project): read-only.
resource "google_bigquery_dataset_iam_member" "ga4_export" {
  for_each = { for ds in var.ga4_export_datasets : "${ds.project}.${ds.dataset_id}" => ds }

  project    = each.value.project
  dataset_id = each.value.dataset_id
  role       = "roles/bigquery.dataViewer"
  member     = "serviceAccount:${google_service_account.stage["ingestion"].email}"
}

# GKE (Helm chart): the Kubernetes service account mdp-<stage> in the release's namespace acts as
# the stage's Google account; a task picks its stage through the pod's serviceAccountName.
resource "google_service_account_iam_member" "workload_identity" {
  for_each = var.gke_workload_identity_namespace == null ? {} : local.stages

  service_account_id = google_service_account.stage[each.key].name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${var.project_id}.svc.id.goog[${var.gke_workload_identity_namespace}/mdp-${each.key}]"
}
