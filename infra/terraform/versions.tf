# Pinned so that a plan today and a plan next year mean the same thing; bump deliberately.
terraform {
  required_version = ">= 1.5.0, < 2.0.0"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "= 6.14.1"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}
