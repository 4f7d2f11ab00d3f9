//! The only module that touches the YAML crate (serde_yaml is
//! maintenance-only upstream; keeping it behind these two functions lets us
//! swap it).

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Serialises a value as a YAML document (no leading `---`).
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<String> {
    Ok(serde_yaml::to_string(value)?)
}

/// Parses a YAML document.
pub fn from_str<T: DeserializeOwned>(text: &str) -> anyhow::Result<T> {
    Ok(serde_yaml::from_str(text)?)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    #[test]
    fn round_trips_and_quotes_ambiguous_strings() {
        let mut m = BTreeMap::new();
        m.insert("port".to_string(), "127.0.0.1:8000:8000".to_string());
        m.insert("flag".to_string(), "true".to_string());
        m.insert("num".to_string(), "8000".to_string());
        let text = super::to_string(&m).unwrap();
        let back: BTreeMap<String, String> = super::from_str(&text).unwrap();
        assert_eq!(back, m);
        assert!(text.contains("flag: 'true'"), "{text}");
    }

    #[test]
    fn bad_yaml_is_an_error() {
        assert!(super::from_str::<BTreeMap<String, String>>("a: [").is_err());
    }
}
