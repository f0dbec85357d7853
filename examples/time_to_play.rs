//! Time from a settings change to the new filter being ready for the audio thread, through
//! the plugin's own background designer (`design::designer`), per engine, for a mono and a
//! stereo headphone at 48 kHz:
//!
//! `cargo run --release --example time_to_play`
//!
//! The settings source changes `amount` and stamps the time; the "audio thread" here is a
//! loop that polls the inbox every 0.1 ms (a real one looks once per block, so add up to one
//! block: 1.3 ms at 64 frames, 10.7 ms at 512). A change arrives in two steps: the entry being
//! heard (the reference here) first, then the whole bank of nine (reference + eight slots,
//! so any `listen` switch plays at once). Prints the median and the worst of 20 changes for
//! both, and the time an activation takes to design the whole bank (median and worst of 5).

use refcan::chain::ChainSettings;
use refcan::curve::Response;
use refcan::design::designer::{DesignSource, Designer};
use refcan::design::{DesignSettings, FilterMode, Layout};
use refcan::filter::FilterSpec;
use refcan::io::{ChannelCurves, Curve, Format};
use refcan::presets::PresetLibrary;
use refcan::source::{Headphone, HeadphoneData};
use refcan::state::{SlotContent, default_slots};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Knob {
    mode: FilterMode,
    amount: AtomicU64,
    headphone: Headphone,
    /// Held, as the plugin's state holds them (building them from the library takes ~2 ms).
    slots: Vec<SlotContent>,
}

impl DesignSource for Knob {
    fn settings(&self) -> DesignSettings {
        let mut chain = ChainSettings::default();
        chain.correction.amount_percent = self.amount.load(Ordering::Acquire) as f64;
        DesignSettings {
            mode: self.mode,
            target_id: "harman_in_room_flat_2013".into(),
            chain,
        }
    }
    fn state_generation(&self) -> u64 {
        0
    }
    fn state(&self) -> (Option<Headphone>, Vec<SlotContent>) {
        (Some(self.headphone.clone()), self.slots.clone())
    }
    fn listen(&self) -> usize {
        0
    }
}

fn curve(filters: &[FilterSpec]) -> Curve {
    let target = PresetLibrary::builtin()
        .target("harman_in_room_flat_2013")
        .and_then(|t| t.curve().ok())
        .unwrap_or_else(Response::flat);
    let (freq_hz, db) = target
        .plus(&Response::from_filters(filters, 44_100.0))
        .to_points();
    Curve { freq_hz, db }
}

fn headphone(stereo: bool) -> Headphone {
    let left = curve(&[
        FilterSpec::low_shelf(90.0, 0.7, -6.0),
        FilterSpec::peaking(3_500.0, 2.0, 5.0),
        FilterSpec::peaking(8_000.0, 3.0, -6.0),
    ]);
    let data = if stereo {
        let right = curve(&[
            FilterSpec::low_shelf(110.0, 0.7, -4.0),
            FilterSpec::peaking(2_500.0, 1.5, 3.0),
        ]);
        ChannelCurves::Stereo { left, right }
    } else {
        ChannelCurves::Mono(left)
    };
    Headphone {
        name: "synthetic".into(),
        source_file: "synthetic.csv".into(),
        format: Format::AutoEqCsv,
        data: HeadphoneData::Measurement(data),
        rig: None,
    }
}

fn main() {
    let library = Arc::new(PresetLibrary::builtin());
    println!("48 kHz, blocks of 512; settings change → design ready (median / worst of 20)");
    for mode in [
        FilterMode::ZeroLatency,
        FilterMode::LinearPhase,
        FilterMode::LowCpu,
    ] {
        for stereo in [false, true] {
            let source = Arc::new(Knob {
                mode,
                amount: AtomicU64::new(100),
                headphone: headphone(stereo),
                slots: default_slots(),
            });
            let (designer, mut inbox) = Designer::spawn(source.clone(), library.clone());
            designer.set_layout(Layout::new(1, 48_000.0, 512), None);
            let wait = |inbox: &mut refcan::design::designer::Inbox| {
                let start = Instant::now();
                loop {
                    if let Some(d) = inbox.take_newest() {
                        return (start.elapsed(), d);
                    }
                    assert!(start.elapsed() < Duration::from_secs(20), "no design");
                    std::thread::sleep(Duration::from_micros(100));
                }
            };
            let (_, first) = wait(&mut inbox);
            let mut held = vec![first];
            let times = Mutex::new(Vec::new());
            let mut whole = Vec::new();
            for i in 0..20 {
                // Past the throttle, as a single knob move after a quiet moment.
                std::thread::sleep(Duration::from_millis(60));
                source
                    .amount
                    .store(if i % 2 == 0 { 50 } else { 100 }, Ordering::Release);
                let changed = Instant::now();
                // First the bank with the heard entry new, then the whole bank (every slot).
                let (t, d) = wait(&mut inbox);
                times.lock().unwrap_or_else(|e| e.into_inner()).push(t);
                held.push(d);
                let (_, d) = wait(&mut inbox);
                whole.push(changed.elapsed());
                held.push(d);
            }
            for d in held {
                inbox.retire(d);
            }
            let mut t = times.into_inner().unwrap_or_default();
            t.sort();
            whole.sort();
            println!(
                "{mode:?}, {}: heard entry median {:.1} ms, worst {:.1} ms; all nine median \
                 {:.1} ms, worst {:.1} ms",
                if stereo {
                    "stereo headphone"
                } else {
                    "mono headphone"
                },
                t[t.len() / 2].as_secs_f64() * 1e3,
                t[t.len() - 1].as_secs_f64() * 1e3,
                whole[whole.len() / 2].as_secs_f64() * 1e3,
                whole[whole.len() - 1].as_secs_f64() * 1e3
            );
            drop(designer);
            // What an activation does on the host's main thread: the whole bank at once.
            let mut activation: Vec<Duration> = (0..5)
                .map(|_| {
                    let start = Instant::now();
                    let bank = refcan::design::design(
                        &source.settings(),
                        Some(&source.headphone),
                        &source.slots,
                        &Layout::new(2, 48_000.0, 512),
                        &library,
                    );
                    assert!(bank.is_ok(), "the bank designs");
                    start.elapsed()
                })
                .collect();
            activation.sort();
            println!(
                "    activation (the whole bank on the main thread): median {:.1} ms, worst {:.1} ms",
                activation[activation.len() / 2].as_secs_f64() * 1e3,
                activation[activation.len() - 1].as_secs_f64() * 1e3
            );
        }
    }
}
