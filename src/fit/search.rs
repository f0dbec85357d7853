//! Deterministic restarts around the local optimiser, to escape the local minima that a
//! single greedy start falls into (several filters fighting over one feature, a shelf parked
//! at the wrong corner).
//!
//! * Growth: the EQ is built one filter at a time in AutoEq's initialisation order, each new
//!   filter initialised on the residual and all placed filters re-optimised together
//!   (matching pursuit with re-fitting). Free shelves get a second growth with the shelves
//!   pinned at AutoEq's fixed positions (105 Hz / 10 kHz, Q 0.7) and released at the end,
//!   so a free layout does not end up worse than the fixed one it contains.
//! * Re-seeding: the filter whose removal costs least is taken out and re-initialised on the
//!   largest remaining feature of the residual, then everything is re-optimised; repeated
//!   while it helps.
//! * Perturbation: a few jittered copies of the best solution (fixed-seed generator).
//!
//! Every candidate only replaces the best when its cost is lower, so the outcome is never
//! worse than the first local optimum.

use super::config::{Effort, FilterSlot, FitKind, Param};
use super::init::{init_order, init_slot};
use super::lm::{LmOptions, minimise};
use super::problem::{Coords, Problem, Workspace};

/// Runs the restarts `effort` asks for from the first local optimum in `best`, then polishes
/// the best candidate with the default (tight) stopping rule.
pub(crate) fn restarts(pr: &Problem, effort: Effort, best: &mut Best, ws: &mut Workspace) {
    let (reseed_rounds, hops) = match effort {
        Effort::Single => return,
        Effort::Thorough => (12, 8),
        Effort::Exhaustive => (24, 32),
    };
    // Free shelves: a second chain that grows with the shelves pinned at AutoEq's fixed
    // positions; chains are greedy, so each runs from the first optimum on its own.
    let free_shelf = pr
        .slots
        .iter()
        .any(|s| s.kind != FitKind::Peaking && s.freq_hz.is_free());
    let chains: &[bool] = if free_shelf { &[false, true] } else { &[false] };
    let first = Best {
        cost: best.cost,
        coords: best.coords.clone(),
        iterations: 0,
    };
    for &pin in chains {
        let mut chain = Best {
            cost: first.cost,
            coords: first.coords.clone(),
            iterations: 0,
        };
        grow(pr, ws, &mut chain, pin);
        reseed(pr, ws, &mut chain, reseed_rounds);
        perturb(pr, ws, &mut chain, hops);
        best.iterations += chain.iterations;
        best.offer(chain.cost, chain.coords);
    }
    let out = minimise(pr, &best.coords, LmOptions::default(), ws);
    best.iterations += out.iterations;
    best.offer(out.cost, out.coords);
}

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
    /// Takes `coords` if they cost less; says whether they did.
    pub(crate) fn offer(&mut self, cost: f64, coords: Vec<Coords>) -> bool {
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

/// `pr` with every shelf of free centre pinned at AutoEq's fixed shelf (105 Hz / 10 kHz,
/// Q 0.7, clamped into its ranges), gain still free.
fn pinned_shelves(pr: &Problem) -> Problem {
    use super::config::autoeq_limits as l;
    let pin = |p: Param, want: f64| match p {
        Param::Free { min, max } => Param::Fixed(want.clamp(min, max)),
        fixed => fixed,
    };
    let slots = pr
        .slots
        .iter()
        .map(|s| match s.kind {
            FitKind::Peaking => *s,
            FitKind::LowShelf | FitKind::HighShelf => {
                let fc = if s.kind == FitKind::LowShelf {
                    l::LOW_SHELF_FREQ_HZ
                } else {
                    l::HIGH_SHELF_FREQ_HZ
                };
                FilterSlot {
                    freq_hz: pin(s.freq_hz, fc),
                    q: pin(s.q, l::SHELF_Q),
                    ..*s
                }
            }
        })
        .collect();
    pr.with_slots(slots)
}

/// Builds the EQ one filter at a time (see the module docs). With `pin_shelves`, the growth
/// runs with free shelves pinned at AutoEq's fixed positions and only the final
/// optimisation releases them, so a free layout does at least about as well as the fixed
/// one it contains.
pub(crate) fn grow(pr: &Problem, ws: &mut Workspace, best: &mut Best, pin_shelves: bool) {
    let pinned;
    let base = if pin_shelves {
        pinned = pinned_shelves(pr);
        &pinned
    } else {
        pr
    };
    let n = base.slots.len();
    let mut active = vec![false; n];
    let mut coords: Vec<Coords> = base
        .slots
        .iter()
        .map(|s| Problem::to_coords(s.freq_hz.range().0, s.q.range().0, 0.0))
        .collect();
    for slot in init_order(base) {
        active[slot] = true;
        let residual = residual_without(base, &coords, Some(slot));
        coords[slot] = init_slot(base, slot, &residual);
        let sub = sub_problem(base, &active);
        let mut sub_ws = sub.workspace();
        let out = minimise(&sub, &coords, quick(), &mut sub_ws);
        best.iterations += out.iterations;
        coords = out.coords;
    }
    let out = minimise(pr, &coords, quick(), ws);
    best.iterations += out.iterations;
    best.offer(out.cost, out.coords);
}

/// How many of the weakest filters are tried before re-seeding gives up.
const RESEED_CANDIDATES: usize = 3;

/// Re-seeds the least useful filters of the best solution while that helps, with at most
/// `max_runs` re-optimisations.
pub(crate) fn reseed(pr: &Problem, ws: &mut Workspace, best: &mut Best, max_runs: usize) {
    let mut runs = 0;
    'outer: while runs < max_runs {
        // What each re-seedable filter is worth: the cost increase without it.
        let mut worth: Vec<(f64, usize)> = Vec::new();
        for (s, slot) in pr.slots.iter().enumerate() {
            if slot.freq_hz.is_free() && slot.gain_db.is_free() {
                let mut c = best.coords.clone();
                c[s][2] = 0.0;
                worth.push((pr.cost(&c, ws) - best.cost, s));
            }
        }
        worth.sort_by(|a, b| a.0.total_cmp(&b.0));
        for &(_, s) in worth.iter().take(RESEED_CANDIDATES) {
            if runs >= max_runs {
                break 'outer;
            }
            runs += 1;
            let residual = residual_without(pr, &best.coords, Some(s));
            let mut c = best.coords.clone();
            c[s] = init_slot(pr, s, &residual);
            let out = minimise(pr, &c, quick(), ws);
            best.iterations += out.iterations;
            if best.offer(out.cost, out.coords) {
                // The solution changed: re-rank the filters.
                continue 'outer;
            }
        }
        break;
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
