//! Writes the wasi_snapshot_preview1 "reactor" adapter to the given file, so `jco new
//! --adapt` / `wasm-tools component new --adapt` can make the edge component: the reactor
//! adapter, not the "proxy" one, because the component reads `MODEL_FILE` through
//! wasi:filesystem, which the proxy adapter leaves out (as Spin's own adapter does not).

use std::process::ExitCode;

use wasi_preview1_component_adapter_provider::WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out] = args.as_slice() else {
        eprintln!(
            "usage: wasi-adapter OUT.wasm   (writes the wasi_snapshot_preview1 reactor adapter)"
        );
        return ExitCode::from(2);
    };
    match std::fs::write(out, WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("wasi-adapter: cannot write {out}: {err}");
            ExitCode::FAILURE
        }
    }
}
