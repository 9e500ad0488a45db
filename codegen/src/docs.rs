//! Documentation for what progenitor leaves undocumented: every setter of a request builder carries its
//! parameter's description, every setter of a type builder its field's description, and the builders say what
//! they build.
//!
//! The descriptions are the spec's own: progenitor writes a parameter's description into the client method's
//! `Arguments:` list and a property's description onto its struct field; this pass copies them to the setters.

use std::collections::BTreeMap;

use syn::{Attribute, ImplItem, Item, ItemMod};

/// Documents the setters of the request builders (top-level `builder` module) and of the type builders
/// (`types::builder`).
///
/// ```
/// let mut file: syn::File = syn::parse_quote! {
///     pub struct Client;
///     impl Client {
///         #[doc = "List things\n\nArguments:\n- `page`: 0-based page number.\n```ignore\n```"]
///         pub fn list_things(&self) -> builder::ListThings<'_> { builder::ListThings::new(self) }
///     }
///     pub mod builder {
///         pub struct ListThings<'a> { client: &'a super::Client }
///         impl<'a> ListThings<'a> {
///             pub fn page<V>(self, value: V) -> Self { self }
///         }
///     }
///     pub mod types {
///         pub struct Thing {
///             #[doc = "The thing's name."]
///             pub name: String,
///         }
///         pub mod builder {
///             pub struct Thing { name: Result<String, String> }
///             impl Thing {
///                 pub fn name<T>(self, value: T) -> Self { self }
///             }
///         }
///     }
/// };
/// cardsdk_codegen::docs::apply(&mut file);
/// let text = cardsdk_codegen::generate::unparse(&file);
/// assert!(text.contains("///0-based page number.\n        pub fn page"), "{text}");
/// assert!(text.contains("///The thing's name.\n            pub fn name"), "{text}");
/// assert!(text.contains("///Builder for [`super::Thing`]."), "{text}");
/// ```
pub fn apply(file: &mut syn::File) {
    let arguments = client_arguments(file);
    for item in &mut file.items {
        let Item::Mod(module) = item else { continue };
        if module.ident == "builder" {
            for (builder, setters) in impls_mut(module) {
                let params = arguments.get(&builder);
                for setter in setters {
                    let name = setter.sig.ident.to_string();
                    let text = match name.as_str() {
                        "new" => "Starts the request (prefer the client's method of the same name).".to_string(),
                        "send" => "Sends the request. `.call()` (the crate's `Call` trait) does the same and returns \
                                   the crate's own error."
                            .to_string(),
                        "body" => "The request body: a value of its type, or its builder.".to_string(),
                        "body_map" => "Edits the request body through its builder.".to_string(),
                        _ => match params.and_then(|p| p.get(&name)) {
                            Some(description) => description.clone(),
                            None => format!("Sets `{name}`."),
                        },
                    };
                    document(&mut setter.attrs, &text);
                }
            }
        } else if module.ident == "types" {
            document_type_builders(module);
        }
    }
}

/// For each client method returning `builder::X`, the `Arguments:` of its doc: parameter name → description.
fn client_arguments(file: &syn::File) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for item in &file.items {
        let Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() {
            continue;
        }
        for member in &imp.items {
            let ImplItem::Fn(f) = member else { continue };
            let syn::ReturnType::Type(_, ty) = &f.sig.output else { continue };
            let syn::Type::Path(path) = ty.as_ref() else { continue };
            let segments: Vec<_> = path.path.segments.iter().map(|s| s.ident.to_string()).collect();
            let [module, builder] = segments.as_slice() else { continue };
            if module != "builder" {
                continue;
            }
            let doc = doc_text(&f.attrs);
            let mut params = BTreeMap::new();
            if let Some((_, after)) = doc.split_once("\nArguments:\n") {
                for line in after.lines() {
                    let Some(rest) = line.strip_prefix("- `") else { break };
                    if let Some((name, description)) = rest.split_once("`: ") {
                        params.insert(name.to_string(), description.trim().to_string());
                    }
                }
            }
            out.insert(builder.clone(), params);
        }
    }
    out
}

/// In `types`: each builder setter gets its field's doc, each builder struct and `builder()` a line saying what
/// they are.
fn document_type_builders(types: &mut ItemMod) {
    document_reference_fields(types);
    let Some((_, items)) = &types.content else { return };
    let mut fields: BTreeMap<String, BTreeMap<String, Vec<Attribute>>> = BTreeMap::new();
    for item in items {
        let Item::Struct(s) = item else { continue };
        let docs = s
            .fields
            .iter()
            .filter_map(|f| {
                let name = f.ident.as_ref()?.to_string();
                let docs: Vec<_> = f.attrs.iter().filter(|a| a.path().is_ident("doc")).cloned().collect();
                Some((name, docs))
            })
            .collect();
        fields.insert(s.ident.to_string(), docs);
    }
    let Some((_, items)) = &mut types.content else { return };
    for item in items.iter_mut() {
        match item {
            Item::Impl(imp) if imp.trait_.is_none() => {
                for member in &mut imp.items {
                    if let ImplItem::Fn(f) = member
                        && f.sig.ident == "builder"
                    {
                        document(
                            &mut f.attrs,
                            "A builder for this type (required members not set are an error when it is converted).",
                        );
                    }
                }
            }
            Item::Mod(builder) if builder.ident == "builder" => {
                for (name, setters) in impls_mut(builder) {
                    let docs = fields.get(&name);
                    for setter in setters {
                        if has_doc(&setter.attrs) {
                            continue;
                        }
                        let field = setter.sig.ident.to_string();
                        match docs.and_then(|d| d.get(&field)).filter(|d| !d.is_empty()) {
                            Some(attrs) => setter.attrs.splice(0..0, attrs.iter().cloned()).for_each(drop),
                            None => document(&mut setter.attrs, &format!("Sets `{field}`.")),
                        }
                    }
                }
                if let Some((_, items)) = &mut builder.content {
                    for item in items {
                        if let Item::Struct(s) = item {
                            let text = format!("Builder for [`super::{}`].", s.ident);
                            document(&mut s.attrs, &text);
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// A field whose schema is a `$ref` has no description of its own (OpenAPI 3.0 ignores siblings of `$ref`): it
/// gets the first line of its type's doc, with a link to the type.
fn document_reference_fields(types: &mut ItemMod) {
    let Some((_, items)) = &mut types.content else { return };
    let mut type_docs = BTreeMap::new();
    for item in items.iter() {
        let (ident, attrs) = match item {
            Item::Struct(s) => (&s.ident, &s.attrs),
            Item::Enum(e) => (&e.ident, &e.attrs),
            _ => continue,
        };
        let doc = doc_text(attrs);
        let first = doc.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default().to_string();
        type_docs.insert(ident.to_string(), first);
    }
    for item in items.iter_mut() {
        let Item::Struct(s) = item else { continue };
        for field in s.fields.iter_mut() {
            if has_doc(&field.attrs) {
                continue;
            }
            let Some(name) = named_type(&field.ty, &type_docs) else {
                let wire = wire_name(field);
                document(&mut field.attrs, &format!("The `{wire}` member (the docs do not describe it)."));
                continue;
            };
            let first = type_docs.get(&name).map(String::as_str).unwrap_or_default();
            let text = match first.trim_end_matches('.') {
                "" => format!("See [`{name}`]."),
                first => format!("{first} (see [`{name}`])."),
            };
            document(&mut field.attrs, &text);
        }
    }
}

/// The member's name on the wire: its `#[serde(rename)]`, else the field's name.
fn wire_name(field: &syn::Field) -> String {
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let mut renamed = None;
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let value: syn::LitStr = meta.value()?.parse()?;
                renamed = Some(value.value());
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
        if let Some(name) = renamed {
            return name;
        }
    }
    field.ident.as_ref().map(|i| i.to_string().trim_end_matches('_').to_string()).unwrap_or_default()
}

/// The first type of the `types` module named in `ty` (through `Option`, `Vec` and the like).
fn named_type(ty: &syn::Type, known: &BTreeMap<String, String>) -> Option<String> {
    let syn::Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    let name = last.ident.to_string();
    // Open enums are macro invocations, not enum items: a path through `types` names one of them.
    if known.contains_key(&name) || path.path.segments.iter().any(|s| s.ident == "types") {
        return Some(name);
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else { return None };
    args.args.iter().find_map(|a| match a {
        syn::GenericArgument::Type(t) => named_type(t, known),
        _ => None,
    })
}

/// The inherent impls of a module: the type's name and its methods.
fn impls_mut(module: &mut ItemMod) -> Vec<(String, Vec<&mut syn::ImplItemFn>)> {
    let Some((_, items)) = &mut module.content else { return Vec::new() };
    items
        .iter_mut()
        .filter_map(|item| match item {
            Item::Impl(imp) if imp.trait_.is_none() => {
                let syn::Type::Path(path) = imp.self_ty.as_ref() else { return None };
                let name = path.path.segments.last()?.ident.to_string();
                let fns = imp
                    .items
                    .iter_mut()
                    .filter_map(|m| match m {
                        ImplItem::Fn(f) => Some(f),
                        _ => None,
                    })
                    .collect();
                Some((name, fns))
            }
            _ => None,
        })
        .collect()
}

fn has_doc(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| a.path().is_ident("doc"))
}

/// Adds `text` as the doc of an item that has none.
fn document(attrs: &mut Vec<Attribute>, text: &str) {
    if !has_doc(attrs) {
        attrs.insert(0, syn::parse_quote!(#[doc = #text]));
    }
}

fn doc_text(attrs: &[Attribute]) -> String {
    let mut out = String::new();
    for attr in attrs {
        if let syn::Meta::NameValue(nv) = &attr.meta
            && nv.path.is_ident("doc")
            && let syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) = &nv.value
        {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&s.value());
        }
    }
    out
}
