variable "project_id" {
  description = "GCP project that holds the datasets and runs the jobs (MDP_BIGQUERY__PROJECT)."
  type        = string
}

variable "region" {
  description = "Region of regional resources (Composer, secret replicas)."
  type        = string
  default     = "us-central1"
}

variable "location" {
  description = "BigQuery location of every dataset (MDP_BIGQUERY__LOCATION); jobs run there."
  type        = string
  default     = "US"
}

variable "dataset_prefix" {
  description = "Prefix of every dataset (MDP_BIGQUERY__DATASET_PREFIX), e.g. 'mdp_' gives mdp_raw."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^[A-Za-z0-9_]*$", var.dataset_prefix))
    error_message = "dataset_prefix may hold only letters, digits and underscores (BigQuery dataset ids)."
  }
}

variable "labels" {
  description = "Labels on every resource; keep them equal to MDP_BIGQUERY__JOB_LABELS to join billing."
  type        = map(string)
  default     = { app = "mdp" }
}

variable "maximum_bytes_billed" {
  description = "Per-query guard the platform applies (MDP_BIGQUERY__MAXIMUM_BYTES_BILLED), in bytes."
  type        = number
  default     = 53687091200 # 50 GiB, the settings default
}

variable "quarantine_partition_expiration_days" {
  description = "Quarantined batches are for diagnosis, not history: partitions expire after this."
  type        = number
  default     = 30
}

variable "kms_key_name" {
  description = "Optional Cloud KMS key (projects/…/cryptoKeys/…) for CMEK on datasets; null = Google-managed."
  type        = string
  default     = null
}

variable "ga4_export_datasets" {
  description = "GA4 BigQuery export datasets (analytics_<property>) the ingestion account reads."
  type = list(object({
    project    = string
    dataset_id = string
  }))
  default = []
}

variable "secret_replica_locations" {
  description = "Regions that hold the connection secrets (user-managed replication)."
  type        = list(string)
  default     = ["us-central1"]
}

variable "connection_ids" {
  description = "Airflow connection ids (mdp.settings.ConnectionIds, alerts/report SMTP ids)."
  type        = map(string)
  default = {
    ga4            = "mdp_ga4"
    facebook_ads   = "mdp_facebook_ads"
    google_ads     = "mdp_google_ads"
    salesforce     = "mdp_salesforce"
    hubspot        = "mdp_hubspot"
    alerts_webhook = "mdp_slack_alerts"
    smtp           = "mdp_smtp"
  }
}

variable "gke_workload_identity_namespace" {
  description = "Kubernetes namespace of the Airflow Helm release; null = no Workload Identity bindings (Composer only)."
  type        = string
  default     = "airflow"
}

variable "enable_composer" {
  description = "Create a Cloud Composer 3 environment (else run the Helm chart on your GKE cluster)."
  type        = bool
  default     = false
}

variable "composer_image_version" {
  description = "Composer 3 image, composer-3-airflow-X.Y.Z[-build.N]; pick one from `gcloud composer environments list-image-versions`."
  type        = string
  default     = "composer-3-airflow-3.1.0"

  validation {
    condition     = can(regex("^composer-3-airflow-3\\.", var.composer_image_version))
    error_message = "mdp runs on Airflow 3: use a composer-3-airflow-3.* image."
  }
}

variable "composer_environment_size" {
  description = "ENVIRONMENT_SIZE_SMALL, _MEDIUM or _LARGE (drives the base cost, see docs/production.md)."
  type        = string
  default     = "ENVIRONMENT_SIZE_SMALL"
}
