//! Client assertions, as Entra ID checks them: a JWT signed RS256 or PS256 (MSAL signs PS256) with the private key of
//! one of the app's registered certificates, which the header names by its SHA-1 (`x5t`) or SHA-256 (`x5t#S256`)
//! thumbprint; issued by and about the client (`iss` = `sub` = client id); not expired. A registered entry may also be
//! a bare public key (PEM), which has no thumbprint and is tried for any assertion.

use crate::identity::{OAuthError, RegisteredApp};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jiff::Timestamp;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use sha1::Sha1;
use sha2::{Digest, Sha256};

#[derive(Deserialize)]
struct AssertionClaims {
    iss: String,
    sub: String,
    exp: i64,
    #[serde(default)]
    nbf: Option<i64>,
}

/// One registered key: its PEM, and the DER of the certificate when it is one.
struct RegisteredKey<'a> {
    pem: &'a str,
    certificate_der: Option<Vec<u8>>,
}

impl RegisteredKey<'_> {
    fn thumbprints(&self) -> Option<(String, String)> {
        let der = self.certificate_der.as_ref()?;
        Some((URL_SAFE_NO_PAD.encode(Sha1::digest(der)), URL_SAFE_NO_PAD.encode(Sha256::digest(der))))
    }
}

/// The DER of the first `CERTIFICATE` block of a PEM text.
fn certificate_der(pem: &str) -> Option<Vec<u8>> {
    let start = pem.find("-----BEGIN CERTIFICATE-----")? + "-----BEGIN CERTIFICATE-----".len();
    let end = pem[start..].find("-----END CERTIFICATE-----")? + start;
    let body: String = pem[start..end].chars().filter(|c| !c.is_whitespace()).collect();
    STANDARD.decode(body).ok()
}

fn invalid(why: &str) -> OAuthError {
    OAuthError::new(401, "invalid_client", format!("AADSTS700027: Client assertion failed signature validation: {why}."))
}

/// Checks `assertion` for `app` at `now`.
pub fn check(app: &RegisteredApp, assertion: &str, now: Timestamp) -> Result<(), OAuthError> {
    let header = jsonwebtoken::decode_header(assertion).map_err(|_| invalid("not a JWT"))?;
    if !matches!(header.alg, Algorithm::RS256 | Algorithm::PS256) {
        return Err(invalid("the algorithm must be RS256 or PS256"));
    }
    let keys: Vec<RegisteredKey> = app.certificates.iter().map(|pem| RegisteredKey { pem, certificate_der: certificate_der(pem) }).collect();
    let named = header.x5t_s256.as_deref().map(|t| (t, true)).or_else(|| header.x5t.as_deref().map(|t| (t, false)));
    let candidates: Vec<&RegisteredKey> = keys
        .iter()
        .filter(|key| match (named, key.thumbprints()) {
            (Some((thumbprint, sha256)), Some((sha1_print, sha256_print))) => thumbprint == if sha256 { sha256_print } else { sha1_print },
            // A bare public key has no thumbprint to compare.
            _ => true,
        })
        .collect();
    if candidates.is_empty() {
        let (thumbprint, _) = named.unwrap_or_default();
        return Err(OAuthError::new(
            401,
            "invalid_client",
            format!(
                "AADSTS700027: Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key used by client: '{thumbprint}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '{}'.]",
                app.client_id
            ),
        ));
    }
    for key in candidates {
        let Ok(decoding) = DecodingKey::from_rsa_pem(key.pem.as_bytes()) else { continue };
        let mut validation = Validation::new(header.alg);
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        if let Ok(data) = jsonwebtoken::decode::<AssertionClaims>(assertion, &decoding, &validation) {
            let claims = data.claims;
            if !claims.iss.eq_ignore_ascii_case(&app.client_id) || !claims.sub.eq_ignore_ascii_case(&app.client_id) {
                return Err(invalid("iss and sub must be the client id"));
            }
            if claims.exp <= now.as_second() || claims.nbf.is_some_and(|nbf| nbf > now.as_second() + 300) {
                return Err(OAuthError::new(
                    401,
                    "invalid_client",
                    "AADSTS700024: Client assertion is not within its valid time range.",
                ));
            }
            return Ok(());
        }
    }
    Err(invalid("no registered certificate of the application verifies it"))
}
