//! The background designer: a thread that watches the settings, designs when they change and
//! hands finished [`Bank`]s (one design per `listen` choice) to the audio thread through a
//! lock-free queue; the audio thread hands retired ones back through a second queue, so their
//! memory is freed here, never on the audio thread.
//!
//! A change is delivered in two steps: first a bank in which only the entry being heard is
//! new (the others are the previous bank's, shared), so the change is heard within a few
//! milliseconds; then the whole bank. The engine switches between identical shared entries
//! without a crossfade.
//!
//! The audio thread never wakes this thread (that would be a system call): the thread polls
//! the settings every [`POLL_INTERVAL`] (a handful of atomic loads and a comparison). The first
//! change after a quiet spell is designed at once; while a knob keeps moving, designs follow
//! at most every [`THROTTLE`], so the audio thread crossfades through a few intermediate
//! filters instead of queueing hundreds. The queues are `rtrb` single-producer
//! single-consumer ring buffers: wait-free push and pop, no allocation after creation.

use super::{Bank, Design, DesignSettings, LISTEN_COUNT, Layout, chain_curves, realise_entries};
use super::{DesignError, slot_sources};
use crate::presets::PresetLibrary;
use crate::source::Headphone;
use crate::state::SlotContent;
use rtrb::{Consumer, Producer, RingBuffer};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often the thread looks at the settings.
pub const POLL_INTERVAL: Duration = Duration::from_millis(2);

/// Shortest time between two designs while settings keep changing (a little longer than the
/// engine's crossfade, so every design gets heard).
pub const THROTTLE: Duration = Duration::from_millis(35);

/// Designs waiting for the audio thread at most (it takes the newest and retires the rest).
const DESIGN_QUEUE: usize = 4;

/// Retired designs waiting to be freed at most (more than can ever be in flight).
const RETIRE_QUEUE: usize = 16;

/// Where the designer reads what to design: the plugin's parameters and state, or a test's.
pub trait DesignSource: Send + Sync + 'static {
    /// The current settings (cheap: called every poll).
    fn settings(&self) -> DesignSettings;
    /// Changes whenever the state document (headphone, slots) changes (cheap: every poll).
    fn state_generation(&self) -> u64;
    /// The current headphone and slots (called only when a design is due).
    fn state(&self) -> (Option<Headphone>, Vec<SlotContent>);
    /// The `listen` choice being heard (0 = reference), designed first.
    fn listen(&self) -> usize;
}

/// What the designer reports, for the editor, the log and tests.
#[derive(Debug, Clone, Default)]
pub struct DesignerStatus {
    /// Designs delivered so far.
    pub designs: u64,
    /// The last failure (the previous filter kept playing), cleared by the next success.
    pub last_error: Option<String>,
    /// Time the last change took, from the settings being seen to the entry being heard
    /// queued.
    pub last_design_time: Option<Duration>,
}

struct Shared {
    stop: AtomicBool,
    layout: Mutex<Option<(Arc<Layout>, Option<Designed>)>>,
    layout_generation: AtomicU64,
    status: Mutex<DesignerStatus>,
}

/// Identifies what a design was made from.
#[derive(Debug, Clone, PartialEq)]
pub struct DesignKey {
    /// The layout it was made for.
    pub layout_id: u64,
    /// The settings.
    pub settings: DesignSettings,
    /// The state generation.
    pub state_generation: u64,
}

/// What the activation designed: its key and entries (the designer reuses them).
pub type Designed = (DesignKey, Vec<Arc<Design>>);

/// Creates the two ends of the handover: the designer's [`Outbox`] and the audio thread's
/// [`Inbox`].
pub fn handover() -> (Outbox, Inbox) {
    let (design_tx, design_rx) = RingBuffer::new(DESIGN_QUEUE);
    let (retire_tx, retire_rx) = RingBuffer::new(RETIRE_QUEUE);
    (
        Outbox {
            designs: design_tx,
            retired: retire_rx,
        },
        Inbox {
            designs: design_rx,
            retired: retire_tx,
        },
    )
}

/// The designer's end of the handover: designs out, retired designs back to be freed.
pub struct Outbox {
    designs: Producer<Box<Bank>>,
    retired: Consumer<Box<Bank>>,
}

impl Outbox {
    /// Queues a design for the audio thread; gives it back when the queue is full.
    pub fn send(&mut self, design: Box<Bank>) -> Result<(), Box<Bank>> {
        match self.designs.push(design) {
            Ok(()) => Ok(()),
            Err(rtrb::PushError::Full(d)) => Err(d),
        }
    }

    /// Frees what the audio thread retired; returns how many.
    pub fn free_retired(&mut self) -> usize {
        let mut n = 0;
        while let Ok(old) = self.retired.pop() {
            drop(old);
            n += 1;
        }
        n
    }
}

/// The audio thread's end of the handover: new designs in, retired designs out.
pub struct Inbox {
    designs: Consumer<Box<Bank>>,
    retired: Producer<Box<Bank>>,
}

impl Inbox {
    /// The newest waiting design, if any, when `current` can be retired afterwards: older
    /// waiting designs are retired at once. Never blocks or allocates; returns `None` when
    /// there is no room to retire (the design stays queued for the next call).
    pub fn take_newest(&mut self) -> Option<Box<Bank>> {
        // Room for every waiting design but the newest, plus the one it will replace.
        if self.designs.slots() == 0 || self.retired.slots() < self.designs.slots() + 1 {
            return None;
        }
        let mut newest = self.designs.pop().ok()?;
        while let Ok(next) = self.designs.pop() {
            let older = std::mem::replace(&mut newest, next);
            self.retire(older);
        }
        Some(newest)
    }

    /// Hands a design back to be freed off the audio thread. Only call after
    /// [`Inbox::take_newest`] made room; if the queue were full the design would be kept
    /// alive by leaking it rather than freed here.
    pub fn retire(&mut self, design: Box<Bank>) {
        if let Err(rtrb::PushError::Full(design)) = self.retired.push(design) {
            // Unreachable by construction; never free on the audio thread.
            std::mem::forget(design);
        }
    }
}

/// The designer thread's handle, owned by the plugin (main thread).
pub struct Designer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Designer {
    /// Starts the thread reading `source`; returns the handle and the audio thread's inbox.
    pub fn spawn<S: DesignSource>(source: Arc<S>, library: Arc<PresetLibrary>) -> (Self, Inbox) {
        let (outbox, inbox) = handover();
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            layout: Mutex::new(None),
            layout_generation: AtomicU64::new(0),
            status: Mutex::new(DesignerStatus::default()),
        });
        let thread_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("refcan-designer".into())
            .spawn(move || run(&*source, &library, &thread_shared, outbox))
            .ok();
        (Self { shared, thread }, inbox)
    }

    /// Tells the thread the engine's new layout (after an activation). `designed` is what the
    /// activation already designed synchronously, so the thread does not repeat it.
    pub fn set_layout(&self, layout: Layout, designed: Option<Designed>) {
        *lock(&self.shared.layout) = Some((Arc::new(layout), designed));
        self.shared.layout_generation.fetch_add(1, Ordering::AcqRel);
        self.wake();
    }

    /// Asks the thread to look at the settings now (from any thread but the audio thread).
    pub fn wake(&self) {
        if let Some(t) = &self.thread {
            t.thread().unpark();
        }
    }

    /// The thread's status.
    pub fn status(&self) -> DesignerStatus {
        lock(&self.shared.status).clone()
    }

    /// True when the thread is running.
    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }
}

impl Drop for Designer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The thread's loop (see the module docs).
fn run(source: &dyn DesignSource, library: &PresetLibrary, shared: &Shared, mut outbox: Outbox) {
    let mut last: Option<DesignKey> = None;
    // The entries of the last complete bank, for the fast first step of the next change.
    let mut previous: Option<(u64, Vec<Arc<Design>>)> = None;
    let mut last_layout_generation = u64::MAX;
    let mut last_design = Instant::now() - THROTTLE;
    let mut pending: Vec<Box<Bank>> = Vec::new();
    let mut layout: Option<Arc<Layout>> = None;
    while !shared.stop.load(Ordering::Acquire) {
        outbox.free_retired();
        while !pending.is_empty() {
            let bank = pending.remove(0);
            if let Err(bank) = outbox.send(bank) {
                pending.insert(0, bank);
                break;
            }
        }
        let generation = shared.layout_generation.load(Ordering::Acquire);
        if generation != last_layout_generation {
            last_layout_generation = generation;
            if let Some((l, designed)) = lock(&shared.layout).clone() {
                layout = Some(l);
                // Designs for an older layout are useless.
                pending.clear();
                previous = None;
                if let Some((key, entries)) = designed {
                    previous = Some((key.layout_id, entries));
                    last = Some(key);
                }
            }
        }
        if let (Some(layout), true) = (&layout, pending.is_empty()) {
            let seen = Instant::now();
            let key = DesignKey {
                layout_id: layout.id,
                settings: source.settings(),
                state_generation: source.state_generation(),
            };
            if last.as_ref() != Some(&key) && last_design.elapsed() >= THROTTLE {
                let result = design_in_two_steps(
                    source,
                    library,
                    layout,
                    &key,
                    previous.as_ref(),
                    &mut outbox,
                    &mut pending,
                    seen,
                    shared,
                );
                let mut status = lock(&shared.status);
                match result {
                    Ok(entries) => {
                        previous = Some((layout.id, entries));
                        status.designs += 1;
                        status.last_error = None;
                    }
                    Err(e) => status.last_error = Some(e.to_string()),
                }
                last = Some(key);
                last_design = Instant::now();
                continue;
            }
        }
        std::thread::park_timeout(POLL_INTERVAL);
    }
}

/// Designs the entry being heard and queues a bank with it and the previous entries (when
/// there are previous entries for this layout and engine), then the rest, and queues the
/// whole bank. Returns the whole bank's entries.
// The banks stay boxed: the outbox hands the box itself to the audio thread.
#[allow(clippy::too_many_arguments, clippy::vec_box)]
fn design_in_two_steps(
    source: &dyn DesignSource,
    library: &PresetLibrary,
    layout: &Layout,
    key: &DesignKey,
    previous: Option<&(u64, Vec<Arc<Design>>)>,
    outbox: &mut Outbox,
    pending: &mut Vec<Box<Bank>>,
    seen: Instant,
    shared: &Shared,
) -> Result<Vec<Arc<Design>>, DesignError> {
    let (headphone, slots) = source.state();
    let curves = chain_curves(
        &key.settings,
        headphone.as_ref(),
        &slot_sources(&slots),
        library,
    )?;
    let mode = key.settings.mode;
    let latency_samples = layout.latency_samples(mode);
    let heard = source.listen().min(LISTEN_COUNT - 1);
    let mut send = |entries: &[Arc<Design>]| {
        let bank = Box::new(Bank {
            layout_id: layout.id,
            mode,
            latency_samples,
            entries: entries.to_vec(),
        });
        if let Err(bank) = outbox.send(bank) {
            pending.push(bank);
        }
    };
    let first = Arc::new(
        realise_entries(&curves, &[heard], mode, layout)?
            .pop()
            .ok_or(DesignError::UnknownTarget(key.settings.target_id.clone()))?,
    );
    let reusable = previous.filter(|(id, e)| {
        *id == layout.id && e.len() == LISTEN_COUNT && e.first().is_some_and(|d| d.mode == mode)
    });
    if let Some((_, old)) = reusable {
        let mut quick = old.clone();
        quick[heard] = first.clone();
        send(&quick);
        lock(&shared.status).last_design_time = Some(seen.elapsed());
    }
    let rest: Vec<usize> = (0..LISTEN_COUNT).filter(|&k| k != heard).collect();
    let mut designed = realise_entries(&curves, &rest, mode, layout)?.into_iter();
    let entries: Vec<Arc<Design>> = (0..LISTEN_COUNT)
        .map(|k| {
            if k == heard {
                first.clone()
            } else {
                Arc::new(designed.next().unwrap_or_else(|| (*first).clone()))
            }
        })
        .collect();
    send(&entries);
    if reusable.is_none() {
        lock(&shared.status).last_design_time = Some(seen.elapsed());
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::ChainSettings;
    use crate::design::FilterMode;

    struct Knob {
        amount: Mutex<f64>,
    }

    impl DesignSource for Knob {
        fn settings(&self) -> DesignSettings {
            let mut chain = ChainSettings::default();
            chain.correction.amount_percent = *lock(&self.amount);
            DesignSettings {
                mode: FilterMode::ZeroLatency,
                target_id: "harman_oe_2018".into(),
                chain,
            }
        }
        fn state_generation(&self) -> u64 {
            0
        }
        fn state(&self) -> (Option<Headphone>, Vec<SlotContent>) {
            (None, crate::state::default_slots())
        }
        fn listen(&self) -> usize {
            0
        }
    }

    fn wait_for(inbox: &mut Inbox) -> Box<Bank> {
        let start = Instant::now();
        loop {
            if let Some(d) = inbox.take_newest() {
                return d;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "no design arrived"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Waits for a complete bank for layout `id`, retiring earlier deliveries.
    fn wait_for_layout(inbox: &mut Inbox, id: u64) -> Box<Bank> {
        loop {
            let bank = wait_for(inbox);
            if bank.layout_id == id {
                return bank;
            }
            inbox.retire(bank);
        }
    }

    #[test]
    fn designs_follow_the_settings_and_are_freed_by_the_thread() {
        let source = Arc::new(Knob {
            amount: Mutex::new(100.0),
        });
        let (designer, mut inbox) =
            Designer::spawn(source.clone(), Arc::new(PresetLibrary::builtin()));
        designer.set_layout(Layout::new(7, 48_000.0, 256), None);
        let first = wait_for(&mut inbox);
        assert_eq!(first.layout_id, 7);
        // Nothing changes: nothing new arrives.
        std::thread::sleep(Duration::from_millis(50));
        assert!(inbox.take_newest().is_none());
        // A change is designed and delivered; the old design goes back.
        *lock(&source.amount) = 50.0;
        let second = wait_for(&mut inbox);
        inbox.retire(first);
        assert_eq!(second.layout_id, 7);
        // A new layout brings a new design.
        designer.set_layout(Layout::new(8, 96_000.0, 64), None);
        let third = wait_for_layout(&mut inbox, 8);
        inbox.retire(second);
        inbox.retire(third);
        // The status is updated just after a design is handed over: wait for it.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let mut status = designer.status();
        while status.designs < 3 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
            status = designer.status();
        }
        assert!(
            status.designs >= 3 && status.last_error.is_none(),
            "{status:?}"
        );
        drop(designer);
    }
}
