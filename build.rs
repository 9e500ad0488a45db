//! Generates the typed Baanx client from `openapi.json` into `OUT_DIR`.
//!
//! Outputs:
//! - `codegen.rs`: progenitor's client (builder interface, hooks required, `crate::client::Inner` as state), with
//!   - every `{type: string, format: decimal}` field as `rust_decimal::Decimal`, decoded by
//!     `crate::money::serde` (exact, never through `f64`, a typed error instead of silent rounding; rounding
//!     beyond 28 fractional digits only in object schemas marked `x-amount-rounding: true`, the estimates);
//!   - every named string enum replaced by an open enum (`crate::open_enum!`): unknown values decode.
//! - `operations.rs`: the table of operation facts the hooks need (security, idempotency, region handling).
//! - `conformance.rs`: a dispatch from operation id to its generated request and response types, for the tests.
//! - `api-surface.txt`: the generated public surface (operation methods and type names), which `cargo xtask drift`
//!   compares with the committed snapshot so that every spec change shows up as a reviewable diff.
//!
//! A spec that progenitor cannot handle fails the build with a message naming the operation.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;

use heck::ToUpperCamelCase;
use progenitor_impl::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle, TypeImpl};
use quote::{format_ident, quote};
use serde_json::Value;
use syn::visit_mut::VisitMut;

const SPEC: &str = "openapi.json";
const METHODS: [&str; 5] = ["get", "put", "post", "patch", "delete"];
const SCHEMES: [(&str, &str); 3] = [("clientKey", "ClientKey"), ("bearer", "Bearer"), ("secretKey", "SecretKey")];

fn main() {
    println!("cargo:rerun-if-changed={SPEC}");
    println!("cargo:rerun-if-changed=build.rs");
    if let Err(message) = run() {
        eprintln!("error: {SPEC}: {message}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let text = std::fs::read_to_string(SPEC).map_err(|e| format!("cannot read: {e}"))?;
    let raw: Value = serde_json::from_str(&text).map_err(|e| format!("not valid JSON: {e}"))?;
    let spec: openapiv3::OpenAPI =
        serde_json::from_value(raw.clone()).map_err(|e| format!("not an OpenAPI 3.0 document: {e}"))?;
    let operations = collect_operations(&raw)?;
    let enums = collect_enums(&raw)?;

    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_hooks(HooksMode::Expected)
        .with_inner_type(quote!(crate::client::Inner))
        .with_derive("PartialEq")
        .with_conversion(
            schemars::schema::SchemaObject {
                instance_type: Some(schemars::schema::InstanceType::String.into()),
                format: Some("decimal".into()),
                ..Default::default()
            },
            "::rust_decimal::Decimal",
            [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
        );
    for name in enums.keys() {
        settings.with_replacement(
            name,
            format!("crate::api::types::{}", rust_type_name(name)),
            [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
        );
    }

    let tokens = generate(&settings, &spec, &raw)?;
    let mut file: syn::File = syn::parse2(tokens).map_err(|e| format!("progenitor produced unparsable code: {e}"))?;
    let types = types_module(&mut file)?;
    let mut amounts = StrictDecimals { rounding: rounding_schemas(&raw), ..Default::default() };
    amounts.visit_item_mod_mut(types);
    if let Some(problem) = amounts.problems.first() {
        return Err(problem.clone());
    }
    let content = &mut types.content.as_mut().expect("checked by types_module").1;
    for (name, e) in &enums {
        content.push(open_enum_item(name, e)?);
    }

    let calls = call_impls(&file, &operations)?;
    file.items.extend(calls);

    let out = PathBuf::from(std::env::var("OUT_DIR").map_err(|e| format!("OUT_DIR: {e}"))?);
    write(&out.join("codegen.rs"), &prettyplease::unparse(&file))?;
    write(&out.join("operations.rs"), &operations_table(&operations))?;
    write(&out.join("api-surface.txt"), &api_surface(&file))?;
    let schemas: Vec<String> = raw
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|s| s.keys().cloned().collect())
        .unwrap_or_default();
    write(&out.join("conformance.rs"), &conformance_dispatch(&operations, &schemas))?;
    Ok(())
}

fn write(path: &std::path::Path, text: &str) -> Result<(), String> {
    // Unchanged output keeps its timestamp, so an unrelated rebuild does not recompile the crate.
    if std::fs::read_to_string(path).ok().as_deref() == Some(text) {
        return Ok(());
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// What the hooks and the tests need to know about one operation.
struct Operation {
    id: String,
    method: String,
    path: String,
    tag: String,
    doc_page: String,
    security: Vec<Vec<&'static str>>,
    idempotent: bool,
    undocumented: bool,
    us_env_query: bool,
    client_id_header: bool,
    response: Option<String>,
    request: Option<String>,
    /// The success body has `success` (and maybe `message`): HTTP 200 may carry a refusal.
    refusal: Option<bool>,
}

fn collect_operations(raw: &Value) -> Result<Vec<Operation>, String> {
    if !raw["openapi"].as_str().unwrap_or("").starts_with("3.0.") {
        return Err("`openapi` must be 3.0.x (progenitor reads OpenAPI 3.0 only)".into());
    }
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
            let (response, request) = check_generatable(raw, op).map_err(at)?;
            let refusal = refusal_of(raw, op);
            operations.push(Operation {
                id: id.clone(),
                method: method.to_uppercase(),
                path: path.clone(),
                tag: tag.to_string(),
                doc_page: doc_page.to_string(),
                security,
                idempotent: method == "get" || op["x-idempotent"].as_bool().unwrap_or(false),
                undocumented: op["x-undocumented"].as_bool().unwrap_or(false),
                us_env_query: op["x-us-env-query"].as_bool().unwrap_or(false),
                client_id_header: op["x-client-id-header"].as_bool().unwrap_or(false),
                response,
                request,
                refusal,
            });
        }
    }
    operations.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(operations)
}

fn security_of(op: &Value) -> Result<Vec<Vec<&'static str>>, String> {
    let alternatives = op["security"].as_array().ok_or("no `security` list")?;
    alternatives
        .iter()
        .map(|alt| {
            let alt = alt.as_object().ok_or("a security alternative is not an object")?;
            alt.keys()
                .map(|k| {
                    SCHEMES
                        .iter()
                        .find(|(name, _)| name == k)
                        .map(|(_, variant)| *variant)
                        .ok_or_else(|| format!("unknown security scheme `{k}`"))
                })
                .collect()
        })
        .collect()
}

/// Checks what progenitor 0.15 would otherwise panic on, and returns the response and request body schema names.
fn check_generatable(raw: &Value, op: &Value) -> Result<(Option<String>, Option<String>), String> {
    let responses = op["responses"].as_object().ok_or("no responses")?;
    if responses.contains_key("default") {
        return Err("a `default` response would also count as a success type; declare 4XX/5XX instead".into());
    }
    let mut success = BTreeSet::new();
    let mut failure = BTreeSet::new();
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
    let response = success.iter().next().and_then(|k| schema_type_of(k));
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
    Ok((response, request))
}

/// `Some(has_message)` when the 2xx body schema has a `success` field.
fn refusal_of(raw: &Value, op: &Value) -> Option<bool> {
    let responses = op["responses"].as_object()?;
    let (_, response) = responses.iter().find(|(code, _)| code.starts_with('2'))?;
    let name = ref_name(response.pointer("/content/application~1json/schema/$ref")?.as_str()?);
    let properties = raw.pointer(&format!("/components/schemas/{name}/properties"))?.as_object()?;
    properties.contains_key("success").then(|| properties.contains_key("message"))
}

fn resolve<'a>(raw: &'a Value, v: &'a Value) -> Result<&'a Value, String> {
    match v.get("$ref").and_then(Value::as_str) {
        None => Ok(v),
        Some(r) => {
            let pointer = r.strip_prefix('#').ok_or_else(|| format!("external $ref {r}"))?;
            raw.pointer(pointer).ok_or_else(|| format!("unresolved $ref {r}"))
        }
    }
}

fn ref_name(r: &str) -> &str {
    r.rsplit('/').next().unwrap_or(r)
}

/// The Rust type of a success schema serialised as JSON text: `$ref` → the named type, array of `$ref` → a `Vec`.
fn schema_type_of(kind: &str) -> Option<String> {
    let schema: Value = serde_json::from_str(kind).ok()?;
    if let Some(r) = schema["$ref"].as_str() {
        return Some(format!("baanx::api::types::{}", rust_type_name(ref_name(r))));
    }
    if schema["type"] == "array" {
        let r = schema["items"]["$ref"].as_str()?;
        return Some(format!("::std::vec::Vec<baanx::api::types::{}>", rust_type_name(ref_name(r))));
    }
    None
}

/// typify's name for a component schema.
fn rust_type_name(schema_name: &str) -> String {
    schema_name.to_upper_camel_case()
}

struct OpenEnum {
    description: Option<String>,
    values: Vec<String>,
}

fn collect_enums(raw: &Value) -> Result<BTreeMap<String, OpenEnum>, String> {
    let mut enums = BTreeMap::new();
    let Some(schemas) = raw.pointer("/components/schemas").and_then(Value::as_object) else {
        return Ok(enums);
    };
    for (name, schema) in schemas {
        let Some(values) = schema.get("enum").and_then(Value::as_array) else {
            continue;
        };
        if schema["type"] != "string" {
            return Err(format!("schema `{name}`: an enum component must be `type: string`"));
        }
        let values = values
            .iter()
            .filter(|v| !v.is_null())
            .map(|v| v.as_str().map(str::to_string).ok_or(format!("schema `{name}`: non-string enum value {v}")))
            .collect::<Result<Vec<_>, _>>()?;
        let description = schema["description"].as_str().map(str::to_string);
        enums.insert(name.clone(), OpenEnum { description, values });
    }
    Ok(enums)
}

/// `crate::open_enum! { Name { Variant = "wire", ... } }` for one enum component.
fn open_enum_item(name: &str, e: &OpenEnum) -> Result<syn::Item, String> {
    let ident = format_ident!("{}", rust_type_name(name));
    let mut seen = BTreeMap::new();
    let mut variants = Vec::new();
    for value in &e.values {
        let mut variant = value
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| w.to_upper_camel_case())
            .collect::<String>();
        if variant.is_empty() {
            return Err(format!("schema `{name}`: value {value:?} has no letters or digits to name a variant"));
        }
        if variant.starts_with(|c: char| c.is_ascii_digit()) {
            variant.insert(0, 'V');
        }
        if variant == "Unknown" {
            return Err(format!("schema `{name}`: value {value:?} collides with the catch-all `Unknown` variant"));
        }
        if let Some(other) = seen.insert(variant.to_lowercase(), value.clone()) {
            return Err(format!("schema `{name}`: values {other:?} and {value:?} map to the same variant `{variant}`"));
        }
        let doc = format!(" `{value}`");
        let variant = format_ident!("{variant}");
        variants.push(quote!(#[doc = #doc] #variant = #value));
    }
    let doc = e.description.clone().unwrap_or_else(|| format!("Values of `{name}`."));
    let doc = doc.lines().map(|l| format!(" {l}")).collect::<Vec<_>>();
    let tokens = quote! {
        crate::open_enum::open_enum! {
            #(#[doc = #doc])*
            #ident { #(#variants,)* }
        }
    };
    syn::parse2(tokens).map_err(|e| format!("schema `{name}`: {e}"))
}

fn types_module(file: &mut syn::File) -> Result<&mut syn::ItemMod, String> {
    file.items
        .iter_mut()
        .find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == "types" && m.content.is_some() => Some(m),
            _ => None,
        })
        .ok_or_else(|| "progenitor output has no `types` module".to_string())
}

/// Object schemas marked `x-amount-rounding: true` (estimates): their amounts round beyond 28 fractional digits.
fn rounding_schemas(raw: &Value) -> BTreeSet<String> {
    raw.pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(_, s)| s["x-amount-rounding"] == true)
        .map(|(name, _)| rust_type_name(name))
        .collect()
}

/// Puts `#[serde(deserialize_with = ...)]` on every `Decimal` field, so that amounts decode exactly.
#[derive(Default)]
struct StrictDecimals {
    problems: Vec<String>,
    current: String,
    rounding: BTreeSet<String>,
}

impl VisitMut for StrictDecimals {
    fn visit_item_struct_mut(&mut self, s: &mut syn::ItemStruct) {
        self.current = s.ident.to_string();
        syn::visit_mut::visit_item_struct_mut(self, s);
    }

    fn visit_item_mod_mut(&mut self, m: &mut syn::ItemMod) {
        // typify's builder structs hold `Result<T, String>` fields and never deserialize.
        if m.ident != "builder" {
            syn::visit_mut::visit_item_mod_mut(self, m);
        }
    }

    fn visit_field_mut(&mut self, field: &mut syn::Field) {
        let ty = &field.ty;
        let text = quote!(#ty).to_string().replace(' ', "");
        if !text.contains("rust_decimal::Decimal") {
            return;
        }
        let name = field.ident.as_ref().map(ToString::to_string).unwrap_or_default();
        let rounding = self.rounding.contains(&self.current);
        let with = match (text.as_str(), rounding) {
            ("::rust_decimal::Decimal", false) => "crate::money::serde::decimal",
            ("::rust_decimal::Decimal", true) => "crate::money::serde::decimal_rounding",
            ("::std::option::Option<::rust_decimal::Decimal>", false) => "crate::money::serde::option_decimal",
            ("::std::option::Option<::rust_decimal::Decimal>", true) => "crate::money::serde::option_decimal_rounding",
            _ => {
                self.problems.push(format!(
                    "type `{}` field `{name}`: an amount as `{text}` is not supported; amounts must be plain or optional",
                    self.current
                ));
                return;
            }
        };
        let serde_attrs: Vec<String> =
            field.attrs.iter().filter(|a| a.path().is_ident("serde")).map(|a| quote!(#a).to_string()).collect();
        if serde_attrs.iter().any(|a| a.contains("deserialize_with")) {
            self.problems.push(format!(
                "type `{}` field `{name}`: already has a deserializer (required and nullable?); make it optional",
                self.current
            ));
            return;
        }
        // serde treats a missing `Option` field as `None` only without `deserialize_with`; say it explicitly.
        let optional = with.contains("option_decimal");
        if optional && !serde_attrs.iter().any(|a| a.contains("default")) {
            field.attrs.push(syn::parse_quote!(#[serde(default, deserialize_with = #with)]));
        } else {
            field.attrs.push(syn::parse_quote!(#[serde(deserialize_with = #with)]));
        }
    }
}

/// `impl crate::call::Call for builder::<Op>` for every operation: the typed body, the operation id, and the
/// refusal check for bodies with a `success` field.
fn call_impls(file: &syn::File, operations: &[Operation]) -> Result<Vec<syn::Item>, String> {
    let builder = file
        .items
        .iter()
        .find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == "builder" => m.content.as_ref().map(|(_, items)| items),
            _ => None,
        })
        .ok_or("progenitor output has no `builder` module")?;
    let mut impls = Vec::new();
    for op in operations {
        let name = op.id.to_upper_camel_case();
        let send = builder
            .iter()
            .filter_map(|item| match item {
                syn::Item::Impl(i) => Some(i),
                _ => None,
            })
            .filter(|i| matches!(&*i.self_ty, syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == name)))
            .flat_map(|i| i.items.iter())
            .find_map(|item| match item {
                syn::ImplItem::Fn(f) if f.sig.ident == "send" => Some(f),
                _ => None,
            })
            .ok_or_else(|| format!("operation `{}`: no `builder::{name}::send` in progenitor's output", op.id))?;
        let output = send_output(&send.sig.output)
            .ok_or_else(|| format!("operation `{}`: unexpected return type of `send`", op.id))?;
        let ident = format_ident!("{name}");
        let id = &op.id;
        let refusal = match op.refusal {
            None => quote!(),
            Some(has_message) => {
                let message = if has_message { quote!(output.message.clone()) } else { quote!(None) };
                quote! {
                    fn refusal(output: &Self::Output) -> Option<Option<String>> {
                        (output.success == Some(false)).then(|| #message)
                    }
                }
            }
        };
        impls.push(syn::parse_quote! {
            impl<'a> crate::call::Call for builder::#ident<'a> {
                type Output = #output;
                const OPERATION: &'static str = #id;
                fn send_raw(self) -> impl ::std::future::Future<
                    Output = Result<ResponseValue<Self::Output>, Error<types::ApiError>>,
                > + Send {
                    self.send()
                }
                #refusal
            }
        });
    }
    Ok(impls)
}

/// `T` of `-> Result<ResponseValue<T>, Error<E>>`.
fn send_output(output: &syn::ReturnType) -> Option<syn::Type> {
    let syn::ReturnType::Type(_, ty) = output else {
        return None;
    };
    let first_arg = |ty: &syn::Type| -> Option<syn::Type> {
        let syn::Type::Path(p) = ty else { return None };
        let syn::PathArguments::AngleBracketed(args) = &p.path.segments.last()?.arguments else {
            return None;
        };
        args.args.iter().find_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t.clone()),
            _ => None,
        })
    };
    first_arg(&first_arg(ty)?)
}

/// Runs progenitor. It panics on some inputs; a panic is turned into a message naming the operation at fault.
fn generate(
    settings: &GenerationSettings,
    spec: &openapiv3::OpenAPI,
    raw: &Value,
) -> Result<proc_macro2::TokenStream, String> {
    let attempt = |spec: &openapiv3::OpenAPI| {
        let default_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Generator::new(settings).generate_tokens(spec)));
        std::panic::set_hook(default_hook);
        match result {
            Ok(Ok(tokens)) => Ok(tokens),
            Ok(Err(e)) => Err(e.to_string()),
            Err(panic) => Err(panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "progenitor panicked".into())),
        }
    };
    let whole = match attempt(spec) {
        Ok(tokens) => return Ok(tokens),
        Err(e) => e,
    };
    // Find the operation that fails alone.
    for (path, item) in raw["paths"].as_object().into_iter().flatten() {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let mut single = raw.clone();
            single["paths"] = serde_json::json!({ path: { method: op } });
            let Ok(single) = serde_json::from_value::<openapiv3::OpenAPI>(single) else {
                continue;
            };
            if let Err(e) = attempt(&single) {
                let id = op["operationId"].as_str().unwrap_or("?");
                return Err(format!(
                    "operation `{id}` ({} {path}) cannot be generated by progenitor: {e}",
                    method.to_uppercase()
                ));
            }
        }
    }
    Err(format!("progenitor failed (no single operation fails alone): {whole}"))
}

/// `fn <operation method>` and `type <types::Name>` lines, sorted.
fn api_surface(file: &syn::File) -> String {
    let mut lines = Vec::new();
    for item in &file.items {
        match item {
            syn::Item::Impl(i)
                if matches!(&*i.self_ty, syn::Type::Path(p) if p.path.is_ident("Client")) && i.trait_.is_none() =>
            {
                for item in &i.items {
                    if let syn::ImplItem::Fn(f) = item
                        && matches!(f.vis, syn::Visibility::Public(_))
                        && !["new", "new_with_client", "api_version"].contains(&f.sig.ident.to_string().as_str())
                    {
                        lines.push(format!("fn {}", f.sig.ident));
                    }
                }
            }
            syn::Item::Mod(m) if m.ident == "types" => {
                for item in m.content.iter().flat_map(|(_, items)| items) {
                    let name = match item {
                        syn::Item::Struct(s) => s.ident.to_string(),
                        syn::Item::Enum(e) => e.ident.to_string(),
                        syn::Item::Type(t) => t.ident.to_string(),
                        // `open_enum! { #[doc = ..] Name { .. } }`: the first identifier outside the attributes.
                        syn::Item::Macro(m) => match m.mac.tokens.clone().into_iter().find_map(|t| match t {
                            proc_macro2::TokenTree::Ident(ident) => Some(ident.to_string()),
                            _ => None,
                        }) {
                            Some(name) => name,
                            None => continue,
                        },
                        _ => continue,
                    };
                    lines.push(format!("type {name}"));
                }
            }
            _ => {}
        }
    }
    lines.sort();
    lines.dedup();
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

fn operations_table(operations: &[Operation]) -> String {
    let mut out = String::from("// Generated by build.rs from openapi.json. Sorted by id.\n&[\n");
    for op in operations {
        let security = op
            .security
            .iter()
            .map(|alt| format!("&[{}]", alt.iter().map(|s| format!("Scheme::{s}")).collect::<Vec<_>>().join(", ")))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            out,
            "    Operation {{ id: {:?}, method: Method::{}, path: {:?}, tag: {:?}, doc_page: {:?}, security: &[{security}], \
             idempotent: {}, undocumented: {}, us_env_query: {}, client_id_header: {} }},",
            op.id,
            op.method,
            op.path,
            op.tag,
            op.doc_page,
            op.idempotent,
            op.undocumented,
            op.us_env_query,
            op.client_id_header,
        );
    }
    out.push_str("]\n");
    out
}

fn conformance_dispatch(operations: &[Operation], schemas: &[String]) -> String {
    let mut out = String::from(
        "// Generated by build.rs: decode a JSON document as an operation's generated response or request type,\n\
         // and serialise it back. `None` when the operation has no such typed body.\n",
    );
    let responses = operations.iter().filter_map(|op| Some((&op.id, op.response.clone()?)));
    dispatch_fn(&mut out, "decode_response", responses);
    let requests = operations.iter().filter_map(|op| {
        let t = op.request.as_ref()?;
        Some((&op.id, format!("baanx::api::types::{}", rust_type_name(t))))
    });
    dispatch_fn(&mut out, "decode_request", requests);
    let schemas = schemas.iter().map(|name| (name, format!("baanx::api::types::{}", rust_type_name(name))));
    dispatch_fn(&mut out, "decode_schema", schemas);
    out.push_str("pub fn decode_error(body: &[u8]) -> Result<serde_json::Value, serde_json::Error> {\n");
    out.push_str(
        "    serde_json::from_slice::<baanx::api::types::ApiError>(body).and_then(|v| serde_json::to_value(&v))\n}\n",
    );
    out
}

/// `pub fn <name>(operation, body)`: a `match` from operation id to decoding `body` as that type.
fn dispatch_fn<'a>(out: &mut String, name: &str, rows: impl Iterator<Item = (&'a String, String)>) {
    let _ = writeln!(
        out,
        "pub fn {name}(operation: &str, body: &[u8]) -> Option<Result<serde_json::Value, serde_json::Error>> {{\n    match operation {{"
    );
    for (id, t) in rows {
        let _ = writeln!(
            out,
            "        {id:?} => Some(serde_json::from_slice::<{t}>(body).and_then(|v| serde_json::to_value(&v))),"
        );
    }
    out.push_str("        _ => None,\n    }\n}\n\n");
}
