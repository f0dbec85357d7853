//! Cross-check: the response of an imported ParametricEQ.txt against an independent evaluation
//! written here from the RBJ Audio-EQ-Cookbook (W3C Note 2021) with complex arithmetic, and
//! Equalizer APO's parameter rules (corner-frequency shelves, slope → S = dB/12, bandwidth in
//! octaves, default Q/S values) re-derived from `filters/BiQuadFilterFactory.cpp`,
//! `BiQuadFilter.cpp` and `BiQuad.cpp` (DSP_REFERENCE.md §3.2, §4.1).

use refcan::io::{Channel, Content, import_bytes};
use std::f64::consts::{FRAC_1_SQRT_2, LN_2, PI};

#[derive(Clone, Copy)]
struct Cx(f64, f64);

impl Cx {
    fn add(self, o: Cx) -> Cx {
        Cx(self.0 + o.0, self.1 + o.1)
    }
    fn scale(self, k: f64) -> Cx {
        Cx(self.0 * k, self.1 * k)
    }
    fn norm_sqr(self) -> f64 {
        self.0 * self.0 + self.1 * self.1
    }
    fn expj(w: f64) -> Cx {
        Cx(w.cos(), w.sin())
    }
}

#[derive(Clone, Copy)]
enum Shape {
    Peak,
    LowShelf,
    HighShelf,
    LowPass,
    HighPass,
    BandPass,
    Notch,
    AllPass,
}

#[derive(Clone, Copy)]
enum Alpha {
    Q(f64),
    Bw(f64),
    S(f64),
}

/// Cookbook biquad (b0, b1, b2, a0, a1, a2), unnormalised.
fn cookbook(shape: Shape, f0: f64, gain_db: f64, width: Alpha, fs: f64) -> [f64; 6] {
    let a = 10f64.powf(gain_db / 40.0);
    let w0 = 2.0 * PI * f0 / fs;
    let (cs, sn) = (w0.cos(), w0.sin());
    let alpha = match width {
        Alpha::Q(q) => sn / (2.0 * q),
        Alpha::Bw(bw) => sn * (LN_2 / 2.0 * bw * w0 / sn).sinh(),
        Alpha::S(s) => sn / 2.0 * ((a + 1.0 / a) * (1.0 / s - 1.0) + 2.0).sqrt(),
    };
    let k = 2.0 * a.sqrt() * alpha;
    match shape {
        Shape::Peak => [
            1.0 + alpha * a,
            -2.0 * cs,
            1.0 - alpha * a,
            1.0 + alpha / a,
            -2.0 * cs,
            1.0 - alpha / a,
        ],
        Shape::LowShelf => [
            a * ((a + 1.0) - (a - 1.0) * cs + k),
            2.0 * a * ((a - 1.0) - (a + 1.0) * cs),
            a * ((a + 1.0) - (a - 1.0) * cs - k),
            (a + 1.0) + (a - 1.0) * cs + k,
            -2.0 * ((a - 1.0) + (a + 1.0) * cs),
            (a + 1.0) + (a - 1.0) * cs - k,
        ],
        Shape::HighShelf => [
            a * ((a + 1.0) + (a - 1.0) * cs + k),
            -2.0 * a * ((a - 1.0) + (a + 1.0) * cs),
            a * ((a + 1.0) + (a - 1.0) * cs - k),
            (a + 1.0) - (a - 1.0) * cs + k,
            2.0 * ((a - 1.0) - (a + 1.0) * cs),
            (a + 1.0) - (a - 1.0) * cs - k,
        ],
        Shape::LowPass => [
            (1.0 - cs) / 2.0,
            1.0 - cs,
            (1.0 - cs) / 2.0,
            1.0 + alpha,
            -2.0 * cs,
            1.0 - alpha,
        ],
        Shape::HighPass => [
            (1.0 + cs) / 2.0,
            -(1.0 + cs),
            (1.0 + cs) / 2.0,
            1.0 + alpha,
            -2.0 * cs,
            1.0 - alpha,
        ],
        Shape::BandPass => [alpha, 0.0, -alpha, 1.0 + alpha, -2.0 * cs, 1.0 - alpha],
        Shape::Notch => [1.0, -2.0 * cs, 1.0, 1.0 + alpha, -2.0 * cs, 1.0 - alpha],
        Shape::AllPass => [
            1.0 - alpha,
            -2.0 * cs,
            1.0 + alpha,
            1.0 + alpha,
            -2.0 * cs,
            1.0 - alpha,
        ],
    }
}

/// 20·log10 |H(e^{jω})| by direct complex evaluation.
fn complex_db(c: [f64; 6], f: f64, fs: f64) -> f64 {
    let w = 2.0 * PI * f / fs;
    let z1 = Cx::expj(-w);
    let z2 = Cx::expj(-2.0 * w);
    let num = Cx(c[0], 0.0).add(z1.scale(c[1])).add(z2.scale(c[2]));
    let den = Cx(c[3], 0.0).add(z1.scale(c[4])).add(z2.scale(c[5]));
    10.0 * (num.norm_sqr() / den.norm_sqr()).log10()
}

/// EAPO's corner → centre shift for LS/HS: f · 10^(±|g|/(80 S)).
fn corner_to_centre(f: f64, gain_db: f64, s: f64, low: bool) -> f64 {
    let factor = 10f64.powf(gain_db.abs() / 80.0 / s);
    if low { f * factor } else { f / factor }
}

/// S equivalent to a cookbook Q for a shelf of this gain.
fn s_from_q(q: f64, gain_db: f64) -> f64 {
    let a = 10f64.powf(gain_db / 40.0);
    1.0 / ((1.0 / (q * q) - 2.0) / (a + 1.0 / a) + 1.0)
}

const CONFIG: &str = "\
Preamp: -7.25 dB
Filter 1: ON LSC Fc 105 Hz Gain 6.5 dB Q 0.70
Filter 2: ON PK Fc 125 Hz Gain -2.7 dB Q 0.55
Filter 3: ON PK Fc 8445 Hz Gain 3.3 dB Q 1.61
Filter 4: ON HSC Fc 10000 Hz Gain -3.1 dB Q 0.70
Filter 5: ON LS Fc 60 Hz Gain 4 dB
Filter 6: ON HS 6dB Fc 6000 Hz Gain -2.5 dB
Filter 7: ON LSC 12dB Fc 300 Hz Gain -1.5 dB
Filter 8: ON PEQ Fc 2166 Hz Gain 0.9 dB BW Oct 0.4
Filter 9: ON Modal Fc 43 Hz Gain -5 dB Q 6
Filter 10: ON LP Fc 18000 Hz
Filter 11: ON HPQ Fc 15 Hz Q 0.9
Filter 12: ON NO Fc 17500 Hz
Filter 13: ON BP Fc 1000 Hz Q 0.05
Filter 14: ON AP Fc 700 Hz Q 2
Filter 15: ON LS Fc 200 Hz Gain -3 dB Q 0.8
Filter 16: ON PK Fc 1,5 Hz Gain 0 dB Q 1
";

/// The same cascade, built independently from the cookbook at `fs`.
fn independent(fs: f64) -> (f64, Vec<[f64; 6]>) {
    let s_default = 0.9;
    let list = vec![
        cookbook(Shape::LowShelf, 105.0, 6.5, Alpha::Q(0.70), fs),
        cookbook(Shape::Peak, 125.0, -2.7, Alpha::Q(0.55), fs),
        cookbook(Shape::Peak, 8445.0, 3.3, Alpha::Q(1.61), fs),
        cookbook(Shape::HighShelf, 10_000.0, -3.1, Alpha::Q(0.70), fs),
        cookbook(
            Shape::LowShelf,
            corner_to_centre(60.0, 4.0, s_default, true),
            4.0,
            Alpha::S(s_default),
            fs,
        ),
        cookbook(
            Shape::HighShelf,
            corner_to_centre(6000.0, -2.5, 0.5, false),
            -2.5,
            Alpha::S(0.5),
            fs,
        ),
        cookbook(Shape::LowShelf, 300.0, -1.5, Alpha::S(1.0), fs),
        cookbook(Shape::Peak, 2166.0, 0.9, Alpha::Bw(0.4), fs),
        cookbook(Shape::Peak, 43.0, -5.0, Alpha::Q(6.0), fs),
        cookbook(Shape::LowPass, 18_000.0, 0.0, Alpha::Q(FRAC_1_SQRT_2), fs),
        cookbook(Shape::HighPass, 15.0, 0.0, Alpha::Q(0.9), fs),
        cookbook(Shape::Notch, 17_500.0, 0.0, Alpha::Q(30.0), fs),
        cookbook(Shape::BandPass, 1000.0, 0.0, Alpha::Q(0.05), fs),
        cookbook(Shape::AllPass, 700.0, 0.0, Alpha::Q(2.0), fs),
        cookbook(
            Shape::LowShelf,
            corner_to_centre(200.0, -3.0, s_from_q(0.8, -3.0), true),
            -3.0,
            Alpha::Q(0.8),
            fs,
        ),
        cookbook(Shape::Peak, 1.5, 0.0, Alpha::Q(1.0), fs),
    ];
    (-7.25, list)
}

fn log_grid(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| 20.0 * 1000f64.powf(i as f64 / (n - 1) as f64))
        .collect()
}

#[test]
fn imported_parametric_eq_matches_independent_cookbook() {
    let imported = import_bytes("check ParametricEQ.txt", CONFIG.as_bytes()).unwrap();
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
    let Content::Eq(profile) = imported.content else {
        panic!("expected an EQ");
    };
    let freqs = log_grid(2000);
    for fs in [44_100.0, 48_000.0, 96_000.0, 192_000.0] {
        let ours = profile.response_db(&freqs, fs, Channel::Left);
        let (preamp, sections) = independent(fs);
        let mut max_err: f64 = 0.0;
        for (&f, &got) in freqs.iter().zip(&ours) {
            let want = preamp + sections.iter().map(|c| complex_db(*c, f, fs)).sum::<f64>();
            // The notch is 0 at 17.5 kHz; skip the bottom of the notch where both are
            // numerically ill-defined (below -80 dB).
            if want < -80.0 {
                continue;
            }
            max_err = max_err.max((got - want).abs());
        }
        println!(
            "fs {fs} Hz: max |imported − independent cookbook| = {max_err:.2e} dB over 20 Hz–20 kHz"
        );
        assert!(max_err < 0.01, "fs {fs}: {max_err}");
    }
    // Left and right are the same (no Channel lines).
    let l = profile.response_db(&freqs, 48_000.0, Channel::Left);
    let r = profile.response_db(&freqs, 48_000.0, Channel::Right);
    assert_eq!(l, r);
}

#[test]
fn real_autoeq_style_file_values() {
    // The golden case of DSP_REFERENCE.md §1.2 through the importer: RBJ LS 105 Hz Q 0.7
    // +6 dB at 44.1 kHz is 5.99 dB at 20 Hz, 3.28 dB at 100 Hz, 0.48 dB at 200 Hz.
    let imported = import_bytes("g.txt", b"Filter 1: ON LSC Fc 105 Hz Gain 6 dB Q 0.7\n").unwrap();
    let Content::Eq(profile) = imported.content else {
        panic!("expected an EQ");
    };
    let got = profile.response_db(&[20.0, 100.0, 200.0], 44_100.0, Channel::Right);
    for (g, want) in got.iter().zip([5.99, 3.28, 0.48]) {
        assert!((g - want).abs() < 0.006, "{got:?}");
    }
}
