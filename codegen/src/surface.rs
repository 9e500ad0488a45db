//! The generated public surface as text (`api-surface.txt`), so that every contract change is a reviewable diff.

/// `fn <operation method>` and `type <types::Name>` lines, sorted.
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
