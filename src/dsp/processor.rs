//! The whole audio path of one plugin instance, free of plugin types, so the plugin and the
//! CLI's `refcan render` run exactly the same code: a dry copy delayed by the latency (for the
//! bypass), input hygiene and the mono check, the [`Engine`], crossfeed, then the trim and the
//! bypass crossfade.

use super::crossfeed::Crossfeed;
use super::delay::DelayLine;
use super::engine::Engine;
use super::input::InputStage;
use super::output::OutputStage;
use crate::design::Layout;
use crate::design::designer::Inbox;

/// Everything the audio thread touches for one activation; sized in [`Processor::new`], so
/// processing allocates nothing.
pub struct Processor {
    engine: Engine,
    input: InputStage,
    crossfeed: Crossfeed,
    output: OutputStage,
    /// The input before the chain, delayed by the engine's latency for the bypass path.
    dry: Vec<DelayLine>,
    dry_buf: Vec<Vec<f32>>,
    trim_db: Vec<f32>,
    max_block: usize,
}

/// The switches of one call (the plugin reads them from its parameters).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Switches {
    /// Pass the input through (latency-compensated, crossfaded).
    pub bypass: bool,
    /// Sum to mono before the chain.
    pub mono: bool,
    /// What is heard: 0 = reference, k = slot k.
    pub listen: usize,
    /// Crossfeed: 0 = off, k = `crossfeed::PRESETS[k − 1]`.
    pub crossfeed: usize,
}

impl Processor {
    /// Allocates everything for `layout` and `channels` (1 or 2).
    pub fn new(layout: &Layout, channels: usize) -> Self {
        let channels = channels.clamp(1, 2);
        let max_block = layout.max_block.max(1);
        let sample_rate = layout.sample_rate_hz as f32;
        let dry_capacity = layout.max_latency_samples + max_block;
        Self {
            engine: Engine::new(layout, channels),
            input: InputStage::new(sample_rate),
            crossfeed: Crossfeed::new(layout.sample_rate_hz),
            output: OutputStage::new(sample_rate),
            dry: (0..channels)
                .map(|_| DelayLine::new(dry_capacity))
                .collect(),
            dry_buf: vec![vec![0.0; max_block]; channels],
            trim_db: vec![0.0; max_block],
            max_block,
        }
    }

    /// The engine (to install a bank, read the latency or a restart request).
    pub fn engine(&mut self) -> &mut Engine {
        &mut self.engine
    }

    /// Forgets all input (host reset): switches jump to their values without a fade.
    pub fn reset(&mut self, switches: Switches) {
        self.engine.reset();
        self.input.reset(switches.mono);
        self.crossfeed.reset(switches.crossfeed);
        self.output.reset(switches.bypass);
        for d in &mut self.dry {
            d.reset();
        }
    }

    /// Processes `channels` in place, in pieces of at most the layout's block.
    /// `fill_trim` writes the output gain (dB) for each frame of a piece: the plugin's
    /// smoother, or a constant.
    pub fn process(
        &mut self,
        inbox: &mut Inbox,
        channels: &mut [&mut [f32]],
        switches: Switches,
        mut fill_trim: impl FnMut(&mut [f32]),
    ) {
        self.engine.set_listen(switches.listen);
        let frames = channels.first().map_or(0, |c| c.len());
        let mut start = 0;
        while start < frames {
            let len = (frames - start).min(self.max_block);
            fill_trim(&mut self.trim_db[..len]);
            match channels {
                [left, right] => {
                    let mut chunk = [
                        &mut left[start..start + len],
                        &mut right[start..start + len],
                    ];
                    self.run(inbox, &mut chunk, switches);
                }
                [only] => {
                    let mut chunk = [&mut only[start..start + len]];
                    self.run(inbox, &mut chunk, switches);
                }
                _ => {}
            }
            start += len;
        }
    }

    /// One piece of at most `max_block` frames.
    fn run(&mut self, inbox: &mut Inbox, chunk: &mut [&mut [f32]], switches: Switches) {
        let len = chunk.first().map_or(0, |c| c.len());
        let latency = self.engine.latency_samples();
        for ((data, line), buf) in chunk.iter().zip(&mut self.dry).zip(&mut self.dry_buf) {
            line.write(data);
            line.read_delayed(latency, &mut buf[..len]);
        }
        self.input.process(chunk, switches.mono);
        self.engine.process(inbox, chunk);
        // After the correction and the slot's ΔS, which are the same for both ears, so this
        // is the crossfeed between correction and simulation of the chain (all are linear).
        self.crossfeed.process(chunk, switches.crossfeed);
        let trim = &self.trim_db[..len];
        match (chunk, &self.dry_buf[..]) {
            ([l, r], [dl, dr]) => self.output.process(
                &mut [l, r],
                &[&dl[..len], &dr[..len]],
                trim,
                switches.bypass,
            ),
            ([only], [d, ..]) => {
                self.output
                    .process(&mut [only], &[&d[..len]], trim, switches.bypass)
            }
            _ => {}
        }
    }
}
