# One dataset per logical schema, named <dataset_prefix><schema> exactly as the warehouse layer
# and dbt's generate_schema_name compute it. Contents survive `terraform destroy` by default.
resource "google_bigquery_dataset" "schema" {
  for_each = local.datasets

  project       = var.project_id
  dataset_id    = "${var.dataset_prefix}${each.key}"
  friendly_name = each.key
  description   = each.value
  location      = var.location
  labels        = merge(var.labels, { schema = each.key })

  # Only quarantine is disposable; raw history must never expire silently.
  default_partition_expiration_ms = (
    each.key == "quarantine" ? var.quarantine_partition_expiration_days * 24 * 60 * 60 * 1000 : null
  )

  delete_contents_on_destroy = false

  dynamic "default_encryption_configuration" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      kms_key_name = default_encryption_configuration.value
    }
  }

  depends_on = [google_project_service.apis]
}
