//! What a plot of the chain shows, shared by `refcan plot` (a PNG) and the editor: the
//! labelled frequency ticks, the dB range and its ticks, how values read, and the curves for
//! one `listen` choice. Nothing is drawn here: the CLI draws with plotters, the editor with
//! egui_plot, from the same numbers.

use crate::chain::{ChainCurves, Listen, NamedCurve, Role};
use crate::curve::{Channel, ChannelResponses, Response};

/// The labelled frequencies of the log axis, 20 Hz–20 kHz.
pub const FREQUENCY_TICKS_HZ: [f64; 10] = [
    20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10_000.0, 20_000.0,
];

/// The frequency axis's range, Hz.
pub const FREQUENCY_RANGE_HZ: (f64, f64) = (20.0, 20_000.0);

/// The label of a tick on the frequency axis: "20", "500", "1k", "2.5k", "20k".
pub fn frequency_label(hz: f64) -> String {
    if hz >= 1000.0 {
        format!("{}k", trim(hz / 1000.0))
    } else {
        trim(hz)
    }
}

/// A frequency as read out (cursor, filter list): "850 Hz", "1.25 kHz", "12.5 kHz".
pub fn format_hz(hz: f64) -> String {
    if !hz.is_finite() {
        return "– Hz".into();
    }
    if hz >= 1000.0 {
        format!("{} kHz", significant(hz / 1000.0))
    } else {
        format!("{} Hz", significant(hz))
    }
}

/// A level as read out, signed, one decimal, with a true minus sign: "+3.0 dB", "−2.5 dB",
/// "0.0 dB".
pub fn format_db(db: f64) -> String {
    if !db.is_finite() {
        return "– dB".into();
    }
    let rounded = (db * 10.0).round() / 10.0;
    if rounded > 0.0 {
        format!("+{rounded:.1} dB")
    } else if rounded < 0.0 {
        format!("\u{2212}{:.1} dB", -rounded)
    } else {
        "0.0 dB".into()
    }
}

/// The dB range that shows `curves`: their extremes rounded out to 5 dB with a 2 dB margin,
/// kept within −60…+40 dB (a band-limited simulation's stopband would squash the rest);
/// ±20 dB when there is nothing finite to show.
pub fn db_range<'a>(curves: impl IntoIterator<Item = &'a Response>) -> (f64, f64) {
    let (lo, hi) = curves
        .into_iter()
        .flat_map(|c| c.values_db().iter().copied())
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !(lo.is_finite() && hi.is_finite()) {
        return (-20.0, 20.0);
    }
    let low = ((lo / 5.0).floor() * 5.0 - 2.0).clamp(-60.0, 38.0);
    let high = ((hi / 5.0).ceil() * 5.0 + 2.0).clamp(low + 2.0, 40.0);
    (low, high)
}

/// Ticks for the dB axis over `min..=max`: multiples of the smallest step of 1, 2, 3, 5, 10
/// or 20 dB that gives at most 8 of them.
pub fn db_ticks(min: f64, max: f64) -> Vec<f64> {
    if !(min.is_finite() && max.is_finite() && max > min) {
        return Vec::new();
    }
    let step = [1.0, 2.0, 3.0, 5.0, 10.0, 20.0]
        .into_iter()
        .find(|s| ((max / s).floor() - (min / s).ceil()) < 8.0)
        .unwrap_or(20.0);
    let first = (min / step).ceil() as i64;
    let last = (max / step).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// The curves to show for `listen`: the headphone measurement, the reference target, the
/// correction, and what is heard (measurement + correction, plus the slot's ΔS when a slot
/// is selected; without a measurement, the target through the slot). Per ear ("… L", "… R")
/// when the two ears differ.
pub fn listen_curves(curves: &ChainCurves, listen: Listen) -> Vec<NamedCurve> {
    let stereo =
        curves.correction.is_stereo() || curves.measurement.as_ref().is_some_and(|m| m.is_stereo());
    let mut out = Vec::new();
    let mut push = |base: &str, set: &ChannelResponses, role: Role| {
        for (ch, c) in set.channels() {
            let name = match (stereo, ch) {
                (false, _) => base.to_string(),
                (true, Channel::Left) => format!("{base} L"),
                (true, Channel::Right) => format!("{base} R"),
            };
            out.push(NamedCurve {
                name,
                curve: c.clone(),
                role,
            });
        }
    };
    if let Some(m) = &curves.measurement {
        push("headphone", m, Role::Measurement);
    }
    push(
        "target",
        &ChannelResponses::mono(curves.target.clone()),
        Role::Target,
    );
    push("correction", &curves.correction, Role::Correction);
    let slot = match listen {
        Listen::Slot(k) => curves.slots.get(k),
        Listen::Reference => None,
    };
    let base = curves
        .result()
        .unwrap_or_else(|| ChannelResponses::mono(curves.target.clone()));
    let (name, heard) = match slot {
        Some(s) => (
            format!("heard through {}", s.name),
            base.map(|c| c.plus(&s.delta)),
        ),
        None => ("heard (reference)".to_string(), base),
    };
    push(&name, &heard, Role::Result);
    out
}

/// `x` with at most two decimals and no trailing zeros.
fn trim(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// `x` to three significant figures, no trailing zeros ("1.25", "12.5", "850").
fn significant(x: f64) -> String {
    let decimals = if x.abs() >= 100.0 {
        0
    } else if x.abs() >= 10.0 {
        1
    } else {
        2
    };
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::{ChainInputs, ChainSettings};
    use crate::filter::FilterSpec;
    use crate::presets::PresetLibrary;
    use crate::source::Headphone;

    #[test]
    fn frequency_ticks_read_as_an_engineer_expects() {
        let labels: Vec<String> = FREQUENCY_TICKS_HZ
            .iter()
            .map(|&f| frequency_label(f))
            .collect();
        assert_eq!(
            labels,
            [
                "20", "50", "100", "200", "500", "1k", "2k", "5k", "10k", "20k"
            ]
        );
        assert_eq!(frequency_label(2500.0), "2.5k");
        assert_eq!(format_hz(850.0), "850 Hz");
        assert_eq!(format_hz(1250.0), "1.25 kHz");
        assert_eq!(format_hz(12_500.0), "12.5 kHz");
        assert_eq!(format_hz(20.0), "20 Hz");
        assert_eq!(format_hz(f64::NAN), "– Hz");
    }

    #[test]
    fn levels_are_signed_with_a_true_minus() {
        assert_eq!(format_db(3.0), "+3.0 dB");
        assert_eq!(format_db(-2.54), "\u{2212}2.5 dB");
        assert_eq!(format_db(-0.04), "0.0 dB");
        assert_eq!(format_db(0.0), "0.0 dB");
        assert_eq!(format_db(f64::INFINITY), "– dB");
    }

    #[test]
    fn db_range_and_ticks_follow_the_curves() {
        let flat = Response::flat();
        assert_eq!(db_range([&flat]), (-2.0, 2.0));
        let bumpy = Response::from_filters(&[FilterSpec::peaking(1000.0, 1.0, 7.0)], 48_000.0);
        let (lo, hi) = db_range([&flat, &bumpy]);
        assert_eq!((lo, hi), (-2.0, 12.0));
        assert_eq!(
            db_ticks(lo, hi),
            vec![-2.0, 0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0]
        );
        let deep = Response::from_filters(&[FilterSpec::low_shelf(200.0, 0.7, -20.0)], 48_000.0)
            .offset(-55.0);
        assert_eq!(
            db_range([&deep]).0,
            -60.0,
            "stopbands do not squash the plot"
        );
        assert_eq!(db_ticks(-60.0, 40.0).len(), 6);
        assert!(db_ticks(f64::NAN, 1.0).is_empty());
        assert_eq!(db_range(Vec::<&Response>::new()), (-20.0, 20.0));
    }

    #[test]
    fn listen_curves_show_what_is_heard_for_the_selected_choice() {
        let library = PresetLibrary::builtin();
        let baseline = library
            .target("harman_in_room_flat_2013")
            .and_then(|t| t.curve().ok())
            .expect("target");
        let deviation = [FilterSpec::low_shelf(100.0, 0.7, -6.0)];
        let hp = Headphone::from_response(
            "HP",
            &baseline.plus(&Response::from_filters(&deviation, 44_100.0)),
        );
        let sources = crate::design::slot_sources(&crate::state::default_slots());
        let curves = ChainCurves::compute(&ChainInputs {
            headphone: Some(&hp),
            baseline: &baseline,
            settings: ChainSettings::default(),
            slots: &sources,
        })
        .expect("chain");
        let names = |l| {
            listen_curves(&curves, l)
                .into_iter()
                .map(|c| c.name)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(Listen::Reference),
            ["headphone", "target", "correction", "heard (reference)"]
        );
        let slot = listen_curves(&curves, Listen::Slot(4));
        assert_eq!(
            slot[3].name,
            format!("heard through {}", curves.slots[4].name)
        );
        // What is heard through a slot is the corrected headphone plus that slot's ΔS.
        let reference = &listen_curves(&curves, Listen::Reference)[3].curve;
        let want = reference.plus(&curves.slots[4].delta);
        let worst = slot[3]
            .curve
            .values_db()
            .iter()
            .zip(want.values_db())
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(worst < 1e-9);
        // Without a headphone: the target through the slot.
        let bare = ChainCurves::compute(&ChainInputs {
            headphone: None,
            baseline: &baseline,
            settings: ChainSettings::default(),
            slots: &sources,
        })
        .expect("chain");
        let heard = listen_curves(&bare, Listen::Slot(0));
        assert_eq!(heard.len(), 3, "no headphone curve");
        assert_eq!(heard[2].role, Role::Result);
    }
}
