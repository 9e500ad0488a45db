//! Reading and writing OpenAPI documents: JSON or YAML in, canonical JSON out.

use anyhow::{Context as _, Result, bail};
use serde_json::Value;

/// Parses a document given as JSON or YAML text.
pub fn parse(text: &str, origin: &str) -> Result<Value> {
    let trimmed = text.trim_start();
    let value: Value = if trimmed.starts_with('{') {
        serde_json::from_str(text).with_context(|| format!("{origin}: not valid JSON"))?
    } else {
        serde_norway::from_str(text).with_context(|| format!("{origin}: neither JSON nor valid YAML"))?
    };
    if !value.is_object() {
        bail!("{origin}: not an OpenAPI document (the top level is not an object)");
    }
    if value.get("openapi").and_then(Value::as_str).is_none() {
        bail!("{origin}: no `openapi` version field (OpenAPI 3.0 or 3.1 expected)");
    }
    Ok(value)
}

/// The canonical text: keys sorted, two-space indentation, a final newline. Rendering twice gives the same bytes.
pub fn render(value: &Value) -> String {
    // serde_json's map is ordered by key (no `preserve_order`), so any document renders the same way.
    let mut text = serde_json::to_string_pretty(value).expect("a JSON value always serialises");
    text.push('\n');
    text
}

/// Reads a document from a file, or fetches it from an `http(s)` URL.
pub fn load(source: &str) -> Result<String> {
    if source.starts_with("http://") || source.starts_with("https://") {
        fetch(source)
    } else {
        std::fs::read_to_string(source).with_context(|| format!("cannot read {source}"))
    }
}

fn fetch(url: &str) -> Result<String> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(30)).build()?;
        let response = client.get(url).send().await.map_err(|e| {
            anyhow::anyhow!(
                "cannot reach {url}: {e}\n(no network here? download it elsewhere and pass the file instead of the URL)"
            )
        })?;
        if !response.status().is_success() {
            bail!("{url} answered HTTP {}", response.status());
        }
        Ok(response.text().await?)
    })
}
