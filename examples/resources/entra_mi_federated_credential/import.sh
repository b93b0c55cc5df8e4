#!/bin/sh
# By credential id or by name, with or without a leading /applications/.
terraform import entra_mi_federated_credential.deploy \
  33333333-3333-3333-3333-333333333333/federatedIdentityCredentials/deploy-identity

# azuread's ID form is accepted too, for migration:
# terraform import entra_mi_federated_credential.deploy \
#   33333333-3333-3333-3333-333333333333/federatedIdentityCredential/55555555-5555-5555-5555-555555555555
