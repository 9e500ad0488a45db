//! The generated public surface as text (`api-surface.txt`), so that every contract change is a reviewable diff:
//! operation methods, their request builders' parameters with their types, every type with every field and its
//! type, and every enum value.

use quote::ToTokens;

fn type_text(ty: &syn::Type) -> String {
    let text = ty.to_token_stream().to_string();
    // Shorten the paths a reader does not need, keep the rest exactly.
    let text = text
        .replace(' ', "")
        .replace("::std::option::", "")
        .replace("::std::vec::", "")
        .replace("::std::string::", "")
        .replace("::std::collections::", "")
        .replace("::std::result::", "")
        .replace("crate::api::types::", "")
        .replace("types::", "")
        .replace("super::", "")
        .replace("::cardsdk_runtime::", "")
        .replace("::rust_decimal::", "")
        .replace("::serde_json::", "serde_json::");
    text.replace(',', ", ")
}

/// `Result<T, String>` → `T` (typify and progenitor builder fields).
fn builder_field_type(ty: &syn::Type) -> String {
    if let syn::Type::Path(p) = ty
        && let Some(last) = p.path.segments.last()
        && last.ident == "Result"
        && let syn::PathArguments::AngleBracketed(args) = &last.arguments
        && let Some(syn::GenericArgument::Type(inner)) = args.args.first()
    {
        return type_text(inner);
    }
    type_text(ty)
}

fn named_fields(s: &syn::ItemStruct) -> Vec<(String, &syn::Type)> {
    match &s.fields {
        syn::Fields::Named(named) => named
            .named
            .iter()
            .filter(|f| matches!(f.vis, syn::Visibility::Public(_)))
            .filter_map(|f| Some((f.ident.as_ref()?.to_string(), &f.ty)))
            .collect(),
        syn::Fields::Unnamed(unnamed) => {
            unnamed.unnamed.iter().enumerate().map(|(i, f)| (i.to_string(), &f.ty)).collect()
        }
        syn::Fields::Unit => Vec::new(),
    }
}

/// The surface, one line per item, sorted:
/// - `fn <operation>` and `param <Builder>.<name>: <type>` for each request builder parameter (the body too);
/// - `type <Name>` and `field <Name>.<field>: <type>` for every generated type;
/// - `value <Enum>::<Variant> = "<wire>"` for every open enum value.
pub fn api_surface(file: &syn::File) -> String {
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
            syn::Item::Mod(m) if m.ident == "builder" => {
                for item in m.content.iter().flat_map(|(_, items)| items) {
                    if let syn::Item::Struct(s) = item {
                        for (name, ty) in named_fields_all(s) {
                            if name != "client" {
                                lines.push(format!("param {}.{name}: {}", s.ident, builder_field_type(ty)));
                            }
                        }
                    }
                }
            }
            syn::Item::Mod(m) if m.ident == "types" => {
                for item in m.content.iter().flat_map(|(_, items)| items) {
                    match item {
                        syn::Item::Struct(s) => {
                            lines.push(format!("type {}", s.ident));
                            for (name, ty) in named_fields(s) {
                                lines.push(format!("field {}.{name}: {}", s.ident, type_text(ty)));
                            }
                        }
                        syn::Item::Enum(e) => lines.push(format!("type {}", e.ident)),
                        syn::Item::Type(t) => lines.push(format!("type {} = {}", t.ident, type_text(&t.ty))),
                        syn::Item::Macro(m) => lines.extend(open_enum_lines(&m.mac.tokens)),
                        _ => {}
                    }
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

/// Private fields too (progenitor's request builders keep theirs private).
fn named_fields_all(s: &syn::ItemStruct) -> Vec<(String, &syn::Type)> {
    match &s.fields {
        syn::Fields::Named(named) => {
            named.named.iter().filter_map(|f| Some((f.ident.as_ref()?.to_string(), &f.ty))).collect()
        }
        _ => Vec::new(),
    }
}

/// `open_enum! { #[doc = ..] Name { #[doc = ..] Variant = "wire", .. } }` → `type Name` and its values.
fn open_enum_lines(tokens: &proc_macro2::TokenStream) -> Vec<String> {
    use proc_macro2::TokenTree;
    let mut lines = Vec::new();
    let mut iter = tokens.clone().into_iter().peekable();
    let mut name = None;
    let mut body = None;
    while let Some(t) = iter.next() {
        match t {
            TokenTree::Punct(p) if p.as_char() == '#' => {
                iter.next(); // the attribute's brackets
            }
            TokenTree::Ident(ident) if name.is_none() => name = Some(ident.to_string()),
            TokenTree::Group(g) if name.is_some() && g.delimiter() == proc_macro2::Delimiter::Brace => {
                body = Some(g.stream());
                break;
            }
            _ => {}
        }
    }
    let Some(name) = name else { return lines };
    lines.push(format!("type {name}"));
    let Some(body) = body else { return lines };
    let mut iter = body.into_iter().peekable();
    while let Some(t) = iter.next() {
        match t {
            TokenTree::Punct(p) if p.as_char() == '#' => {
                iter.next();
            }
            TokenTree::Ident(variant) => {
                let _eq = iter.next();
                if let Some(TokenTree::Literal(wire)) = iter.next() {
                    lines.push(format!("value {name}::{variant} = {wire}"));
                }
            }
            _ => {}
        }
    }
    lines
}
