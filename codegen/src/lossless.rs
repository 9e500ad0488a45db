//! Lossless, lenient generated types.
//!
//! typify derives `serde::Deserialize`, which is strict in form (`"5814"` fails an `i64`), drops unknown members,
//! and reads free-form values through `serde_json::Value` (every number through `f64`). This pass rewrites the
//! `types` module of progenitor's output so that every object type:
//!
//! - has a last field `pub extra: ::cardsdk_runtime::JsonMap` holding every member the contract does not list,
//!   exactly as sent, written back on encode (`#[serde(flatten)]` on the `Serialize` side only);
//! - is decoded by a generated `Deserialize` impl that reads each known member by its type's
//!   [`Wire`](../cardsdk_runtime/wire/index.html) rule (lenient in form, strict in meaning, exact amounts;
//!   amounts of the schemas in `rounding` round beyond 28 fractional digits) and implements `Wire` itself;
//! - and its typify builder carries `extra` too (a setter, and through the conversions);
//! - is `#[non_exhaustive]`, so that a field the contract adds later is not a breaking change.
//!
//! Free-form values become `::cardsdk_runtime::Json` / `JsonMap` (exact text) instead of `serde_json::Value` / `Map`.
//!
//! `Debug` too is generated, for every object type and its builder: each field through
//! `cardsdk_runtime::redact::RedactDebug` (secret-looking text redacted by value), and the fields the contract marks
//! `x-sensitive` (`secret` or `personal`) never shown at all (`[redacted]`).

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::visit_mut::VisitMut;

/// The name of the field that keeps unknown members.
pub const EXTRA: &str = "extra";

/// Rewrites the `types` module (see the [module docs](self)). `sensitive` maps a type name to the wire names of its
/// fields marked `x-sensitive`.
pub fn apply(
    types: &mut syn::ItemMod,
    rounding: &BTreeSet<String>,
    sensitive: &BTreeMap<String, BTreeSet<String>>,
) -> Result<(), String> {
    JsonTypes.visit_item_mod_mut(types);
    let content = &mut types.content.as_mut().ok_or("the types module has no content")?.1;
    let mut impls = Vec::new();
    let mut extended = BTreeMap::new();
    for item in content.iter_mut() {
        let syn::Item::Struct(s) = item else { continue };
        if !has_derive(s, "Deserialize") {
            continue;
        }
        if !matches!(s.fields, syn::Fields::Named(_)) {
            // A newtype (a free-form object schema without properties): serde's derive reads its one field, which
            // is lossless already (`JsonMap`, whose Debug redacts); it only needs to be a `Wire` type too.
            impls.push(wire_impl(&s.ident));
            impls.push(redact_debug_impl(&s.ident));
            continue;
        }
        remove_derive(s, "Deserialize");
        remove_derive(s, "Debug");
        // A field the contract adds later must not break code that builds or matches the type: construct it
        // through its builder (or `Default`), match with `..`.
        s.attrs.push(syn::parse_quote!(#[non_exhaustive]));
        let name = s.ident.to_string();
        let fields = fields_of(s)?;
        let hidden: BTreeSet<String> = match sensitive.get(&name) {
            Some(wires) => {
                if let Some(unknown) = wires.iter().find(|w| !fields.iter().any(|f| &f.wire == *w)) {
                    return Err(format!("type `{name}`: `x-sensitive` on `{unknown}`, which is not one of its fields"));
                }
                fields.iter().filter(|f| wires.contains(&f.wire)).map(|f| f.ident.to_string()).collect()
            }
            None => BTreeSet::new(),
        };
        impls.extend(decoder(s, &fields, rounding.contains(&name))?);
        impls.push(debug_impl(&s.ident, &fields, &hidden, true));
        impls.push(redact_debug_impl(&s.ident));
        add_extra_field(s)?;
        extended.insert(name, (fields, hidden));
    }
    content.extend(impls);
    if let Some(builder) = content.iter_mut().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == "builder" => m.content.as_mut().map(|(_, items)| items),
        _ => None,
    }) {
        patch_builders(builder, &extended)?;
    }
    Ok(())
}

/// `serde_json::Value` → `Json`, `serde_json::Map<String, Value>` → `JsonMap`.
struct JsonTypes;

impl VisitMut for JsonTypes {
    fn visit_type_mut(&mut self, ty: &mut syn::Type) {
        let text = quote!(#ty).to_string().replace(' ', "");
        match text.as_str() {
            "::serde_json::Value" | "serde_json::Value" => *ty = syn::parse_quote!(::cardsdk_runtime::Json),
            "::serde_json::Map<::std::string::String,::serde_json::Value>"
            | "serde_json::Map<String,serde_json::Value>" => *ty = syn::parse_quote!(::cardsdk_runtime::JsonMap),
            _ => syn::visit_mut::visit_type_mut(self, ty),
        }
    }
}

/// `impl Debug`: every field through `RedactDebug`, the hidden ones as `[redacted]`; `extra` last when `with_extra`.
fn debug_impl(name: &syn::Ident, fields: &[Field], hidden: &BTreeSet<String>, with_extra: bool) -> syn::Item {
    let title = name.to_string();
    let entries: Vec<TokenStream> = fields
        .iter()
        .map(|f| {
            let ident = &f.ident;
            let label = ident.to_string().trim_start_matches("r#").to_string();
            if hidden.contains(&ident.to_string()) {
                if matches!(f.finish, Finish::Default) && is_option(&f.ty) {
                    quote!(.field(#label, &::cardsdk_runtime::redact::Hidden::present(self.#ident.is_some())))
                } else {
                    quote!(.field(#label, &::cardsdk_runtime::redact::Hidden::always()))
                }
            } else {
                quote!(.field(#label, &::cardsdk_runtime::redact::Redacted(&self.#ident)))
            }
        })
        .collect();
    let extra = if with_extra { quote!(.field("extra", &self.extra)) } else { quote!() };
    syn::parse_quote! {
        impl ::std::fmt::Debug for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(#title) #(#entries)* #extra .finish()
            }
        }
    }
}

/// `impl RedactDebug` through the type's (redacting) `Debug`, so that it can be a field of another type.
fn redact_debug_impl(name: &syn::Ident) -> syn::Item {
    syn::parse_quote! {
        impl ::cardsdk_runtime::redact::RedactDebug for #name {
            fn redact_fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Debug::fmt(self, f)
            }
        }
    }
}

fn is_option(ty: &syn::Type) -> bool {
    quote!(#ty).to_string().replace(' ', "").starts_with("::std::option::Option<")
}

fn has_derive(s: &syn::ItemStruct, name: &str) -> bool {
    s.attrs.iter().filter(|a| a.path().is_ident("derive")).any(|attr| {
        attr.parse_args_with(syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
            .is_ok_and(|paths| paths.iter().any(|p| p.segments.last().is_some_and(|seg| seg.ident == name)))
    })
}

/// `impl Wire` through the type's `Deserialize`.
fn wire_impl(name: &syn::Ident) -> syn::Item {
    syn::parse_quote! {
        impl ::cardsdk_runtime::wire::Wire for #name {
            fn from_wire<'de, D: ::serde::Deserializer<'de>>(
                deserializer: D,
                _: ::cardsdk_runtime::wire::Mode,
            ) -> ::std::result::Result<Self, D::Error> {
                <Self as ::serde::Deserialize<'de>>::deserialize(deserializer)
            }
        }
    }
}

/// Removes `name` (e.g. `Deserialize`, however qualified) from the struct's derives; returns whether it was there.
fn remove_derive(s: &mut syn::ItemStruct, name: &str) -> bool {
    let mut found = false;
    for attr in s.attrs.iter_mut().filter(|a| a.path().is_ident("derive")) {
        let Ok(paths) =
            attr.parse_args_with(syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
        else {
            continue;
        };
        let kept: Vec<&syn::Path> =
            paths.iter().filter(|p| p.segments.last().is_none_or(|seg| seg.ident != name)).collect();
        if kept.len() != paths.len() {
            found = true;
            *attr = syn::parse_quote!(#[derive(#(#kept),*)]);
        }
    }
    found
}

struct Field {
    ident: syn::Ident,
    ty: syn::Type,
    wire: String,
    finish: Finish,
}

enum Finish {
    /// `Option<T>`, or `#[serde(default)]`: absent → `Default::default()`.
    Default,
    /// `#[serde(default = "path")]`.
    DefaultWith(syn::ExprPath),
    /// Required.
    Required,
}

fn fields_of(s: &mut syn::ItemStruct) -> Result<Vec<Field>, String> {
    let struct_name = s.ident.to_string();
    let syn::Fields::Named(named) = &mut s.fields else {
        return Err(format!("type `{struct_name}`: a derived Deserialize on a struct without named fields"));
    };
    let mut fields = Vec::new();
    for field in named.named.iter_mut() {
        let ident = field.ident.clone().ok_or("unnamed field")?;
        if ident == EXTRA {
            return Err(format!(
                "type `{struct_name}`: a property named `{EXTRA}` collides with the field that keeps unknown members"
            ));
        }
        let mut wire = ident.to_string().trim_start_matches("r#").to_string();
        let mut default = None;
        let mut has_default = false;
        for attr in field.attrs.iter().filter(|a| a.path().is_ident("serde")) {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename") {
                    let value: syn::LitStr = meta.value()?.parse()?;
                    wire = value.value();
                } else if meta.path.is_ident("default") {
                    has_default = true;
                    if let Ok(value) = meta.value() {
                        let path: syn::LitStr = value.parse()?;
                        default = Some(path.parse::<syn::ExprPath>()?);
                    }
                } else if meta.input.peek(syn::Token![=]) {
                    let _: syn::Expr = meta.value()?.parse()?;
                }
                Ok(())
            })
            .map_err(|e| format!("type `{struct_name}` field `{ident}`: {e}"))?;
        }
        // Deserialize-only attributes have no use any more.
        field.attrs.retain(|a| !(a.path().is_ident("serde") && quote!(#a).to_string().contains("deserialize_with")));
        let ty = field.ty.clone();
        let is_option = quote!(#ty).to_string().replace(' ', "").starts_with("::std::option::Option<");
        let finish = match (default, has_default || is_option) {
            (Some(path), _) => Finish::DefaultWith(path),
            (None, true) => Finish::Default,
            (None, false) => Finish::Required,
        };
        fields.push(Field { ident, ty, wire, finish });
    }
    Ok(fields)
}

fn add_extra_field(s: &mut syn::ItemStruct) -> Result<(), String> {
    let syn::Fields::Named(named) = &mut s.fields else { return Err("unnamed fields".into()) };
    let field: syn::FieldsNamed = syn::parse_quote!({
        /// Members the contract does not list, exactly as the server sent them; written back on encode.
        #[serde(flatten, skip_serializing_if = "::cardsdk_runtime::JsonMap::is_empty")]
        pub extra: ::cardsdk_runtime::JsonMap
    });
    named.named.extend(field.named);
    Ok(())
}

/// `impl Deserialize` (through the `Wire` rules, keeping unknown members) and `impl Wire` for one struct.
fn decoder(s: &syn::ItemStruct, fields: &[Field], rounding: bool) -> Result<Vec<syn::Item>, String> {
    let name = &s.ident;
    if fields.len() > u16::MAX as usize {
        return Err(format!("type `{name}`: too many fields"));
    }
    let expecting = format!("a {name} object");
    let mode = if rounding {
        quote!(::cardsdk_runtime::wire::Mode::Rounding)
    } else {
        quote!(::cardsdk_runtime::wire::Mode::Exact)
    };
    let index: Vec<u16> = (0..fields.len() as u16).collect();
    let wires: Vec<&str> = fields.iter().map(|f| f.wire.as_str()).collect();
    let slots: Vec<syn::Ident> = (0..fields.len()).map(|i| format_ident!("__f{i}")).collect();
    let types: Vec<&syn::Type> = fields.iter().map(|f| &f.ty).collect();
    let idents: Vec<&syn::Ident> = fields.iter().map(|f| &f.ident).collect();
    let finishes: Vec<TokenStream> = fields
        .iter()
        .zip(&slots)
        .map(|(f, slot)| {
            let wire = &f.wire;
            match &f.finish {
                Finish::Default => quote!(#slot.unwrap_or_default()),
                Finish::DefaultWith(path) => quote!(#slot.unwrap_or_else(#path)),
                Finish::Required => quote!(::cardsdk_runtime::wire::required(#slot, #wire)?),
            }
        })
        .collect();
    let de: syn::Item = syn::parse_quote! {
        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                struct Visitor;
                impl<'de> ::serde::de::Visitor<'de> for Visitor {
                    type Value = #name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(#expecting)
                    }
                    #[allow(clippy::match_single_binding)]
                    fn visit_map<A: ::serde::de::MapAccess<'de>>(self, mut map: A) -> ::std::result::Result<#name, A::Error> {
                        fn key(name: &str) -> ::std::option::Option<u16> {
                            match name {
                                #( #wires => ::std::option::Option::Some(#index), )*
                                _ => ::std::option::Option::None,
                            }
                        }
                        #( let mut #slots: ::std::option::Option<#types> = ::std::option::Option::None; )*
                        let mut extra = ::cardsdk_runtime::JsonMap::new();
                        while let ::std::option::Option::Some(k) = map.next_key_seed(::cardsdk_runtime::wire::KeySeed(key))? {
                            match k {
                                #( ::cardsdk_runtime::wire::Key::Known(#index) => ::cardsdk_runtime::wire::field(&mut map, &mut #slots, #wires, #mode)?, )*
                                ::cardsdk_runtime::wire::Key::Known(_) => {
                                    map.next_value::<::serde::de::IgnoredAny>()?;
                                }
                                ::cardsdk_runtime::wire::Key::Other(name) => extra.insert_next(&mut map, name)?,
                            }
                        }
                        ::std::result::Result::Ok(#name { #( #idents: #finishes, )* extra })
                    }
                }
                deserializer.deserialize_map(Visitor)
            }
        }
    };
    let wire = wire_impl(name);
    Ok(vec![de, wire])
}

/// Adds `extra` to typify's builder of each extended struct (the field, its default, a setter and the
/// conversions), and gives it the redacting `Debug`.
fn patch_builders(
    builder: &mut Vec<syn::Item>,
    extended: &BTreeMap<String, (Vec<Field>, BTreeSet<String>)>,
) -> Result<(), String> {
    let mut setters = Vec::new();
    for item in builder.iter_mut() {
        match item {
            syn::Item::Struct(s) if extended.contains_key(&s.ident.to_string()) => {
                let (fields, hidden) = &extended[&s.ident.to_string()];
                remove_derive(s, "Debug");
                // The builder holds `Result<T, String>` per field: hidden ones are never shown either.
                let builder_fields: Vec<Field> = fields
                    .iter()
                    .map(|f| Field {
                        ident: f.ident.clone(),
                        ty: f.ty.clone(),
                        wire: f.wire.clone(),
                        finish: Finish::Required,
                    })
                    .collect();
                setters.push(debug_impl(&s.ident, &builder_fields, hidden, false));
                let syn::Fields::Named(named) = &mut s.fields else { continue };
                let field: syn::FieldsNamed = syn::parse_quote!({
                    extra: ::std::result::Result<::cardsdk_runtime::JsonMap, ::std::string::String>
                });
                named.named.extend(field.named);
                let ident = &s.ident;
                setters.push(syn::parse_quote! {
                    impl #ident {
                        /// Members the contract does not list, sent as given.
                        pub fn extra<T>(mut self, value: T) -> Self
                        where
                            T: ::std::convert::Into<::cardsdk_runtime::JsonMap>,
                        {
                            self.extra = ::std::result::Result::Ok(value.into());
                            self
                        }
                    }
                });
            }
            syn::Item::Impl(i) => {
                let Some(target) = builder_impl_target(i, extended) else { continue };
                let field = match target {
                    ImplKind::Default => quote!(extra: ::std::result::Result::Ok(::std::default::Default::default())),
                    ImplKind::IntoStruct => quote!(extra: value.extra?),
                    ImplKind::FromStruct => quote!(extra: ::std::result::Result::Ok(value.extra)),
                };
                let mut adder = AddField { field: syn::parse2(field).map_err(|e| e.to_string())?, done: false };
                adder.visit_item_impl_mut(i);
            }
            _ => {}
        }
    }
    builder.extend(setters);
    Ok(())
}

enum ImplKind {
    /// `impl Default for builder::X`.
    Default,
    /// `impl TryFrom<builder::X> for super::X`.
    IntoStruct,
    /// `impl From<super::X> for builder::X`.
    FromStruct,
}

fn last_ident(ty: &syn::Type) -> Option<(String, bool)> {
    let syn::Type::Path(p) = ty else { return None };
    let is_super = p.path.segments.first().is_some_and(|s| s.ident == "super");
    Some((p.path.segments.last()?.ident.to_string(), is_super))
}

fn builder_impl_target(
    i: &syn::ItemImpl,
    extended: &BTreeMap<String, (Vec<Field>, BTreeSet<String>)>,
) -> Option<ImplKind> {
    let (trait_path, _) = i.trait_.as_ref()?;
    let trait_name = trait_path.segments.last()?.ident.to_string();
    let (self_name, self_super) = last_ident(&i.self_ty)?;
    if !extended.contains_key(&self_name) {
        return None;
    }
    match (trait_name.as_str(), self_super) {
        ("Default", false) => Some(ImplKind::Default),
        ("TryFrom", true) => Some(ImplKind::IntoStruct),
        ("From", false) => Some(ImplKind::FromStruct),
        _ => None,
    }
}

/// Appends a field to the first `Self { … }` struct expression.
struct AddField {
    field: syn::FieldValue,
    done: bool,
}

impl VisitMut for AddField {
    fn visit_expr_struct_mut(&mut self, e: &mut syn::ExprStruct) {
        if !self.done && e.path.is_ident("Self") {
            e.fields.push(self.field.clone());
            self.done = true;
        }
        syn::visit_mut::visit_expr_struct_mut(self, e);
    }
}
