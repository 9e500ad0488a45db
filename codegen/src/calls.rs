//! `impl crate::call::Call for builder::<Operation>`: the typed body, the operation id, how an undeclared 2xx is
//! read, and the refusal check for bodies with a `success` field.
//!
//! The API crate provides the `crate::call` module: the `Call` trait (with `Output`, `OPERATION`, `send_raw`,
//! `refusal`, `undeclared_success`, `invalid_payload`), and `crate::call::{json_success, reread}`,
//! which read a success the contract did not declare and re-read a body progenitor could not decode.

use heck::ToUpperCamelCase;
use quote::{format_ident, quote};

use crate::contract::{BodyKind, Operation};

/// One `Call` impl per operation.
pub fn impls(file: &syn::File, operations: &[Operation]) -> Result<Vec<syn::Item>, String> {
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
        let reread = match op.response_kind {
            BodyKind::Json => quote! {
                fn invalid_payload(body: &[u8], _: ::serde_json::Error) -> Result<Self::Output, crate::Error> {
                    crate::call::reread::<Self::Output>(body, #id)
                }
            },
            _ => quote!(),
        };
        let undeclared = match op.response_kind {
            BodyKind::Json => quote!(crate::call::json_success::<Self::Output>(response)),
            BodyKind::Raw => quote!(async move { Ok(ResponseValue::stream(response)) }),
            BodyKind::None => {
                quote!(async move { Ok(ResponseValue::new((), response.status(), response.headers().clone())) })
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
                fn undeclared_success(response: reqwest::Response) -> impl ::std::future::Future<
                    Output = Result<ResponseValue<Self::Output>, crate::Error>,
                > + Send {
                    #undeclared
                }
                #reread
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

/// `#[must_use]` on every request builder: a request does nothing until it is sent.
pub fn mark_must_use(file: &mut syn::File) {
    for item in &mut file.items {
        if let syn::Item::Mod(m) = item
            && m.ident == "builder"
        {
            for item in m.content.iter_mut().flat_map(|(_, items)| items.iter_mut()) {
                if let syn::Item::Struct(s) = item {
                    s.attrs.push(syn::parse_quote!(
                        #[must_use = "a request does nothing until it is sent: finish it with `.call().await`"]
                    ));
                }
            }
        }
    }
}

/// `impl crate::call::Envelope for <answer type>` in the `types` module, for every operation with a JSON answer
/// (APIs that wrap answers in `{data}`): with `x-envelope: "data"` the answer is the envelope and
/// `Data` is the type of its `data` property (a list in an optional `data` is the list, empty when `data` is
/// absent or `null`); otherwise (`x-envelope: "none"`, or no extension) the answer is
/// its own data. An answer type shared by several operations gets one impl.
///
/// The API crate provides `crate::call::Envelope { type Data; fn into_data(self) -> Self::Data; }`.
pub fn envelopes(types: &mut syn::ItemMod, operations: &[Operation]) -> Result<(), String> {
    let items = &mut types.content.as_mut().ok_or("the types module has no content")?.1;
    let mut done = std::collections::BTreeSet::new();
    let mut impls: Vec<syn::Item> = Vec::new();
    for op in operations.iter().filter(|op| op.response_kind == BodyKind::Json) {
        let Some(response) = &op.response else { continue };
        let name = response.rsplit("::").next().unwrap_or(response).to_string();
        if name.contains('<') {
            return Err(format!("operation `{}`: the answer `{response}` is not a named type", op.id));
        }
        let wrapped = match op.extensions.get("x-envelope").and_then(serde_json::Value::as_str) {
            Some("data") => true,
            Some("none") | None => false,
            Some(other) => return Err(format!("operation `{}`: unknown x-envelope `{other}`", op.id)),
        };
        if !done.insert((name.clone(), wrapped)) {
            continue;
        }
        let ident = format_ident!("{name}");
        if wrapped {
            let data = items
                .iter()
                .find_map(|item| match item {
                    syn::Item::Struct(s) if s.ident == name => match &s.fields {
                        syn::Fields::Named(n) => {
                            n.named.iter().find(|f| f.ident.as_ref().is_some_and(|i| i == "data")).map(|f| f.ty.clone())
                        }
                        _ => None,
                    },
                    _ => None,
                })
                .ok_or_else(|| {
                    format!("operation `{}`: x-envelope \"data\" but `{name}` has no `data` field", op.id)
                })?;
            // A list in an optional `data` (the normaliser makes `data` nullable): `null` or absent is no items.
            let list = match &data {
                syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Option") => {
                    match &p.path.segments.last().map(|s| &s.arguments) {
                        Some(syn::PathArguments::AngleBracketed(args)) => args.args.iter().find_map(|a| match a {
                            syn::GenericArgument::Type(t @ syn::Type::Path(inner))
                                if inner.path.segments.last().is_some_and(|s| s.ident == "Vec") =>
                            {
                                Some(t.clone())
                            }
                            _ => None,
                        }),
                        _ => None,
                    }
                }
                _ => None,
            };
            impls.push(match list {
                Some(list) => syn::parse_quote! {
                    impl crate::call::Envelope for #ident {
                        type Data = #list;
                        fn into_data(self) -> Self::Data {
                            self.data.unwrap_or_default()
                        }
                    }
                },
                None => syn::parse_quote! {
                    impl crate::call::Envelope for #ident {
                        type Data = #data;
                        fn into_data(self) -> Self::Data {
                            self.data
                        }
                    }
                },
            });
        } else {
            impls.push(syn::parse_quote! {
                impl crate::call::Envelope for #ident {
                    type Data = Self;
                    fn into_data(self) -> Self::Data {
                        self
                    }
                }
            });
        }
    }
    if done.iter().any(|(name, wrapped)| done.contains(&(name.clone(), !wrapped))) {
        return Err("an answer type is an envelope for one operation and bare for another".into());
    }
    items.extend(impls);
    Ok(())
}
