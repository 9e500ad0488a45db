//! The docs index (`llms.txt`): which API reference pages exist, compared with the contract's `x-doc-page`s.

use std::collections::BTreeSet;

use serde_json::Value;

/// The docs pages the index links to, as paths without host or extension (`api-reference/card/status`).
pub fn pages(index: &str) -> BTreeSet<String> {
    let mut pages = BTreeSet::new();
    for part in index.split("https://docs.baanx.com/").skip(1) {
        let end = part.find([')', ' ', '\n', '"', '\'']).unwrap_or(part.len());
        let page = part[..end].trim_end_matches(".md").trim_end_matches('/');
        if !page.is_empty() {
            pages.insert(page.to_string());
        }
    }
    pages
}

/// `(api reference pages with no operation, operations whose page is not in the index)`. The overview pages
/// (`introduction`, the OpenAPI file) are not operations.
pub fn compare(index: &str, contract: &Value) -> (Vec<String>, Vec<String>) {
    let pages = pages(index);
    let mut covered = BTreeSet::new();
    let mut unknown = Vec::new();
    for item in contract["paths"].as_object().into_iter().flat_map(|p| p.values()) {
        for op in item.as_object().into_iter().flat_map(|m| m.values()) {
            let Some(page) = op["x-doc-page"].as_str() else { continue };
            covered.insert(page.to_string());
            if !pages.contains(page) && op["x-undocumented"] != true {
                unknown.push(format!("{} ({page})", op["operationId"].as_str().unwrap_or("?")));
            }
        }
    }
    let missing = pages
        .iter()
        .filter(|p| p.starts_with("api-reference/") && !p.ends_with("/introduction") && !p.ends_with("openapi.json"))
        .filter(|p| !covered.contains(*p))
        .cloned()
        .collect();
    unknown.sort();
    (missing, unknown)
}
