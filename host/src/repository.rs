//! The model repository of `host serve`: the models it serves by name, from the embedded
//! model, one `--model` file or every model file of a `--model-dir`, and their hot reload.
//!
//! Requests read an immutable `Snapshot` (`arc-swap`: one atomic load, no lock); a load,
//! unload or reload builds the next snapshot beside it and swaps it in, so a request in
//! flight finishes on the models it started with and never sees half a change. Changes
//! are serialised by one mutex, which also holds what each file looked like when it was
//! last read (for `--watch`). A file that does not validate, or would go over
//! `--max-model-bytes`, changes nothing but its index line (`reason`), the log and
//! `host_model_load_failures_total{model}`: the model it would replace keeps serving.

use std::cell::Cell;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::SystemTime;

use arc_swap::ArcSwap;
use predictor::{Model, ModelState, Models, Repository, RepositoryEntry, RepositoryError};

use crate::error::HostError;
use crate::heap_meter;
use crate::observe::ModelMetrics;

/// Where the models come from (the command line's `--model`, `--model-dir` or neither).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelSource {
    /// The model compiled into the binary.
    Embedded,
    /// One model file, served under the name it declares.
    File(PathBuf),
    /// Every `NAME.model.json` or `NAME.json` in the directory, served as `NAME`.
    Dir(PathBuf),
}

/// How the repository is set up.
#[derive(Clone, Debug)]
pub struct RepositoryConfig {
    pub source: ModelSource,
    /// The model `POST /predict` answers (`--default-model`); `None`: the only model.
    pub default_model: Option<String>,
    /// Most model bytes loaded at once (`--max-model-bytes`); `None`: no limit.
    pub max_model_bytes: Option<u64>,
}

/// The models being served now. Fixed once built: a change is a new snapshot.
#[derive(Debug)]
pub struct Snapshot {
    entries: BTreeMap<&'static str, Entry>,
    default: Option<&'static str>,
}

/// One model of the repository, serving or not.
#[derive(Clone, Debug)]
struct Entry {
    name: &'static str,
    /// The model answering requests; `None` while unavailable.
    model: Option<Arc<Model>>,
    /// The serving model's version (or the last one that served).
    version: String,
    /// Why it is unavailable, or why its last reload failed; empty when all is well.
    reason: String,
    /// `host_model_bytes`: the heap the serving model holds, measured as it loaded (0 for
    /// the embedded model, which is part of the binary).
    bytes: u64,
    /// Unloaded by a repository call: reloads leave it alone until a load call.
    unloaded: bool,
}

impl Snapshot {
    /// The model called `name`, or why there is none (unknown, or unavailable and why).
    pub fn get(&self, name: &str) -> Result<&Arc<Model>, String> {
        self.lookup(name).map(|(_, model)| model)
    }

    /// The model `POST /predict` answers, or why there is none.
    pub fn default_model(&self) -> Result<&Arc<Model>, String> {
        self.lookup_default().map(|(_, model)| model)
    }

    /// The name of the default model.
    pub fn default_name(&self) -> Option<&'static str> {
        self.default
    }

    /// Every model name, ready or not, sorted.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.entries.keys().copied()
    }

    /// `get` with the model's name for the life of the process (`&'static`): the label
    /// to put on a metric, bounded by the repository's names.
    pub fn lookup(&self, name: &str) -> Result<(&'static str, &Arc<Model>), String> {
        let Some(entry) = self.entries.get(name) else {
            let names: Vec<&str> = self.names().collect();
            return Err(format!(
                "unknown model {name:?}; this server serves {}",
                quoted_list(&names)
            ));
        };
        match &entry.model {
            Some(model) => Ok((entry.name, model)),
            None => Err(format!("model {name:?} is unavailable: {}", entry.reason)),
        }
    }

    /// `default_model` with its name for metric labels, as `lookup`.
    pub fn lookup_default(&self) -> Result<(&'static str, &Arc<Model>), String> {
        match self.default {
            Some(name) => self.lookup(name),
            None => Err(
                "no default model: name one with --default-model, or POST to \
                         /models/{name}/predict"
                    .to_string(),
            ),
        }
    }

    fn index_entry(entry: &Entry) -> RepositoryEntry {
        RepositoryEntry {
            name: entry.name.to_string(),
            version: entry.version.clone(),
            state: if entry.model.is_some() {
                ModelState::Ready
            } else {
                ModelState::Unavailable
            },
            reason: entry.reason.clone(),
        }
    }

    fn loaded_bytes_except(&self, name: &str) -> u64 {
        self.entries
            .values()
            .filter(|e| e.name != name && e.model.is_some())
            .map(|e| e.bytes)
            .sum()
    }
}

/// What a file looked like when it was last read: a change of any part is a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FileStamp {
    len: u64,
    modified: Option<SystemTime>,
    inode: u64,
}

impl FileStamp {
    fn of(path: &Path) -> Option<FileStamp> {
        let meta = std::fs::metadata(path).ok()?;
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&meta);
        #[cfg(not(unix))]
        let inode = 0;
        Some(FileStamp {
            len: meta.len(),
            modified: meta.modified().ok(),
            inode,
        })
    }
}

/// Held while the repository changes: what each file looked like when last read.
#[derive(Debug, Default)]
struct Changes {
    stamps: BTreeMap<&'static str, FileStamp>,
}

/// The served models and how they change.
pub struct ModelRepository {
    current: ArcSwap<Snapshot>,
    source: ModelSource,
    max_model_bytes: Option<u64>,
    metrics: ModelMetrics,
    changes: Mutex<Changes>,
}

impl std::fmt::Debug for ModelRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelRepository")
            .field("source", &self.source)
            .field("models", &self.current.load().entries.len())
            .finish_non_exhaustive()
    }
}

/// How a change was asked for (in log lines).
#[derive(Clone, Copy, Debug)]
pub enum Trigger {
    Startup,
    LoadCall,
    Sighup,
    Watch,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Startup => "startup",
            Trigger::LoadCall => "load call",
            Trigger::Sighup => "SIGHUP",
            Trigger::Watch => "file change",
        }
    }
}

impl ModelRepository {
    /// One fixed model (tests, and `AppConfig::new`): no files, never reloaded.
    pub fn single(model: &Model) -> ModelRepository {
        let name = intern(model.name());
        let entry = Entry {
            name,
            model: Some(Arc::new(model.clone())),
            version: model.version().to_string(),
            reason: String::new(),
            bytes: 0,
            unloaded: false,
        };
        let metrics = ModelMetrics::default();
        metrics.bytes(name).set(0);
        ModelRepository {
            current: ArcSwap::from_pointee(Snapshot {
                entries: BTreeMap::from([(name, entry)]),
                default: Some(name),
            }),
            source: ModelSource::Embedded,
            max_model_bytes: None,
            metrics,
            changes: Mutex::new(Changes::default()),
        }
    }

    /// Reads and validates every model of `config.source`. At start-up every file must
    /// load (as Triton exits on a model that fails): a server that silently lacks a model
    /// is worse than one that does not start and says why.
    pub fn open(config: RepositoryConfig) -> Result<ModelRepository, HostError> {
        let startup = |message: String| HostError::Repository(message);
        let files: BTreeMap<&'static str, PathBuf> = match &config.source {
            ModelSource::Embedded => BTreeMap::new(),
            ModelSource::File(path) => {
                let model = crate::read_model(path)?;
                BTreeMap::from([(intern(model.name()), path.clone())])
            }
            ModelSource::Dir(dir) => {
                let scan = scan_dir(dir).map_err(startup)?;
                if let Some((name, problem)) = scan.problems.iter().next() {
                    return Err(startup(format!("model {name:?}: {problem}")));
                }
                if let Some(warning) = scan.ignored.first() {
                    return Err(startup(warning.clone()));
                }
                if scan.files.is_empty() {
                    return Err(startup(format!(
                        "--model-dir {}: no model files (NAME.model.json or NAME.json) in it",
                        dir.display()
                    )));
                }
                scan.files
            }
        };
        let mut repository = if config.source == ModelSource::Embedded {
            ModelRepository::single(Model::embedded())
        } else {
            ModelRepository {
                current: ArcSwap::from_pointee(Snapshot {
                    entries: BTreeMap::new(),
                    default: None,
                }),
                source: config.source.clone(),
                max_model_bytes: config.max_model_bytes,
                metrics: ModelMetrics::default(),
                changes: Mutex::new(Changes::default()),
            }
        };
        repository.max_model_bytes = config.max_model_bytes;
        for (name, path) in &files {
            repository
                .load_file(&mut repository.lock(), name, path, Trigger::Startup)
                .map_err(|err| startup(err.message))?;
        }
        let snapshot = repository.current.load_full();
        let names: Vec<&str> = snapshot.names().collect();
        let default = match &config.default_model {
            Some(wanted) => snapshot
                .entries
                .get(wanted.as_str())
                .map(|e| e.name)
                .ok_or_else(|| {
                    startup(format!(
                        "--default-model {wanted:?}: no such model; there are {}",
                        quoted_list(&names)
                    ))
                })?,
            None if names.len() == 1 => snapshot.names().next().expect("one name"),
            None => {
                return Err(startup(format!(
                    "{} models ({}) and no --default-model: name the one POST /predict answers",
                    names.len(),
                    quoted_list(&names)
                )))
            }
        };
        repository.current.store(Arc::new(Snapshot {
            entries: snapshot.entries.clone(),
            default: Some(default),
        }));
        Ok(repository)
    }

    /// The models serving now, for as long as the caller holds it (the gRPC service and
    /// anything else outside the route table looks models up here).
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// The same, cheaper, for the length of one request answered on this thread.
    pub fn snapshot_guard(&self) -> arc_swap::Guard<Arc<Snapshot>> {
        self.current.load()
    }

    pub fn metrics(&self) -> &ModelMetrics {
        &self.metrics
    }

    /// The directory of `--model-dir`, if that is the source.
    pub fn dir(&self) -> Option<&Path> {
        match &self.source {
            ModelSource::Dir(dir) => Some(dir),
            _ => None,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Changes> {
        // A panic while holding it cannot leave a half-built snapshot (snapshots are only
        // stored whole), so a poisoned lock is still good.
        self.changes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reads `path` as the model `name` and, if it validates and fits the memory limit,
    /// serves it. Otherwise the old model (if any) keeps serving and the failure is
    /// recorded in the index, the log and the failure counter.
    fn load_file(
        &self,
        changes: &mut Changes,
        name: &'static str,
        path: &Path,
        trigger: Trigger,
    ) -> Result<RepositoryEntry, RepositoryError> {
        let stamp = FileStamp::of(path);
        if let Some(stamp) = stamp {
            changes.stamps.insert(name, stamp);
        }
        match self.read_checked(name, path, stamp.is_some()) {
            Ok((model, bytes)) => {
                let version = model.version().to_string();
                let entry = Entry {
                    name,
                    model: Some(Arc::new(model)),
                    version,
                    reason: String::new(),
                    bytes,
                    unloaded: false,
                };
                self.metrics
                    .bytes(name)
                    .set(i64::try_from(bytes).unwrap_or(i64::MAX));
                self.metrics.loads(name).inc();
                tracing::info!(
                    model = name,
                    model_version = entry.version.as_str(),
                    path = %path.display(),
                    bytes,
                    trigger = trigger.as_str(),
                    "model loaded"
                );
                Ok(self.store(entry))
            }
            Err(err) => {
                self.metrics.load_failures(name).inc();
                tracing::warn!(
                    model = name,
                    path = %path.display(),
                    trigger = trigger.as_str(),
                    error = err.message.as_str(),
                    "model load failed; the model it would replace (if any) keeps serving"
                );
                let current = self.current.load();
                let entry = match current.entries.get(name) {
                    Some(old) if old.model.is_some() => Entry {
                        reason: format!(
                            "the last load failed, version {} keeps serving: {}",
                            old.version, err.message
                        ),
                        ..old.clone()
                    },
                    old => Entry {
                        name,
                        model: None,
                        version: old.map(|o| o.version.clone()).unwrap_or_default(),
                        reason: err.message.clone(),
                        bytes: 0,
                        unloaded: old.is_some_and(|o| o.unloaded),
                    },
                };
                drop(current);
                self.store(entry);
                Err(err)
            }
        }
    }

    /// The file's model, named `name`, and the bytes it holds in memory, if it is valid
    /// and fits (`exists`: the file was there when stamped).
    fn read_checked(
        &self,
        name: &str,
        path: &Path,
        exists: bool,
    ) -> Result<(Model, u64), RepositoryError> {
        let refuse = |status: u16, message: String| RepositoryError { status, message };
        if !exists {
            return Err(refuse(
                404,
                format!("model {name:?}: no file {}", path.display()),
            ));
        }
        // The heap the model holds once parsed: the file's bytes are read and freed inside
        // the measurement (`from_json_vec` frees them before the trees are laid out, so a
        // large file is not held beside its trees), like the parse's scratch, and net out.
        let (model, memory) = heap_meter::retained_by(|| {
            let bytes = std::fs::read(path).map_err(|e| {
                refuse(
                    404,
                    format!("model {name:?}: cannot read {}: {e}", path.display()),
                )
            })?;
            let mut model = Model::from_json_vec(bytes).map_err(|e| {
                refuse(
                    400,
                    format!(
                        "model {name:?}: {} is not a valid model: {e}",
                        path.display()
                    ),
                )
            })?;
            model.set_name(name.to_string());
            Ok(model)
        });
        let model = model?;
        if let Some(limit) = self.max_model_bytes {
            let others = self.current.load().loaded_bytes_except(name);
            if others.saturating_add(memory) > limit {
                return Err(refuse(
                    409,
                    format!(
                        "model {name:?}: {} holds {memory} bytes in memory, and with the \
                         {others} bytes of the other loaded models that is over \
                         --max-model-bytes {limit}",
                        path.display(),
                    ),
                ));
            }
        }
        Ok((model, memory))
    }

    /// Swaps in a snapshot with `entry` in place of its old self; answers its index line.
    fn store(&self, entry: Entry) -> RepositoryEntry {
        let line = Snapshot::index_entry(&entry);
        let current = self.current.load_full();
        let mut entries = current.entries.clone();
        entries.insert(entry.name, entry);
        self.current.store(Arc::new(Snapshot {
            entries,
            default: current.default,
        }));
        line
    }

    /// The file `name` is read from now: rescanned for a directory (so a file added since
    /// start-up loads), the one file otherwise.
    fn file_of(&self, name: &str) -> Result<Option<(&'static str, PathBuf)>, RepositoryError> {
        match &self.source {
            ModelSource::Embedded => Ok(None),
            ModelSource::File(path) => {
                let snapshot = self.current.load();
                match snapshot.entries.get(name) {
                    Some(entry) => Ok(Some((entry.name, path.clone()))),
                    None => Err(unknown(name, &snapshot)),
                }
            }
            ModelSource::Dir(dir) => {
                let scan = scan_dir(dir).map_err(|message| RepositoryError {
                    status: 500,
                    message,
                })?;
                if let Some(problem) = scan.problems.get(name) {
                    return Err(RepositoryError {
                        status: 400,
                        message: format!("model {name:?}: {problem}"),
                    });
                }
                match scan.files.get_key_value(name) {
                    Some((name, path)) => Ok(Some((name, path.clone()))),
                    None => Err(RepositoryError {
                        status: 404,
                        message: format!(
                            "no model file for {name:?} in {} (looked for {name}.model.json \
                             and {name}.json)",
                            dir.display()
                        ),
                    }),
                }
            }
        }
    }

    /// Every model's index line.
    pub fn index(&self) -> Vec<RepositoryEntry> {
        self.current
            .load()
            .entries
            .values()
            .map(Snapshot::index_entry)
            .collect()
    }

    /// Reads and validates `name`'s file again and serves it if it is valid (the load
    /// call; also brings back a model unloaded by a call).
    pub fn load(&self, name: &str) -> Result<RepositoryEntry, RepositoryError> {
        let mut changes = self.lock();
        match self.file_of(name)? {
            Some((name, path)) => self.load_file(&mut changes, name, &path, Trigger::LoadCall),
            None => {
                // The embedded model: nothing to read, it serves again.
                let snapshot = self.current.load();
                let Some(entry) = snapshot.entries.get(name) else {
                    return Err(unknown(name, &snapshot));
                };
                let entry = Entry {
                    model: Some(Arc::new(Model::embedded().clone())),
                    reason: String::new(),
                    unloaded: false,
                    ..entry.clone()
                };
                drop(snapshot);
                tracing::info!(model = entry.name, "model loaded (embedded)");
                self.metrics.loads(entry.name).inc();
                Ok(self.store(entry))
            }
        }
    }

    /// Stops serving `name` until a load call; it stays in the index as unavailable.
    pub fn unload(&self, name: &str) -> Result<RepositoryEntry, RepositoryError> {
        let _changes = self.lock();
        let snapshot = self.current.load();
        let Some(entry) = snapshot.entries.get(name) else {
            return Err(unknown(name, &snapshot));
        };
        let entry = Entry {
            model: None,
            reason: "unloaded by a repository call (POST .../load serves it again)".to_string(),
            bytes: 0,
            unloaded: true,
            ..entry.clone()
        };
        drop(snapshot);
        self.metrics.bytes(entry.name).set(0);
        tracing::info!(model = entry.name, "model unloaded");
        Ok(self.store(entry))
    }

    /// Rereads the source: every file on SIGHUP (`everything`), only files changed since
    /// they were last read with `--watch`. New files in the directory load, removed ones
    /// stop serving; models unloaded by a call are left alone. Failures are recorded per
    /// model (index, log, metric) and never stop the others.
    pub fn reload(&self, trigger: Trigger) {
        let everything = !matches!(trigger, Trigger::Watch);
        let mut changes = self.lock();
        let files: BTreeMap<&'static str, PathBuf> = match &self.source {
            ModelSource::Embedded => return,
            ModelSource::File(path) => self
                .current
                .load()
                .names()
                .map(|name| (name, path.clone()))
                .collect(),
            ModelSource::Dir(dir) => match scan_dir(dir) {
                Ok(scan) => {
                    for warning in &scan.ignored {
                        tracing::warn!(trigger = trigger.as_str(), "{warning}");
                    }
                    for (name, problem) in &scan.problems {
                        self.record_problem(intern(name), problem, trigger);
                    }
                    scan.files
                }
                Err(message) => {
                    tracing::warn!(
                        trigger = trigger.as_str(),
                        error = message.as_str(),
                        "cannot rescan"
                    );
                    return;
                }
            },
        };
        let snapshot = self.current.load_full();
        for entry in snapshot.entries.values() {
            if !files.contains_key(entry.name) && entry.model.is_some() && self.dir().is_some() {
                self.metrics.bytes(entry.name).set(0);
                tracing::warn!(model = entry.name, "model file removed: model unavailable");
                changes.stamps.remove(entry.name);
                self.store(Entry {
                    model: None,
                    reason: "its file was removed from the model directory".to_string(),
                    bytes: 0,
                    ..entry.clone()
                });
            }
        }
        for (name, path) in &files {
            let entry = snapshot.entries.get(name);
            if entry.is_some_and(|e| e.unloaded) {
                continue;
            }
            let changed = changes.stamps.get(name).copied() != FileStamp::of(path);
            if everything || changed || entry.is_none() {
                // Failures are recorded by load_file.
                let _ = self.load_file(&mut changes, name, path, trigger);
            }
        }
    }

    /// A name whose files are in conflict: the old model keeps serving, the reason shows.
    fn record_problem(&self, name: &'static str, problem: &str, trigger: Trigger) {
        let current = self.current.load_full();
        let old = current.entries.get(name);
        if old.is_some_and(|o| o.reason.ends_with(problem)) {
            return;
        }
        self.metrics.load_failures(name).inc();
        tracing::warn!(
            model = name,
            trigger = trigger.as_str(),
            error = problem,
            "model not reloaded"
        );
        let entry = match old {
            Some(old) if old.model.is_some() => Entry {
                reason: format!("version {} keeps serving: {problem}", old.version),
                ..old.clone()
            },
            old => Entry {
                name,
                model: None,
                version: old.map(|o| o.version.clone()).unwrap_or_default(),
                reason: problem.to_string(),
                bytes: 0,
                unloaded: false,
            },
        };
        self.store(entry);
    }
}

fn unknown(name: &str, snapshot: &Snapshot) -> RepositoryError {
    let names: Vec<&str> = snapshot.names().collect();
    RepositoryError {
        status: 404,
        message: format!(
            "unknown model {name:?}; the repository has {}",
            quoted_list(&names)
        ),
    }
}

fn quoted_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A directory's model files by name, names with two files, and files that cannot be
/// served (a name a URL cannot carry).
#[derive(Debug, Default)]
struct Scan {
    files: BTreeMap<&'static str, PathBuf>,
    problems: BTreeMap<String, String>,
    ignored: Vec<String>,
}

/// The model name of a file: `NAME.model.json` (the exporter's habit) or `NAME.json`.
/// Hidden files (editors' and Kubernetes ConfigMaps' `..data`) are not models.
pub fn model_name(file_name: &str) -> Option<&str> {
    if file_name.starts_with('.') {
        return None;
    }
    let name = file_name
        .strip_suffix(".model.json")
        .or_else(|| file_name.strip_suffix(".json"))?;
    (!name.is_empty()).then_some(name)
}

/// A model name goes into URL paths unescaped.
fn valid_name(name: &str) -> bool {
    name.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
}

fn scan_dir(dir: &Path) -> Result<Scan, String> {
    let read = std::fs::read_dir(dir)
        .map_err(|e| format!("--model-dir {}: cannot list it: {e}", dir.display()))?;
    let mut scan = Scan::default();
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    for item in read {
        let item = item.map_err(|e| format!("--model-dir {}: {e}", dir.display()))?;
        let file_name = item.file_name();
        let Some(file_name) = file_name.to_str() else {
            continue;
        };
        let Some(name) = model_name(file_name) else {
            continue;
        };
        let path = item.path();
        // Follows symbolic links (ConfigMap files are links into `..data`).
        if !std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
            continue;
        }
        if !valid_name(name) {
            // Escaped: the name may hold a newline or other control characters, and the
            // warning is one line of the log or of start-up's error (found by the
            // `model_repository` fuzz target with a file called "\n.json").
            scan.ignored.push(format!(
                "{}: a model name may hold letters, digits, '.', '_' and '-' only; not served",
                path.display().to_string().escape_debug()
            ));
            continue;
        }
        if let Some(other) = seen.insert(name.to_string(), path.clone()) {
            let (a, b) = if other < path {
                (other, path)
            } else {
                (path, other)
            };
            scan.problems.insert(
                name.to_string(),
                format!(
                    "two files name it, {} and {}: remove one",
                    a.display(),
                    b.display()
                ),
            );
        }
    }
    for (name, path) in seen {
        if !scan.problems.contains_key(&name) {
            scan.files.insert(intern(&name), path);
        }
    }
    Ok(scan)
}

/// A model name for the life of the process: metric labels and snapshots share it without
/// allocating per request. Only names of files in the model directory get here, so the
/// set is bounded by what the operator puts there.
fn intern(name: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(&known) = names.get(name) {
        return known;
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(leaked);
    leaked
}

/// The route table's view of the repository for one request: the snapshot the request
/// started on, the repository for its own routes, and which model answered (for the
/// `model` metric label).
pub struct RequestModels<'a> {
    snapshot: &'a Snapshot,
    repository: &'a ModelRepository,
    answered: Cell<Option<&'static str>>,
}

impl<'a> RequestModels<'a> {
    pub fn new(snapshot: &'a Snapshot, repository: &'a ModelRepository) -> Self {
        Self {
            snapshot,
            repository,
            answered: Cell::new(None),
        }
    }

    /// The model the route table looked up last, if it was found.
    pub fn answered(&self) -> Option<&'static str> {
        self.answered.get()
    }
}

impl Models for RequestModels<'_> {
    fn get(&self, name: &str) -> Result<&Model, String> {
        let (name, model) = self.snapshot.lookup(name)?;
        self.answered.set(Some(name));
        Ok(model)
    }

    fn default_model(&self) -> Result<&Model, String> {
        let (name, model) = self.snapshot.lookup_default()?;
        self.answered.set(Some(name));
        Ok(model)
    }

    fn repository(&self) -> Option<&dyn Repository> {
        Some(self.repository)
    }
}

impl Repository for ModelRepository {
    fn index(&self) -> Vec<RepositoryEntry> {
        ModelRepository::index(self)
    }

    fn load(&self, name: &str) -> Result<RepositoryEntry, RepositoryError> {
        ModelRepository::load(self, name)
    }

    fn unload(&self, name: &str) -> Result<RepositoryEntry, RepositoryError> {
        ModelRepository::unload(self, name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names_come_from_file_names() {
        assert_eq!(model_name("boston.model.json"), Some("boston"));
        assert_eq!(model_name("iris.json"), Some("iris"));
        assert_eq!(model_name(".iris.json"), None);
        assert_eq!(model_name(".json"), None);
        assert_eq!(model_name("notes.txt"), None);
        assert!(valid_name("gbr-v2.1_x"));
        assert!(!valid_name("a b"));
        assert!(!valid_name("a%2F"));
    }

    #[test]
    fn interned_names_are_shared() {
        let a = intern("same-name");
        let b = intern(&String::from("same-name"));
        assert!(std::ptr::eq(a, b));
    }
}
