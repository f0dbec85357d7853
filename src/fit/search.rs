//! Deterministic restarts around the local optimiser, to escape the local minima that a
//! single greedy start falls into (several filters fighting over one feature, a shelf parked
//! at the wrong corner).
//!
//! * Growth: the EQ is built one filter at a time in AutoEq's initialisation order, each new
//!   filter initialised on the residual and all placed filters re-optimised together
//!   (matching pursuit with re-fitting).
//! * Re-seeding: the filter whose removal costs least is taken out and re-initialised on the
//!   largest remaining feature of the residual, then everything is re-optimised; repeated
//!   while it helps.
//! * Perturbation: a few jittered copies of the best solution (fixed-seed generator).
//!
//! Every candidate only replaces the best when its cost is lower, so the outcome is never
//! worse than the first local optimum.

use super::config::{FilterSlot, Param};
use super::init::{init_order, init_slot};
use super::lm::{LmOptions, minimise};
use super::problem::{Coords, Problem, Workspace};

/// Options for the restarts of a quick search (looser than the final polish).
fn quick() -> LmOptions {
    LmOptions {
        max_iterations: 150,
        rel_tolerance: 1e-5,
    }
}

/// Best candidate so far.
pub(crate) struct Best {
    pub cost: f64,
    pub coords: Vec<Coords>,
    pub iterations: usize,
}

impl Best {
    fn offer(&mut self, cost: f64, coords: Vec<Coords>) -> bool {
        if cost.is_finite() && cost < self.cost * (1.0 - 1e-9) {
            self.cost = cost;
            self.coords = coords;
            true
        } else {
            false
        }
    }
}

/// Sum of the responses of every slot except `skip`, subtracted from the target.
fn residual_without(pr: &Problem, coords: &[Coords], skip: Option<usize>) -> Vec<f64> {
    let mut residual = pr.target_db.clone();
    let mut fr = vec![0.0; pr.len()];
    for (s, c) in coords.iter().enumerate() {
        if Some(s) == skip {
            continue;
        }
        pr.filter_response(s, c, &mut fr);
        for (r, v) in residual.iter_mut().zip(&fr) {
            *r -= v;
        }
    }
    residual
}

/// A copy of `pr` in which only the slots in `active` are optimised and the others are
/// switched off (gain 0, everything fixed).
fn sub_problem(pr: &Problem, active: &[bool]) -> Problem {
    let slots: Vec<FilterSlot> = pr
        .slots
        .iter()
        .zip(active)
        .map(|(s, &on)| {
            if on {
                *s
            } else {
                FilterSlot {
                    kind: s.kind,
                    freq_hz: Param::Fixed(s.freq_hz.range().0),
                    q: Param::Fixed(s.q.range().0),
                    gain_db: Param::Fixed(0.0),
                }
            }
        })
        .collect();
    pr.with_slots(slots)
}

/// Builds the EQ one filter at a time (see the module docs).
pub(crate) fn grow(pr: &Problem, ws: &mut Workspace, best: &mut Best) {
    let n = pr.slots.len();
    let mut active = vec![false; n];
    let mut coords: Vec<Coords> = pr
        .slots
        .iter()
        .map(|s| Problem::to_coords(s.freq_hz.range().0, s.q.range().0, 0.0))
        .collect();
    for slot in init_order(pr) {
        active[slot] = true;
        let residual = residual_without(pr, &coords, Some(slot));
        coords[slot] = init_slot(pr, slot, &residual);
        let sub = sub_problem(pr, &active);
        let mut sub_ws = sub.workspace();
        let out = minimise(&sub, &coords, quick(), &mut sub_ws);
        best.iterations += out.iterations;
        coords = out.coords;
    }
    let out = minimise(pr, &coords, quick(), ws);
    best.iterations += out.iterations;
    best.offer(out.cost, out.coords);
}

/// Re-seeds the least useful filters of the best solution while that helps, at most
/// `max_rounds` re-optimisations.
pub(crate) fn reseed(pr: &Problem, ws: &mut Workspace, best: &mut Best, max_rounds: usize) {
    let mut rounds = 0;
    let mut tried_without_gain = 0;
    while rounds < max_rounds {
        // How much each re-seedable filter is worth: the cost increase without it.
        let mut worth: Vec<(f64, usize)> = Vec::new();
        for (s, slot) in pr.slots.iter().enumerate() {
            if !slot.freq_hz.is_free() || !slot.gain_db.is_free() {
                continue;
            }
            let mut c = best.coords.clone();
            c[s][2] = 0.0;
            worth.push((pr.cost(&c, ws) - best.cost, s));
        }
        worth.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut improved = false;
        for &(_, s) in worth.iter().skip(tried_without_gain) {
            if rounds >= max_rounds {
                break;
            }
            rounds += 1;
            let residual = residual_without(pr, &best.coords, Some(s));
            let mut c = best.coords.clone();
            c[s] = init_slot(pr, s, &residual);
            let out = minimise(pr, &c, quick(), ws);
            best.iterations += out.iterations;
            if best.offer(out.cost, out.coords) {
                improved = true;
                break;
            }
        }
        if !improved {
            tried_without_gain += 1;
            if tried_without_gain >= worth.len().min(3) {
                break;
            }
        } else {
            tried_without_gain = 0;
        }
    }
}

/// SplitMix64: a tiny fixed-seed generator so the search is reproducible.
struct SplitMix(u64);

impl SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [−1, 1).
    fn symmetric(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

/// Tries `hops` jittered copies of the best solution.
pub(crate) fn perturb(pr: &Problem, ws: &mut Workspace, best: &mut Best, hops: usize) {
    let mut rng = SplitMix(0x5EED_F17E_u64);
    for _ in 0..hops {
        let mut x = pr.free_values(&best.coords);
        for (v, fp) in x.iter_mut().zip(&pr.free) {
            // ±1/2 octave in frequency, ±40 % in Q, ±2 dB in gain.
            let scale = match fp.coord {
                0 => 0.5 * std::f64::consts::LN_2,
                1 => 0.4,
                _ => 2.0,
            };
            *v = (*v + scale * rng.symmetric()).clamp(fp.lo, fp.hi);
        }
        let c = pr.coords(&best.coords, &x);
        let out = minimise(pr, &c, quick(), ws);
        best.iterations += out.iterations;
        best.offer(out.cost, out.coords);
    }
}
