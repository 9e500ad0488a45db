//! Reading a contract (`openapi.json`) and the per-operation facts the generated client and its hooks need.

use std::collections::{BTreeMap, BTreeSet};

use heck::ToUpperCamelCase;
use serde_json::Value;

/// HTTP methods progenitor generates operations for.
pub const METHODS: [&str; 5] = ["get", "put", "post", "patch", "delete"];

/// A contract: the raw JSON (for the `x-` extensions) and its OpenAPI 3.0 model (for progenitor).
pub struct Contract {
    /// The document as JSON.
    pub raw: Value,
    /// The document as progenitor reads it.
    pub spec: openapiv3::OpenAPI,
}

impl Contract {
    /// Reads and checks `path` (OpenAPI 3.0.x, JSON).
    pub fn load(path: &str) -> Result<Contract, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
        let raw: Value = serde_json::from_str(&text).map_err(|e| format!("not valid JSON: {e}"))?;
        if !raw["openapi"].as_str().unwrap_or("").starts_with("3.0.") {
            return Err("`openapi` must be 3.0.x (progenitor reads OpenAPI 3.0 only)".into());
        }
        let spec = serde_json::from_value(raw.clone()).map_err(|e| format!("not an OpenAPI 3.0 document: {e}"))?;
        Ok(Contract { raw, spec })
    }

    /// The names of the component schemas.
    pub fn schema_names(&self) -> Vec<String> {
        self.raw
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .map(|s| s.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// For each object schema (by Rust type name), the properties marked `x-sensitive` (`secret` or `personal`).
    pub fn sensitive_fields(&self) -> BTreeMap<String, BTreeSet<String>> {
        let mut out = BTreeMap::new();
        for (name, schema) in self.raw.pointer("/components/schemas").and_then(Value::as_object).into_iter().flatten() {
            let marked: BTreeSet<String> = schema["properties"]
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(_, p)| p.get("x-sensitive").is_some())
                .map(|(k, _)| k.clone())
                .collect();
            if !marked.is_empty() {
                out.insert(rust_type_name(name), marked);
            }
        }
        out
    }

    /// Object schemas marked with the boolean extension `flag` (e.g. `x-amount-rounding`), by Rust type name.
    pub fn schemas_flagged(&self, flag: &str) -> BTreeSet<String> {
        self.raw
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter(|(_, s)| s[flag] == true)
            .map(|(name, _)| rust_type_name(name))
            .collect()
    }
}

/// What one operation is, read from the contract.
pub struct Operation {
    /// `operationId` (snake_case, unique).
    pub id: String,
    /// Upper-case method.
    pub method: String,
    /// The path template.
    pub path: String,
    /// Its one tag.
    pub tag: String,
    /// `x-doc-page`.
    pub doc_page: String,
    /// Security alternatives, each the scheme names sent together.
    pub security: Vec<Vec<String>>,
    /// GET, or marked `x-idempotent`: safe to send twice.
    pub idempotent: bool,
    /// `x-undocumented`.
    pub undocumented: bool,
    /// The operation's other `x-` extensions.
    pub extensions: BTreeMap<String, Value>,
    /// The declared 2xx status codes.
    pub success_codes: Vec<u16>,
    /// The Rust type of the success body (`crate::api::types::X`, `Vec<…>`), when it is a named JSON schema.
    pub response: Option<String>,
    /// What the success body is: JSON, raw bytes, or nothing.
    pub response_kind: BodyKind,
    /// The request body's component schema name, when JSON.
    pub request: Option<String>,
    /// The 2xx body schema has `success` (`Some(true)` when it also has `message`): HTTP 200 may carry a refusal.
    pub refusal: Option<bool>,
}

/// What a success answer carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyKind {
    /// A JSON body decoded into a type.
    Json,
    /// Bytes (`ByteStream`).
    Raw,
    /// No body (`()`).
    None,
}

impl Operation {
    /// `x-<name>` as a boolean (false when absent).
    pub fn flag(&self, name: &str) -> bool {
        self.extensions.get(name).and_then(Value::as_bool).unwrap_or(false)
    }
}

/// Every operation, sorted by id; checks what progenitor would otherwise panic on, naming the operation.
///
/// `types` is the Rust path of the generated types module as seen by users of the crate (e.g. `baanx::api::types`).
pub fn operations(contract: &Contract, types: &str) -> Result<Vec<Operation>, String> {
    let raw = &contract.raw;
    let paths = raw["paths"].as_object().ok_or("no `paths` object")?;
    let mut operations = Vec::new();
    let mut seen = BTreeSet::new();
    for (path, item) in paths {
        let item = item.as_object().ok_or_else(|| format!("path {path} is not an object"))?;
        for (method, op) in item {
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            let label = format!("{} {path}", method.to_uppercase());
            let id = op["operationId"].as_str().ok_or_else(|| format!("{label}: no operationId"))?.to_string();
            let at = |msg: String| format!("operation `{id}` ({label}): {msg}");
            let snake = !id.is_empty()
                && id
                    .split('_')
                    .all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
                && id.starts_with(|c: char| c.is_ascii_lowercase());
            if !snake {
                return Err(at("operationId is not snake_case".into()));
            }
            if !seen.insert(id.clone()) {
                return Err(at("operationId is used twice".into()));
            }
            let tags: Vec<&str> = op["tags"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            let [tag] = tags[..] else {
                return Err(at(format!("needs exactly one tag, has {}", tags.len())));
            };
            let doc_page = op["x-doc-page"].as_str().ok_or_else(|| at("no x-doc-page".into()))?;
            let security = security_of(op).map_err(at)?;
            let shape = check_generatable(raw, op, types).map_err(at)?;
            let extensions = op
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(k, _)| k.starts_with("x-"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<BTreeMap<_, _>>();
            operations.push(Operation {
                id: id.clone(),
                method: method.to_uppercase(),
                path: path.clone(),
                tag: tag.to_string(),
                doc_page: doc_page.to_string(),
                security,
                idempotent: method == "get" || op["x-idempotent"].as_bool().unwrap_or(false),
                undocumented: op["x-undocumented"].as_bool().unwrap_or(false),
                extensions,
                success_codes: shape.success_codes,
                response: shape.response,
                response_kind: shape.kind,
                request: shape.request,
                refusal: refusal_of(raw, op),
            });
        }
    }
    operations.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(operations)
}

fn security_of(op: &Value) -> Result<Vec<Vec<String>>, String> {
    let alternatives = op["security"].as_array().ok_or("no `security` list")?;
    alternatives
        .iter()
        .map(|alt| {
            let alt = alt.as_object().ok_or("a security alternative is not an object")?;
            Ok(alt.keys().cloned().collect())
        })
        .collect()
}

struct Shape {
    success_codes: Vec<u16>,
    response: Option<String>,
    kind: BodyKind,
    request: Option<String>,
}

/// Checks what progenitor 0.15 would otherwise panic on.
fn check_generatable(raw: &Value, op: &Value, types: &str) -> Result<Shape, String> {
    let responses = op["responses"].as_object().ok_or("no responses")?;
    if responses.contains_key("default") {
        return Err("a `default` response would also count as a success type; declare 4XX/5XX instead".into());
    }
    let mut success = BTreeSet::new();
    let mut failure = BTreeSet::new();
    let mut success_codes = Vec::new();
    for (code, response) in responses {
        let response = resolve(raw, response)?;
        if response.get("description").is_none() {
            return Err(format!("response {code} has no description"));
        }
        let kind = match response.get("content").and_then(Value::as_object) {
            None => "none".to_string(),
            Some(content) if content.is_empty() => "none".to_string(),
            Some(content) => match content.get("application/json") {
                Some(media) => {
                    let schema = media.get("schema").ok_or(format!("response {code}: JSON without a schema"))?;
                    serde_json::to_string(schema).unwrap_or_default()
                }
                None => "raw".to_string(),
            },
        };
        if code.starts_with('2') {
            success.insert(kind);
            if let Ok(n) = code.parse::<u16>() {
                success_codes.push(n);
            }
        } else if code.starts_with('4') || code.starts_with('5') {
            failure.insert(kind);
        }
    }
    if success.len() > 1 {
        return Err(format!("its 2xx responses have different types: {success:?}"));
    }
    if failure.len() > 1 {
        return Err(format!("its error responses have different types: {failure:?}"));
    }
    let first = success.iter().next().cloned().unwrap_or_else(|| "raw".into());
    let kind = match first.as_str() {
        "none" => BodyKind::None,
        "raw" => BodyKind::Raw,
        _ => BodyKind::Json,
    };
    let response = (kind == BodyKind::Json).then(|| schema_type_of(&first, types)).flatten();
    let mut request = None;
    if let Some(body) = op.get("requestBody") {
        let body = resolve(raw, body)?;
        let content = body["content"].as_object().ok_or("request body without content")?;
        if content.len() != 1 {
            return Err(format!("request body must have exactly one media type, has {}", content.len()));
        }
        if let Some(media) = content.get("application/json") {
            request = media["schema"]["$ref"].as_str().map(ref_name).map(str::to_string);
        }
    }
    Ok(Shape { success_codes, response, kind, request })
}

/// `Some(has_message)` when the 2xx body schema has a `success` field.
fn refusal_of(raw: &Value, op: &Value) -> Option<bool> {
    let responses = op["responses"].as_object()?;
    let (_, response) = responses.iter().find(|(code, _)| code.starts_with('2'))?;
    let name = ref_name(response.pointer("/content/application~1json/schema/$ref")?.as_str()?);
    let properties = raw.pointer(&format!("/components/schemas/{name}/properties"))?.as_object()?;
    properties.contains_key("success").then(|| properties.contains_key("message"))
}

/// Follows a local `$ref`.
pub fn resolve<'a>(raw: &'a Value, v: &'a Value) -> Result<&'a Value, String> {
    match v.get("$ref").and_then(Value::as_str) {
        None => Ok(v),
        Some(r) => {
            let pointer = r.strip_prefix('#').ok_or_else(|| format!("external $ref {r}"))?;
            raw.pointer(pointer).ok_or_else(|| format!("unresolved $ref {r}"))
        }
    }
}

/// The last segment of a `$ref`.
pub fn ref_name(r: &str) -> &str {
    r.rsplit('/').next().unwrap_or(r)
}

/// The Rust type of a success schema serialised as JSON text: `$ref` → the named type, array of `$ref` → a `Vec`.
fn schema_type_of(kind: &str, types: &str) -> Option<String> {
    let schema: Value = serde_json::from_str(kind).ok()?;
    if let Some(r) = schema["$ref"].as_str() {
        return Some(format!("{types}::{}", rust_type_name(ref_name(r))));
    }
    if schema["type"] == "array" {
        let r = schema["items"]["$ref"].as_str()?;
        return Some(format!("::std::vec::Vec<{types}::{}>", rust_type_name(ref_name(r))));
    }
    None
}

/// typify's name for a component schema.
pub fn rust_type_name(schema_name: &str) -> String {
    schema_name.to_upper_camel_case()
}
