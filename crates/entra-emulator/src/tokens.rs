//! Issuing and checking the emulator's RS256 JWTs.

use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{json, Map, Value};

use crate::keys;

/// Signs and verifies tokens with the emulator's fixed RSA key (published at the JWKS
/// endpoint), like Entra's signing keys.
pub struct Signer {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl Signer {
    /// Loads the key; fails only if the built-in key is unreadable.
    pub fn new() -> Result<Signer, String> {
        let encoding = EncodingKey::from_rsa_pem(keys::PRIVATE_KEY_PEM.as_bytes())
            .map_err(|e| format!("emulator key: {e}"))?;
        let decoding =
            DecodingKey::from_rsa_components(keys::MODULUS_B64URL, keys::EXPONENT_B64URL)
                .map_err(|e| format!("emulator key: {e}"))?;
        Ok(Signer { encoding, decoding })
    }

    /// An RS256 JWT of `claims`, with the key's `kid`.
    pub fn sign(&self, claims: &Value) -> Result<String, String> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(keys::KEY_ID.to_string());
        header.typ = Some("JWT".into());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .map_err(|e| format!("signing failed: {e}"))
    }

    /// Checks the signature only; times and audiences are the caller's business, since
    /// each has its own AADSTS code.
    pub fn verify_signature(&self, token: &str) -> Result<Map<String, Value>, String> {
        let mut v = Validation::new(Algorithm::RS256);
        v.validate_exp = false;
        v.validate_aud = false;
        v.required_spec_claims.clear();
        jsonwebtoken::decode::<Map<String, Value>>(token, &self.decoding, &v)
            .map(|d| d.claims)
            .map_err(|e| e.to_string())
    }

    /// The JSON Web Key Set that verifies the emulator's tokens.
    pub fn jwks() -> Value {
        json!({"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": keys::KEY_ID, "n": keys::MODULUS_B64URL, "e": keys::EXPONENT_B64URL}]})
    }
}

/// The payload of a JWT without verification (to tell "bad signature" from "not a JWT").
pub fn peek(token: &str) -> Option<Map<String, Value>> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// A string claim, or "" when absent or not a string (it then matches nothing).
pub fn claim_text(claims: &Map<String, Value>, name: &str) -> String {
    claims
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

/// Seconds since the Unix epoch, as in `iat`, `nbf` and `exp`.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_and_verifies() {
        let s = Signer::new().unwrap();
        let t = s.sign(&json!({"sub": "x", "exp": now() + 60})).unwrap();
        assert_eq!(
            s.verify_signature(&t).unwrap().get("sub"),
            Some(&json!("x"))
        );
        let mut tampered = t.clone();
        tampered.pop();
        tampered.push(if t.ends_with('A') { 'B' } else { 'A' });
        assert!(s.verify_signature(&tampered).is_err());
        assert_eq!(peek(&t).unwrap().get("sub"), Some(&json!("x")));
    }
}
