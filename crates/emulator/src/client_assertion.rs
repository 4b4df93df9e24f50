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
    #[serde(deserialize_with = "numeric_date")]
    exp: i64,
    #[serde(default, deserialize_with = "optional_numeric_date")]
    nbf: Option<i64>,
}

/// A JWT date: seconds since the epoch, as a number or (as MSAL writes them) as text.
#[derive(Deserialize)]
#[serde(untagged)]
enum NumericDate {
    Number(i64),
    Text(String),
}

impl NumericDate {
    fn seconds<E: serde::de::Error>(self) -> Result<i64, E> {
        match self {
            Self::Number(n) => Ok(n),
            Self::Text(t) => t.trim().parse().map_err(|_| E::custom(format!("'{t}' is not a date in seconds"))),
        }
    }
}

fn numeric_date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    NumericDate::deserialize(d)?.seconds()
}

fn optional_numeric_date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Option::<NumericDate>::deserialize(d)?.map(NumericDate::seconds).transpose()
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

/// The claims of an assertion whose signature `key` verifies: a certificate's public key through webpki (which reads
/// it from the certificate), a bare public key through jsonwebtoken.
fn verified_claims(key: &RegisteredKey, alg: Algorithm, assertion: &str) -> Option<AssertionClaims> {
    let Some(der) = &key.certificate_der else {
        let decoding = DecodingKey::from_rsa_pem(key.pem.as_bytes()).ok()?;
        let mut validation = Validation::new(alg);
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        return jsonwebtoken::decode::<AssertionClaims>(assertion, &decoding, &validation).ok().map(|d| d.claims);
    };
    let (signed, signature) = assertion.rsplit_once('.')?;
    let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
    let certificate = rustls::pki_types::CertificateDer::from(der.as_slice());
    let end_entity = webpki::EndEntityCert::try_from(&certificate).ok()?;
    let scheme = if alg == Algorithm::PS256 { webpki::ring::RSA_PSS_2048_8192_SHA256_LEGACY_KEY } else { webpki::ring::RSA_PKCS1_2048_8192_SHA256 };
    end_entity.verify_signature(scheme, signed.as_bytes(), &signature).ok()?;
    let payload = URL_SAFE_NO_PAD.decode(signed.split_once('.')?.1).ok()?;
    serde_json::from_slice(&payload).ok()
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
        let Some(claims) = verified_claims(key, header.alg, assertion) else { continue };
        if !claims.iss.eq_ignore_ascii_case(&app.client_id) || !claims.sub.eq_ignore_ascii_case(&app.client_id) {
            return Err(invalid("iss and sub must be the client id"));
        }
        if claims.exp <= now.as_second() || claims.nbf.is_some_and(|nbf| nbf > now.as_second() + 300) {
            return Err(OAuthError::new(401, "invalid_client", "AADSTS700024: Client assertion is not within its valid time range."));
        }
        return Ok(());
    }
    Err(invalid("no registered certificate of the application verifies it"))
}
