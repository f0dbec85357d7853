//! The engine on the audio thread: plays one entry of the current [`Bank`] (the reference or a
//! translation-check slot, chosen by `listen`) on every channel, and crossfades over
//! [`SWAP_FADE_MS`] whenever what is heard changes: another `listen` choice (starting at the
//! block the host split at the automation event, so sample-accurately) or a new bank from
//! the designer.
//!
//! Both filters of a crossfade produce their steady-state output from its first sample: a FIR
//! joins the convolver's shared input history and frequency-domain delay lines
//! ([`Convolver::attach`]), an IIR cascade is warmed up on the last [`WARM_UP_MS`] of input, a
//! plain gain reads the delayed input. So the fade only blends two correct outputs. Entries
//! that sum to mono (phone speaker) run on a third convolver fed `(L + R)/2`.
//!
//! A `listen` change during a fade starts when that fade ends. Banks made for another
//! activation are retired unplayed; a bank with another latency asks for a restart (the
//! activation reports latency). Everything is sized in [`Engine::new`]; processing
//! allocates, locks and frees nothing (retired banks go back to the designer thread through
//! the [`Inbox`]).

use super::cascade::CascadeRunner;
use super::convolver::{Convolver, FilterSpectra, FilterState};
use super::delay::DelayLine;
use crate::design::designer::Inbox;
use crate::design::{Bank, Design, DesignKind, Layout, MAX_CASCADE_SECTIONS};
use std::sync::Arc;

/// Crossfade between two designs, milliseconds (within PRODUCT.md's 20–50 ms).
pub const SWAP_FADE_MS: f64 = 30.0;

/// Input a new IIR cascade runs over before it is heard, milliseconds.
pub const WARM_UP_MS: f64 = 50.0;

/// Which bank a running filter's design belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    Current,
    Old,
}

/// One of the two running filters: the entry it plays and its state (per output channel for
/// FIRs, both channels in one runner for cascades).
struct Running {
    source: Option<(Which, usize)>,
    fir: Vec<FilterState>,
    cascade: CascadeRunner,
}

/// The engine for one activation (sample rate, block size, channel count).
pub struct Engine {
    layout_id: u64,
    channels: usize,
    /// Per input channel, and one for `(L + R)/2` (stereo only).
    convolvers: Vec<Convolver>,
    mid: Option<Convolver>,
    history: Vec<DelayLine>,
    mid_history: Option<DelayLine>,
    bank: Option<Box<Bank>>,
    old_bank: Option<Box<Bank>>,
    running: [Running; 2],
    /// The running filter being faded in (or playing alone).
    active: usize,
    fade_pos: usize,
    fade_len: usize,
    warm_up_len: usize,
    /// What `listen` asks for (0 = reference).
    listen: usize,
    /// Input copies (L, R, mid), outputs per running filter and channel, warm-up scratch.
    input: [Vec<f32>; 3],
    outputs: [[Vec<f32>; 2]; 2],
    scratch: Vec<f32>,
    restart_requested: bool,
}

impl Engine {
    /// Allocates everything for `layout` and `channels` (1 or 2) channels.
    pub fn new(layout: &Layout, channels: usize) -> Self {
        let channels = channels.clamp(1, 2);
        let fs = layout.sample_rate_hz;
        let warm_up_len = (WARM_UP_MS * 1e-3 * fs).round() as usize;
        let history_len = layout.max_latency_samples + layout.max_block + warm_up_len;
        let running = || Running {
            source: None,
            fir: (0..2).map(|_| FilterState::new(&layout.plan)).collect(),
            cascade: CascadeRunner::new(MAX_CASCADE_SECTIONS),
        };
        let block = || vec![0.0f32; layout.max_block];
        let stereo = channels == 2;
        Self {
            layout_id: layout.id,
            channels,
            convolvers: (0..channels)
                .map(|_| Convolver::new(&layout.plan))
                .collect(),
            mid: stereo.then(|| Convolver::new(&layout.plan)),
            history: (0..channels).map(|_| DelayLine::new(history_len)).collect(),
            mid_history: stereo.then(|| DelayLine::new(history_len)),
            bank: None,
            old_bank: None,
            running: [running(), running()],
            active: 0,
            fade_pos: 0,
            fade_len: ((SWAP_FADE_MS * 1e-3 * fs).round() as usize).max(1),
            warm_up_len,
            listen: 0,
            input: [block(), block(), block()],
            outputs: [[block(), block()], [block(), block()]],
            scratch: vec![0.0; 2 * layout.max_block.max(256)],
            restart_requested: false,
        }
    }

    /// The design being played (or faded in).
    pub fn design(&self) -> Option<&Design> {
        self.design_of(self.active)
    }

    fn design_of(&self, r: usize) -> Option<&Design> {
        let (which, index) = self.running[r].source?;
        let bank = match which {
            Which::Current => self.bank.as_deref(),
            Which::Old => self.old_bank.as_deref(),
        }?;
        bank.entry(index).map(|d| &**d)
    }

    /// Latency of the bank being played, samples.
    pub fn latency_samples(&self) -> usize {
        self.bank.as_ref().map_or(0, |b| b.latency_samples)
    }

    /// True once if a bank arrived that needs another latency (the plugin then asks the host
    /// to restart it).
    pub fn take_restart_request(&mut self) -> bool {
        std::mem::take(&mut self.restart_requested)
    }

    /// True while two filters are being crossfaded.
    pub fn is_fading(&self) -> bool {
        self.fade_pos < self.fade_len && self.running[1 - self.active].source.is_some()
    }

    /// What is heard from the next call on (0 = reference, k = slot k).
    pub fn set_listen(&mut self, listen: usize) {
        self.listen = listen;
    }

    /// Installs a bank without a fade (at activation, before audio runs), playing entry
    /// `listen`. Banks it replaces are returned to be dropped by the caller.
    pub fn install_now(&mut self, bank: Box<Bank>, listen: usize) -> Vec<Box<Bank>> {
        let mut old: Vec<Box<Bank>> = [self.bank.take(), self.old_bank.take()]
            .into_iter()
            .flatten()
            .collect();
        for r in &mut self.running {
            r.source = None;
        }
        if bank.layout_id != self.layout_id {
            old.push(bank);
            return old;
        }
        self.bank = Some(bank);
        self.listen = listen;
        self.active = 0;
        self.start(0, Which::Current, listen);
        self.fade_pos = self.fade_len;
        old
    }

    /// Forgets all input (host reset): the bank stays, states go to rest.
    pub fn reset(&mut self) {
        for c in self.convolvers.iter_mut().chain(self.mid.as_mut()) {
            c.reset();
        }
        for h in self.history.iter_mut().chain(self.mid_history.as_mut()) {
            h.reset();
        }
        let other = 1 - self.active;
        self.running[other].source = None;
        self.fade_pos = self.fade_len;
        if let Some((which, index)) = self.running[self.active].source {
            self.start(self.active, which, index);
        }
    }

    /// Processes `channels` in place (longer than the layout's block: in pieces). Takes a new
    /// bank from `inbox` or follows `listen` when not fading.
    pub fn process(&mut self, inbox: &mut Inbox, channels: &mut [&mut [f32]]) {
        let frames = channels.first().map_or(0, |c| c.len());
        let max = self.input[0].len();
        let mut start = 0;
        while start < frames {
            let len = (frames - start).min(max);
            self.update(inbox);
            self.process_piece(channels, start, len);
            self.fade_pos = (self.fade_pos + len).min(self.fade_len);
            if !self.is_fading() {
                self.finish_fade(inbox);
            }
            start += len;
        }
    }

    /// Starts a fade when a new bank waits or `listen` changed (only when not fading).
    fn update(&mut self, inbox: &mut Inbox) {
        if self.is_fading() {
            return;
        }
        if let Some(bank) = inbox.take_newest() {
            self.accept(bank, inbox);
            return;
        }
        let playing = self.running[self.active].source;
        if self.bank.is_some() && playing != Some((Which::Current, self.listen)) {
            self.fade_to(Which::Current, self.listen);
        }
    }

    /// A new bank: play its entry for `listen`, crossfading from what plays now (no fade when
    /// the entry is the very one playing, shared from the previous bank).
    fn accept(&mut self, bank: Box<Bank>, inbox: &mut Inbox) {
        if bank.layout_id != self.layout_id {
            inbox.retire(bank);
            return;
        }
        if let Some(current) = &self.bank
            && current.latency_samples != bank.latency_samples
        {
            // Another latency may only be reported at activation (CLAP: the host's
            // `latency.changed` during `activate`): ask for a restart, keep playing.
            self.restart_requested = true;
            inbox.retire(bank);
            return;
        }
        let Some(current) = self.bank.take() else {
            self.bank = Some(bank);
            self.start(self.active, Which::Current, self.listen);
            self.fade_pos = self.fade_len;
            return;
        };
        if let Some(stale) = self.old_bank.take() {
            inbox.retire(stale);
        }
        let playing = self.running[self.active].source;
        let same = match (playing, current.entry(self.listen), bank.entry(self.listen)) {
            (Some((Which::Current, i)), Some(a), Some(b)) => i == self.listen && Arc::ptr_eq(a, b),
            _ => false,
        };
        self.bank = Some(bank);
        if same {
            // The entry heard is shared: keep its state, just follow the new bank.
            inbox.retire(current);
            return;
        }
        self.old_bank = Some(current);
        if let Some((Which::Current, i)) = playing {
            self.running[self.active].source = Some((Which::Old, i));
        }
        self.fade_to(Which::Current, self.listen);
    }

    /// Crossfades from the active filter to entry `index` of bank `which`.
    fn fade_to(&mut self, which: Which, index: usize) {
        let next = 1 - self.active;
        self.start(next, which, index);
        self.active = next;
        self.fade_pos = 0;
    }

    /// After a fade: release the faded-out filter and, when nothing plays from it, the old
    /// bank.
    fn finish_fade(&mut self, inbox: &mut Inbox) {
        let other = 1 - self.active;
        self.running[other].source = None;
        let old_in_use = self
            .running
            .iter()
            .any(|r| matches!(r.source, Some((Which::Old, _))));
        if !old_in_use && let Some(old) = self.old_bank.take() {
            inbox.retire(old);
        }
    }

    /// Sets running filter `r` to play entry `index` of bank `which`, its state ready to
    /// continue the current input.
    fn start(&mut self, r: usize, which: Which, index: usize) {
        self.running[r].source = Some((which, index));
        let Self {
            bank,
            old_bank,
            running,
            convolvers,
            mid,
            history,
            mid_history,
            scratch,
            warm_up_len,
            ..
        } = self;
        let bank = match which {
            Which::Current => bank.as_deref(),
            Which::Old => old_bank.as_deref(),
        };
        let Some(design) = bank.and_then(|b| b.entry(index)) else {
            return;
        };
        let run = &mut running[r];
        match &design.kind {
            DesignKind::Fir(spectra) => {
                for (ch, state) in run.fir.iter_mut().enumerate().take(convolvers.len()) {
                    let conv = match (design.mono_input, mid.as_mut()) {
                        (true, Some(m)) => m,
                        _ => &mut convolvers[ch],
                    };
                    if let Some(filter) = pick(spectra, ch) {
                        conv.attach(filter, state);
                    }
                }
            }
            DesignKind::Cascade(cascades) => {
                if let (Some(left), Some(right)) = (pick(cascades, 0), pick(cascades, 1)) {
                    run.cascade.load(left, right);
                    let (l, r) = match (design.mono_input, mid_history.as_ref()) {
                        (true, Some(m)) => (m, m),
                        _ => (&history[0], &history[history.len() - 1]),
                    };
                    let (l0, l1) = l.latest(*warm_up_len);
                    let (r0, r1) = r.latest(*warm_up_len);
                    run.cascade.warm_up([l0, l1], [r0, r1], scratch);
                }
            }
            DesignKind::Gain(_) => {}
        }
    }

    /// One piece (at most the scratch length) of every channel, in place.
    fn process_piece(&mut self, channels: &mut [&mut [f32]], start: usize, n: usize) {
        let used = channels.len().min(self.channels);
        for (ch, data) in channels.iter().enumerate().take(used) {
            self.input[ch][..n].copy_from_slice(&data[start..start + n]);
            self.history[ch].write(&self.input[ch][..n]);
        }
        if let (Some(mid_history), true) = (self.mid_history.as_mut(), used == 2) {
            let [l, r, m] = &mut self.input;
            for ((m, l), r) in m[..n].iter_mut().zip(&l[..n]).zip(&r[..n]) {
                *m = 0.5 * (l + r);
            }
            mid_history.write(&m[..n]);
        }
        if self.running[self.active].source.is_none() {
            // Nothing designed yet: pass the input through.
            for ch in 0..used {
                self.convolvers[ch].feed(&self.input[ch][..n]);
            }
            if let Some(mid) = self.mid.as_mut() {
                mid.feed(&self.input[2][..n]);
            }
            return;
        }
        let fading = self.is_fading();
        let live: [bool; 2] = std::array::from_fn(|i| i == self.active || fading);
        self.run_firs(used, n, live);
        self.run_others(used, n, live);

        // Mix: the active filter alone, or a raised-cosine crossfade from the other one.
        for (ch, data) in channels.iter_mut().enumerate().take(used) {
            let data = &mut data[start..start + n];
            let active = &self.outputs[self.active][ch][..n];
            if !fading {
                data.copy_from_slice(active);
                continue;
            }
            let other = &self.outputs[1 - self.active][ch][..n];
            for (i, y) in data.iter_mut().enumerate() {
                let x = (self.fade_pos + i).min(self.fade_len) as f32 / self.fade_len as f32;
                let w = 0.5 - 0.5 * (std::f32::consts::PI * x).cos();
                *y = other[i] + w * (active[i] - other[i]);
            }
        }
    }

    /// The FIR filters: per channel on its own convolver, and mono-input entries on the mid
    /// convolver (both output channels from one input).
    fn run_firs(&mut self, used: usize, n: usize, live: [bool; 2]) {
        let Self {
            bank,
            old_bank,
            running,
            convolvers,
            mid,
            input,
            outputs,
            ..
        } = self;
        let design_of = |r: &Running| -> Option<&Design> {
            let (which, index) = r.source?;
            let bank = match which {
                Which::Current => bank.as_deref(),
                Which::Old => old_bank.as_deref(),
            }?;
            bank.entry(index).map(|d| &**d)
        };
        let [r0, r1] = running;
        let designs = [
            live[0].then(|| design_of(r0)).flatten(),
            live[1].then(|| design_of(r1)).flatten(),
        ];
        let [out0, out1] = outputs;
        let [fir0, fir1] = [&mut r0.fir, &mut r1.fir];
        // Gather (filter, state, output) triples per convolver, at most four on the mid one.
        let [i_l, i_r, i_m] = input;
        for ch in 0..used {
            let mut filters: [Option<&FilterSpectra>; 2] = [None, None];
            for (k, d) in designs.iter().enumerate() {
                if let Some(d) = d
                    && !(d.mono_input && mid.is_some())
                    && let DesignKind::Fir(s) = &d.kind
                {
                    filters[k] = pick(s, ch);
                }
            }
            let x = if ch == 0 { &i_l[..n] } else { &i_r[..n] };
            let conv = &mut convolvers[ch];
            let (s0, s1) = (&mut fir0[ch], &mut fir1[ch]);
            let (o0, o1) = (&mut out0[ch][..n], &mut out1[ch][..n]);
            match filters {
                [Some(f0), Some(f1)] => conv.process(x, &[f0, f1], &mut [s0, s1], &mut [o0, o1]),
                [Some(f0), None] => conv.process(x, &[f0], &mut [s0], &mut [o0]),
                [None, Some(f1)] => conv.process(x, &[f1], &mut [s1], &mut [o1]),
                [None, None] => conv.feed(x),
            }
        }
        let Some(mid) = mid.as_mut() else {
            return;
        };
        let x = &i_m[..n];
        fn mono(d: Option<&Design>) -> Option<(Option<&FilterSpectra>, Option<&FilterSpectra>)> {
            match d {
                Some(d) if d.mono_input => match &d.kind {
                    DesignKind::Fir(s) => Some((pick(s, 0), pick(s, 1))),
                    _ => None,
                },
                _ => None,
            }
        }
        let [l0, l1] = out0;
        let [m0, m1] = out1;
        let [a0, a1] = fir0.as_mut_slice() else {
            return;
        };
        let [b0, b1] = fir1.as_mut_slice() else {
            return;
        };
        match (mono(designs[0]), mono(designs[1])) {
            (Some((Some(f0l), Some(f0r))), Some((Some(f1l), Some(f1r)))) => mid.process(
                x,
                &[f0l, f0r, f1l, f1r],
                &mut [a0, a1, b0, b1],
                &mut [&mut l0[..n], &mut l1[..n], &mut m0[..n], &mut m1[..n]],
            ),
            (Some((Some(fl), Some(fr))), _) => mid.process(
                x,
                &[fl, fr],
                &mut [a0, a1],
                &mut [&mut l0[..n], &mut l1[..n]],
            ),
            (_, Some((Some(fl), Some(fr)))) => mid.process(
                x,
                &[fl, fr],
                &mut [b0, b1],
                &mut [&mut m0[..n], &mut m1[..n]],
            ),
            _ => mid.feed(x),
        }
    }

    /// Plain gains and cascades.
    fn run_others(&mut self, used: usize, n: usize, live: [bool; 2]) {
        let Self {
            bank,
            old_bank,
            running,
            mid,
            history,
            mid_history,
            input,
            outputs,
            ..
        } = self;
        for r in 0..2 {
            if !live[r] {
                continue;
            }
            let Some((which, index)) = running[r].source else {
                continue;
            };
            let b = match which {
                Which::Current => bank.as_deref(),
                Which::Old => old_bank.as_deref(),
            };
            let Some(design) = b.and_then(|b| b.entry(index)) else {
                continue;
            };
            let mono = design.mono_input && mid.is_some();
            match &design.kind {
                DesignKind::Gain(g) => {
                    for ch in 0..used {
                        let line = match (mono, mid_history.as_ref()) {
                            (true, Some(m)) => m,
                            _ => &history[ch],
                        };
                        let out = &mut outputs[r][ch][..n];
                        line.read_delayed(design.latency_samples, out);
                        for y in out.iter_mut() {
                            *y *= g;
                        }
                    }
                }
                DesignKind::Cascade(_) => {
                    let [out_l, out_r] = &mut outputs[r];
                    let runner = &mut running[r].cascade;
                    let [in_l, in_r, in_m] = &*input;
                    if used == 2 {
                        let (l, rr) = if mono { (in_m, in_m) } else { (in_l, in_r) };
                        runner.process_stereo(&l[..n], &rr[..n], &mut out_l[..n], &mut out_r[..n]);
                    } else {
                        runner.process_mono(&in_l[..n], &mut out_l[..n]);
                    }
                }
                DesignKind::Fir(_) => {}
            }
        }
    }
}

/// The entry for channel `ch`: its own, or the only one for both channels.
fn pick<T>(per_channel: &[T], ch: usize) -> Option<&T> {
    per_channel.get(ch).or_else(|| per_channel.first())
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::curve::{ChannelResponses, Response};
    use crate::design::designer::handover;
    use crate::design::{FilterMode, LISTEN_COUNT, realise};
    use crate::filter::FilterSpec;
    use nice_assert_no_alloc::assert_no_alloc;

    fn curve() -> ChannelResponses {
        ChannelResponses::stereo(
            Response::from_filters(
                &[
                    FilterSpec::low_shelf(105.0, 0.7, 5.0),
                    FilterSpec::peaking(3_000.0, 2.0, -6.0),
                ],
                48_000.0,
            )
            .offset(-5.0),
            Response::from_filters(&[FilterSpec::high_shelf(8_000.0, 0.7, -4.0)], 48_000.0),
        )
    }

    fn noise(len: usize, seed: u64) -> Vec<f32> {
        crate::dsp::testing::noise(len, seed, 0.5)
    }

    /// Runs `input` (two channels) through `engine` in blocks of `sizes` (cycled), checking
    /// that processing never allocates.
    fn run(
        engine: &mut Engine,
        inbox: &mut Inbox,
        input: &[Vec<f32>; 2],
        sizes: &[usize],
    ) -> [Vec<f32>; 2] {
        let mut out = input.clone();
        let frames = input[0].len();
        let (mut at, mut k) = (0, 0);
        while at < frames {
            let n = sizes[k % sizes.len()].min(frames - at);
            let [l, r] = &mut out;
            assert_no_alloc(|| {
                engine.process(inbox, &mut [&mut l[at..at + n], &mut r[at..at + n]])
            });
            at += n;
            k += 1;
        }
        out
    }

    fn magnitude_db(x: &[f32], y: &[f32], f: f64, fs: f64) -> f64 {
        // Ratio of the DFT of output and input at f (noise in, so a transfer estimate).
        let w = 2.0 * std::f64::consts::PI * f / fs;
        let dft = |s: &[f32]| {
            s.iter().enumerate().fold((0.0, 0.0), |(re, im), (i, &v)| {
                (
                    re + v as f64 * (w * i as f64).cos(),
                    im - v as f64 * (w * i as f64).sin(),
                )
            })
        };
        let (a, b) = (dft(x), dft(y));
        10.0 * ((b.0 * b.0 + b.1 * b.1) / (a.0 * a.0 + a.1 * a.1)).log10()
    }

    #[test]
    fn every_mode_plays_the_curve_with_its_latency() {
        let fs = 48_000.0;
        let layout = Layout::new(1, fs, 256);
        let played = curve();
        for mode in [
            FilterMode::ZeroLatency,
            FilterMode::LinearPhase,
            FilterMode::LowCpu,
        ] {
            let design = realise(&played, -5.0, mode, &layout).expect("design");
            let latency = design.latency_samples;
            let tolerance = design.fit_max_error_db.map_or(0.02, |e| e + 0.02);
            let mut engine = Engine::new(&layout, 2);
            let (_out, mut inbox) = handover();
            let _ = engine.install_now(Box::new(Bank::uniform(design, &layout)), 0);
            // An impulse in both channels, blocks of odd sizes.
            let mut x = [vec![0.0f32; 32_768], vec![0.0f32; 32_768]];
            x[0][100] = 1.0;
            x[1][100] = 1.0;
            let y = run(&mut engine, &mut inbox, &x, &[1, 7, 256, 100]);
            for (ch, c) in played.curves().enumerate() {
                let peak = y[ch].iter().enumerate().fold((0, 0.0f32), |b, (i, &v)| {
                    if v.abs() > b.1 { (i, v.abs()) } else { b }
                });
                if mode == FilterMode::LinearPhase {
                    assert_eq!(peak.0, 100 + latency, "{mode:?}");
                } else {
                    assert!(peak.0 < 100 + 64, "{mode:?}: peak at {}", peak.0);
                }
                for f in [30.0, 100.0, 1_000.0, 3_000.0, 8_000.0, 15_000.0] {
                    let got = magnitude_db(&x[ch], &y[ch], f, fs);
                    let want = c.gain_at(f);
                    assert!(
                        (got - want).abs() < tolerance,
                        "{mode:?} ch {ch} {f} Hz: {got} vs {want}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_swap_crossfades_into_the_new_filter_exactly() {
        let fs = 48_000.0;
        let layout = Layout::new(3, fs, 512);
        let a = realise(&curve(), -5.0, FilterMode::ZeroLatency, &layout).expect("a");
        let flipped = curve().map(|c| c.scaled(-0.5));
        let input = [noise(48_000, 1), noise(48_000, 2)];
        for (b_mode, b_curve) in [
            (FilterMode::ZeroLatency, flipped.clone()),
            (FilterMode::LowCpu, flipped.clone()),
            (
                FilterMode::ZeroLatency,
                ChannelResponses::mono(Response::flat()),
            ),
        ] {
            let b = realise(&b_curve, 0.0, b_mode, &layout).expect("b");
            // Reference: B from the start.
            let mut only_b = Engine::new(&layout, 2);
            let (_o, mut inbox_b) = handover();
            let _ = only_b.install_now(Box::new(Bank::uniform(b.clone(), &layout)), 0);
            let want = run(&mut only_b, &mut inbox_b, &input, &[512]);
            // A, then B arrives through the handover at sample 10 000.
            let mut engine = Engine::new(&layout, 2);
            let (mut outbox, mut inbox) = handover();
            let _ = engine.install_now(Box::new(Bank::uniform(a.clone(), &layout)), 0);
            let first: [Vec<f32>; 2] = [input[0][..10_000].to_vec(), input[1][..10_000].to_vec()];
            let mut got = run(&mut engine, &mut inbox, &first, &[512, 77]);
            outbox
                .send(Box::new(Bank::uniform(b, &layout)))
                .expect("queue");
            let rest: [Vec<f32>; 2] = [input[0][10_000..].to_vec(), input[1][10_000..].to_vec()];
            let later = run(&mut engine, &mut inbox, &rest, &[512, 77]);
            for ch in 0..2 {
                got[ch].extend_from_slice(&later[ch]);
            }
            assert_eq!(engine.latency_samples(), 0);
            let fade = (SWAP_FADE_MS * 1e-3 * fs) as usize;
            // After the fade the output is B's; during it, no step larger than the signal's.
            let tol = if b_mode == FilterMode::LowCpu {
                2e-3
            } else {
                1e-5
            };
            for ch in 0..2 {
                let err = got[ch][10_000 + fade + 512..]
                    .iter()
                    .zip(&want[ch][10_000 + fade + 512..])
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0f32, f32::max);
                assert!(err < tol, "{b_mode:?} ch {ch}: {err}");
                let step = |s: &[f32]| {
                    s.windows(2)
                        .map(|w| (w[1] - w[0]).abs())
                        .fold(0.0f32, f32::max)
                };
                let around = step(&got[ch][9_000..10_000 + fade + 1_000]);
                let normal =
                    step(&want[ch][9_000..10_000 + fade + 1_000]).max(step(&got[ch][..9_000]));
                assert!(
                    around <= normal * 1.05,
                    "{b_mode:?}: step {around} vs {normal}"
                );
            }
            // The old bank went back to be freed once its fade ended.
            assert_eq!(outbox.free_retired(), 1);
            let c = realise(&curve(), -5.0, FilterMode::ZeroLatency, &layout).expect("c");
            outbox
                .send(Box::new(Bank::uniform(c, &layout)))
                .expect("queue");
            let _ = run(&mut engine, &mut inbox, &first, &[512]);
            assert_eq!(outbox.free_retired(), 1);
        }
    }

    #[test]
    fn designs_for_another_layout_are_retired_unplayed() {
        let layout = Layout::new(5, 48_000.0, 128);
        let other = Layout::new(6, 48_000.0, 128);
        let mut engine = Engine::new(&layout, 1);
        let (mut outbox, mut inbox) = handover();
        let d = realise(
            &ChannelResponses::mono(Response::flat()),
            -6.0,
            FilterMode::ZeroLatency,
            &other,
        )
        .expect("d");
        outbox
            .send(Box::new(Bank::uniform(d, &other)))
            .expect("queue");
        let mut x = vec![0.5f32; 64];
        engine.process(&mut inbox, &mut [&mut x]);
        assert_eq!(x, vec![0.5f32; 64], "nothing installed: pass-through");
        assert!(engine.design().is_none());
        assert_eq!(outbox.free_retired(), 1);
    }

    /// A bank whose entry k is a gain of `gains[k]` (mono input for the entries in `mono`).
    fn gain_bank(layout: &Layout, gains: &[f32], mono: &[usize]) -> Bank {
        let entries = (0..LISTEN_COUNT)
            .map(|k| {
                let db = 20.0 * gains[k % gains.len()].log10() as f64;
                let mut d = realise(
                    &ChannelResponses::mono(Response::flat().offset(db)),
                    db,
                    FilterMode::ZeroLatency,
                    layout,
                )
                .expect("gain");
                d.mono_input = mono.contains(&k);
                Arc::new(d)
            })
            .collect();
        Bank {
            layout_id: layout.id,
            mode: FilterMode::ZeroLatency,
            latency_samples: 0,
            entries,
        }
    }

    #[test]
    fn listen_switches_entries_at_the_block_it_changes_and_without_a_step() {
        let layout = Layout::new(9, 48_000.0, 512);
        let mut engine = Engine::new(&layout, 2);
        let (_outbox, mut inbox) = handover();
        // Reference plays the FIR curve, slot 3 its negative.
        let reference = realise(&curve(), -5.0, FilterMode::ZeroLatency, &layout).expect("ref");
        let slot = realise(
            &curve().map(|c| c.scaled(-1.0)),
            -5.0,
            FilterMode::ZeroLatency,
            &layout,
        )
        .expect("slot");
        let (reference, slot) = (Arc::new(reference), Arc::new(slot));
        let entries = (0..LISTEN_COUNT)
            .map(|k| {
                if k == 3 {
                    slot.clone()
                } else {
                    reference.clone()
                }
            })
            .collect();
        let bank = Bank {
            layout_id: layout.id,
            mode: FilterMode::ZeroLatency,
            latency_samples: 0,
            entries,
        };
        let _ = engine.install_now(Box::new(bank), 0);
        // A sine; switch to slot 3 at frame 5000 (the host splits the block there).
        let frames = 24_000;
        let sine: Vec<f32> = (0..frames)
            .map(|i| 0.5 * (2.0 * std::f32::consts::PI * 997.0 * i as f32 / 48_000.0).sin())
            .collect();
        let mut out = [sine.clone(), sine.clone()];
        let [l, r] = &mut out;
        assert_no_alloc(|| {
            engine.process(&mut inbox, &mut [&mut l[..5000], &mut r[..5000]]);
            engine.set_listen(3);
            engine.process(&mut inbox, &mut [&mut l[5000..], &mut r[5000..]]);
        });
        // Up to frame 5000: the reference exactly as if nothing changed.
        let mut only_ref = Engine::new(&layout, 2);
        let _ = only_ref.install_now(Box::new(Bank::uniform((*reference).clone(), &layout)), 0);
        let mut want = [sine.clone(), sine.clone()];
        let [wl, wr] = &mut want;
        only_ref.process(&mut inbox, &mut [&mut wl[..], &mut wr[..]]);
        // (Block boundaries differ between the two runs: equal to rounding.)
        let same = |i: usize| (out[0][i] - want[0][i]).abs() < 1e-6;
        assert!(
            (0..5000).all(same),
            "the reference changed before the switch"
        );
        // From frame 5000 the output moves away from the reference's.
        let differs = (5000..5100).any(|i| (out[0][i] - want[0][i]).abs() > 1e-4);
        assert!(differs, "the switch did not start at its frame");
        // No step larger than the played sine's own largest step, before or after the fade.
        let step = |s: &[f32]| {
            s.windows(2)
                .map(|w| (w[1] - w[0]).abs())
                .fold(0.0f32, f32::max)
        };
        let fade = (SWAP_FADE_MS * 1e-3 * 48_000.0) as usize;
        let steady = step(&out[0][1000..5000]).max(step(&out[0][5000 + fade + 512..]));
        let around = step(&out[0][4000..5000 + fade + 512]);
        assert!(around <= steady * 1.001, "{around} vs {steady}");
    }

    #[test]
    fn mono_entries_sum_the_channels_first() {
        let layout = Layout::new(11, 48_000.0, 256);
        let mut engine = Engine::new(&layout, 2);
        let (_outbox, mut inbox) = handover();
        let bank = gain_bank(&layout, &[1.0, 0.5], &[5]);
        let _ = engine.install_now(Box::new(bank), 5);
        let l0 = noise(4_000, 3);
        let r0 = noise(4_000, 4);
        let (mut l, mut r) = (l0.clone(), r0.clone());
        assert_no_alloc(|| engine.process(&mut inbox, &mut [&mut l, &mut r]));
        for i in 0..4_000 {
            let want = 0.5 * 0.5 * (l0[i] + r0[i]);
            assert!((l[i] - want).abs() < 1e-6 && l[i] == r[i], "frame {i}");
        }
        // Back to a stereo entry (index 2: gain 1): after the fade, stereo again.
        engine.set_listen(2);
        let (mut l, mut r) = (l0.clone(), r0.clone());
        engine.process(&mut inbox, &mut [&mut l, &mut r]);
        let fade = (SWAP_FADE_MS * 1e-3 * 48_000.0) as usize;
        for i in fade + 256..4_000 {
            assert!(
                (l[i] - l0[i]).abs() < 1e-6 && (r[i] - r0[i]).abs() < 1e-6,
                "frame {i}"
            );
        }
    }

    #[test]
    fn a_bank_sharing_the_heard_entry_swaps_without_a_fade() {
        let layout = Layout::new(12, 48_000.0, 256);
        let mut engine = Engine::new(&layout, 2);
        let (mut outbox, mut inbox) = handover();
        let first = gain_bank(&layout, &[1.0], &[]);
        let shared = first.entries[0].clone();
        let _ = engine.install_now(Box::new(first), 0);
        let mut second = gain_bank(&layout, &[0.25], &[]);
        second.entries[0] = shared;
        outbox.send(Box::new(second)).expect("queue");
        let x = noise(2_000, 5);
        let (mut l, mut r) = (x.clone(), x.clone());
        engine.process(&mut inbox, &mut [&mut l, &mut r]);
        assert_eq!(l, x, "the shared entry kept playing untouched");
        assert!(!engine.is_fading());
        assert_eq!(outbox.free_retired(), 1, "the first bank went back at once");
        // Slot 1 of the second bank plays 0.25.
        engine.set_listen(1);
        let (mut l, mut r) = (x.clone(), x.clone());
        engine.process(&mut inbox, &mut [&mut l, &mut r]);
        let fade = (SWAP_FADE_MS * 1e-3 * 48_000.0) as usize;
        assert!((l[fade + 10] - 0.25 * x[fade + 10]).abs() < 1e-6);
    }
}
