//! OpenPGP: keyrings read from the image, `InRelease` (cleartext-signed)
//! and `Release` + `Release.gpg` (detached) verification, with rpgp.

use std::io::BufReader;

use pgp::composed::{CleartextSignedMessage, Deserializable, DetachedSignature, SignedPublicKey};
use pgp::types::KeyDetails;

use crate::error::{Error, Result};

/// Public keys apt would accept for one source.
#[derive(Debug, Clone, Default)]
pub struct Keyring {
    keys: Vec<SignedPublicKey>,
}

impl Keyring {
    /// Adds the keys of a keyring file: binary (`*.gpg`, several keys
    /// concatenated) or ASCII-armored (`*.asc`), told apart by content.
    ///
    /// # Errors
    /// The file holds no parsable public key; `name` is used in the message.
    pub fn add(&mut self, name: &str, data: &[u8]) -> Result<()> {
        let bad = |message: String| Error::Keyring {
            keyring: name.to_owned(),
            message,
        };
        let armored = data
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .is_some_and(|i| data[i..].starts_with(b"-----BEGIN PGP"));
        let parsed: Vec<SignedPublicKey> = if armored {
            let (keys, _) = SignedPublicKey::from_armor_many(data)
                .map_err(|e| bad(format!("not an OpenPGP key block: {e}")))?;
            keys.filter_map(|k| k.ok()).collect()
        } else {
            SignedPublicKey::from_bytes_many(BufReader::new(data))
                .map_err(|e| bad(format!("not an OpenPGP keyring: {e}")))?
                .filter_map(|k| k.ok())
                .collect()
        };
        if parsed.is_empty() {
            return Err(bad("contains no usable public key".into()));
        }
        self.keys.extend(parsed);
        Ok(())
    }

    /// Keeps only keys whose primary or subkey fingerprint (hex, any case,
    /// optionally with a trailing `!`) is listed: `Signed-By` fingerprints.
    pub fn retain_fingerprints(&mut self, fingerprints: &[String]) {
        let wanted: Vec<String> = fingerprints
            .iter()
            .map(|f| f.trim_end_matches('!').to_ascii_lowercase())
            .collect();
        self.keys.retain(|k| {
            std::iter::once(hex::encode(k.primary_key.fingerprint().as_bytes()))
                .chain(
                    k.public_subkeys
                        .iter()
                        .map(|s| hex::encode(s.key.fingerprint().as_bytes())),
                )
                .any(|f| wanted.contains(&f))
        });
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there is no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// Verifies a cleartext-signed `InRelease` against `keyring` and returns
/// the signed text (the `Release` contents, `\n` line ends). Text outside
/// the signed part is never returned.
///
/// # Errors
/// Not a cleartext-signed message, or no signature made by a key of the keyring.
pub fn verify_inrelease(url: &str, data: &[u8], keyring: &Keyring) -> Result<String> {
    let bad = |message: String| Error::Signature {
        url: url.to_owned(),
        message,
    };
    let text = std::str::from_utf8(data).map_err(|_| bad("InRelease is not UTF-8".into()))?;
    let (message, _) = CleartextSignedMessage::from_string(text)
        .map_err(|e| bad(format!("not a cleartext-signed message: {e}")))?;
    let ok = keyring.keys.iter().any(|key| {
        message.verify(&key.primary_key).is_ok()
            || key
                .public_subkeys
                .iter()
                .any(|s| message.verify(&s.key).is_ok())
    });
    if !ok {
        return Err(bad(no_key_message(keyring, message.signatures().len())));
    }
    Ok(message.signed_text().replace("\r\n", "\n"))
}

/// Verifies `Release` against its detached signature `Release.gpg`.
///
/// # Errors
/// The signature is unparsable or made by no key of the keyring.
pub fn verify_detached(
    url: &str,
    release: &[u8],
    signature: &[u8],
    keyring: &Keyring,
) -> Result<()> {
    let bad = |message: String| Error::Signature {
        url: url.to_owned(),
        message,
    };
    let armored = signature.starts_with(b"-----BEGIN PGP");
    let signatures: Vec<DetachedSignature> = if armored {
        DetachedSignature::from_armor_many(signature)
            .map_err(|e| bad(format!("the detached signature is unparsable: {e}")))?
            .0
            .filter_map(|s| s.ok())
            .collect()
    } else {
        DetachedSignature::from_bytes_many(BufReader::new(signature))
            .map_err(|e| bad(format!("the detached signature is unparsable: {e}")))?
            .filter_map(|s| s.ok())
            .collect()
    };
    let ok = signatures.iter().any(|sig| {
        keyring.keys.iter().any(|key| {
            sig.verify(&key.primary_key, release).is_ok()
                || key
                    .public_subkeys
                    .iter()
                    .any(|s| sig.verify(&s.key, release).is_ok())
        })
    });
    if ok {
        Ok(())
    } else {
        Err(bad(no_key_message(keyring, signatures.len())))
    }
}

fn no_key_message(keyring: &Keyring, signatures: usize) -> String {
    format!(
        "none of its {signatures} signature(s) verifies with the {} trusted key(s) of the image \
         (tampered file, or a key missing from the image's keyring)",
        keyring.len()
    )
}
