//! Free-form JSON kept exactly as the server sent it: [`Json`] (one value) and [`JsonMap`] (an object's members).
//!
//! `serde_json::Value` reads every number through `f64`, so a 30-digit amount or a uint256 allowance in a field the
//! contract does not type would lose digits. These types hold the JSON text itself: nothing is re-encoded, nothing
//! is rounded, and writing them back produces the same bytes.
//!
//! Every generated object keeps the members the contract does not list in an `extra: JsonMap` field (see
//! [`wire`](crate::wire)), and free-form fields of the contract are [`Json`] or [`JsonMap`].
//!
//! ```
//! use cardsdk_runtime::{Json, JsonMap};
//!
//! let map: JsonMap = serde_json::from_str(r#"{"allowance": 115792089237316195423570985008687907853269984665640564039457.584007913129639935}"#)?;
//! assert_eq!(map.get("allowance").unwrap().as_str(), "115792089237316195423570985008687907853269984665640564039457.584007913129639935");
//! assert_eq!(serde_json::to_string(&map)?, r#"{"allowance":115792089237316195423570985008687907853269984665640564039457.584007913129639935}"#);
//! # Ok::<(), serde_json::Error>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;

/// One JSON value, kept as its exact text.
///
/// ```
/// use cardsdk_runtime::Json;
///
/// let big = Json::parse("123456789012345678901234567890")?;
/// assert_eq!(big.as_str(), "123456789012345678901234567890"); // a Value would hold 1.2345678901234568e29
/// let n: u8 = Json::parse("7")?.decode()?;
/// assert_eq!(n, 7);
/// assert_eq!(Json::from(serde_json::json!({"a": [1, true]})).as_str(), r#"{"a":[1,true]}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone)]
pub struct Json(Box<RawValue>);

impl Json {
    /// Checks that `text` is one JSON value and keeps it as is.
    ///
    /// ```
    /// use cardsdk_runtime::Json;
    ///
    /// assert!(Json::parse(r#"{"a": 1}"#).is_ok());
    /// assert!(Json::parse("{").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Json, serde_json::Error> {
        RawValue::from_string(text.to_owned()).map(Json)
    }

    /// The JSON text, exactly as received.
    ///
    /// ```
    /// let v = cardsdk_runtime::Json::parse("1.50")?;
    /// assert_eq!(v.as_str(), "1.50");
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn as_str(&self) -> &str {
        self.0.get()
    }

    /// The raw value (for serde_json APIs that take one).
    ///
    /// ```
    /// let v = cardsdk_runtime::Json::parse("[1]")?;
    /// assert_eq!(v.as_raw().get(), "[1]");
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn as_raw(&self) -> &RawValue {
        &self.0
    }

    /// Decodes the value as `T` (with `T`'s own rules: a generated type is lenient and lossless).
    ///
    /// ```
    /// let ids: Vec<String> = cardsdk_runtime::Json::parse(r#"["a", "b"]"#)?.decode()?;
    /// assert_eq!(ids, ["a", "b"]);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.0.get())
    }

    /// The value as a `serde_json::Value`. Numbers go through `f64` there: for exact digits read [`Json::as_str`]
    /// or [`decode`](Json::decode) into an exact type.
    ///
    /// ```
    /// let v = cardsdk_runtime::Json::parse(r#"{"ok": true}"#)?;
    /// assert_eq!(v.to_value()["ok"], true);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn to_value(&self) -> Value {
        serde_json::from_str(self.0.get()).unwrap_or(Value::Null)
    }

    /// `true` for the JSON `null`.
    ///
    /// ```
    /// assert!(cardsdk_runtime::Json::parse("null")?.is_null());
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn is_null(&self) -> bool {
        self.0.get().trim() == "null"
    }

    /// The text of a JSON string, or of a number or boolean (its exact JSON text); `None` for other values.
    ///
    /// ```
    /// use cardsdk_runtime::Json;
    ///
    /// assert_eq!(Json::parse(r#""a\nb""#)?.scalar_text().as_deref(), Some("a\nb"));
    /// assert_eq!(Json::parse("4.10")?.scalar_text().as_deref(), Some("4.10"));
    /// assert_eq!(Json::parse("{}")?.scalar_text(), None);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn scalar_text(&self) -> Option<String> {
        match crate::wire::Scalar::of(&self.0) {
            crate::wire::Scalar::Text(text) => Some(text),
            crate::wire::Scalar::Number(text) => Some(text.to_string()),
            crate::wire::Scalar::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    pub(crate) fn from_raw(raw: Box<RawValue>) -> Json {
        Json(raw)
    }
}

impl From<Value> for Json {
    fn from(value: Value) -> Self {
        Json(serde_json::value::to_raw_value(&value).unwrap_or_default())
    }
}

impl From<&Value> for Json {
    fn from(value: &Value) -> Self {
        Json(serde_json::value::to_raw_value(value).unwrap_or_default())
    }
}

impl From<&str> for Json {
    /// The JSON string holding `text`.
    fn from(text: &str) -> Self {
        Json::from(Value::String(text.to_owned()))
    }
}

impl From<String> for Json {
    /// The JSON string holding `text`.
    fn from(text: String) -> Self {
        Json::from(Value::String(text))
    }
}

impl From<Box<RawValue>> for Json {
    fn from(raw: Box<RawValue>) -> Self {
        Json(raw)
    }
}

impl PartialEq for Json {
    /// Same text, or the same JSON value (whitespace and member order aside).
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str() || self.to_value() == other.to_value()
    }
}

impl fmt::Debug for Json {
    /// The value with secret-looking members and values replaced by `"[redacted]"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut value = self.to_value();
        crate::redact::redact_json(&mut value);
        write!(f, "{value}")
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(deserializer).map(Json)
    }
}

/// The members of a JSON object, each kept as exact text ([`Json`]), sorted by name.
///
/// On generated types it is the `extra` field: every member the contract does not list, filled on decode and written
/// back on encode (so that nothing the server sent is lost, and a request can carry a field the contract lacks).
///
/// ```
/// use cardsdk_runtime::JsonMap;
///
/// let mut extra = JsonMap::new();
/// extra.insert("referralSource", serde_json::json!("partner-42"));
/// assert_eq!(extra.decode::<String>("referralSource").unwrap()?, "partner-42");
/// assert_eq!(serde_json::to_string(&extra)?, r#"{"referralSource":"partner-42"}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Default, PartialEq)]
pub struct JsonMap(BTreeMap<String, Json>);

impl JsonMap {
    /// An empty map.
    ///
    /// ```
    /// assert!(cardsdk_runtime::JsonMap::new().is_empty());
    /// ```
    pub fn new() -> Self {
        JsonMap(BTreeMap::new())
    }

    /// `true` when there is no member.
    ///
    /// ```
    /// let map: cardsdk_runtime::JsonMap = serde_json::from_str(r#"{"a": 1}"#)?;
    /// assert!(!map.is_empty());
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The number of members.
    ///
    /// ```
    /// let map: cardsdk_runtime::JsonMap = serde_json::from_str(r#"{"a": 1, "b": null}"#)?;
    /// assert_eq!(map.len(), 2);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The member `name`.
    ///
    /// ```
    /// let map: cardsdk_runtime::JsonMap = serde_json::from_str(r#"{"rate": 0.10}"#)?;
    /// assert_eq!(map.get("rate").map(|v| v.as_str()), Some("0.10"));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn get(&self, name: &str) -> Option<&Json> {
        self.0.get(name)
    }

    /// Decodes the member `name` as `T`; `None` when there is no such member.
    ///
    /// ```
    /// let map: cardsdk_runtime::JsonMap = serde_json::from_str(r#"{"count": 3}"#)?;
    /// assert_eq!(map.decode::<u32>("count").unwrap()?, 3);
    /// assert!(map.decode::<u32>("missing").is_none());
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn decode<T: DeserializeOwned>(&self, name: &str) -> Option<Result<T, serde_json::Error>> {
        self.0.get(name).map(Json::decode)
    }

    /// Adds or replaces a member; returns the previous value.
    ///
    /// ```
    /// let mut map = cardsdk_runtime::JsonMap::new();
    /// assert!(map.insert("a", serde_json::json!(1)).is_none());
    /// assert!(map.insert("a", serde_json::json!(2)).is_some());
    /// ```
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<Json>) -> Option<Json> {
        self.0.insert(name.into(), value.into())
    }

    /// Removes a member.
    ///
    /// ```
    /// let mut map: cardsdk_runtime::JsonMap = serde_json::from_str(r#"{"a": 1}"#)?;
    /// assert!(map.remove("a").is_some());
    /// assert!(map.is_empty());
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn remove(&mut self, name: &str) -> Option<Json> {
        self.0.remove(name)
    }

    /// The members, sorted by name.
    ///
    /// ```
    /// let map: cardsdk_runtime::JsonMap = serde_json::from_str(r#"{"b": 2, "a": 1}"#)?;
    /// let names: Vec<&str> = map.iter().map(|(name, _)| name).collect();
    /// assert_eq!(names, ["a", "b"]);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Json)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The member names, sorted.
    ///
    /// ```
    /// let map: cardsdk_runtime::JsonMap = serde_json::from_str(r#"{"b": 2, "a": 1}"#)?;
    /// assert_eq!(map.keys().collect::<Vec<_>>(), ["a", "b"]);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// The members as a `serde_json` map (numbers through `f64`, see [`Json::to_value`]).
    ///
    /// ```
    /// let map: cardsdk_runtime::JsonMap = serde_json::from_str(r#"{"a": [1]}"#)?;
    /// assert_eq!(map.to_value_map()["a"][0], 1);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn to_value_map(&self) -> serde_json::Map<String, Value> {
        self.0.iter().map(|(k, v)| (k.clone(), v.to_value())).collect()
    }

    /// Reads the next value of a map being decoded as the member `name` (used by generated decoders).
    #[doc(hidden)]
    pub fn insert_next<'de, A: MapAccess<'de>>(&mut self, map: &mut A, name: String) -> Result<(), A::Error> {
        let value = map.next_value::<Box<RawValue>>()?;
        self.0.insert(name, Json(value));
        Ok(())
    }
}

impl From<serde_json::Map<String, Value>> for JsonMap {
    fn from(map: serde_json::Map<String, Value>) -> Self {
        JsonMap(map.into_iter().map(|(k, v)| (k, Json::from(v))).collect())
    }
}

impl<K: Into<String>, V: Into<Json>> FromIterator<(K, V)> for JsonMap {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        JsonMap(iter.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
    }
}

impl IntoIterator for JsonMap {
    type Item = (String, Json);
    type IntoIter = std::collections::btree_map::IntoIter<String, Json>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl fmt::Debug for JsonMap {
    /// Members with secret-looking names or values shown as `"[redacted]"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, value) in &self.0 {
            if crate::redact::is_secret_key(name) {
                map.entry(name, &crate::redact::REDACTED);
            } else {
                map.entry(name, value);
            }
        }
        map.finish()
    }
}

impl Serialize for JsonMap {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter())
    }
}

impl<'de> Deserialize<'de> for JsonMap {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor;
        impl<'de> Visitor<'de> for MapVisitor {
            type Value = JsonMap;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<JsonMap, A::Error> {
                let mut map = JsonMap::new();
                while let Some(name) = access.next_key::<String>()? {
                    map.insert_next(&mut access, name)?;
                }
                Ok(map)
            }
        }
        deserializer.deserialize_map(MapVisitor)
    }
}
