//! Greedy initialisation, as AutoEq's `PEQ._init_optimizer_params` and the filters' `init()`
//! (`autoeq/peq.py@08a41d07`, DSP_REFERENCE.md §2.3): filters are initialised one after the
//! other on the remaining target (target minus the filters placed so far), in AutoEq's order
//! (fixed-centre shelves first, free peaking filters last).
//!
//! * Peaking: the largest peak or dip of the remaining target by `width × height`
//!   (`find_peaks` on the positive and the negative part), centre at the peak, Q from the
//!   width in octaves `bw` as `Q = √(2^bw) / (2^bw − 1)`, gain = peak height.
//! * Shelves: a free centre goes where `|mean(target below)|` (low shelf) or
//!   `|mean(target above)|` (high shelf) is largest within 40 Hz–10 kHz, Q 0.7, and the gain
//!   is the average of the target weighted by the response of a 1 dB shelf.

use super::config::{FitKind, Param};
use super::grid::nearest_index;
use super::problem::{Coords, Problem};
use crate::curve::peaks::{Peak, find_peaks};

/// Initial value of a parameter: `want` clamped into a free range, or the fixed value.
fn pick(param: Param, want: f64) -> f64 {
    match param {
        Param::Fixed(v) => v,
        Param::Free { min, max } => {
            if want.is_nan() {
                min
            } else {
                want.clamp(min, max)
            }
        }
    }
}

/// AutoEq's initialisation order key: larger keys are initialised first.
fn order_key(pr: &Problem, slot: usize) -> f64 {
    let s = &pr.slots[slot];
    let kind_ix = match s.kind {
        FitKind::Peaking => 0,
        FitKind::LowShelf => 1,
        FitKind::HighShelf => 2,
    };
    let group = match (s.freq_hz.is_free(), s.q.is_free()) {
        (true, true) => 0,
        (true, false) => 3,
        (false, true) => 6,
        (false, false) => 9,
    };
    let mut key = ((group + kind_ix) * 100) as f64;
    if let Param::Free { min, max } = s.freq_hz {
        key += 1.0 / (max / min).log2();
    }
    key
}

/// Slot indices in AutoEq's initialisation order (a stable sort, largest key first).
pub(crate) fn init_order(pr: &Problem) -> Vec<usize> {
    let mut order: Vec<usize> = (0..pr.slots.len()).collect();
    order.sort_by(|&a, &b| order_key(pr, b).total_cmp(&order_key(pr, a)));
    order
}

/// Initial coordinates of every slot, greedily on the remaining target.
pub(crate) fn greedy(pr: &Problem) -> Vec<Coords> {
    let mut coords: Vec<Coords> = pr
        .slots
        .iter()
        .map(|s| {
            let (f_lo, f_hi) = s.freq_hz.range();
            let (q_lo, q_hi) = s.q.range();
            Problem::to_coords((f_lo * f_hi).sqrt(), (q_lo * q_hi).sqrt(), 0.0)
        })
        .collect();
    let mut remaining = pr.target_db.clone();
    let mut fr = vec![0.0; pr.len()];
    for slot in init_order(pr) {
        coords[slot] = init_slot(pr, slot, &remaining);
        pr.filter_response(slot, &coords[slot], &mut fr);
        for (r, v) in remaining.iter_mut().zip(&fr) {
            *r -= v;
        }
    }
    coords
}

/// Initial coordinates of one slot fitted to `remaining`.
pub(crate) fn init_slot(pr: &Problem, slot: usize, remaining: &[f64]) -> Coords {
    match pr.slots[slot].kind {
        FitKind::Peaking => init_peaking(pr, slot, remaining),
        FitKind::LowShelf | FitKind::HighShelf => init_shelf(pr, slot, remaining),
    }
}

fn init_peaking(pr: &Problem, slot: usize, remaining: &[f64]) -> Coords {
    let s = pr.slots[slot];
    let f = &pr.grid_hz;
    let (f_lo, f_hi) = s.freq_hz.range();
    let min_ix = nearest_index(f, f_lo);
    let max_ix = nearest_index(f, f_hi);

    if let Param::Fixed(fc) = s.freq_hz {
        // A fixed centre (graphic-EQ style): start from the remaining target there.
        let ix = nearest_index(f, fc);
        let q = pick(s.q, std::f64::consts::SQRT_2);
        let g = pick(s.gain_db, remaining.get(ix).copied().unwrap_or(0.0));
        return Problem::to_coords(fc, q, g);
    }

    let pos: Vec<f64> = remaining.iter().map(|v| v.max(0.0)).collect();
    let neg: Vec<f64> = remaining.iter().map(|v| (-v).max(0.0)).collect();
    let best = find_peaks(&pos)
        .into_iter()
        .map(|p| (p, 1.0))
        .chain(find_peaks(&neg).into_iter().map(|p| (p, -1.0)))
        .filter(|(p, _)| p.index >= min_ix && p.index <= max_ix)
        .fold(None, |best: Option<(Peak, f64)>, cand| match best {
            Some(b) if b.0.width * b.0.height >= cand.0.width * cand.0.height => Some(b),
            _ => Some(cand),
        });
    let Some((peak, sign)) = best else {
        // Nothing to correct: a neutral filter in the middle of the range.
        let fc = f.get((min_ix + max_ix) / 2).copied().unwrap_or(1000.0);
        return Problem::to_coords(
            pick(s.freq_hz, fc),
            pick(s.q, std::f64::consts::SQRT_2),
            pick(s.gain_db, 0.0),
        );
    };
    let fc = pick(s.freq_hz, f[peak.index]);
    let step_oct = if f.len() > 1 {
        (f[1] / f[0]).log2()
    } else {
        1.0
    };
    let bw = step_oct * peak.width;
    let span = 2f64.powf(bw) - 1.0;
    let q_want = if span > 0.0 {
        2f64.powf(bw).sqrt() / span
    } else {
        f64::INFINITY
    };
    let q = pick(s.q, q_want);
    let g = pick(s.gain_db, sign * peak.height);
    Problem::to_coords(fc, q, g)
}

fn init_shelf(pr: &Problem, slot: usize, remaining: &[f64]) -> Coords {
    use super::config::autoeq_limits as l;
    let s = pr.slots[slot];
    let f = &pr.grid_hz;
    let fc = match s.freq_hz {
        Param::Fixed(v) => v,
        Param::Free { min, max } => {
            let min_ix = f.iter().filter(|&&x| x < min.max(40.0)).count();
            let max_ix = f.iter().filter(|&&x| x < max.min(10_000.0)).count();
            let mut best = (f64::NEG_INFINITY, min_ix);
            for ix in min_ix..max_ix.min(f.len()) {
                let part = if s.kind == FitKind::LowShelf {
                    &remaining[..=ix]
                } else {
                    &remaining[ix..]
                };
                let mean = part.iter().sum::<f64>() / part.len() as f64;
                if mean.abs() > best.0 {
                    best = (mean.abs(), ix);
                }
            }
            pick(
                s.freq_hz,
                f.get(best.1).copied().unwrap_or((min * max).sqrt()),
            )
        }
    };
    let q = pick(s.q, l::SHELF_Q);
    // Weighted average of the target, weights = response of the same shelf at +1 dB.
    let mut fr = vec![0.0; pr.len()];
    pr.filter_response(slot, &Problem::to_coords(fc, q, 1.0), &mut fr);
    let weight_sum: f64 = fr.iter().sum();
    let g = if weight_sum.abs() > 1e-12 {
        remaining.iter().zip(&fr).map(|(t, w)| t * w).sum::<f64>() / weight_sum
    } else {
        0.0
    };
    Problem::to_coords(fc, q, pick(s.gain_db, g))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::config::FitConfig;
    use crate::fit::grid::log_grid;

    fn problem(config: &FitConfig, target: &[f64]) -> Problem {
        Problem::new(
            log_grid(20.0, 20_000.0, 1.02),
            target.to_vec(),
            44_100.0,
            config.filters.clone(),
            20.0,
            20_000.0,
            10_000.0,
        )
    }

    #[test]
    fn shelves_are_initialised_before_free_peaks() {
        let config = FitConfig::autoeq_8_peaking_with_shelves();
        let pr = problem(&config, &vec![0.0; 349]);
        let order = init_order(&pr);
        // AutoEq: high shelf (fixed fc and Q) first, then low shelf, then peaks in order.
        assert_eq!(&order[..3], &[1, 0, 2]);
        assert_eq!(order[9], 9);
    }

    #[test]
    fn single_peak_is_found_where_it_is() {
        let grid = log_grid(20.0, 20_000.0, 1.02);
        let bell = crate::filter::FilterSpec::peaking(1500.0, 2.0, -6.0);
        let target: Vec<f64> = grid
            .iter()
            .map(|&f| bell.magnitude_db(f, 44_100.0))
            .collect();
        let config = FitConfig::autoeq_10_peaking();
        let pr = problem(&config, &target);
        let c = init_slot(&pr, 0, &target);
        let (fc, q, g) = (c[0].exp(), c[1].exp(), c[2]);
        assert!((fc / 1500.0 - 1.0).abs() < 0.02, "fc {fc}");
        assert!((g + 6.0).abs() < 0.05, "gain {g}");
        // Half-prominence width of a bell is close to (not equal to) its RBJ bandwidth.
        assert!(q > 1.0 && q < 4.0, "q {q}");
    }

    #[test]
    fn flat_target_gives_neutral_filters() {
        let config = FitConfig::peaking_with_shelves(3, crate::fit::config::Shelves::Free);
        let pr = problem(&config, &vec![0.0; 349]);
        for c in greedy(&pr) {
            assert_eq!(c[2], 0.0);
            assert!(c.iter().all(|v| v.is_finite()));
        }
    }
}
