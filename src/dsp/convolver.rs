//! Zero-latency, non-uniformly partitioned FFT convolution (the Zero-latency and Linear-phase
//! engines' FIR runner).
//!
//! # Algorithm
//! The impulse response is cut into stages ([`PartitionPlan`]); stage `s` has partitions of
//! `P_s` taps (a power of two) starting at tap offset `O_s`, each partition transformed once
//! (off the audio thread, [`FilterSpectra`]). Every stage is a uniformly partitioned
//! overlap-save convolver with a frequency-domain delay line (FDL) of input spectra
//! (Torger & Farina's UPOLS, DSP_REFERENCE.md §4.5): per input block of `P_s` samples one
//! real FFT of size `2·P_s`, a complex multiply-accumulate over the FDL, one inverse FFT.
//!
//! * **Stage 0** (`P_0` from the host's maximum block, offset 0) runs every call: it
//!   transforms the *current, partly filled* block and adds its product with the first
//!   partition to the products of the older blocks, which were summed once when the previous
//!   block completed. So a call of any length, 1 sample or a whole block, gets its output in
//!   the same call: no latency. A host that always sends full blocks pays exactly one FFT
//!   pair per block, as a plain UPOLS does; a host that splits blocks pays one FFT pair per
//!   piece.
//! * **Later stages** (`P_s = 2^k·P_0`, `O_s ≥ P_s`, `O_s` a multiple of `P_s`) run only when
//!   one of their input blocks completes, and their result is due `O_s ≥ P_s` samples later,
//!   so it is ready in time; it waits in a per-filter accumulator of future output. Longer
//!   partitions late in the response cut the multiply-accumulate work per sample from
//!   `L/P_0` to a few partitions per stage (Gardner 1995's non-uniform idea with FDLs per
//!   stage; the stage layout is chosen by a cost model, [`PartitionPlan::new`]).
//!
//! # Filters share the input side
//! The input history and the FDLs do not depend on the filter, so one [`Convolver`] runs one
//! or two filters on the same input ([`Convolver::process`]): a filter swap crossfades two
//! filters that both produce exactly their steady-state output from the first sample, and a
//! filter attached later ([`Convolver::attach`]) starts from the same FDLs. When no filter
//! ran for a while (another engine played) the FDLs are rebuilt from the input history,
//! which is always kept.
//!
//! Spectra are stored split (real parts, imaginary parts) with the Nyquist bin's real part
//! packed into bin 0's imaginary slot, so a stage of `P` taps has exactly `P` complex bins and
//! the multiply-accumulate is plain, vectorisable array arithmetic (AVX2/FMA when the CPU
//! has it, chosen at run time).
//!
//! Nothing here allocates after [`Convolver::new`] / [`FilterSpectra::new`].

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use std::sync::Arc;

/// Smallest first-stage partition: below this an FFT pair costs more than it saves.
pub const MIN_HEAD_PARTITION: usize = 32;
/// Largest first-stage partition (hosts with larger blocks run several pieces per call).
pub const MAX_HEAD_PARTITION: usize = 4096;
/// Most partitions in one stage of a plan [`PartitionPlan::new`] makes.
pub const MAX_PARTITIONS_PER_STAGE: usize = 64;
/// Largest partition of any stage.
pub const MAX_PARTITION: usize = 32_768;
/// Bins processed together by the multiply-accumulate kernel.
const LANES: usize = 8;

/// One uniformly partitioned stage of a [`PartitionPlan`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stage {
    /// Partition length in taps (a power of two; also the stage's block size).
    pub size: usize,
    /// First tap the stage covers (0 for stage 0, else a multiple of `size` and ≥ `size`).
    pub offset: usize,
    /// Number of partitions.
    pub count: usize,
}

impl Stage {
    /// One past the last tap the stage covers.
    pub fn end(&self) -> usize {
        self.offset + self.count * self.size
    }
}

/// How an impulse response of a given length is cut into stages for a given first-stage
/// partition. Filters ([`FilterSpectra`]) and the runtime ([`Convolver`]) must share it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionPlan {
    /// The stages, from the first tap on; they cover `0..ir_len` without gaps.
    stages: Vec<Stage>,
    /// Impulse response length in taps.
    ir_len: usize,
}

/// Costs of the plan's cost model, in nanoseconds, measured on an x86-64 (AVX2) machine with
/// `realfft` 3.5: a real FFT of `n` points costs `FFT_NS_PER_POINT_LOG·n·log2(n) +
/// FFT_NS_FIXED`; a complex multiply-accumulate costs `CMAC_NS` per bin while a stage's
/// partitions and input spectra fit in about 64 KiB, `CMAC_NS_OUT_OF_L1` beyond (it becomes
/// memory bound); the buffer passes of a stage (history to FFT input, packing, unpacking,
/// future output) cost `COPY_NS` per sample and pass. Only their ratios matter; they were
/// checked by timing every two-stage alternative at blocks of 32…1024 frames and 8192 taps.
const FFT_NS_PER_POINT_LOG: f64 = 0.074;
const FFT_NS_FIXED: f64 = 15.0;
const CMAC_NS: f64 = 0.07;
const CMAC_NS_OUT_OF_L1: f64 = 0.17;
const COPY_NS: f64 = 0.43;
/// Bytes of partitions plus input spectra beyond which the multiply-accumulate slows down.
const CMAC_FAST_BYTES: usize = 64 * 1024;

fn fft_cost_ns(points: usize) -> f64 {
    let n = points as f64;
    FFT_NS_PER_POINT_LOG * n * n.log2() + FFT_NS_FIXED
}

/// Estimated cost per sample of a stage of `count` partitions of `size` taps.
fn stage_cost_ns(size: usize, count: usize) -> f64 {
    let p = size as f64;
    // Split re/im of f32 for both the FDL and the partitions: 16 bytes per bin and partition.
    let cmac = if count * size * 16 <= CMAC_FAST_BYTES {
        CMAC_NS
    } else {
        CMAC_NS_OUT_OF_L1
    };
    (2.0 * fft_cost_ns(2 * size) + 6.0 * p * COPY_NS) / p + count as f64 * cmac
}

impl PartitionPlan {
    /// The cheapest plan (by the cost model above) for `ir_len` taps when the host sends at
    /// most `max_block` frames per call: stage 0 has partitions of `max_block` rounded up to
    /// a power of two (within [`MIN_HEAD_PARTITION`]…[`MAX_HEAD_PARTITION`]), later stages
    /// double, quadruple, … that size. Found by dynamic programming over (offset, size).
    pub fn new(ir_len: usize, max_block: usize) -> Self {
        let ir_len = ir_len.max(1);
        let head = max_block
            .max(1)
            .next_power_of_two()
            .clamp(MIN_HEAD_PARTITION, MAX_HEAD_PARTITION);
        // best[(offset, size)] = (cost, stage count, next size) to cover offset..ir_len.
        let mut memo = std::collections::HashMap::new();
        let stages = Self::search(0, head, ir_len, &mut memo).1;
        Self { stages, ir_len }
    }

    /// Lowest cost and the stages to cover `offset..ir_len` starting with partitions of
    /// `size`.
    fn search(
        offset: usize,
        size: usize,
        ir_len: usize,
        memo: &mut std::collections::HashMap<(usize, usize), (f64, Vec<Stage>)>,
    ) -> (f64, Vec<Stage>) {
        if let Some(hit) = memo.get(&(offset, size)) {
            return hit.clone();
        }
        let remaining = ir_len - offset;
        let mut best = (f64::INFINITY, Vec::new());
        let finish = remaining.div_ceil(size);
        for count in 1..=finish.min(MAX_PARTITIONS_PER_STAGE) {
            let stage = Stage {
                size,
                offset,
                count,
            };
            let here = stage_cost_ns(size, count);
            if count == finish {
                if here < best.0 {
                    best = (here, vec![stage]);
                }
                continue;
            }
            let next_offset = stage.end();
            let mut next_size = size * 2;
            while next_size <= MAX_PARTITION
                && next_offset >= next_size
                && next_offset.is_multiple_of(next_size)
            {
                let (rest, mut stages) = Self::search(next_offset, next_size, ir_len, memo);
                if here + rest < best.0 {
                    stages.insert(0, stage);
                    best = (here + rest, stages);
                }
                next_size *= 2;
            }
        }
        if !best.0.is_finite() {
            // Only reachable when MAX_PARTITIONS_PER_STAGE cannot finish and no larger size
            // fits: cover the rest with this size anyway.
            let stage = Stage {
                size,
                offset,
                count: finish,
            };
            best = (stage_cost_ns(size, finish), vec![stage]);
        }
        memo.insert((offset, size), best.clone());
        best
    }

    /// A plan with the given stages, if they are valid: stage 0 at offset 0, each later stage
    /// right after the previous one, larger, with an offset that is a multiple of its size and
    /// at least its size, sizes powers of two within [`MIN_HEAD_PARTITION`]…[`MAX_PARTITION`],
    /// and `0..ir_len` covered. For experiments with other layouts than [`PartitionPlan::new`]'s.
    pub fn with_stages(stages: Vec<Stage>, ir_len: usize) -> Option<Self> {
        let mut next = 0;
        let mut previous_size = 0;
        for (i, s) in stages.iter().enumerate() {
            let size_ok = s.size.is_power_of_two()
                && (MIN_HEAD_PARTITION.min(s.size)..=MAX_PARTITION).contains(&s.size)
                && s.size > previous_size;
            let offset_ok = s.offset == next
                && (i == 0 || (s.offset >= s.size && s.offset.is_multiple_of(s.size)));
            if !size_ok || !offset_ok || s.count == 0 {
                return None;
            }
            next = s.end();
            previous_size = s.size;
        }
        (next >= ir_len && ir_len > 0).then_some(Self { stages, ir_len })
    }

    /// The stages, from the first tap on.
    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    /// Impulse response length in taps.
    pub fn ir_len(&self) -> usize {
        self.ir_len
    }

    /// Partition size of stage 0: the granularity of the zero-latency path.
    pub fn head_size(&self) -> usize {
        self.stages.first().map_or(MIN_HEAD_PARTITION, |s| s.size)
    }

    /// Largest partition size.
    pub fn max_size(&self) -> usize {
        self.stages.iter().map(|s| s.size).max().unwrap_or(1)
    }

    /// Estimated cost per sample in nanoseconds (for comparing plans).
    pub fn estimated_cost_ns(&self) -> f64 {
        self.stages
            .iter()
            .map(|s| stage_cost_ns(s.size, s.count))
            .sum()
    }
}

/// Eight floats aligned for one 256-bit load: the unit the multiply-accumulate works in.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[repr(C, align(32))]
struct V8([f32; LANES]);

/// A split-complex spectrum buffer in [`V8`] chunks: real parts and imaginary parts of bins
/// `k`, with the Nyquist bin's real part packed into bin 0's imaginary slot. Bin offsets are
/// multiples of [`LANES`] (partition sizes are powers of two ≥ 32).
#[derive(Debug, Clone)]
struct Split {
    re: Vec<V8>,
    im: Vec<V8>,
}

impl Split {
    fn zeros(bins: usize) -> Self {
        let chunks = bins.div_ceil(LANES);
        Self {
            re: vec![V8::default(); chunks],
            im: vec![V8::default(); chunks],
        }
    }

    fn clear(&mut self) {
        self.re.fill(V8::default());
        self.im.fill(V8::default());
    }

    /// The `size` bins from bin `at`.
    fn bins(&self, at: usize, size: usize) -> (&[V8], &[V8]) {
        let (c, n) = (at / LANES, size / LANES);
        (&self.re[c..c + n], &self.im[c..c + n])
    }

    /// The `size` bins from bin `at`, mutable.
    fn bins_mut(&mut self, at: usize, size: usize) -> (&mut [V8], &mut [V8]) {
        let (c, n) = (at / LANES, size / LANES);
        (&mut self.re[c..c + n], &mut self.im[c..c + n])
    }

    /// Packs realfft's `size + 1` bins into `size` split bins at `at` (Nyquist into `im[0]`).
    fn pack_from(&mut self, at: usize, size: usize, spectrum: &[Complex<f32>]) {
        let nyquist = spectrum[size].re;
        let (re, im) = self.bins_mut(at, size);
        kernels::deinterleave(re, im, bytemuck::cast_slice(&spectrum[..size]));
        if let Some(first) = im.first_mut() {
            first.0[0] = nyquist;
        }
    }

    /// Bin 0's DC (real) and Nyquist (packed) values at `at`.
    fn dc_nyquist(&self, at: usize) -> (f32, f32) {
        (self.re[at / LANES].0[0], self.im[at / LANES].0[0])
    }

    /// Unpacks `size` bins at 0 into realfft's `size + 1` bins (DC and Nyquist real).
    fn unpack_into(&self, size: usize, spectrum: &mut [Complex<f32>]) {
        let (re, im) = self.bins(0, size);
        kernels::interleave(re, im, bytemuck::cast_slice_mut(&mut spectrum[..size]));
        let (dc, nyquist) = self.dc_nyquist(0);
        spectrum[0] = Complex::new(dc, 0.0);
        spectrum[size] = Complex::new(nyquist, 0.0);
    }
}

/// Forward and inverse real FFTs of one size, with scratch.
struct FftPair {
    forward: Arc<dyn RealToComplex<f32>>,
    inverse: Arc<dyn ComplexToReal<f32>>,
}

impl FftPair {
    fn new(planner: &mut RealFftPlanner<f32>, size: usize) -> Self {
        Self {
            forward: planner.plan_fft_forward(2 * size),
            inverse: planner.plan_fft_inverse(2 * size),
        }
    }

    fn scratch_len(&self) -> usize {
        self.forward
            .get_scratch_len()
            .max(self.inverse.get_scratch_len())
    }
}

/// A filter's partitions, transformed for one [`PartitionPlan`] (built off the audio thread).
#[derive(Debug, Clone)]
pub struct FilterSpectra {
    plan: PartitionPlan,
    /// Per stage: `count` partitions of `size` split bins, scaled by `1/(2·size)`.
    stages: Vec<Split>,
}

impl FilterSpectra {
    /// Transforms `ir` (taps beyond the plan's length are ignored, missing ones are zero).
    pub fn new(ir: &[f32], plan: &PartitionPlan) -> Self {
        thread_local! {
            // Plans cached per thread (the designer's): planning computes twiddles.
            static PLANNER: std::cell::RefCell<RealFftPlanner<f32>> =
                std::cell::RefCell::new(RealFftPlanner::new());
        }
        let stages = plan
            .stages
            .iter()
            .map(|stage| {
                let size = stage.size;
                let fft = PLANNER.with(|p| p.borrow_mut().plan_fft_forward(2 * size));
                let mut input = vec![0.0f32; 2 * size];
                let mut spectrum = vec![Complex::new(0.0f32, 0.0); size + 1];
                let mut scratch = vec![Complex::new(0.0f32, 0.0); fft.get_scratch_len()];
                let mut split = Split::zeros(stage.count * size);
                let scale = 1.0 / (2 * size) as f32;
                for q in 0..stage.count {
                    input.fill(0.0);
                    let start = stage.offset + q * size;
                    for (k, slot) in input[..size].iter_mut().enumerate() {
                        *slot = ir.get(start + k).copied().unwrap_or(0.0) * scale;
                    }
                    // Sizes match by construction, so the FFT cannot fail.
                    let _ = fft.process_with_scratch(&mut input, &mut spectrum, &mut scratch);
                    split.pack_from(q * size, size, &spectrum);
                }
                split
            })
            .collect();
        Self {
            plan: plan.clone(),
            stages,
        }
    }

    /// The plan the spectra were made for.
    pub fn plan(&self) -> &PartitionPlan {
        &self.plan
    }
}

/// Per-filter running state: the summed products of completed stage-0 blocks and the
/// accumulated future output of the later stages.
#[derive(Debug, Clone)]
pub struct FilterState {
    /// Σ over stage-0 partitions 1.. of FDL × H, for the current block.
    tail0: Split,
    /// Future output of stages ≥ 1, indexed by absolute time modulo its length.
    future: Vec<f32>,
}

impl FilterState {
    /// A state sized for `plan`.
    pub fn new(plan: &PartitionPlan) -> Self {
        Self {
            tail0: Split::zeros(plan.head_size()),
            future: vec![0.0; 2 * plan.max_size()],
        }
    }

    fn clear(&mut self) {
        self.tail0.clear();
        self.future.fill(0.0);
    }
}

/// The input side of one channel: history, FDLs, FFTs and scratch (see the module docs).
pub struct Convolver {
    plan: PartitionPlan,
    ffts: Vec<FftPair>,
    /// Input history ring (power-of-two length).
    history: Vec<f32>,
    /// Samples since the last reset.
    time: u64,
    /// Per stage: FDL of input spectra (a ring of slots). Stage 0's ring also holds the
    /// current, partly filled block.
    fdl: Vec<Split>,
    /// Per stage: the slot of the newest complete block; for stage 0, of the current block.
    fdl_slot: Vec<usize>,
    /// Scratch: FFT input/output (2·max size), spectrum (max size + 1), FFT scratch, and a
    /// split accumulator.
    fft_buf: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    acc: Split,
    /// True when the FDLs reflect the input history (a filter ran since they were built).
    warm: bool,
}

impl Convolver {
    /// Allocates everything for `plan`.
    pub fn new(plan: &PartitionPlan) -> Self {
        let mut planner = RealFftPlanner::<f32>::new();
        let ffts: Vec<FftPair> = plan
            .stages
            .iter()
            .map(|s| FftPair::new(&mut planner, s.size))
            .collect();
        let max = plan.max_size();
        let history_len = (plan.ir_len + 3 * max).next_power_of_two();
        let fdl: Vec<Split> = plan
            .stages
            .iter()
            .enumerate()
            .map(|(i, s)| Split::zeros(fdl_slots(s, i == 0) * s.size))
            .collect();
        let scratch_len = ffts.iter().map(FftPair::scratch_len).max().unwrap_or(0);
        Self {
            plan: plan.clone(),
            fdl_slot: vec![0; fdl.len()],
            fdl,
            ffts,
            history: vec![0.0; history_len],
            time: 0,
            fft_buf: vec![0.0; 2 * max],
            spectrum: vec![Complex::new(0.0, 0.0); max + 1],
            scratch: vec![Complex::new(0.0, 0.0); scratch_len],
            acc: Split::zeros(max),
            warm: true,
        }
    }

    /// The plan this convolver runs.
    pub fn plan(&self) -> &PartitionPlan {
        &self.plan
    }

    /// Forgets all input (silence before now) and restarts block alignment.
    pub fn reset(&mut self) {
        self.history.fill(0.0);
        self.time = 0;
        for f in &mut self.fdl {
            f.clear();
        }
        self.fdl_slot.fill(0);
        self.warm = true;
    }

    /// Records input without convolving (while another engine plays): the history stays
    /// current, the FDLs go stale and are rebuilt when a filter is next attached.
    pub fn feed(&mut self, input: &[f32]) {
        self.write_history(input);
        self.time += input.len() as u64;
        self.warm = false;
    }

    /// Prepares `state` so that `filter` continues as if it had always been running on this
    /// input: rebuilds stale FDLs from the history, then sums the pending stage-0 tail and the
    /// later stages' outputs that are still due. Bounded work (one block of every stage), no
    /// allocation; meant for the audio thread when a new filter arrives.
    pub fn attach(&mut self, filter: &FilterSpectra, state: &mut FilterState) {
        if !self.warm {
            self.rebuild_fdls();
        }
        state.clear();
        self.stage0_tail(filter, state);
        let now = self.time;
        for s in 1..self.plan.stages.len() {
            let size = self.plan.stages[s].size as u64;
            // Only the part of the stage's current block that is still to be played matters.
            self.stage_output(s, filter, state, now - now % size, now);
        }
    }

    /// Convolves `input` with one or two filters; `outputs[i]` receives the result of
    /// `filters[i]` (each the length of `input`). Any length works; the output is due in the
    /// same call (zero latency).
    pub fn process(
        &mut self,
        input: &[f32],
        filters: &[&FilterSpectra],
        states: &mut [&mut FilterState],
        outputs: &mut [&mut [f32]],
    ) {
        if !self.warm {
            self.rebuild_fdls();
        }
        let head = self.plan.head_size();
        let n_filters = filters.len().min(states.len()).min(outputs.len());
        let mut done = 0;
        while done < input.len() {
            let pos = (self.time % head as u64) as usize;
            let len = (head - pos).min(input.len() - done);
            self.write_history(&input[done..done + len]);
            // Spectrum of [previous block | current block so far | zeros] into the current
            // block's FDL slot.
            let block_start = self.time - pos as u64;
            self.transform(
                0,
                (block_start + (pos + len) as u64) as i64,
                head + pos + len,
            );
            let slot = self.fdl_slot[0];
            self.fdl[0].pack_from(slot * head, head, &self.spectrum);
            for f in 0..n_filters {
                self.head_output(
                    filters[f],
                    states[f],
                    pos,
                    &mut outputs[f][done..done + len],
                );
            }
            self.time += len as u64;
            done += len;
            if pos + len == head {
                self.block_complete(&filters[..n_filters], &mut states[..n_filters]);
            }
        }
    }

    fn write_history(&mut self, input: &[f32]) {
        let len = self.history.len();
        let mut at = (self.time as usize) & (len - 1);
        let mut rest = input;
        while !rest.is_empty() {
            let n = rest.len().min(len - at);
            self.history[at..at + n].copy_from_slice(&rest[..n]);
            rest = &rest[n..];
            at = 0;
        }
    }

    /// Real FFT (size `2·P` of `stage`) of the `count` history samples ending at absolute time
    /// `end` (negative: before the stream began), zero padded at the end (stage 0's current block is partial) and with silence
    /// before time 0, into `self.spectrum[..P + 1]`.
    fn transform(&mut self, stage: usize, end: i64, count: usize) {
        let size = self.plan.stages[stage].size;
        let buf = &mut self.fft_buf[..2 * size];
        let len = self.history.len();
        let start = end - count as i64;
        let silent = (-start).clamp(0, count as i64) as usize;
        buf[..silent].fill(0.0);
        let mut at = (start + silent as i64) as usize & (len - 1);
        let mut filled = silent;
        while filled < count {
            let n = (count - filled).min(len - at);
            buf[filled..filled + n].copy_from_slice(&self.history[at..at + n]);
            filled += n;
            at = 0;
        }
        buf[count..].fill(0.0);
        // Sizes match by construction, so the transform cannot fail.
        let _ = self.ffts[stage].forward.process_with_scratch(
            buf,
            &mut self.spectrum[..size + 1],
            &mut self.scratch,
        );
    }

    /// Inverse FFT of `self.spectrum[..P + 1]` (stage `stage`'s size) into `self.fft_buf`.
    fn inverse(&mut self, stage: usize) {
        let size = self.plan.stages[stage].size;
        let _ = self.ffts[stage].inverse.process_with_scratch(
            &mut self.spectrum[..size + 1],
            &mut self.fft_buf[..2 * size],
            &mut self.scratch,
        );
    }

    /// Stage 0 output for `out.len()` new samples at block position `pos`: tail + current
    /// block × first partition, inverse transformed, plus the later stages' due output.
    fn head_output(
        &mut self,
        filter: &FilterSpectra,
        state: &mut FilterState,
        pos: usize,
        out: &mut [f32],
    ) {
        let head = self.plan.head_size();
        let slot = self.fdl_slot[0] * head;
        cmac(
            &mut self.acc,
            Start::From(&state.tail0),
            head,
            &self.fdl[0],
            |_| slot,
            &filter.stages[0],
            0,
            1,
        );
        self.acc.unpack_into(head, &mut self.spectrum);
        self.inverse(0);
        let produced = &self.fft_buf[head + pos..head + pos + out.len()];
        take_future(&mut state.future, self.time, produced, out);
    }

    /// A stage-0 block just completed at `self.time`: advance the FDLs, transform the later
    /// stages' completed blocks, then update every filter's tail and future output.
    fn block_complete(&mut self, filters: &[&FilterSpectra], states: &mut [&mut FilterState]) {
        let t = self.time;
        let slots0 = fdl_slots(&self.plan.stages[0], true);
        self.fdl_slot[0] = (self.fdl_slot[0] + 1) % slots0;
        for s in 1..self.plan.stages.len() {
            let size = self.plan.stages[s].size;
            if t.is_multiple_of(size as u64) {
                self.transform(s, t as i64, 2 * size);
                self.push_spectrum(s);
            }
        }
        for (filter, state) in filters.iter().zip(states.iter_mut()) {
            self.stage0_tail(filter, state);
            for s in 1..self.plan.stages.len() {
                let size = self.plan.stages[s].size as u64;
                if t.is_multiple_of(size) {
                    self.stage_output(s, filter, state, t, t);
                }
            }
        }
    }

    /// Moves `self.spectrum` (the newest block of stage `s`) into its FDL.
    fn push_spectrum(&mut self, s: usize) {
        let stage = self.plan.stages[s];
        let slots = fdl_slots(&stage, false);
        let newest = (self.fdl_slot[s] + 1) % slots;
        self.fdl_slot[s] = newest;
        self.fdl[s].pack_from(newest * stage.size, stage.size, &self.spectrum);
    }

    /// Σ_{q ≥ 1} X_{cur−q}·H_q for stage 0 into `state.tail0`.
    fn stage0_tail(&mut self, filter: &FilterSpectra, state: &mut FilterState) {
        let stage = self.plan.stages[0];
        let slots = fdl_slots(&stage, true);
        let current = self.fdl_slot[0];
        // Partition q multiplies the block q blocks before the current one.
        cmac(
            &mut state.tail0,
            Start::Zero,
            stage.size,
            &self.fdl[0],
            |i| ((current + slots - 1 - i) % slots) * stage.size,
            &filter.stages[0],
            stage.size,
            stage.count - 1,
        );
    }

    /// Output of stage `s` for its block starting at `block_start` (the stage's FDL as it was
    /// then, which is its FDL now), added to `state.future` from time `from` on.
    fn stage_output(
        &mut self,
        s: usize,
        filter: &FilterSpectra,
        state: &mut FilterState,
        block_start: u64,
        from: u64,
    ) {
        let stage = self.plan.stages[s];
        let size = stage.size;
        let slots = fdl_slots(&stage, false);
        let skip = stage.offset / size - 1;
        let newest = self.fdl_slot[s];
        cmac(
            &mut self.acc,
            Start::Zero,
            size,
            &self.fdl[s],
            |q| ((newest + 2 * slots - skip - q) % slots) * size,
            &filter.stages[s],
            0,
            stage.count,
        );
        self.acc.unpack_into(size, &mut self.spectrum);
        self.inverse(s);
        let first = (from - block_start) as usize;
        add_future(
            &mut state.future,
            from,
            &self.fft_buf[size + first..2 * size],
        );
    }

    /// Recomputes every FDL from the input history (after [`Convolver::feed`]).
    fn rebuild_fdls(&mut self) {
        let now = self.time;
        for s in 0..self.plan.stages.len() {
            let stage = self.plan.stages[s];
            let size = stage.size as u64;
            let slots = fdl_slots(&stage, s == 0);
            // Stage 0 keeps the current block in its ring: the complete blocks are the ones
            // before it. The current block's spectrum is recomputed by the next call.
            let last_end = now - now % size;
            let complete = if s == 0 { slots - 1 } else { slots };
            for k in 0..complete {
                // Early in a stream the oldest blocks end before time 0: silence.
                let end = last_end as i64 - ((complete - 1 - k) as u64 * size) as i64;
                self.transform(s, end, 2 * stage.size);
                self.fdl[s].pack_from(k * stage.size, stage.size, &self.spectrum);
            }
            self.fdl_slot[s] = if s == 0 { complete % slots } else { slots - 1 };
        }
        self.warm = true;
    }
}

/// Slots of a stage's FDL: its partitions plus the blocks its offset skips (stage 0: its
/// partitions, the current block included).
fn fdl_slots(stage: &Stage, is_head: bool) -> usize {
    if is_head {
        stage.count
    } else {
        stage.offset / stage.size - 1 + stage.count
    }
}

/// `out[i] = produced[i] + future[time + i]`, clearing the future slots it reads.
fn take_future(future: &mut [f32], time: u64, produced: &[f32], out: &mut [f32]) {
    let len = future.len();
    let mut at = (time as usize) & (len - 1);
    let mut done = 0;
    while done < out.len() {
        let n = (out.len() - done).min(len - at);
        let fut = &mut future[at..at + n];
        for ((y, &p), f) in out[done..done + n]
            .iter_mut()
            .zip(&produced[done..done + n])
            .zip(fut.iter_mut())
        {
            *y = p + *f;
            *f = 0.0;
        }
        done += n;
        at = 0;
    }
}

/// `future[from + i] += block[i]`.
fn add_future(future: &mut [f32], from: u64, block: &[f32]) {
    let len = future.len();
    let mut at = (from as usize) & (len - 1);
    let mut done = 0;
    while done < block.len() {
        let n = (block.len() - done).min(len - at);
        for (f, &b) in future[at..at + n].iter_mut().zip(&block[done..done + n]) {
            *f += b;
        }
        done += n;
        at = 0;
    }
}

/// What a multiply-accumulate adds its products to.
#[derive(Clone, Copy)]
enum Start<'a> {
    /// Zero: the result is the sum of the products.
    Zero,
    /// A copy of another accumulator (e.g. the stage-0 tail).
    From(&'a Split),
}

/// `acc[k] = start[k] + Σ_{q < count} x[slot_at(q) + k]·h[h_start + q·size + k]` over `size`
/// packed bins (bin 0 holds DC in `re` and Nyquist in `im`, both real, and is summed apart).
#[allow(clippy::too_many_arguments)]
fn cmac(
    acc: &mut Split,
    start: Start,
    size: usize,
    x: &Split,
    slot_at: impl Fn(usize) -> usize,
    h: &Split,
    h_start: usize,
    count: usize,
) {
    let (mut dc, mut nyquist) = match start {
        Start::Zero => (0.0, 0.0),
        Start::From(s) => s.dc_nyquist(0),
    };
    let (acc_re, acc_im) = acc.bins_mut(0, size);
    match start {
        Start::Zero => {
            acc_re.fill(V8::default());
            acc_im.fill(V8::default());
        }
        Start::From(s) => {
            let (re, im) = s.bins(0, size);
            acc_re.copy_from_slice(re);
            acc_im.copy_from_slice(im);
        }
    }
    for q in 0..count {
        let at = slot_at(q);
        let hq = h_start + q * size;
        let (x_re, x_im) = x.bins(at, size);
        let (h_re, h_im) = h.bins(hq, size);
        let (xd, xn) = x.dc_nyquist(at);
        let (hd, hn) = h.dc_nyquist(hq);
        dc += xd * hd;
        nyquist += xn * hn;
        kernels::mac(acc_re, acc_im, x_re, x_im, h_re, h_im);
    }
    acc_re[0].0[0] = dc;
    acc_im[0].0[0] = nyquist;
}

mod kernels {
    //! The complex multiply-accumulate `acc += x·h` on split spectra in aligned chunks of
    //! eight bins: plain array code the compiler vectorises, compiled twice (baseline and
    //! AVX2+FMA) and picked at run time.
    use super::{LANES, V8};

    /// `acc += x·h` elementwise (complex) over the shortest of the slices.
    pub(super) fn mac(
        acc_re: &mut [V8],
        acc_im: &mut [V8],
        x_re: &[V8],
        x_im: &[V8],
        h_re: &[V8],
        h_im: &[V8],
    ) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU supports the features the function is compiled for.
            unsafe { mac_avx2(acc_re, acc_im, x_re, x_im, h_re, h_im) };
            return;
        }
        mac_generic::<false>(acc_re, acc_im, x_re, x_im, h_re, h_im);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn mac_avx2(
        acc_re: &mut [V8],
        acc_im: &mut [V8],
        x_re: &[V8],
        x_im: &[V8],
        h_re: &[V8],
        h_im: &[V8],
    ) {
        mac_generic::<true>(acc_re, acc_im, x_re, x_im, h_re, h_im);
    }

    /// `re[k] = pairs[2k]`, `im[k] = pairs[2k + 1]` (realfft's interleaved bins to split).
    pub(super) fn deinterleave(re: &mut [V8], im: &mut [V8], pairs: &[f32]) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports the features the function is compiled for.
            unsafe { deinterleave_avx2(re, im, pairs) };
            return;
        }
        deinterleave_generic(re, im, pairs);
    }

    /// The compiler does not vectorise the stride-2 split, so this one is written with
    /// intrinsics: two 256-bit loads, two shuffles, one lane permutation each.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn deinterleave_avx2(re: &mut [V8], im: &mut [V8], pairs: &[f32]) {
        use std::arch::x86_64::*;
        for ((r, i), p) in re
            .iter_mut()
            .zip(im.iter_mut())
            .zip(pairs.chunks_exact(2 * LANES))
        {
            // SAFETY: `p` has 16 floats; `r` and `i` are 32-byte aligned arrays of 8 floats.
            unsafe {
                let a = _mm256_loadu_ps(p.as_ptr());
                let b = _mm256_loadu_ps(p.as_ptr().add(LANES));
                // Even (re) and odd (im) elements per 128-bit lane, then lanes in order.
                let even = _mm256_shuffle_ps::<0b10_00_10_00>(a, b);
                let odd = _mm256_shuffle_ps::<0b11_01_11_01>(a, b);
                let even = _mm256_castpd_ps(_mm256_permute4x64_pd::<0b11_01_10_00>(
                    _mm256_castps_pd(even),
                ));
                let odd = _mm256_castpd_ps(_mm256_permute4x64_pd::<0b11_01_10_00>(
                    _mm256_castps_pd(odd),
                ));
                _mm256_store_ps(r.0.as_mut_ptr(), even);
                _mm256_store_ps(i.0.as_mut_ptr(), odd);
            }
        }
    }

    #[inline(always)]
    fn deinterleave_generic(re: &mut [V8], im: &mut [V8], pairs: &[f32]) {
        for ((r, i), p) in re
            .iter_mut()
            .zip(im.iter_mut())
            .zip(pairs.chunks_exact(2 * LANES))
        {
            let p: &[f32; 2 * LANES] = match p.try_into() {
                Ok(p) => p,
                Err(_) => return,
            };
            for l in 0..LANES {
                r.0[l] = p[2 * l];
                i.0[l] = p[2 * l + 1];
            }
        }
    }

    /// `pairs[2k] = re[k]`, `pairs[2k + 1] = im[k]` (split to realfft's interleaved bins).
    pub(super) fn interleave(re: &[V8], im: &[V8], pairs: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: as above.
            unsafe { interleave_avx2(re, im, pairs) };
            return;
        }
        interleave_generic(re, im, pairs);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn interleave_avx2(re: &[V8], im: &[V8], pairs: &mut [f32]) {
        interleave_generic(re, im, pairs);
    }

    #[inline(always)]
    fn interleave_generic(re: &[V8], im: &[V8], pairs: &mut [f32]) {
        for ((r, i), p) in re.iter().zip(im).zip(pairs.chunks_exact_mut(2 * LANES)) {
            for l in 0..LANES {
                p[2 * l] = r.0[l];
                p[2 * l + 1] = i.0[l];
            }
        }
    }

    /// Fused multiply-add when the target has it, else multiply then add.
    #[inline(always)]
    fn madd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
        if FMA { a.mul_add(b, c) } else { a * b + c }
    }

    #[inline(always)]
    fn mac_generic<const FMA: bool>(
        acc_re: &mut [V8],
        acc_im: &mut [V8],
        x_re: &[V8],
        x_im: &[V8],
        h_re: &[V8],
        h_im: &[V8],
    ) {
        let acc = acc_re.iter_mut().zip(acc_im.iter_mut());
        let x = x_re.iter().zip(x_im);
        let h = h_re.iter().zip(h_im);
        for (((ar, ai), (xr, xi)), (hr, hi)) in acc.zip(x).zip(h) {
            for l in 0..LANES {
                ar.0[l] = madd::<FMA>(xr.0[l], hr.0[l], madd::<FMA>(-xi.0[l], hi.0[l], ar.0[l]));
                ai.0[l] = madd::<FMA>(xr.0[l], hi.0[l], madd::<FMA>(xi.0[l], hr.0[l], ai.0[l]));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(len: usize, seed: u64) -> Vec<f32> {
        crate::dsp::testing::noise(len, seed, 1.0)
    }

    fn direct(ir: &[f32], x: &[f32]) -> Vec<f32> {
        (0..x.len())
            .map(|n| {
                let mut acc = 0.0f64;
                for (k, &h) in ir.iter().enumerate().take(n + 1) {
                    acc += h as f64 * x[n - k] as f64;
                }
                acc as f32
            })
            .collect()
    }

    /// Block sizes cycling through a pseudo-random sequence in 1..=max.
    fn call_sizes(max: usize, seed: u64) -> impl Iterator<Item = usize> {
        let r = noise(97, seed);
        (0..).map(move |i| 1 + ((r[i % r.len()].abs() * max as f32) as usize).min(max - 1))
    }

    fn run(
        conv: &mut Convolver,
        filter: &FilterSpectra,
        x: &[f32],
        sizes: &mut dyn Iterator<Item = usize>,
    ) -> Vec<f32> {
        let mut state = FilterState::new(conv.plan());
        conv.attach(filter, &mut state);
        let mut out = vec![0.0; x.len()];
        let mut at = 0;
        while at < x.len() {
            let n = sizes.next().unwrap_or(1).min(x.len() - at);
            conv.process(
                &x[at..at + n],
                &[filter],
                &mut [&mut state],
                &mut [&mut out[at..at + n]],
            );
            at += n;
        }
        out
    }

    fn max_diff(a: &[f32], b: &[f32]) -> f32 {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max)
    }

    #[test]
    fn plans_cover_the_response_and_respect_causality() {
        for ir_len in [1, 31, 1000, 7526, 8192, 16_384, 65_536] {
            for max_block in [1, 32, 64, 100, 512, 1024, 8192] {
                let plan = PartitionPlan::new(ir_len, max_block);
                let mut next = 0;
                assert!(PartitionPlan::with_stages(plan.stages().to_vec(), ir_len).is_some());
                for (i, s) in plan.stages.iter().enumerate() {
                    assert_eq!(s.offset, next, "{plan:?}");
                    assert!(s.size.is_power_of_two() && s.count >= 1);
                    if i > 0 {
                        assert!(s.offset >= s.size && s.offset % s.size == 0, "{plan:?}");
                        assert!(s.size > plan.stages[i - 1].size);
                    }
                    next = s.end();
                }
                assert!(next >= ir_len, "{plan:?}");
                assert!(plan.head_size() >= max_block.next_power_of_two().min(MAX_HEAD_PARTITION));
            }
        }
        let plan = PartitionPlan::new(8192, 64);
        eprintln!("8192 taps, blocks of 64: {:?}", plan.stages);
    }

    #[test]
    fn equals_direct_convolution_for_any_call_sizes() {
        let ir = noise(2500, 1)
            .iter()
            .enumerate()
            .map(|(i, x)| x * (-(i as f32) / 600.0).exp())
            .collect::<Vec<_>>();
        let x = noise(9000, 2);
        let want = direct(&ir, &x);
        for max_block in [1, 32, 48, 256, 1024] {
            let plan = PartitionPlan::new(ir.len(), max_block);
            let filter = FilterSpectra::new(&ir, &plan);
            let mut conv = Convolver::new(&plan);
            let got = run(&mut conv, &filter, &x, &mut call_sizes(max_block, 3));
            let err = max_diff(&got, &want);
            assert!(
                err < 2e-5,
                "max block {max_block}: {err} ({:?})",
                plan.stages
            );
            // Whole blocks too.
            conv.reset();
            let got = run(&mut conv, &filter, &x, &mut std::iter::repeat(max_block));
            assert!(max_diff(&got, &want) < 2e-5);
        }
    }

    #[test]
    fn an_impulse_comes_out_at_sample_zero() {
        let plan = PartitionPlan::new(4096, 512);
        let mut ir = vec![0.0f32; 4096];
        ir[0] = 1.0;
        ir[4000] = 0.5;
        let filter = FilterSpectra::new(&ir, &plan);
        let mut conv = Convolver::new(&plan);
        let mut x = vec![0.0f32; 6000];
        x[0] = 1.0;
        let got = run(&mut conv, &filter, &x, &mut std::iter::repeat(37));
        assert!((got[0] - 1.0).abs() < 1e-6);
        assert!((got[4000] - 0.5).abs() < 1e-6);
        let rest: f32 = got
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != 0 && *i != 4000)
            .map(|(_, v)| v.abs())
            .fold(0.0, f32::max);
        assert!(rest < 1e-6, "{rest}");
    }

    #[test]
    fn a_filter_attached_late_or_after_feeding_continues_exactly() {
        let ir_a = noise(3000, 4)
            .iter()
            .enumerate()
            .map(|(i, x)| x * (-(i as f32) / 500.0).exp())
            .collect::<Vec<_>>();
        let ir_b = noise(3000, 5)
            .iter()
            .enumerate()
            .map(|(i, x)| x * (-(i as f32) / 900.0).exp())
            .collect::<Vec<_>>();
        let x = noise(12_000, 6);
        let plan = PartitionPlan::new(3000, 64);
        let (fa, fb) = (
            FilterSpectra::new(&ir_a, &plan),
            FilterSpectra::new(&ir_b, &plan),
        );
        let want_b = direct(&ir_b, &x);

        // A runs from the start, B is attached at sample 5003 and both run together.
        let mut conv = Convolver::new(&plan);
        let (mut sa, mut sb) = (FilterState::new(&plan), FilterState::new(&plan));
        conv.attach(&fa, &mut sa);
        let split = 5003;
        let mut out_a = vec![0.0; x.len()];
        let mut out_b = vec![0.0; x.len()];
        let mut at = 0;
        let mut sizes = call_sizes(64, 7);
        while at < split {
            let n = sizes.next().unwrap_or(1).min(split - at);
            conv.process(
                &x[at..at + n],
                &[&fa],
                &mut [&mut sa],
                &mut [&mut out_a[at..at + n]],
            );
            at += n;
        }
        conv.attach(&fb, &mut sb);
        while at < x.len() {
            let n = sizes.next().unwrap_or(1).min(x.len() - at);
            let (oa, ob) = (&mut out_a[at..at + n], &mut out_b[at..at + n]);
            conv.process(
                &x[at..at + n],
                &[&fa, &fb],
                &mut [&mut sa, &mut sb],
                &mut [oa, ob],
            );
            at += n;
        }
        assert!(max_diff(&out_a, &direct(&ir_a, &x)) < 2e-5);
        assert!(max_diff(&out_b[split..], &want_b[split..]) < 2e-5);

        // Fed without a filter up to the split (another engine played), then attached; also
        // early in the stream, before the later stages' delay lines have ever filled.
        for split in [77, 700, split] {
            let mut conv = Convolver::new(&plan);
            conv.feed(&x[..split]);
            let mut sb = FilterState::new(&plan);
            conv.attach(&fb, &mut sb);
            let mut out = vec![0.0; x.len() - split];
            let mut at = 0;
            for n in call_sizes(64, 8) {
                if at >= out.len() {
                    break;
                }
                let n = n.min(out.len() - at);
                conv.process(
                    &x[split + at..split + at + n],
                    &[&fb],
                    &mut [&mut sb],
                    &mut [&mut out[at..at + n]],
                );
                at += n;
            }
            assert!(max_diff(&out, &want_b[split..]) < 2e-5, "fed {split}");
        }
    }

    #[test]
    fn a_filter_attached_soon_after_the_start_continues_exactly() {
        // Fed for less than the later stages' blocks: rebuilding the FDLs reaches back before
        // time 0, which is silence (it must not underflow the block arithmetic).
        let ir = noise(3000, 9)
            .iter()
            .enumerate()
            .map(|(i, x)| x * (-(i as f32) / 700.0).exp())
            .collect::<Vec<_>>();
        let x = noise(6000, 10);
        let plan = PartitionPlan::new(3000, 64);
        let filter = FilterSpectra::new(&ir, &plan);
        let want = direct(&ir, &x);
        for split in [1, 37, 64, 200, 1000] {
            let mut conv = Convolver::new(&plan);
            conv.feed(&x[..split]);
            let out = run(&mut conv, &filter, &x[split..], &mut call_sizes(64, 11));
            let err = max_diff(&out, &want[split..]);
            assert!(err < 2e-5, "attached at {split}: max error {err}");
        }
    }
}
