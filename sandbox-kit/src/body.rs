//! Reading requests: query strings, headers, JSON object bodies, and field accessors whose errors name the field
//! (`wallets[0].currency`). Each sandbox turns a [`FieldError`] into its own error body.

use std::fmt;

use axum::extract::FromRequestParts;
use axum::http::{HeaderMap, header, request::Parts};
use serde_json::{Map, Value};

/// The parsed query string (repeated names keep their first value).
#[derive(Debug, Clone, Default)]
pub struct Query(Vec<(String, String)>);

impl Query {
    /// Parses a raw query string (`None` or a malformed one gives an empty query).
    pub fn parse(raw: Option<&str>) -> Self {
        Query(raw.and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok()).unwrap_or_default())
    }

    /// The value of `name`, `None` when absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The value of `name`, `None` when absent or empty.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// A required, non-empty query parameter.
    pub fn require(&self, name: &str) -> Result<&str, FieldError> {
        self.non_empty(name).ok_or_else(|| FieldError::missing(name))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Query {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Query::parse(parts.uri.query()))
    }
}

/// A header's value as text, trimmed (`None` when absent or not visible ASCII).
pub fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

/// Whether `Content-Type` is `application/json` or `application/*+json`.
pub fn is_json_content_type(headers: &HeaderMap) -> bool {
    header_str(headers, header::CONTENT_TYPE.as_str()).is_some_and(|ct| {
        let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
    })
}

/// Why a body is not a JSON object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    /// Not JSON at all.
    Malformed,
    /// JSON, but not an object.
    NotAnObject,
}

/// Parses a JSON object body; a body of only whitespace reads as `{}`.
pub fn parse_object(bytes: &[u8]) -> Result<Obj, BodyError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Obj::default());
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(Obj::new(map)),
        Ok(_) => Err(BodyError::NotAnObject),
        Err(_) => Err(BodyError::Malformed),
    }
}

/// What is wrong with a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldProblem {
    /// Absent, `null` or blank.
    Missing,
    /// Present with the wrong JSON type (`expected` reads "a string", "an integer", ...).
    WrongType {
        /// What the field must be.
        expected: &'static str,
        /// What it was, when worth saying.
        found: Option<&'static str>,
    },
}

/// A field that is missing or has the wrong type, named by its path in the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's path (`title`, `wallets[0].currency`).
    pub field: String,
    /// What is wrong with it.
    pub problem: FieldProblem,
}

impl FieldError {
    /// `field` is missing.
    pub fn missing(field: &str) -> Self {
        FieldError { field: field.to_string(), problem: FieldProblem::Missing }
    }

    /// `field` must be `expected` ("a string", "an integer", ...).
    pub fn wrong_type(field: &str, expected: &'static str) -> Self {
        FieldError { field: field.to_string(), problem: FieldProblem::WrongType { expected, found: None } }
    }

    /// The problem in words, without the field: `is required`, `must be a string`, `must be an object, not a
    /// string`.
    pub fn reason(&self) -> String {
        match &self.problem {
            FieldProblem::Missing => "is required".to_string(),
            FieldProblem::WrongType { expected, found: None } => format!("must be {expected}"),
            FieldProblem::WrongType { expected, found: Some(found) } => format!("must be {expected}, not {found}"),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.field, self.reason())
    }
}

impl std::error::Error for FieldError {}

/// A JSON object with accessors whose errors name the field (`wallets[0].currency`).
#[derive(Debug, Clone, Default)]
pub struct Obj {
    map: Map<String, Value>,
    prefix: String,
}

/// "a string", "a number", ... for error texts.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Obj {
    /// Wraps a top-level object.
    pub fn new(map: Map<String, Value>) -> Self {
        Obj { map, prefix: String::new() }
    }

    /// The members as sent.
    pub fn map(&self) -> &Map<String, Value> {
        &self.map
    }

    /// The members, consuming the object.
    pub fn into_map(self) -> Map<String, Value> {
        self.map
    }

    /// The full name of a field of this object (`wallets[0].currency`).
    pub fn name(&self, field: &str) -> String {
        format!("{}{field}", self.prefix)
    }

    /// Where this object is in the body (`wallets[0].`, empty at the top).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Whether a field is present and not `null`.
    pub fn has(&self, field: &str) -> bool {
        self.present(field).is_some()
    }

    fn present(&self, field: &str) -> Option<&Value> {
        self.map.get(field).filter(|v| !v.is_null())
    }

    fn wrong_type(&self, field: &str, want: &'static str) -> FieldError {
        FieldError::wrong_type(&self.name(field), want)
    }

    fn missing(&self, field: &str) -> FieldError {
        FieldError::missing(&self.name(field))
    }

    /// A required non-empty string.
    pub fn str(&self, field: &str) -> Result<String, FieldError> {
        self.opt_str(field)?.ok_or_else(|| self.missing(field))
    }

    /// An optional string (`null` and `""` read as absent).
    pub fn opt_str(&self, field: &str) -> Result<Option<String>, FieldError> {
        match self.present(field) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.wrong_type(field, "a string")),
        }
    }

    /// A required boolean.
    pub fn bool(&self, field: &str) -> Result<bool, FieldError> {
        self.opt_bool(field)?.ok_or_else(|| self.missing(field))
    }

    /// An optional boolean.
    pub fn opt_bool(&self, field: &str) -> Result<Option<bool>, FieldError> {
        match self.present(field) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.wrong_type(field, "a boolean")),
        }
    }

    /// A required non-negative integer.
    pub fn u64(&self, field: &str) -> Result<u64, FieldError> {
        match self.present(field) {
            None => Err(self.missing(field)),
            Some(v) => v.as_u64().ok_or_else(|| self.wrong_type(field, "a non-negative integer")),
        }
    }

    /// A required integer (a JSON number without a fraction).
    pub fn i64(&self, field: &str) -> Result<i64, FieldError> {
        self.opt_i64(field)?.ok_or_else(|| self.missing(field))
    }

    /// An optional integer.
    pub fn opt_i64(&self, field: &str) -> Result<Option<i64>, FieldError> {
        match self.present(field) {
            None => Ok(None),
            Some(v) => v.as_i64().map(Some).ok_or_else(|| self.wrong_type(field, "an integer")),
        }
    }

    /// A required integer sent as a JSON number or as a string of digits (`5` or `"5"`: some APIs send ids as
    /// strings).
    pub fn int_or_digits(&self, field: &str) -> Result<i64, FieldError> {
        self.opt_int_or_digits(field)?.ok_or_else(|| self.missing(field))
    }

    /// An optional integer sent as a JSON number or as a string of digits (`""` reads as absent).
    pub fn opt_int_or_digits(&self, field: &str) -> Result<Option<i64>, FieldError> {
        match self.present(field) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => {
                let t = s.trim();
                let digits = t.strip_prefix('-').unwrap_or(t);
                if !digits.is_empty() && digits.bytes().all(|c| c.is_ascii_digit()) {
                    t.parse().map(Some).map_err(|_| self.wrong_type(field, "an integer"))
                } else {
                    Err(self.wrong_type(field, "an integer"))
                }
            }
            Some(v) => v.as_i64().map(Some).ok_or_else(|| self.wrong_type(field, "an integer")),
        }
    }

    /// A required array (may be empty).
    pub fn array(&self, field: &str) -> Result<Vec<Value>, FieldError> {
        match self.present(field) {
            None => Err(self.missing(field)),
            Some(Value::Array(a)) => Ok(a.clone()),
            Some(_) => Err(self.wrong_type(field, "an array")),
        }
    }

    /// A required array of objects, each wrapped for its own field checks.
    pub fn objects(&self, field: &str) -> Result<Vec<Obj>, FieldError> {
        let items = self.array(field)?;
        items
            .into_iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::Object(map) => Ok(Obj { map, prefix: format!("{}[{i}].", self.name(field)) }),
                other => Err(FieldError {
                    field: format!("{}[{i}]", self.name(field)),
                    problem: FieldProblem::WrongType { expected: "an object", found: Some(type_name(&other)) },
                }),
            })
            .collect()
    }

    /// An optional object.
    pub fn opt_object(&self, field: &str) -> Result<Option<Obj>, FieldError> {
        match self.present(field) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Obj { map: map.clone(), prefix: format!("{}.", self.name(field)) })),
            Some(_) => Err(self.wrong_type(field, "an object")),
        }
    }

    /// An optional JSON value as sent.
    pub fn opt_value(&self, field: &str) -> Option<Value> {
        self.present(field).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Obj {
        match v {
            Value::Object(m) => Obj::new(m),
            _ => unreachable!(),
        }
    }

    #[test]
    fn accessors_name_the_field() {
        let b = obj(json!({"s": "x", "blank": " ", "n": 5, "ds": "12", "neg": "-3", "bad": "1a", "f": 1.5,
                           "items": [{"c": 1}, "no"], "o": {"inner": true}}));
        assert_eq!(b.str("s").unwrap(), "x");
        assert_eq!(b.str("blank").unwrap_err().to_string(), "blank is required");
        assert_eq!(b.str("n").unwrap_err().to_string(), "n must be a string");
        assert_eq!(b.int_or_digits("n").unwrap(), 5);
        assert_eq!(b.int_or_digits("ds").unwrap(), 12);
        assert_eq!(b.int_or_digits("neg").unwrap(), -3);
        assert_eq!(b.int_or_digits("bad").unwrap_err().reason(), "must be an integer");
        assert_eq!(b.i64("f").unwrap_err().reason(), "must be an integer");
        assert_eq!(b.objects("items").unwrap_err().to_string(), "items[1] must be an object, not a string");
        let o = b.opt_object("o").unwrap().unwrap();
        assert_eq!(o.bool("inner"), Ok(true));
        assert_eq!(o.str("missing").unwrap_err().field, "o.missing");
        assert!(b.has("s") && !b.has("nope"));
    }

    #[test]
    fn bodies_and_queries() {
        assert!(parse_object(b"  ").unwrap().map().is_empty());
        assert_eq!(parse_object(b"[1]").unwrap_err(), BodyError::NotAnObject);
        assert_eq!(parse_object(b"{").unwrap_err(), BodyError::Malformed);
        let q = Query::parse(Some("a=1&a=2&b=&c=x%20y"));
        assert_eq!((q.get("a"), q.non_empty("b"), q.get("c")), (Some("1"), None, Some("x y")));
        assert_eq!(q.require("b").unwrap_err().to_string(), "b is required");
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, "application/problem+json; charset=utf-8".parse().unwrap());
        assert!(is_json_content_type(&h));
    }
}
