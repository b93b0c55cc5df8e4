//! Entra's token endpoint errors (`AADSTSnnnn`) and what to do about them.

use serde::Deserialize;

/// The error body of `/oauth2/v2.0/token`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AadstsError {
    /// The AADSTS number (`error_codes[0]`, else read from the description).
    pub code: Option<u32>,
    /// The OAuth error, e.g. `invalid_client`.
    pub error: String,
    /// The first line of `error_description`.
    pub description: String,
    /// Entra's trace id, for support requests.
    pub trace_id: Option<String>,
    /// Entra's correlation id, for support requests.
    pub correlation_id: Option<String>,
}

#[derive(Deserialize)]
struct Body {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
    #[serde(default)]
    error_codes: Vec<u32>,
    trace_id: Option<String>,
    correlation_id: Option<String>,
}

impl AadstsError {
    /// Parses Entra's error JSON; `None` when the body is not one.
    pub fn parse(body: &[u8]) -> Option<AadstsError> {
        let b: Body = serde_json::from_slice(body).ok()?;
        if b.error.is_empty() && b.error_description.is_empty() {
            return None;
        }
        let code = b
            .error_codes
            .first()
            .copied()
            .or_else(|| code_in(&b.error_description));
        Some(AadstsError {
            code,
            error: b.error,
            description: first_line(&b.error_description),
            trace_id: b.trace_id,
            correlation_id: b.correlation_id,
        })
    }

    /// Whether this is AADSTS`code`.
    pub fn is(&self, code: u32) -> bool {
        self.code == Some(code)
    }

    /// No federated credential matched the assertion (some field differs, or the
    /// credential has not propagated yet).
    pub fn is_fic_mismatch(&self) -> bool {
        matches!(self.code, Some(70021 | 700211 | 700212 | 700213))
    }

    /// What the user can do, for the codes people actually hit.
    pub fn remediation(&self) -> Option<&'static str> {
        Some(match self.code? {
            700016 => "The application (client id) was not found in the tenant: check the client id, and that a multi-tenant app has been consented to (provisioned) in the resource tenant.",
            90002 => "The tenant was not found: check tenant_id (a GUID or a verified domain name) and the environment/cloud.",
            7000215 => "The client secret is invalid: check its value and that it has not expired.",
            7000222 => "The client secret has expired: create a new one.",
            700024 => "The client assertion has expired or is not yet valid: the identity token was too old (it is re-acquired and retried once).",
            700027 => "The client assertion's signature could not be verified: the token was not issued by the expected issuer, or was altered.",
            70011 => "The scope is invalid: the client credentials flow needs `{resource}/.default`, e.g. https://graph.microsoft.com/.default.",
            70021 => "No federated identity credential on the app matches the token's issuer, subject and audience (or one created moments ago has not propagated yet).",
            700211 => "No federated identity credential on the app has the token's issuer: compare the credential's issuer with the token's `iss` (trailing slash, v1 sts.windows.net vs v2 login.microsoftonline.com/{tenant}/v2.0, tenant).",
            700212 => "No federated identity credential on the app has the token's audience: the credential should list api://AzureADTokenExchange (or your cloud's exchange audience), and the identity token must be requested for it.",
            700213 => "No federated identity credential on the app has the token's subject: for a managed identity the subject is its principal (object) id, lower case — not its client id.",
            700222 => "The token used as client assertion is not accepted here: a managed identity token must be requested for the token exchange audience (api://AzureADTokenExchange).",
            700229 => "The managed identity token is for the wrong audience: request it for the token exchange audience (api://AzureADTokenExchange in the public cloud).",
            500011 => "The resource principal was not found in the tenant: check the scope's resource (app id URI) and that the resource app is provisioned in the tenant.",
            50034 => "The user or principal does not exist in the tenant.",
            7002138 => "Federated credential matching is case-sensitive: the credential's subject or issuer differs in letter case from the token's.",
            _ => return None,
        })
    }
}

impl std::fmt::Display for AadstsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.code {
            Some(code) if !self.description.starts_with("AADSTS") => {
                write!(f, "AADSTS{code}: {}", self.description)?
            }
            _ => write!(f, "{}", self.description)?,
        }
        if let Some(hint) = self.remediation() {
            write!(f, "\n\n{hint}")?;
        }
        if let Some(t) = &self.trace_id {
            write!(f, "\n\nTrace ID: {t}")?;
        }
        if let Some(c) = &self.correlation_id {
            write!(f, "; Correlation ID: {c}")?;
        }
        Ok(())
    }
}

fn code_in(description: &str) -> Option<u32> {
    let rest = description.strip_prefix("AADSTS")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Entra's descriptions carry trace and timestamp lines; the first line is the message.
fn first_line(description: &str) -> String {
    description.lines().next().unwrap_or("").trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_entra_error_bodies() {
        let body = br#"{"error":"invalid_client","error_description":"AADSTS700213: No matching federated identity record found for presented assertion subject 'x'.\r\nTrace ID: t\r\nCorrelation ID: c","error_codes":[700213],"trace_id":"t","correlation_id":"c"}"#;
        let e = AadstsError::parse(body).unwrap();
        assert_eq!(e.code, Some(700213));
        assert!(e.is_fic_mismatch());
        assert!(e.description.starts_with("AADSTS700213: No matching"));
        assert!(!e.description.contains("Trace ID"));
        assert!(e.to_string().contains("principal (object) id"));
    }

    #[test]
    fn code_from_description_when_codes_missing() {
        let e = AadstsError::parse(br#"{"error":"invalid_request","error_description":"AADSTS90002: Tenant 'x' not found."}"#).unwrap();
        assert_eq!(e.code, Some(90002));
        assert!(e.remediation().unwrap().contains("tenant"));
        assert!(AadstsError::parse(b"<html>").is_none());
    }
}
