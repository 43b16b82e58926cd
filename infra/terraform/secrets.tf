# One secret per Airflow connection, named as the Secret Manager backend looks it up
# (airflow-connections-<conn_id>). Terraform creates the containers only: the values (connection
# JSON) are added out of band with `gcloud secrets versions add`, so they never enter state or git.
resource "google_secret_manager_secret" "connection" {
  for_each = var.connection_ids

  project   = var.project_id
  secret_id = "airflow-connections-${each.value}"
  labels    = merge(var.labels, { connection = each.key })

  replication {
    user_managed {
      dynamic "replicas" {
        for_each = var.secret_replica_locations
        content {
          location = replicas.value
        }
      }
    }
  }

  depends_on = [google_project_service.apis]
}

resource "google_secret_manager_secret_iam_member" "reader" {
  for_each = local.secret_grants

  project   = var.project_id
  secret_id = google_secret_manager_secret.connection[each.value.key].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.stage[each.value.stage].email}"
}
