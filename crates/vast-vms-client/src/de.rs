//! Lenient field decoders: VMS sends `null` for unset values and is loose about number types.

use serde::{Deserialize, Deserializer};

/// `null` (or a missing field, with `#[serde(default)]`) becomes `T::default()`.
pub(crate) fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// A count or byte size sent as an integer, a float or a numeric string; anything else is
/// `None` rather than an error.
pub(crate) fn lenient_u64<'de, D>(deserializer: D) -> Result<Option<u64>, D::Error>
where
    D: Deserializer<'de>,
{
    let value = Option::<serde_json::Value>::deserialize(deserializer)?;
    Ok(value.as_ref().and_then(number_of).and_then(|n| {
        // Sizes are never negative; a float is truncated to whole bytes.
        (n >= 0.0 && n.is_finite()).then_some(n as u64)
    }))
}

/// A ratio or percentage sent as a number or numeric string.
pub(crate) fn lenient_f64<'de, D>(deserializer: D) -> Result<Option<f64>, D::Error>
where
    D: Deserializer<'de>,
{
    let value = Option::<serde_json::Value>::deserialize(deserializer)?;
    Ok(value.as_ref().and_then(number_of))
}

/// An id sent as an integer or a numeric string; `null` is `None`.
pub(crate) fn lenient_id<'de, D>(deserializer: D) -> Result<Option<u64>, D::Error>
where
    D: Deserializer<'de>,
{
    let value = Option::<serde_json::Value>::deserialize(deserializer)?;
    Ok(match value {
        Some(serde_json::Value::Number(n)) => n.as_u64(),
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

fn number_of(value: &serde_json::Value) -> Option<f64> {
    match value {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Sample {
        #[serde(deserialize_with = "super::nullable")]
        name: String,
        #[serde(deserialize_with = "super::lenient_u64")]
        size: Option<u64>,
        #[serde(deserialize_with = "super::lenient_f64")]
        ratio: Option<f64>,
        #[serde(deserialize_with = "super::lenient_id")]
        owner: Option<u64>,
    }

    #[test]
    fn tolerates_nulls_strings_and_floats() {
        let s: Sample =
            serde_json::from_str(r#"{"name":null,"size":1.5e3,"ratio":"2.5","owner":"7"}"#)
                .unwrap();
        assert_eq!(s.name, "");
        assert_eq!(s.size, Some(1500));
        assert_eq!(s.ratio, Some(2.5));
        assert_eq!(s.owner, Some(7));
        let s: Sample = serde_json::from_str(r#"{"size":"n/a","owner":null}"#).unwrap();
        assert_eq!((s.size, s.owner), (None, None));
        let s: Sample = serde_json::from_str("{}").unwrap();
        assert_eq!((s.name.as_str(), s.size), ("", None));
    }
}
