output "datasets" {
  description = "Logical schema => BigQuery dataset id."
  value       = { for schema, ds in google_bigquery_dataset.schema : schema => ds.dataset_id }
}

output "service_accounts" {
  description = "Stage => service account e-mail (annotate the mdp-<stage> Kubernetes accounts with it)."
  value       = { for stage, sa in google_service_account.stage : stage => sa.email }
}

output "connection_secrets" {
  description = "Connection => Secret Manager secret id; add the connection JSON as its version."
  value       = { for key, secret in google_secret_manager_secret.connection : key => secret.secret_id }
}

output "mdp_environment" {
  description = "MDP_* variables for the workers (Helm env, Composer env_variables)."
  value       = local.mdp_environment
}

output "composer_airflow_uri" {
  description = "Airflow UI of the Composer environment (null without Composer)."
  value       = var.enable_composer ? google_composer_environment.airflow["airflow"].config[0].airflow_uri : null
}
