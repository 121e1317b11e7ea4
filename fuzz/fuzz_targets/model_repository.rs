//! The model repository of `host serve --model-dir` (host/src/repository.rs) over a
//! directory the fuzzer writes: file names of every form (served, ignored, clashing, odd),
//! contents valid, damaged or any bytes, a memory limit and a default model; then load and
//! unload calls, rewrites, deletions and reloads (SIGHUP's and `--watch`'s) in any order.
//! Start-up fails with one line or serves; after every change the index and the snapshot
//! agree, every READY model is served, every refusal is a 400, 404 or 409 with one line,
//! and the models serving stay within `--max-model-bytes`.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use arbitrary::{Result, Unstructured};
use host::repository::{ModelRepository, ModelSource, RepositoryConfig, Trigger};
use libfuzzer_sys::fuzz_target;
use predictor::ModelState;

/// Small valid models of different kinds (bigger ones would make an input slow).
const MODELS: &[&[u8]] = &[
    include_bytes!("../../model_data/zoo/sklearn-1.9/ridge.model.json"),
    include_bytes!(
        "../../model_data/zoo/sklearn-1.9/logistic_regression_multinomial_str.model.json"
    ),
    include_bytes!("../../model_data/zoo/sklearn-1.9/pipeline_standard_ridge.model.json"),
    include_bytes!("../../model_data/zoo/sklearn-1.9/decision_tree_classifier_nan.model.json"),
];

/// File names: served as `NAME` (`NAME.model.json`, `NAME.json`), ignored, or odd.
fn file_name(u: &mut Unstructured) -> Result<String> {
    let n = u.int_in_range(0u8..=3)?;
    Ok(match u.int_in_range(0u8..=9)? {
        0 | 1 => format!("m{n}.model.json"),
        2 => format!("m{n}.json"),
        3 => format!("m{n}.txt"),
        4 => ".model.json".to_string(),
        5 => format!("m {n}.model.json"),
        6 => format!("m{n}.model.json.tmp"),
        7 => format!(".m{n}.json"),
        8 => "ü.model.json".to_string(),
        // Any name a file can have (one path component): bounded, so the repository's
        // interned names stay bounded too.
        _ => {
            let s: String = u.arbitrary()?;
            let s: String = s
                .chars()
                .filter(|&c| c != '/' && c != '\0')
                .take(12)
                .collect();
            if s.is_empty() || s == "." || s == ".." {
                "m0.model.json".to_string()
            } else {
                s
            }
        }
    })
}

/// A file's bytes: a valid model, one cut short or with a byte changed, or any bytes.
fn contents(u: &mut Unstructured) -> Result<Vec<u8>> {
    let model = *u.choose(MODELS)?;
    Ok(match u.int_in_range(0u8..=3)? {
        0 => model.to_vec(),
        1 => model[..u.int_in_range(0..=model.len())?].to_vec(),
        2 => {
            let mut bytes = model.to_vec();
            let at = u.int_in_range(0..=bytes.len() - 1)?;
            bytes[at] = u.arbitrary()?;
            bytes
        }
        _ => {
            let len = u.int_in_range(0..=256)?;
            u.bytes(len)?.to_vec()
        }
    })
}

/// A name to load or unload: one the repository has, or any.
fn model_name(u: &mut Unstructured, repository: &ModelRepository) -> Result<String> {
    let names: Vec<String> = repository.index().into_iter().map(|e| e.name).collect();
    if !names.is_empty() && u.ratio(3, 4)? {
        return Ok(u.choose(&names)?.clone());
    }
    Ok(format!("m{}", u.int_in_range(0u8..=4)?))
}

fn one_line(message: &str) {
    assert!(
        !message.is_empty() && !message.contains('\n'),
        "{message:?}"
    );
}

/// What must hold after every change.
fn check(repository: &ModelRepository, limit: Option<u64>) {
    let snapshot = repository.snapshot();
    let index = repository.index();
    assert_eq!(index.len(), snapshot.names().count());
    let mut serving_bytes = 0;
    for entry in &index {
        match (entry.state, snapshot.get(&entry.name)) {
            (ModelState::Ready, Ok(_)) => {
                let name = snapshot.names().find(|n| *n == entry.name).unwrap();
                serving_bytes += repository.metrics().bytes(name).get() as u64;
            }
            (ModelState::Unavailable, Err(why)) => {
                one_line(&why);
                assert!(!entry.reason.is_empty(), "{entry:?}");
            }
            (state, got) => panic!("{state:?} in the index, {got:?} in the snapshot"),
        }
    }
    if let Some(limit) = limit {
        assert!(
            serving_bytes <= limit,
            "{serving_bytes} bytes serving, limit {limit}"
        );
    }
}

fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        std::env::temp_dir().join(format!("fuzz-model-repository-{}", std::process::id()))
    })
}

fn run(data: &[u8]) -> Result<()> {
    let mut u = Unstructured::new(data);
    let dir = dir();
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    for _ in 0..u.int_in_range(0..=4)? {
        std::fs::write(dir.join(file_name(&mut u)?), contents(&mut u)?).unwrap();
    }
    let limit = if u.ratio(1, 3)? {
        Some(u64::from(u.int_in_range(0u32..=200_000)?))
    } else {
        None
    };
    let default_model = if u.ratio(1, 3)? {
        Some(format!("m{}", u.int_in_range(0u8..=4)?))
    } else {
        None
    };
    let config = RepositoryConfig {
        source: ModelSource::Dir(dir.clone()),
        default_model,
        max_model_bytes: limit,
    };
    let repository = match ModelRepository::open(config) {
        Ok(repository) => repository,
        Err(e) => {
            one_line(&e.to_string());
            return Ok(());
        }
    };
    check(&repository, limit);
    for _ in 0..u.int_in_range(0..=6)? {
        match u.int_in_range(0u8..=4)? {
            0 => {
                let name = model_name(&mut u, &repository)?;
                match repository.load(&name) {
                    Ok(entry) => {
                        assert_eq!(entry.state, ModelState::Ready, "{entry:?}");
                        assert!(repository.snapshot().get(&name).is_ok());
                    }
                    Err(e) => {
                        assert!(matches!(e.status, 400 | 404 | 409), "{e:?}");
                        one_line(&e.message);
                    }
                }
            }
            1 => {
                let name = model_name(&mut u, &repository)?;
                match repository.unload(&name) {
                    Ok(entry) => {
                        assert_eq!(entry.state, ModelState::Unavailable, "{entry:?}");
                        assert!(repository.snapshot().get(&name).is_err());
                    }
                    Err(e) => {
                        assert_eq!(e.status, 404, "{e:?}");
                        one_line(&e.message);
                    }
                }
            }
            2 => {
                std::fs::write(dir.join(file_name(&mut u)?), contents(&mut u)?).unwrap();
                repository.reload(if u.arbitrary()? {
                    Trigger::Sighup
                } else {
                    Trigger::Watch
                });
            }
            3 => {
                let _ = std::fs::remove_file(dir.join(file_name(&mut u)?));
                repository.reload(Trigger::Sighup);
            }
            _ => repository.reload(Trigger::Watch),
        }
        check(&repository, limit);
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(data);
});
