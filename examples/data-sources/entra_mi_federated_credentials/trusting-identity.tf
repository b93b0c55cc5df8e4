# Which applications can a managed identity act as, and is any of those trusts broken?
# (Uses the provider block of data-source.tf; copy it along when using this file alone.)

variable "managed_identity_principal_id" {
  description = "The principal (object) id of the managed identity whose trusts are audited."
  type        = string
  default     = "22222222-2222-2222-2222-222222222222"
}

# Every credential in the tenant whose subject is this identity, with an Entra issuer:
# a few pages of Graph's application list, not one request per application.
data "entra_mi_federated_credentials" "identity" {
  managed_identity_principal_id = var.managed_identity_principal_id

  lifecycle {
    # Fails `terraform plan` (and so the pipeline) when any of them has a finding.
    postcondition {
      condition = alltrue([for c in self.credentials : length(c.findings) == 0])
      error_message = join("\n", concat(
        ["Credentials trusting ${var.managed_identity_principal_id} that can never match its token or break a documented rule:"],
        flatten([
          for c in self.credentials : [
            for f in c.findings : "${c.application_display_name} (${c.application_client_id}) / ${c.name}: ${f}"
          ]
        ])
      ))
    }
  }
}

output "applications_the_identity_can_act_as" {
  value = distinct([for c in data.entra_mi_federated_credentials.identity.credentials : c.application_client_id])
}
