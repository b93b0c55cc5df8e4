terraform {
  required_providers {
    entra = {
      source = "registry.terraform.io/entra-mi/entra"
    }
  }
}

# Reading service principals for the identity check needs Application.Read.All or
# Directory.Read.All; without it the check is skipped with a warning.
provider "entra" {
  tenant_id = "00000000-0000-0000-0000-000000000000"
}

variable "application_object_id" {
  description = "The application whose federated identity credentials are audited."
  type        = string
  default     = "11111111-1111-1111-1111-111111111111"
}

# Every federated identity credential of the application, audited.
data "entra_mi_federated_credentials" "app" {
  application_object_id = var.application_object_id
}

locals {
  # "name: finding" for every problem found, across all credentials.
  federated_credential_findings = flatten([
    for c in data.entra_mi_federated_credentials.app.credentials : [
      for f in c.findings : "${c.name}: ${f}"
    ]
  ])
}

# Fails `terraform plan` (and so the CI job) when any credential has a finding.
output "federated_credentials" {
  value = [for c in data.entra_mi_federated_credentials.app.credentials : c.name]

  precondition {
    condition     = length(local.federated_credential_findings) == 0
    error_message = "Federated identity credentials that can never match a managed identity token or break a documented rule:\n${join("\n", local.federated_credential_findings)}"
  }
}
