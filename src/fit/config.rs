//! What to fit: the filter slots (kind, fixed or free parameters with bounds), the sample
//! rate, the loss band and the effort. Presets mirror AutoEq's `PEQ_CONFIGS`
//! (`autoeq/constants.py@07154ab4`, DSP_REFERENCE.md §2.1).

use super::FitError;
use crate::filter::FilterKind;
use serde::{Deserialize, Serialize};

/// AutoEq's peaking limits (`DEFAULT_PEAKING_FILTER_*`, DSP_REFERENCE.md §2.1).
pub mod autoeq_limits {
    /// Lowest peaking / shelf centre frequency in Hz.
    pub const MIN_FREQ_HZ: f64 = 20.0;
    /// Highest peaking / shelf centre frequency in Hz.
    pub const MAX_FREQ_HZ: f64 = 10_000.0;
    /// Lowest peaking Q ("AUNBandEq has maximum bandwidth of 5 octaves which is Q of 0.182479").
    pub const PEAKING_MIN_Q: f64 = 0.18248;
    /// Highest peaking Q.
    pub const PEAKING_MAX_Q: f64 = 6.0;
    /// Lowest shelf Q ("Shelf filters start to overshoot below 0.4").
    pub const SHELF_MIN_Q: f64 = 0.4;
    /// Highest shelf Q ("… above 0.7").
    pub const SHELF_MAX_Q: f64 = 0.7;
    /// Gain bound in dB (both signs) for peaking and shelf filters.
    pub const MAX_GAIN_DB: f64 = 20.0;
    /// Fixed low-shelf centre of the `*_WITH_SHELVES` configs (the Harman bass shelf), Hz.
    pub const LOW_SHELF_FREQ_HZ: f64 = 105.0;
    /// Fixed high-shelf centre of the `*_WITH_SHELVES` configs, Hz.
    pub const HIGH_SHELF_FREQ_HZ: f64 = 10_000.0;
    /// Fixed shelf Q of the `*_WITH_SHELVES` configs.
    pub const SHELF_Q: f64 = 0.7;
    /// Sample rate AutoEq fits at (`DEFAULT_FS`), Hz.
    pub const SAMPLE_RATE_HZ: f64 = 44_100.0;
    /// Step of the log grid the optimiser works on (`DEFAULT_BIQUAD_OPTIMIZATION_F_STEP`).
    pub const GRID_STEP: f64 = 1.02;
    /// Lower end of the loss band (`DEFAULT_PEQ_OPTIMIZER_MIN_F`), Hz.
    pub const LOSS_MIN_HZ: f64 = 20.0;
    /// Upper end of the loss band (`DEFAULT_PEQ_OPTIMIZER_MAX_F`), Hz.
    pub const LOSS_MAX_HZ: f64 = 20_000.0;
    /// Above this frequency only the mean level counts in the loss ("only the total energy
    /// matters"), Hz.
    pub const ENERGY_ONLY_ABOVE_HZ: f64 = 10_000.0;
}

/// Largest gain magnitude a configuration may allow, dB (far beyond any EQ; it keeps the
/// cookbook's `A = 10^(gain/40)` and its powers well inside f64).
pub const MAX_ABS_GAIN_DB: f64 = 60.0;

/// The filter shapes the optimiser can place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FitKind {
    /// Peaking (bell) filter.
    Peaking,
    /// Low shelf (cookbook Q).
    LowShelf,
    /// High shelf (cookbook Q).
    HighShelf,
}

impl From<FitKind> for FilterKind {
    fn from(kind: FitKind) -> Self {
        match kind {
            FitKind::Peaking => FilterKind::Peaking,
            FitKind::LowShelf => FilterKind::LowShelf,
            FitKind::HighShelf => FilterKind::HighShelf,
        }
    }
}

/// One filter parameter: held at a value, or optimised within `[min, max]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Param {
    /// Not optimised.
    Fixed(f64),
    /// Optimised within the closed interval.
    Free {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
}

impl Param {
    /// Whether the optimiser may change this parameter.
    pub fn is_free(&self) -> bool {
        matches!(self, Param::Free { .. })
    }

    /// The `(min, max)` range; a fixed value is its own range.
    pub fn range(&self) -> (f64, f64) {
        match *self {
            Param::Fixed(v) => (v, v),
            Param::Free { min, max } => (min, max),
        }
    }

    /// Narrows a free range to its overlap with `[min, max]`; a fixed value is clamped.
    fn intersect(self, min: f64, max: f64) -> Self {
        match self {
            Param::Fixed(v) => Param::Fixed(v.clamp(min, max.max(min))),
            Param::Free { min: a, max: b } => {
                let lo = a.max(min);
                let hi = b.min(max);
                if lo <= hi {
                    Param::Free { min: lo, max: hi }
                } else {
                    // No overlap: collapse onto the nearest admissible value.
                    Param::Fixed(lo.min(max).max(min))
                }
            }
        }
    }
}

/// One filter of the parametric EQ to fit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FilterSlot {
    /// The shape.
    pub kind: FitKind,
    /// Centre frequency in Hz.
    pub freq_hz: Param,
    /// Cookbook Q.
    pub q: Param,
    /// Gain in dB.
    pub gain_db: Param,
}

impl FilterSlot {
    /// A free peaking filter with AutoEq's limits: 20–10000 Hz, Q 0.18248–6, ±20 dB.
    pub fn peaking() -> Self {
        use autoeq_limits as l;
        Self {
            kind: FitKind::Peaking,
            freq_hz: Param::Free {
                min: l::MIN_FREQ_HZ,
                max: l::MAX_FREQ_HZ,
            },
            q: Param::Free {
                min: l::PEAKING_MIN_Q,
                max: l::PEAKING_MAX_Q,
            },
            gain_db: Param::Free {
                min: -l::MAX_GAIN_DB,
                max: l::MAX_GAIN_DB,
            },
        }
    }

    /// A shelf with fixed centre and Q and free gain (±20 dB), as in AutoEq's configs.
    pub fn shelf_fixed(kind: FitKind, freq_hz: f64, q: f64) -> Self {
        Self {
            kind,
            freq_hz: Param::Fixed(freq_hz),
            q: Param::Fixed(q),
            gain_db: Param::Free {
                min: -autoeq_limits::MAX_GAIN_DB,
                max: autoeq_limits::MAX_GAIN_DB,
            },
        }
    }

    /// A shelf with everything free within AutoEq's shelf limits: 20–10000 Hz, Q 0.4–0.7,
    /// ±20 dB.
    pub fn shelf_free(kind: FitKind) -> Self {
        use autoeq_limits as l;
        Self {
            kind,
            freq_hz: Param::Free {
                min: l::MIN_FREQ_HZ,
                max: l::MAX_FREQ_HZ,
            },
            q: Param::Free {
                min: l::SHELF_MIN_Q,
                max: l::SHELF_MAX_Q,
            },
            gain_db: Param::Free {
                min: -l::MAX_GAIN_DB,
                max: l::MAX_GAIN_DB,
            },
        }
    }
}

/// How the shelves of [`FitConfig::peaking_with_shelves`] are set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shelves {
    /// Peaking filters only.
    None,
    /// Low shelf 105 Hz and high shelf 10 kHz, both Q 0.7, gains free (AutoEq).
    Fixed,
    /// Low and high shelf with centre, Q and gain free within the shelf limits.
    Free,
}

/// How hard the optimiser tries after the first local optimum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effort {
    /// Greedy initialisation plus one local optimisation (AutoEq's scheme, a better optimiser).
    Single,
    /// Also grows the EQ one filter at a time, re-seeds weak filters and tries 8 jittered
    /// restarts; the default (10 filters: roughly 40–70 ms in a release build, 100–200 ms
    /// with free shelves).
    Thorough,
    /// As thorough with more re-seeding and 32 jittered restarts, for offline export (about
    /// three times slower, sometimes a little better).
    Exhaustive,
}

/// Regularisation that keeps the fitted filters physically sensible: a least-squares fit
/// with many free filters otherwise finds cascades of large, wide, opposing filters whose
/// sum follows the curve a little better but wastes headroom and amplifies coefficient
/// rounding (see the module docs of [`crate::fit`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Regularisation {
    /// Weight μ of the cancellation penalty `μ·mean_k max(0, c_k − c₀)²` added to the loss²
    /// (mean over the 1.02 grid, 20 Hz–20 kHz), where `c_k = B_k·C_k/(B_k + C_k)` at grid
    /// point k, `B_k` the summed response of the boosting filters and `C_k` minus that of the
    /// cutting ones (dB): a smooth minimum of the two, the level they spend cancelling each
    /// other. With μ = 0.01, a penalised cancellation of 1 dB at every grid point adds as much
    /// to the loss² as an RMS error of 0.1 dB. 0 switches it off (the unregularised fit).
    pub cancellation_weight: f64,
    /// Cancellation `c₀` per grid point that is free of penalty, dB: the skirts of a peak and
    /// a neighbouring dip always overlap a little, and that is no waste.
    pub cancellation_allowance_db: f64,
    /// When set, every free gain range is narrowed to `±(max|target| + margin)`, with
    /// `max|target|` taken over the loss band: no single filter needs to boost or cut much
    /// more than the curve itself does. `None` keeps the configured ranges.
    pub gain_margin_db: Option<f64>,
}

impl Regularisation {
    /// No regularisation: the plain least-squares fit of AutoEq's loss.
    pub const OFF: Self = Self {
        cancellation_weight: 0.0,
        cancellation_allowance_db: 0.0,
        gain_margin_db: None,
    };

    /// The default, chosen by measurement on real correction curves (see `fit` module docs).
    pub const DEFAULT: Self = Self {
        cancellation_weight: DEFAULT_CANCELLATION_WEIGHT,
        cancellation_allowance_db: DEFAULT_CANCELLATION_ALLOWANCE_DB,
        gain_margin_db: Some(DEFAULT_GAIN_MARGIN_DB),
    };
}

impl Default for Regularisation {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Default weight μ of the cancellation penalty (see [`Regularisation`]).
pub const DEFAULT_CANCELLATION_WEIGHT: f64 = 0.01;

/// Default cancellation free of penalty, dB (see [`Regularisation`]).
pub const DEFAULT_CANCELLATION_ALLOWANCE_DB: f64 = 0.5;

/// Default margin of the curve-derived gain bound, dB (see [`Regularisation`]).
pub const DEFAULT_GAIN_MARGIN_DB: f64 = 3.0;

/// Everything the optimiser needs besides the curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitConfig {
    /// The filters, in output order.
    pub filters: Vec<FilterSlot>,
    /// Sample rate the filters are designed for, Hz (AutoEq fits at 44100).
    pub sample_rate_hz: f64,
    /// Lower end of the band the loss is computed over, Hz.
    pub loss_min_hz: f64,
    /// Upper end of the band the loss is computed over, Hz.
    pub loss_max_hz: f64,
    /// Above this frequency only the mean level of the curve counts in the loss (AutoEq:
    /// 10 kHz, "only the total energy matters"); the Low CPU engine fits the treble in detail.
    #[serde(default = "default_energy_only_above_hz")]
    pub energy_only_above_hz: f64,
    /// How many restarts and re-seedings to try.
    pub effort: Effort,
    /// What keeps the filters sensible (cancellation penalty, curve-derived gain bound).
    #[serde(default)]
    pub regularisation: Regularisation,
}

impl FitConfig {
    /// An empty EQ at AutoEq's defaults (44.1 kHz, loss over 20 Hz–20 kHz, thorough).
    pub fn new(filters: Vec<FilterSlot>) -> Self {
        Self {
            filters,
            sample_rate_hz: autoeq_limits::SAMPLE_RATE_HZ,
            loss_min_hz: autoeq_limits::LOSS_MIN_HZ,
            loss_max_hz: autoeq_limits::LOSS_MAX_HZ,
            energy_only_above_hz: autoeq_limits::ENERGY_ONLY_ABOVE_HZ,
            effort: Effort::Thorough,
            regularisation: Regularisation::DEFAULT,
        }
    }

    /// AutoEq's `8_PEAKING_WITH_SHELVES`: LS 105 Hz Q 0.7 and HS 10 kHz Q 0.7 with free gains
    /// plus 8 free peaking filters.
    pub fn autoeq_8_peaking_with_shelves() -> Self {
        Self::peaking_with_shelves(8, Shelves::Fixed)
    }

    /// AutoEq's `10_PEAKING`: 10 free peaking filters.
    pub fn autoeq_10_peaking() -> Self {
        Self::peaking_with_shelves(10, Shelves::None)
    }

    /// A general layout: the shelves (if any, low then high) followed by `n_peaking` free
    /// peaking filters with AutoEq's limits.
    pub fn peaking_with_shelves(n_peaking: usize, shelves: Shelves) -> Self {
        use autoeq_limits as l;
        let mut filters = Vec::with_capacity(n_peaking + 2);
        match shelves {
            Shelves::None => {}
            Shelves::Fixed => {
                filters.push(FilterSlot::shelf_fixed(
                    FitKind::LowShelf,
                    l::LOW_SHELF_FREQ_HZ,
                    l::SHELF_Q,
                ));
                filters.push(FilterSlot::shelf_fixed(
                    FitKind::HighShelf,
                    l::HIGH_SHELF_FREQ_HZ,
                    l::SHELF_Q,
                ));
            }
            Shelves::Free => {
                filters.push(FilterSlot::shelf_free(FitKind::LowShelf));
                filters.push(FilterSlot::shelf_free(FitKind::HighShelf));
            }
        }
        filters.extend(std::iter::repeat_n(FilterSlot::peaking(), n_peaking));
        Self::new(filters)
    }

    /// AutoEq's `10_BAND_GRAPHIC_EQ`: peaking filters fixed at 31.25·2^i Hz (i = 0…9) with
    /// Q √2, only the gains (±12 dB) optimised.
    pub fn autoeq_10_band_graphic_eq() -> Self {
        let filters = (0..10)
            .map(|i| FilterSlot {
                kind: FitKind::Peaking,
                freq_hz: Param::Fixed(31.25 * 2f64.powi(i)),
                q: Param::Fixed(std::f64::consts::SQRT_2),
                gain_db: Param::Free {
                    min: -12.0,
                    max: 12.0,
                },
            })
            .collect();
        Self::new(filters)
    }

    /// The same layout at another sample rate.
    pub fn with_sample_rate(mut self, sample_rate_hz: f64) -> Self {
        self.sample_rate_hz = sample_rate_hz;
        self
    }

    /// The same layout with another effort.
    pub fn with_effort(mut self, effort: Effort) -> Self {
        self.effort = effort;
        self
    }

    /// The same layout with another regularisation ([`Regularisation::OFF`] for the plain
    /// least-squares fit).
    pub fn with_regularisation(mut self, regularisation: Regularisation) -> Self {
        self.regularisation = regularisation;
        self
    }

    /// The loss band (AutoEq's `min_f`/`max_f` optimizer options).
    pub fn with_loss_band(mut self, min_hz: f64, max_hz: f64) -> Self {
        self.loss_min_hz = min_hz;
        self.loss_max_hz = max_hz;
        self
    }

    /// Where the loss stops following the curve in detail and only matches its mean level
    /// (AutoEq's 10 kHz by default).
    pub fn with_energy_only_above(mut self, freq_hz: f64) -> Self {
        self.energy_only_above_hz = freq_hz;
        self
    }

    /// Every free peaking filter's centre range becomes `[min_hz, max_hz]` (AutoEq: 20 Hz to
    /// 10 kHz).
    pub fn with_peaking_freq_range(mut self, min_hz: f64, max_hz: f64) -> Self {
        for slot in &mut self.filters {
            if slot.kind == FitKind::Peaking && slot.freq_hz.is_free() {
                slot.freq_hz = Param::Free {
                    min: min_hz,
                    max: max_hz,
                };
            }
        }
        self
    }

    /// Device limits on gain: every filter's gain range is narrowed to `[min_db, max_db]`
    /// (e.g. ±12 dB for a Qudelix 5K).
    pub fn with_gain_range_db(mut self, min_db: f64, max_db: f64) -> Self {
        for slot in &mut self.filters {
            slot.gain_db = slot.gain_db.intersect(min_db, max_db);
        }
        self
    }

    /// Device limits on the peaking Q: every peaking filter's Q range becomes `[min, max]`
    /// (e.g. 0.1–7 for a Qudelix 5K); shelves keep their own Q range.
    pub fn with_peaking_q_range(mut self, min: f64, max: f64) -> Self {
        for slot in &mut self.filters {
            if slot.kind == FitKind::Peaking {
                slot.q = match slot.q {
                    Param::Free { .. } => Param::Free { min, max },
                    fixed => fixed.intersect(min, max),
                };
            }
        }
        self
    }

    /// Checks that every number is usable: finite, ordered ranges, positive Q and frequency,
    /// centre frequencies below Nyquist.
    pub fn validate(&self) -> Result<(), FitError> {
        let fs = self.sample_rate_hz;
        if !(fs.is_finite() && fs > 0.0) {
            return Err(FitError::InvalidConfig {
                field: "sample_rate_hz".into(),
                reason: format!("must be a positive number, got {fs}"),
            });
        }
        if !(self.loss_min_hz.is_finite()
            && self.loss_max_hz.is_finite()
            && self.loss_min_hz > 0.0
            && self.loss_min_hz < self.loss_max_hz)
        {
            return Err(FitError::InvalidConfig {
                field: "loss_min_hz/loss_max_hz".into(),
                reason: format!(
                    "need 0 < min < max, got {} and {}",
                    self.loss_min_hz, self.loss_max_hz
                ),
            });
        }
        if !(self.energy_only_above_hz.is_finite() && self.energy_only_above_hz > 0.0) {
            return Err(FitError::InvalidConfig {
                field: "energy_only_above_hz".into(),
                reason: format!(
                    "must be a positive number, got {}",
                    self.energy_only_above_hz
                ),
            });
        }
        let reg = self.regularisation;
        if !(reg.cancellation_weight.is_finite() && reg.cancellation_weight >= 0.0) {
            return Err(FitError::InvalidConfig {
                field: "regularisation.cancellation_weight".into(),
                reason: format!(
                    "must be a finite number ≥ 0, got {}",
                    reg.cancellation_weight
                ),
            });
        }
        let c0 = reg.cancellation_allowance_db;
        if !(c0.is_finite() && (0.0..=MAX_ABS_GAIN_DB).contains(&c0)) {
            return Err(FitError::InvalidConfig {
                field: "regularisation.cancellation_allowance_db".into(),
                reason: format!("must be within 0 … {MAX_ABS_GAIN_DB} dB, got {c0}"),
            });
        }
        if let Some(m) = reg.gain_margin_db
            && !(m.is_finite() && (0.0..=MAX_ABS_GAIN_DB).contains(&m))
        {
            return Err(FitError::InvalidConfig {
                field: "regularisation.gain_margin_db".into(),
                reason: format!("must be within 0 … {MAX_ABS_GAIN_DB} dB, got {m}"),
            });
        }
        for (i, slot) in self.filters.iter().enumerate() {
            let checks = [
                ("freq_hz", slot.freq_hz, 0.0, fs / 2.0),
                ("q", slot.q, 0.0, f64::INFINITY),
                ("gain_db", slot.gain_db, -MAX_ABS_GAIN_DB, MAX_ABS_GAIN_DB),
            ];
            for (name, param, above, below) in checks {
                let (lo, hi) = param.range();
                let ok = lo.is_finite() && hi.is_finite() && lo <= hi && lo > above && hi < below;
                if !ok {
                    return Err(FitError::InvalidConfig {
                        field: format!("filters[{i}].{name}"),
                        reason: format!(
                            "range {lo}..{hi} must be finite, ordered and inside ({above}, {below})"
                        ),
                    });
                }
            }
        }
        Ok(())
    }
}

fn default_energy_only_above_hz() -> f64 {
    autoeq_limits::ENERGY_ONLY_ABOVE_HZ
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn autoeq_presets_have_the_documented_layout() {
        let c = FitConfig::autoeq_8_peaking_with_shelves();
        assert_eq!(c.filters.len(), 10);
        assert_eq!(c.filters[0].kind, FitKind::LowShelf);
        assert_eq!(c.filters[0].freq_hz, Param::Fixed(105.0));
        assert_eq!(c.filters[1].q, Param::Fixed(0.7));
        assert!(c.filters[1].gain_db.is_free());
        assert_eq!(
            c.filters[9].q,
            Param::Free {
                min: 0.18248,
                max: 6.0
            }
        );
        assert!(c.validate().is_ok());
        let p = FitConfig::autoeq_10_peaking();
        assert!(p.filters.iter().all(|s| s.kind == FitKind::Peaking));
        assert_eq!(p.filters.len(), 10);
    }

    #[test]
    fn device_limits_narrow_the_ranges() {
        let c = FitConfig::autoeq_8_peaking_with_shelves()
            .with_gain_range_db(-12.0, 12.0)
            .with_peaking_q_range(0.1, 7.0);
        assert_eq!(c.filters[0].gain_db.range(), (-12.0, 12.0));
        assert_eq!(c.filters[5].q.range(), (0.1, 7.0));
        assert_eq!(c.filters[0].q, Param::Fixed(0.7));
    }

    #[test]
    fn validation_names_the_bad_field() {
        let mut c = FitConfig::autoeq_10_peaking();
        c.filters[3].q = Param::Free { min: 2.0, max: 1.0 };
        match c.validate() {
            Err(FitError::InvalidConfig { field, .. }) => assert_eq!(field, "filters[3].q"),
            other => panic!("expected InvalidConfig, got {other:?}"),
        }
        let mut huge = FitConfig::autoeq_10_peaking();
        huge.filters[0].gain_db = Param::Free {
            min: -100.0,
            max: 100.0,
        };
        assert!(huge.validate().is_err());
        let bad_fs = FitConfig::autoeq_10_peaking().with_sample_rate(f64::NAN);
        assert!(bad_fs.validate().is_err());
        // 10 kHz peaks cannot be designed at 16 kHz.
        assert!(
            FitConfig::autoeq_10_peaking()
                .with_sample_rate(16_000.0)
                .validate()
                .is_err()
        );
    }
}
