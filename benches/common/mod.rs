//! What the benchmarks share: reading and clearing the sandbox's request log.

/// A small runtime for one blocking request.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Empty the sandbox's request log.
pub(crate) fn clear_log(base: &str) {
    let url = format!("{base}/__sandbox/log");
    runtime()
        .block_on(async { reqwest::Client::new().delete(&url).send().await })
        .expect("clear the log");
}

/// The sandbox's request log, one JSON object per request.
pub(crate) fn read_log(base: &str) -> Vec<serde_json::Value> {
    let url = format!("{base}/__sandbox/log");
    let body: serde_json::Value = runtime()
        .block_on(async { reqwest::get(&url).await?.json().await })
        .expect("read the log");
    body["entries"].as_array().cloned().unwrap_or_default()
}
