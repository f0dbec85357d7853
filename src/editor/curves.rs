//! The editor's curve worker: computes the chain as curves (what the plot shows) on its own
//! thread, so dragging a knob never stalls the GUI and nothing here touches the audio thread.
//! It computes curves only; filters are the background designer's job.

use crate::chain::ChainCurves;
use crate::design::{self, DesignSettings};
use crate::presets::PresetLibrary;
use crate::source::Headphone;
use crate::state::SlotContent;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

/// What the curves depend on: the parameters' design settings and the state's generation.
#[derive(Debug, Clone, PartialEq)]
pub struct CurveKey {
    /// Target, knobs, correction settings (the engine mode is ignored: it does not change the
    /// curves).
    pub settings: DesignSettings,
    /// [`crate::state::SharedState::generation`] when the headphone and slots were read.
    pub state_generation: u64,
}

/// A request: the key and the data it names.
struct Request {
    key: CurveKey,
    headphone: Option<Headphone>,
    slots: Vec<SlotContent>,
}

/// The chain curves for a key, or why there are none.
#[derive(Debug, Clone)]
pub struct CurveResult {
    /// What they were computed for.
    pub key: CurveKey,
    /// The curves, or the designer's error text (the plugin plays no correction then).
    pub curves: Result<Arc<ChainCurves>, String>,
}

#[derive(Default)]
struct Slots {
    request: Option<Request>,
    result: Option<CurveResult>,
    busy: bool,
}

struct Shared {
    slots: Mutex<Slots>,
    wake: Condvar,
    stop: AtomicBool,
}

fn lock(m: &Mutex<Slots>) -> MutexGuard<'_, Slots> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The worker's handle; dropping it stops the thread.
pub struct CurveWorker {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    requested: Option<CurveKey>,
}

impl CurveWorker {
    /// Starts the thread with the built-in targets of `library`.
    pub fn spawn(library: Arc<PresetLibrary>) -> Self {
        let shared = Arc::new(Shared {
            slots: Mutex::new(Slots::default()),
            wake: Condvar::new(),
            stop: AtomicBool::new(false),
        });
        let thread_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("refcan-editor-curves".into())
            .spawn(move || run(&thread_shared, &library))
            .ok();
        Self {
            shared,
            thread,
            requested: None,
        }
    }

    /// Asks for the curves of `key` unless they were the last thing asked for; `data` reads the
    /// headphone and slots only when a request is made. A newer request replaces one that has
    /// not started.
    pub fn request(
        &mut self,
        key: CurveKey,
        data: impl FnOnce() -> (Option<Headphone>, Vec<SlotContent>),
    ) {
        if self.requested.as_ref() == Some(&key) {
            return;
        }
        let (headphone, slots) = data();
        self.requested = Some(key.clone());
        lock(&self.shared.slots).request = Some(Request {
            key,
            headphone,
            slots,
        });
        self.shared.wake.notify_one();
    }

    /// The newest finished result (possibly for an older key while a newer one is computed).
    pub fn latest(&self) -> Option<CurveResult> {
        lock(&self.shared.slots).result.clone()
    }

    /// True while a request waits or runs.
    pub fn is_busy(&self) -> bool {
        let s = lock(&self.shared.slots);
        s.busy || s.request.is_some()
    }

    /// Waits until the last request is done or `timeout` passes; true when done (tests and
    /// the screenshot use this; the editor itself never waits).
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        let mut s = lock(&self.shared.slots);
        while s.busy || s.request.is_some() {
            let now = std::time::Instant::now();
            if now >= deadline {
                return false;
            }
            s = self
                .shared
                .wake
                .wait_timeout(s, deadline - now)
                .map(|(g, _)| g)
                .unwrap_or_else(|e| e.into_inner().0);
        }
        true
    }
}

impl Drop for CurveWorker {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        self.shared.wake.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(shared: &Shared, library: &PresetLibrary) {
    loop {
        let request = {
            let mut s = lock(&shared.slots);
            loop {
                if shared.stop.load(Ordering::Acquire) {
                    return;
                }
                if let Some(r) = s.request.take() {
                    s.busy = true;
                    break r;
                }
                s = shared.wake.wait(s).unwrap_or_else(|e| e.into_inner());
            }
        };
        let sources = design::slot_sources(&request.slots);
        let curves = design::chain_curves(
            &request.key.settings,
            request.headphone.as_ref(),
            &sources,
            library,
        )
        .map(Arc::new)
        .map_err(|e| e.to_string());
        let mut s = lock(&shared.slots);
        s.result = Some(CurveResult {
            key: request.key,
            curves,
        });
        s.busy = false;
        drop(s);
        shared.wake.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::ParamValues;
    use crate::state::default_slots;

    fn key(tilt: f32, generation: u64) -> CurveKey {
        let values = ParamValues {
            tilt_db_per_oct: tilt,
            ..ParamValues::default()
        };
        CurveKey {
            settings: values.design_settings(crate::state::RefcanState::default().max_boost_db),
            state_generation: generation,
        }
    }

    #[test]
    fn computes_the_newest_request_and_follows_the_knobs() {
        let mut w = CurveWorker::spawn(Arc::new(PresetLibrary::builtin()));
        w.request(key(0.0, 1), || (None, default_slots()));
        assert!(w.wait_idle(Duration::from_secs(30)));
        let flat = w.latest().expect("a result");
        assert_eq!(flat.key, key(0.0, 1));
        let flat = flat.curves.expect("curves");
        w.request(key(-0.5, 1), || (None, default_slots()));
        assert!(w.wait_idle(Duration::from_secs(30)));
        let tilted = w.latest().expect("a result");
        assert_eq!(tilted.key, key(-0.5, 1));
        let tilted = tilted.curves.expect("curves");
        // −0.5 dB/oct over the ten octaves 20 Hz – 20 kHz: about 5 dB more at 20 Hz than at
        // 20 kHz, relative to the untilted target.
        let d = |c: &ChainCurves, f: f64| c.target.gain_at(f);
        let change =
            (d(&tilted, 20.0) - d(&flat, 20.0)) - (d(&tilted, 20_000.0) - d(&flat, 20_000.0));
        assert!(
            (change - 0.5 * 10.0).abs() < 0.2,
            "tilt moved the target by {change} dB"
        );
    }

    #[test]
    fn the_same_key_is_not_recomputed_and_errors_come_back_as_text() {
        let mut w = CurveWorker::spawn(Arc::new(PresetLibrary::builtin()));
        let mut k = key(0.0, 1);
        k.settings.target_id = "no_such_target".into();
        w.request(k.clone(), || (None, default_slots()));
        let mut asked_again = false;
        w.request(k.clone(), || {
            asked_again = true;
            (None, default_slots())
        });
        assert!(!asked_again, "an unchanged key reads nothing");
        assert!(w.wait_idle(Duration::from_secs(30)));
        let r = w.latest().expect("a result");
        let err = r.curves.expect_err("unknown target");
        assert!(err.contains("no_such_target"), "{err}");
    }
}
