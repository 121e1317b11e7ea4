//! Writes the wasi_snapshot_preview1 "proxy" adapter (the one for wasi:http components)
//! to the given file, so `jco new --adapt` / `wasm-tools component new --adapt` can use it.

use std::process::ExitCode;

use wasi_preview1_component_adapter_provider::WASI_SNAPSHOT_PREVIEW1_PROXY_ADAPTER;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out] = args.as_slice() else {
        eprintln!(
            "usage: wasi-adapter OUT.wasm   (writes the wasi_snapshot_preview1 proxy adapter)"
        );
        return ExitCode::from(2);
    };
    match std::fs::write(out, WASI_SNAPSHOT_PREVIEW1_PROXY_ADAPTER) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("wasi-adapter: cannot write {out}: {err}");
            ExitCode::FAILURE
        }
    }
}
