//! The correction engine on the audio thread: runs the current [`Design`] on every channel
//! and, when the designer delivers a new one, crossfades from the old filter to the new over
//! [`SWAP_FADE_MS`] with both running on the same input.
//!
//! Both filters produce their steady-state output from the first sample of the fade: a new
//! FIR joins the convolver's shared input history and frequency-domain delay lines
//! ([`Convolver::attach`]), a new IIR cascade is warmed up on the last [`WARM_UP_MS`] of
//! input, a plain gain reads the delayed input. So the fade only blends two correct outputs.
//! Designs made for another activation's layout are retired unplayed. Everything is sized in
//! [`Engine::new`]; processing allocates, locks and frees nothing (retired designs go back to
//! the designer thread through the [`Inbox`]).

use super::cascade::CascadeRunner;
use super::convolver::{Convolver, FilterSpectra, FilterState};
use super::delay::DelayLine;
use crate::design::designer::Inbox;
use crate::design::{Design, DesignKind, LOW_CPU_FILTERS, Layout};

/// Crossfade between two designs, milliseconds (within PRODUCT.md's 20–50 ms).
pub const SWAP_FADE_MS: f64 = 30.0;

/// Input a new IIR cascade runs over before it is heard, milliseconds.
pub const WARM_UP_MS: f64 = 50.0;

/// One of the two filter slots: a design and its running state (per channel for FIRs, both
/// channels in one runner for cascades).
struct Slot {
    design: Option<Box<Design>>,
    fir: Vec<FilterState>,
    cascade: CascadeRunner,
}

/// The engine for one activation (sample rate, block size, channel count).
pub struct Engine {
    layout_id: u64,
    convolvers: Vec<Convolver>,
    history: Vec<DelayLine>,
    slots: [Slot; 2],
    /// The slot being faded in (or playing alone).
    active: usize,
    fade_pos: usize,
    fade_len: usize,
    warm_up_len: usize,
    /// Per channel input copy, per slot and channel output, and warm-up scratch.
    input: [Vec<f32>; 2],
    outputs: [[Vec<f32>; 2]; 2],
    scratch: Vec<f32>,
    channels: usize,
    /// A design with another latency arrived: the host must restart the plugin first.
    restart_requested: bool,
}

impl Engine {
    /// Allocates everything for `layout` and `channels` (1 or 2) channels.
    pub fn new(layout: &Layout, channels: usize) -> Self {
        let channels = channels.clamp(1, 2);
        let fs = layout.sample_rate_hz;
        let warm_up_len = (WARM_UP_MS * 1e-3 * fs).round() as usize;
        let history_len = layout.max_latency_samples + layout.max_block + warm_up_len;
        let slot = || Slot {
            design: None,
            fir: (0..channels)
                .map(|_| FilterState::new(&layout.plan))
                .collect(),
            cascade: CascadeRunner::new(LOW_CPU_FILTERS),
        };
        let block = || vec![0.0f32; layout.max_block];
        Self {
            layout_id: layout.id,
            convolvers: (0..channels)
                .map(|_| Convolver::new(&layout.plan))
                .collect(),
            history: (0..channels).map(|_| DelayLine::new(history_len)).collect(),
            slots: [slot(), slot()],
            active: 0,
            fade_pos: 0,
            fade_len: ((SWAP_FADE_MS * 1e-3 * fs).round() as usize).max(1),
            warm_up_len,
            input: [block(), block()],
            outputs: [[block(), block()], [block(), block()]],
            scratch: vec![0.0; 2 * layout.max_block.max(256)],
            channels,
            restart_requested: false,
        }
    }

    /// The design being played (or faded in).
    pub fn design(&self) -> Option<&Design> {
        self.slots[self.active].design.as_deref()
    }

    /// Latency of the design being played, samples.
    pub fn latency_samples(&self) -> usize {
        self.design().map_or(0, |d| d.latency_samples)
    }

    /// True once if a design arrived that needs another latency (the plugin then asks the host
    /// to restart it).
    pub fn take_restart_request(&mut self) -> bool {
        std::mem::take(&mut self.restart_requested)
    }

    /// True while two designs are being crossfaded.
    pub fn is_fading(&self) -> bool {
        self.fade_pos < self.fade_len && self.slots[1 - self.active].design.is_some()
    }

    /// Installs a design without a fade (at activation, before audio runs). The previous
    /// designs are returned to be dropped by the caller.
    pub fn install_now(&mut self, design: Box<Design>) -> Vec<Box<Design>> {
        let mut old: Vec<Box<Design>> = self
            .slots
            .iter_mut()
            .filter_map(|s| s.design.take())
            .collect();
        if design.layout_id != self.layout_id {
            old.push(design);
            return old;
        }
        self.active = 0;
        self.prepare(0, design);
        self.fade_pos = self.fade_len;
        old
    }

    /// Forgets all input (host reset): filters keep their design, states go to rest.
    pub fn reset(&mut self) {
        for c in &mut self.convolvers {
            c.reset();
        }
        for h in &mut self.history {
            h.reset();
        }
        for s in &mut self.slots {
            s.cascade.reset();
        }
        // Re-attach FIR states to the silent convolvers (clears them).
        for i in 0..2 {
            if let Some(design) = self.slots[i].design.take() {
                self.prepare(i, design);
            }
        }
        self.fade_pos = self.fade_len;
    }

    /// Processes `channels` in place (each at most the layout's block size; longer input is
    /// processed in pieces). Takes a new design from `inbox` when not fading.
    pub fn process(&mut self, inbox: &mut Inbox, channels: &mut [&mut [f32]]) {
        let frames = channels.first().map_or(0, |c| c.len());
        let max = self.input[0].len();
        let mut start = 0;
        while start < frames {
            let len = (frames - start).min(max);
            self.accept(inbox);
            self.process_piece(channels, start, len);
            self.fade_pos = (self.fade_pos + len).min(self.fade_len);
            start += len;
        }
    }

    /// Takes the newest waiting design into the other slot and starts the crossfade.
    fn accept(&mut self, inbox: &mut Inbox) {
        if self.is_fading() {
            return;
        }
        let Some(design) = inbox.take_newest() else {
            return;
        };
        if design.layout_id != self.layout_id {
            inbox.retire(design);
            return;
        }
        if self
            .design()
            .is_some_and(|d| d.latency_samples != design.latency_samples)
        {
            // A latency change (another engine) may only happen at activation (CLAP:
            // `clap_host_latency.changed` during `activate`): ask for a restart and keep
            // playing the current filter; the activation designs the new one.
            self.restart_requested = true;
            inbox.retire(design);
            return;
        }
        let target = if self.slots[self.active].design.is_some() {
            1 - self.active
        } else {
            self.active
        };
        if let Some(old) = self.slots[target].design.take() {
            inbox.retire(old);
        }
        self.prepare(target, design);
        if target != self.active {
            self.active = target;
            self.fade_pos = 0;
        }
    }

    /// Puts `design` into slot `index` with its state ready to continue the current input.
    fn prepare(&mut self, index: usize, design: Box<Design>) {
        let slot = &mut self.slots[index];
        match &design.kind {
            DesignKind::Fir(spectra) => {
                for (ch, conv) in self.convolvers.iter_mut().enumerate() {
                    let filter = pick(spectra, ch);
                    if let (Some(filter), Some(state)) = (filter, slot.fir.get_mut(ch)) {
                        conv.attach(filter, state);
                    }
                }
            }
            DesignKind::Cascade(cascades) => {
                if let (Some(left), Some(right)) = (pick(cascades, 0), pick(cascades, 1)) {
                    slot.cascade.load(left, right);
                    let right_history = &self.history[1.min(self.history.len() - 1)];
                    let (l0, l1) = self.history[0].latest(self.warm_up_len);
                    let (r0, r1) = right_history.latest(self.warm_up_len);
                    slot.cascade.warm_up([l0, l1], [r0, r1], &mut self.scratch);
                }
            }
            DesignKind::Gain(_) => {}
        }
        slot.design = Some(design);
    }

    /// One piece (at most the scratch length) of every channel, in place.
    fn process_piece(&mut self, channels: &mut [&mut [f32]], start: usize, n: usize) {
        let used = channels.len().min(self.channels);
        for (ch, data) in channels.iter().enumerate().take(used) {
            self.input[ch][..n].copy_from_slice(&data[start..start + n]);
            self.history[ch].write(&self.input[ch][..n]);
        }
        if self.slots[self.active].design.is_none() {
            // Nothing designed yet: pass the input through.
            for ch in 0..used {
                self.convolvers[ch].feed(&self.input[ch][..n]);
            }
            return;
        }
        let fading = self.is_fading();
        let live: [bool; 2] =
            std::array::from_fn(|i| self.slots[i].design.is_some() && (i == self.active || fading));
        for ch in 0..used {
            self.run_fir_and_gain(ch, n, live);
        }
        self.run_cascades(used, n, live);

        // Mix: the active slot alone, or a raised-cosine crossfade from the other one.
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

    /// The FIR slots of channel `ch` (both in one convolver call) and the plain-gain slots.
    fn run_fir_and_gain(&mut self, ch: usize, n: usize, live: [bool; 2]) {
        let [s0, s1] = &mut self.slots;
        let (d0, fir0) = (&s0.design, &mut s0.fir);
        let (d1, fir1) = (&s1.design, &mut s1.fir);
        let [o0, o1] = &mut self.outputs;
        let (o0, o1) = (&mut o0[ch], &mut o1[ch]);
        let conv = &mut self.convolvers[ch];
        let input = &self.input[ch][..n];
        match (fir_of(d0, live[0], ch), fir_of(d1, live[1], ch)) {
            (Some(f0), Some(f1)) => conv.process(
                input,
                &[f0, f1],
                &mut [&mut fir0[ch], &mut fir1[ch]],
                &mut [&mut o0[..n], &mut o1[..n]],
            ),
            (Some(f0), None) => {
                conv.process(input, &[f0], &mut [&mut fir0[ch]], &mut [&mut o0[..n]])
            }
            (None, Some(f1)) => {
                conv.process(input, &[f1], &mut [&mut fir1[ch]], &mut [&mut o1[..n]])
            }
            (None, None) => conv.feed(input),
        }
        for (i, (design, out)) in [(d0, o0), (d1, o1)].into_iter().enumerate() {
            if let (
                true,
                Some(Design {
                    kind: DesignKind::Gain(g),
                    latency_samples,
                    ..
                }),
            ) = (live[i], design.as_deref())
            {
                self.history[ch].read_delayed(*latency_samples, &mut out[..n]);
                for y in &mut out[..n] {
                    *y *= g;
                }
            }
        }
    }

    /// The cascade slots, both channels in one pass.
    fn run_cascades(&mut self, used: usize, n: usize, live: [bool; 2]) {
        for (i, slot) in self.slots.iter_mut().enumerate() {
            let is_cascade = matches!(
                slot.design.as_deref(),
                Some(Design {
                    kind: DesignKind::Cascade(_),
                    ..
                })
            );
            if !(live[i] && is_cascade) {
                continue;
            }
            let [out_l, out_r] = &mut self.outputs[i];
            if used == 2 {
                let [in_l, in_r] = &self.input;
                slot.cascade.process_stereo(
                    &in_l[..n],
                    &in_r[..n],
                    &mut out_l[..n],
                    &mut out_r[..n],
                );
            } else {
                slot.cascade
                    .process_mono(&self.input[0][..n], &mut out_l[..n]);
            }
        }
    }
}

/// The FIR of a live slot's design for channel `ch`, if it is a FIR.
fn fir_of(design: &Option<Box<Design>>, live: bool, ch: usize) -> Option<&FilterSpectra> {
    match design.as_deref() {
        Some(Design {
            kind: DesignKind::Fir(spectra),
            ..
        }) if live => pick(spectra, ch),
        _ => None,
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
    use crate::design::{FilterMode, realise};
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
            let _ = engine.install_now(Box::new(design));
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
            let _ = only_b.install_now(Box::new(b.clone()));
            let want = run(&mut only_b, &mut inbox_b, &input, &[512]);
            // A, then B arrives through the handover at sample 10 000.
            let mut engine = Engine::new(&layout, 2);
            let (mut outbox, mut inbox) = handover();
            let _ = engine.install_now(Box::new(a.clone()));
            let first: [Vec<f32>; 2] = [input[0][..10_000].to_vec(), input[1][..10_000].to_vec()];
            let mut got = run(&mut engine, &mut inbox, &first, &[512, 77]);
            outbox.send(Box::new(b)).expect("queue");
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
            // The old design went back to be freed.
            assert_eq!(outbox.free_retired(), 0);
            let c = realise(&curve(), -5.0, FilterMode::ZeroLatency, &layout).expect("c");
            outbox.send(Box::new(c)).expect("queue");
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
        outbox.send(Box::new(d)).expect("queue");
        let mut x = vec![0.5f32; 64];
        engine.process(&mut inbox, &mut [&mut x]);
        assert_eq!(x, vec![0.5f32; 64], "nothing installed: pass-through");
        assert!(engine.design().is_none());
        assert_eq!(outbox.free_retired(), 1);
    }
}
