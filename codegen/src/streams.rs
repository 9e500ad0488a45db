//! `.stream(options)` on the request builder of every operation with an `x-pagination` extension: every item of
//! the list as a stream on the shared pages engine (`cardsdk_runtime::pages`), the builder's other parameters kept
//! for every page.
//!
//! `x-pagination` (see the contract's conventions): `style` (`page` | `offset` | `limit` | `single`), `param`,
//! `first`, `pageSize`, `offset`, `limit`, `maxLimit`, `items`, `totals` (a dotted property path of the total page
//! count), `key`, `newestFirst`.
//!
//! The API crate provides `crate::pagination::{Fetch, Page, PageOptions, Pages, Plan, Shape}` (the runtime's, with
//! its error type) and `crate::call::Call`.

use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use crate::contract::Operation;

fn module<'f>(file: &'f mut syn::File, name: &str) -> Option<&'f mut Vec<syn::Item>> {
    file.items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == name => m.content.as_mut().map(|(_, items)| items),
        _ => None,
    })
}

fn text(ty: &syn::Type) -> String {
    quote!(#ty).to_string().replace(' ', "")
}

/// The one type argument of `Wrapper<T>` (by the wrapper's last path segment).
fn unwrap<'t>(ty: &'t syn::Type, wrapper: &str) -> Option<&'t syn::Type> {
    let syn::Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != wrapper {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else { return None };
    args.args.iter().find_map(|a| match a {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    })
}

fn last_ident(ty: &syn::Type) -> Option<String> {
    let syn::Type::Path(p) = ty else { return None };
    Some(p.path.segments.last()?.ident.to_string())
}

/// The fields of a struct in `items`, by name.
fn struct_fields<'i>(items: &'i [syn::Item], name: &str) -> Option<Vec<(String, &'i syn::Type)>> {
    items.iter().find_map(|item| match item {
        syn::Item::Struct(s) if s.ident == name => match &s.fields {
            syn::Fields::Named(n) => {
                Some(n.named.iter().filter_map(|f| Some((f.ident.as_ref()?.to_string(), &f.ty))).collect())
            }
            _ => None,
        },
        _ => None,
    })
}

/// Generates the `stream` impls and puts them into the `builder` module; `page_call` is the path of the function
/// that sends a request builder and returns its whole answer (`crate::call::Call::call` in baanx).
pub fn impls(file: &mut syn::File, operations: &[Operation], page_call: &str) -> Result<(), String> {
    let page_call: syn::Path = syn::parse_str(page_call).map_err(|e| format!("page_call {page_call:?}: {e}"))?;
    let types: Vec<syn::Item> = module(file, "types").ok_or("no types module")?.clone();
    let builder = module(file, "builder").ok_or("no builder module")?;
    let mut impls = Vec::new();
    for op in operations {
        let Some(pagination) = op.extensions.get("x-pagination") else { continue };
        impls.push(
            stream_impl(op, pagination, &types, builder, &page_call)
                .map_err(|e| format!("operation `{}`: x-pagination: {e}", op.id))?,
        );
    }
    builder.extend(impls);
    Ok(())
}

fn stream_impl(
    op: &Operation,
    pagination: &Value,
    types: &[syn::Item],
    builder: &[syn::Item],
    page_call: &syn::Path,
) -> Result<syn::Item, String> {
    let name = op.id.to_upper_camel_case();
    let ident = format_ident!("{name}");
    let fields = struct_fields(builder, &name).ok_or("no request builder")?;
    let output = send_output(builder, &name).ok_or("no send method")?;
    let style = pagination["style"].as_str().ok_or("no style")?;
    let str_of = |key: &str| pagination[key].as_str();
    let num_of = |key: &str| pagination[key].as_u64();

    // The answer → the items (and the total page count).
    let (item_ty, extract): (syn::Type, TokenStream) = match (unwrap(&output, "Vec"), str_of("items")) {
        (Some(item), None) => (item.clone(), quote!(answer)),
        (None, Some(items)) => {
            let answer_type = last_ident(&output).ok_or("the answer is not a named type")?;
            let answer_fields = struct_fields(types, &answer_type).ok_or("the answer type is not a struct")?;
            let field = items.to_snake_case();
            let (_, ty) = answer_fields
                .iter()
                .find(|(f, _)| *f == field)
                .ok_or(format!("no field `{field}` in {answer_type}"))?;
            let f = format_ident!("{field}");
            // The field's type is written relative to the types module.
            let in_builder = |t: &syn::Type| -> syn::Type {
                match t {
                    syn::Type::Path(p) if p.path.segments.len() == 1 && p.qself.is_none() => {
                        syn::parse_quote!(types::#t)
                    }
                    other => other.clone(),
                }
            };
            match unwrap(ty, "Option").and_then(|t| unwrap(t, "Vec")).or_else(|| unwrap(ty, "Vec")) {
                Some(item) if unwrap(ty, "Option").is_some() => {
                    (in_builder(item), quote!(answer.#f.unwrap_or_default()))
                }
                Some(item) => (in_builder(item), quote!(answer.#f)),
                None => return Err(format!("`{field}` is not a list")),
            }
        }
        _ => return Err("`items` must name the list property of a wrapped answer, and only then".into()),
    };
    let total = match str_of("totals") {
        None => quote!(),
        Some(path) => {
            let mut expr = quote!(Some(&answer));
            for segment in path.split('.') {
                let f = format_ident!("{}", segment.to_snake_case());
                expr = quote!(#expr.and_then(|v| v.#f.as_ref()));
            }
            quote!(let total: ::std::option::Option<u64> = #expr.and_then(|t| u64::try_from(*t).ok());)
        }
    };
    let with_total = match str_of("totals") {
        // Without the totals' object, the answer is the only page: it is the last one read.
        Some(_) if pagination["lastWithoutTotals"] == true => {
            let first = num_of("first").unwrap_or(0);
            quote! {
                let total = match (total, answer_has_totals) {
                    (Some(t), _) => Some(t),
                    (None, false) => Some(page.saturating_sub(#first) + 1),
                    (None, true) => None,
                };
                let page = match total { Some(t) => page_items.total_pages(t), None => page_items };
            }
        }
        Some(_) => quote!(let page = match total { Some(t) => page_items.total_pages(t), None => page_items };),
        None => quote!(let page = page_items;),
    };
    let has_totals = match str_of("totals") {
        Some(path) if pagination["lastWithoutTotals"] == true => {
            let root = format_ident!("{}", path.split('.').next().unwrap_or_default().to_snake_case());
            quote!(let answer_has_totals = answer.#root.is_some();)
        }
        _ => quote!(),
    };

    // Item key and order.
    let item_name = last_ident(&item_ty).ok_or("the item is not a named type")?;
    let item_fields = struct_fields(types, &item_name).ok_or(format!("the item type {item_name} is not a struct"))?;
    let key = match str_of("key") {
        Some(key) => {
            let field = key.to_snake_case();
            let (_, ty) = item_fields
                .iter()
                .find(|(f, _)| *f == field)
                .ok_or(format!("no key field `{field}` in {item_name}"))?;
            if text(ty) != "::std::option::Option<::std::string::String>" {
                return Err(format!("the key `{field}` must be an optional string"));
            }
            let f = format_ident!("{field}");
            quote!(.key(|item: &#item_ty| match &item.#f {
                ::std::option::Option::Some(id) => id.clone(),
                ::std::option::Option::None => ::serde_json::to_string(item).unwrap_or_default(),
            }))
        }
        // No id: the whole item is its key.
        None => quote!(.key(|item: &#item_ty| ::serde_json::to_string(item).unwrap_or_default())),
    };
    let newest = match str_of("newestFirst") {
        Some(time) => {
            let field = format_ident!("{}", time.to_snake_case());
            quote!(.newest_first(|item: &#item_ty| item.#field.clone()))
        }
        None => quote!(),
    };

    // Which builder field the page number goes to, and how.
    let field_type = |field: &str| -> Result<&syn::Type, String> {
        fields.iter().find(|(f, _)| f == field).map(|(_, t)| *t).ok_or(format!("the builder has no `{field}`"))
    };
    // `Result<Option<T>, String>` → (T, optional).
    let param_kind = |ty: &syn::Type| -> Result<(syn::Type, bool), String> {
        let inner = unwrap(ty, "Result").ok_or("a builder field that is not a Result")?;
        match unwrap(inner, "Option") {
            Some(t) => Ok((t.clone(), true)),
            None => Ok((inner.clone(), false)),
        }
    };
    let convert = |value: TokenStream, ty: &syn::Type| -> Result<TokenStream, String> {
        let (t, optional) = param_kind(ty)?;
        let converted = if text(&t) == "::std::string::String" {
            quote!(::std::result::Result::Ok::<_, ::std::string::String>(#value.to_string()))
        } else {
            quote!(<#t as ::std::convert::TryFrom<u64>>::try_from(#value).map_err(|_| "page parameter out of range".to_string()))
        };
        Ok(if optional { quote!(#converted.map(::std::option::Option::Some)) } else { converted })
    };
    let mut overrides: Vec<(String, TokenStream)> = Vec::new();
    let (shape, first, prelude) = match style {
        "page" => {
            let param = str_of("param").ok_or("no param")?.to_snake_case();
            overrides.push((param.clone(), convert(quote!(page), field_type(&param)?)?));
            let shape = match num_of("pageSize") {
                Some(size) => {
                    let size = size as usize;
                    quote!(crate::pagination::Shape::Fixed(#size))
                }
                None => quote!(crate::pagination::Shape::Open),
            };
            (shape, num_of("first").unwrap_or(0), quote!())
        }
        "offset" | "limit" => {
            let limit = str_of("limit").ok_or("no limit")?.to_snake_case();
            let max = num_of("maxLimit").ok_or("no maxLimit")?;
            let limit_ident = format_ident!("{limit}");
            // The caller's limit if set, else the most the API serves.
            let prelude = quote! {
                let size: u64 = match &#limit_ident {
                    ::std::result::Result::Ok(::std::option::Option::Some(n)) => u64::try_from(*n).unwrap_or(#max).clamp(1, #max),
                    _ => #max,
                };
            };
            overrides.push((limit.clone(), convert(quote!(size), field_type(&limit)?)?));
            if style == "offset" {
                let offset = str_of("offset").ok_or("no offset")?.to_snake_case();
                overrides.push((offset.clone(), convert(quote!(page * size), field_type(&offset)?)?));
                (quote!(crate::pagination::Shape::Fixed(size as usize)), 0, prelude)
            } else {
                (quote!(crate::pagination::Shape::Single), 0, prelude)
            }
        }
        "single" => (quote!(crate::pagination::Shape::Single), 0, quote!()),
        other => return Err(format!("unknown style `{other}`")),
    };
    let all: Vec<syn::Ident> = fields.iter().map(|(f, _)| format_ident!("{f}")).collect();
    let copied: Vec<syn::Ident> = fields
        .iter()
        .filter(|(f, _)| f != "client" && !overrides.iter().any(|(o, _)| o == f))
        .map(|(f, _)| format_ident!("{f}"))
        .collect();
    let set: Vec<TokenStream> = overrides
        .iter()
        .map(|(f, value)| {
            let f = format_ident!("{f}");
            quote!(#f: #value)
        })
        .collect();
    let operation = &op.id;
    let doc = format!(
        " Every item of `{operation}`, page after page, as a stream (the pages engine: bounded prefetch, de-duplication, \
         the end of the list detected; see [`crate::pagination`]). The other parameters set on this builder are sent \
         with every page."
    );
    let unused_copies: Vec<syn::Ident> = fields
        .iter()
        .filter(|(f, _)| overrides.iter().any(|(o, _)| o == f))
        .map(|(f, _)| format_ident!("{f}"))
        .collect();
    Ok(syn::parse_quote! {
        impl<'a> #ident<'a> {
            #[doc = #doc]
            pub fn stream(self, options: crate::pagination::PageOptions) -> crate::pagination::Pages<#item_ty> {
                let Self { #(#all,)* } = self;
                #( let _ = &#unused_copies; )*
                let client: super::Client = client.clone();
                #prelude
                let plan = crate::pagination::Plan::new(#operation, #shape).first_page(#first) #key #newest;
                let fetch: crate::pagination::Fetch<#item_ty> = ::std::sync::Arc::new(move |page: u64| {
                    let _ = page;
                    let client = client.clone();
                    #( let #copied = #copied.clone(); )*
                    ::std::boxed::Box::pin(async move {
                        let request = #ident { client: &client, #( #copied, )* #( #set, )* };
                        let answer = #page_call(request).await?;
                        #total
                        #has_totals
                        let page_items = crate::pagination::Page::new(#extract);
                        #with_total
                        ::std::result::Result::Ok(page)
                    })
                });
                crate::pagination::Pages::new(plan, options, fetch)
            }
        }
    })
}

/// `T` of the builder's `send` → `Result<ResponseValue<T>, Error<E>>`.
fn send_output(builder: &[syn::Item], name: &str) -> Option<syn::Type> {
    let send = builder
        .iter()
        .filter_map(|item| match item {
            syn::Item::Impl(i) => Some(i),
            _ => None,
        })
        .filter(
            |i| matches!(&*i.self_ty, syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == name)),
        )
        .flat_map(|i| i.items.iter())
        .find_map(|item| match item {
            syn::ImplItem::Fn(f) if f.sig.ident == "send" => Some(f),
            _ => None,
        })?;
    let syn::ReturnType::Type(_, ty) = &send.sig.output else { return None };
    unwrap(unwrap(ty, "Result")?, "ResponseValue").cloned()
}
