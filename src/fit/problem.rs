//! AutoEq's PEQ loss as a least-squares problem over the free filter parameters.
//!
//! Loss (`autoeq/peq.py@08a41d07`, `PEQ._optimizer_loss`; DSP_REFERENCE.md §2.3): above the
//! grid point nearest 10 kHz the target and the response are both replaced by their mean
//! over that tail ("Above 10 kHz only the total energy matters"); `MSE(target − response)`
//! over the grid indices `[argmin|f − min_f|, argmin|f − max_f|)`; plus, for every peaking
//! filter, the sharpness penalty `mean((fr · sigmoid(100(gain/gain_limit − 1)))²)` over the
//! whole grid, `gain_limit = −0.09503189270199464 + 20.575128011847003/Q` (the gain that
//! gives an 18 dB/oct maximum slope). The loss is the square root of the sum.
//!
//! Every term is a sum of squares, so the cost `loss²` is written as `Σ e_k²` and minimised
//! by Levenberg–Marquardt with the exact Jacobian (see `response.rs`).

use super::config::{FilterSlot, FitKind, Param};
use super::grid::nearest_index;
use super::response::{DB_PER_NEPER_POWER, FilterPoly, phi_grid};
use crate::filter::FilterSpec;

/// Constant term of AutoEq's sharpness gain limit, dB.
const GAIN_LIMIT_C0: f64 = -0.095_031_892_701_994_64;
/// `1/Q` coefficient of AutoEq's sharpness gain limit, dB.
const GAIN_LIMIT_C1: f64 = 20.575_128_011_847_003;
/// Steepness of AutoEq's sharpness sigmoid.
const SHARPNESS_STEEPNESS: f64 = 100.0;

/// Filter parameters in the optimiser's coordinates: `[ln f0, ln Q, gain_db]`.
pub(crate) type Coords = [f64; 3];

/// One optimised parameter: which filter, which coordinate, and its bounds (in coordinates).
#[derive(Debug, Clone, Copy)]
pub(crate) struct FreeParam {
    pub slot: usize,
    pub coord: usize,
    pub lo: f64,
    pub hi: f64,
}

/// The optimised parameters of `slots`, with their bounds in optimiser coordinates.
fn free_params(slots: &[FilterSlot]) -> Vec<FreeParam> {
    let mut free = Vec::new();
    for (s, slot) in slots.iter().enumerate() {
        for (coord, p) in [slot.freq_hz, slot.q, slot.gain_db].iter().enumerate() {
            if let Param::Free { min, max } = *p {
                let (lo, hi) = if coord == 2 {
                    (min, max)
                } else {
                    (min.ln(), max.ln())
                };
                free.push(FreeParam {
                    slot: s,
                    coord,
                    lo,
                    hi,
                });
            }
        }
    }
    free
}

/// The sharpness sigmoid of a peaking filter and its derivatives by `(ln Q, gain)`.
fn sharpness(q: f64, gain_db: f64) -> (f64, f64, f64) {
    let limit = GAIN_LIMIT_C0 + GAIN_LIMIT_C1 / q;
    if limit <= 1e-9 {
        // Only for Q > 216, far outside any limits: the penalty is fully on.
        return (1.0, 0.0, 0.0);
    }
    let z = SHARPNESS_STEEPNESS * (gain_db / limit - 1.0);
    let s = 1.0 / (1.0 + (-z).exp());
    let ds_dz = s * (1.0 - s) * SHARPNESS_STEEPNESS;
    // d limit / d ln Q = −C1/Q; dz/d ln Q = −gain·(d limit/d ln Q)/limit².
    let dz_dlnq = gain_db * GAIN_LIMIT_C1 / (q * limit * limit);
    (s, ds_dz * dz_dlnq, ds_dz / limit)
}

/// The fitting problem on a fixed grid.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    pub grid_hz: Vec<f64>,
    phi: Vec<f64>,
    pub target_db: Vec<f64>,
    pub sample_rate_hz: f64,
    pub slots: Vec<FilterSlot>,
    pub free: Vec<FreeParam>,
    /// First grid index of the "energy only" tail.
    i_tail: usize,
    /// Loss band `[lo, hi)` in grid indices.
    lo: usize,
    hi: usize,
    /// Mean of the target over the tail.
    target_tail_mean: f64,
    /// Weight μ of the cancellation penalty (0 = off).
    cancel_weight: f64,
    /// Cancellation per grid point that is free of penalty, dB.
    cancel_allowance_db: f64,
}

/// Reusable buffers for evaluations.
#[derive(Debug, Clone)]
pub(crate) struct Workspace {
    /// Product of the filters' power ratios per grid point (a group of filters at a time).
    ratio: Vec<f64>,
    /// Total response in dB per grid point.
    total: Vec<f64>,
    /// Response of the boosting filters (gain ≥ 0) in dB per grid point.
    boost: Vec<f64>,
    /// Response of the cutting filters (gain < 0) in dB per grid point (≤ 0).
    cut: Vec<f64>,
    /// Per slot: dB derivatives by `(ln f0, ln Q, gain)` per grid point.
    grad: Vec<Vec<[f64; 3]>>,
    /// Response of one penalised peaking filter.
    fr: Vec<f64>,
    /// Jacobian of the data residuals, one column (of `rows` entries) per free parameter.
    jac: Vec<f64>,
    /// Data residuals.
    resid: Vec<f64>,
}

/// Filters multiplied into one power-ratio product before taking its logarithm: ±20 dB
/// filters keep the product within 10^±64, far from overflow.
const RATIO_GROUP: usize = 16;

/// A sharpness sigmoid below this is treated as off (its share of the loss is < 1e-20).
const SHARPNESS_OFF: f64 = 1e-12;

/// Result of one Jacobian evaluation: the cost and the Gauss–Newton normal equations.
#[derive(Debug, Clone)]
pub(crate) struct Normal {
    pub cost: f64,
    /// `Jᵀe`.
    pub gradient: Vec<f64>,
    /// `JᵀJ`, row-major `p × p`.
    pub hessian: Vec<f64>,
}

impl Problem {
    /// Builds the problem; `target_db` is already on `grid_hz`.
    pub(crate) fn new(
        grid_hz: Vec<f64>,
        target_db: Vec<f64>,
        sample_rate_hz: f64,
        slots: Vec<FilterSlot>,
        loss_min_hz: f64,
        loss_max_hz: f64,
        tail_hz: f64,
    ) -> Self {
        let n = grid_hz.len();
        let phi = phi_grid(&grid_hz, sample_rate_hz);
        let i_tail = if n == 0 {
            0
        } else {
            nearest_index(&grid_hz, tail_hz)
        };
        let lo = nearest_index(&grid_hz, loss_min_hz);
        let hi = nearest_index(&grid_hz, loss_max_hz).max(lo);
        let tail = &target_db[i_tail.min(n)..];
        let target_tail_mean = if tail.is_empty() {
            0.0
        } else {
            tail.iter().sum::<f64>() / tail.len() as f64
        };
        let free = free_params(&slots);
        Self {
            grid_hz,
            phi,
            target_db,
            sample_rate_hz,
            slots,
            free,
            i_tail,
            lo,
            hi,
            target_tail_mean,
            cancel_weight: 0.0,
            cancel_allowance_db: 0.0,
        }
    }

    /// The same problem with the cancellation penalty `μ·mean_k max(0, c_k − c₀)²` over the
    /// whole grid, `c_k = B_k·C_k/(B_k + C_k)` with `B_k` the summed response of the boosting
    /// filters and `C_k` minus that of the cutting ones at point k ([`soft_min`]): μ =
    /// `weight` (0 switches it off), c₀ = `allowance_db`.
    pub(crate) fn with_cancellation(mut self, weight: f64, allowance_db: f64) -> Self {
        let usable = |v: f64| if v.is_finite() { v.max(0.0) } else { 0.0 };
        self.cancel_weight = usable(weight);
        self.cancel_allowance_db = usable(allowance_db);
        self
    }

    /// The penalised cancellation at one grid point, `max(0, c − c₀)`, with its partial
    /// derivatives by the boost level `B` and the cut level `C`.
    fn cancellation(&self, boost_db: f64, cut_db: f64) -> (f64, f64, f64) {
        let (c, dc_db, dc_dc) = soft_min(boost_db, -cut_db);
        if c <= self.cancel_allowance_db {
            (0.0, 0.0, 0.0)
        } else {
            (c - self.cancel_allowance_db, dc_db, dc_dc)
        }
    }

    /// The same grid, target and loss with other slots (same count and order).
    pub(crate) fn with_slots(&self, slots: Vec<FilterSlot>) -> Self {
        Self {
            free: free_params(&slots),
            slots,
            grid_hz: self.grid_hz.clone(),
            phi: self.phi.clone(),
            target_db: self.target_db.clone(),
            ..*self
        }
    }

    /// Number of grid points.
    pub(crate) fn len(&self) -> usize {
        self.grid_hz.len()
    }

    pub(crate) fn workspace(&self) -> Workspace {
        let n = self.len();
        let rows = self.data_rows();
        Workspace {
            ratio: vec![1.0; n],
            total: vec![0.0; n],
            boost: vec![0.0; n],
            cut: vec![0.0; n],
            grad: vec![vec![[0.0; 3]; n]; self.slots.len()],
            fr: vec![0.0; n],
            jac: vec![0.0; (rows + n) * self.free.len()],
            resid: vec![0.0; rows + n],
        }
    }

    /// Number of data residuals: the points of the loss band below the tail, plus one for
    /// the tail.
    fn data_rows(&self) -> usize {
        let split = self.i_tail.clamp(self.lo, self.hi);
        (split - self.lo) + usize::from(self.hi > split)
    }

    /// Coordinates of every slot with the fixed values filled in and free values at `x`.
    pub(crate) fn coords(&self, base: &[Coords], x: &[f64]) -> Vec<Coords> {
        let mut c = base.to_vec();
        for (fp, &v) in self.free.iter().zip(x) {
            c[fp.slot][fp.coord] = v;
        }
        c
    }

    /// The free values of `coords`.
    pub(crate) fn free_values(&self, coords: &[Coords]) -> Vec<f64> {
        self.free
            .iter()
            .map(|fp| coords[fp.slot][fp.coord])
            .collect()
    }

    /// Coordinates of a slot at a given frequency, Q and gain.
    pub(crate) fn to_coords(freq_hz: f64, q: f64, gain_db: f64) -> Coords {
        [freq_hz.ln(), q.ln(), gain_db]
    }

    /// The filters described by `coords`.
    pub(crate) fn filters(&self, coords: &[Coords]) -> Vec<FilterSpec> {
        self.slots
            .iter()
            .zip(coords)
            .map(|(slot, c)| {
                // Fixed values are returned exactly, not through exp(ln v).
                let value = |p: Param, v: f64| match p {
                    Param::Fixed(x) => x,
                    Param::Free { min, max } => v.clamp(min, max),
                };
                FilterSpec {
                    kind: slot.kind.into(),
                    freq_hz: value(slot.freq_hz, c[0].exp()),
                    q: value(slot.q, c[1].exp()),
                    gain_db: value(slot.gain_db, c[2]),
                }
            })
            .collect()
    }

    /// Response in dB of one filter on the grid.
    pub(crate) fn filter_response(&self, slot: usize, c: &Coords, out: &mut [f64]) {
        let kind = self.slots[slot].kind.into();
        FilterPoly::design(kind, c[0].exp(), c[1].exp(), c[2], self.sample_rate_hz)
            .magnitude_db_into(&self.phi, out);
    }

    /// Designs the filter of `slot` at `c`.
    fn design(&self, slot: usize, c: &Coords) -> FilterPoly {
        let kind = self.slots[slot].kind.into();
        FilterPoly::design(kind, c[0].exp(), c[1].exp(), c[2], self.sample_rate_hz)
    }

    /// Sums the filters' responses into `ws.total`, the boosting ones (gain ≥ 0) into
    /// `ws.boost` and the cutting ones into `ws.cut` (and their derivatives into `ws.grad`),
    /// taking one logarithm per point for every [`RATIO_GROUP`] filters of one sign.
    fn total_response(&self, coords: &[Coords], ws: &mut Workspace, with_gradient: bool) {
        for (boosting, out) in [(true, &mut ws.boost), (false, &mut ws.cut)] {
            out.iter_mut().for_each(|t| *t = 0.0);
            let ids: Vec<usize> = (0..self.slots.len())
                .filter(|&s| (coords[s][2] >= 0.0) == boosting)
                .collect();
            for group in ids.chunks(RATIO_GROUP) {
                ws.ratio.iter_mut().for_each(|r| *r = 1.0);
                for &s in group {
                    let poly = self.design(s, &coords[s]);
                    if with_gradient {
                        poly.multiply_power_ratio_with_gradient(
                            &self.phi,
                            &mut ws.ratio,
                            &mut ws.grad[s],
                        );
                    } else {
                        poly.multiply_power_ratio(&self.phi, &mut ws.ratio);
                    }
                }
                for (t, r) in out.iter_mut().zip(&ws.ratio) {
                    *t += DB_PER_NEPER_POWER * r.ln();
                }
            }
        }
        for ((t, b), c) in ws.total.iter_mut().zip(&ws.boost).zip(&ws.cut) {
            *t = b + c;
        }
    }

    /// The cancellation penalty `μ·mean_k c_k²` for the boost/cut split in `ws`.
    fn cancellation_cost(&self, ws: &Workspace) -> f64 {
        if self.cancel_weight == 0.0 || ws.boost.is_empty() {
            return 0.0;
        }
        let sum: f64 = ws
            .boost
            .iter()
            .zip(&ws.cut)
            .map(|(&b, &c)| self.cancellation(b, c).0.powi(2))
            .sum();
        self.cancel_weight * sum / ws.boost.len() as f64
    }

    /// The MSE part of the loss for a total response on the grid.
    pub(crate) fn data_cost(&self, total: &[f64]) -> f64 {
        let m = self.hi.saturating_sub(self.lo);
        if m == 0 {
            return 0.0;
        }
        let n = self.len();
        let tail = &total[self.i_tail.min(n)..];
        let resp_tail_mean = if tail.is_empty() {
            0.0
        } else {
            tail.iter().sum::<f64>() / tail.len() as f64
        };
        let split = self.i_tail.clamp(self.lo, self.hi);
        let below: f64 = self.target_db[self.lo..split]
            .iter()
            .zip(&total[self.lo..split])
            .map(|(t, r)| (t - r) * (t - r))
            .sum();
        let tail_d = self.target_tail_mean - resp_tail_mean;
        (below + (self.hi - split) as f64 * tail_d * tail_d) / m as f64
    }

    /// The sharpness penalty alone (summed over the peaking slots) at `coords`.
    pub(crate) fn penalty(&self, coords: &[Coords]) -> f64 {
        let n = self.len();
        let mut fr = vec![0.0; n];
        let mut total = 0.0;
        for (s, slot) in self.slots.iter().enumerate() {
            if slot.kind == FitKind::Peaking {
                let (sig, _, _) = sharpness(coords[s][1].exp(), coords[s][2]);
                if sig >= SHARPNESS_OFF {
                    self.filter_response(s, &coords[s], &mut fr);
                    total += sig * sig * fr.iter().map(|v| v * v).sum::<f64>() / n as f64;
                }
            }
        }
        total
    }

    /// Loss² (AutoEq's loss squared) at `coords`.
    pub(crate) fn cost(&self, coords: &[Coords], ws: &mut Workspace) -> f64 {
        self.total_response(coords, ws, false);
        let mut cost = self.data_cost(&ws.total) + self.cancellation_cost(ws);
        let n = self.len() as f64;
        for (s, slot) in self.slots.iter().enumerate() {
            if slot.kind == FitKind::Peaking {
                let (sig, _, _) = sharpness(coords[s][1].exp(), coords[s][2]);
                if sig >= SHARPNESS_OFF {
                    self.design(s, &coords[s])
                        .magnitude_db_into(&self.phi, &mut ws.fr);
                    cost += sig * sig * ws.fr.iter().map(|v| v * v).sum::<f64>() / n;
                }
            }
        }
        cost
    }

    /// Cost, `Jᵀe` and `JᵀJ` over the free parameters at `coords`.
    pub(crate) fn normal_equations(&self, coords: &[Coords], ws: &mut Workspace) -> Normal {
        let n = self.len();
        let p = self.free.len();
        self.total_response(coords, ws, true);
        let mut cost = self.data_cost(&ws.total);
        let mut gradient = vec![0.0; p];
        let mut hessian = vec![0.0; p * p];

        // Data residuals and their Jacobian, column by column (stride `stride`), followed
        // by the rows of the cancellation penalty that are not negligible.
        let rows = self.data_rows();
        let stride = rows + n;
        let m = self.hi.saturating_sub(self.lo);
        let mut used = 0;
        if rows > 0 && m > 0 {
            let inv_sqrt_m = 1.0 / (m as f64).sqrt();
            let split = self.i_tail.clamp(self.lo, self.hi);
            let below = split - self.lo;
            // Points below the tail: e = (t − r)/√M, de = −dr/√M.
            for (e, i) in ws.resid.iter_mut().zip(self.lo..split) {
                *e = (self.target_db[i] - ws.total[i]) * inv_sqrt_m;
            }
            // The tail: its c identical residuals (t̄ − r̄)/√M become one, √c·(t̄ − r̄)/√M.
            let tail_len = n.saturating_sub(self.i_tail);
            let tail = (rows > below && tail_len > 0).then(|| {
                let scale = ((self.hi - split) as f64).sqrt() * inv_sqrt_m;
                (scale, 1.0 / tail_len as f64)
            });
            if let Some((scale, inv_len)) = tail {
                let resp_mean = ws.total[self.i_tail..].iter().sum::<f64>() * inv_len;
                ws.resid[below] = (self.target_tail_mean - resp_mean) * scale;
            }
            for (k, fp) in self.free.iter().enumerate() {
                let col = &mut ws.jac[k * stride..k * stride + rows];
                let g = &ws.grad[fp.slot];
                for (j, i) in col.iter_mut().zip(self.lo..split) {
                    *j = -g[i][fp.coord] * inv_sqrt_m;
                }
                if let Some((scale, inv_len)) = tail {
                    let mean_d =
                        g[self.i_tail..].iter().map(|d| d[fp.coord]).sum::<f64>() * inv_len;
                    col[below] = -mean_d * scale;
                }
            }
            used = rows;
        }
        if self.cancel_weight > 0.0 && n > 0 {
            cost += self.cancellation_cost(ws);
            // e_k = √(μ/n)·(c_k − c₀) with c = B·C/(B + C), B the boost group's dB, C = −(the
            // cut group's dB): de_k = √(μ/n)·(∂c/∂B·dB − ∂c/∂C·dcut).
            let scale = (self.cancel_weight / n as f64).sqrt();
            for i in 0..n {
                let (c, dc_db, dc_dc) = self.cancellation(ws.boost[i], ws.cut[i]);
                if c < CANCEL_ROW_MIN_DB {
                    continue;
                }
                ws.resid[used] = scale * c;
                for (k, fp) in self.free.iter().enumerate() {
                    let d = ws.grad[fp.slot][i][fp.coord];
                    let w = if coords[fp.slot][2] >= 0.0 {
                        dc_db
                    } else {
                        -dc_dc
                    };
                    ws.jac[k * stride + used] = scale * w * d;
                }
                used += 1;
            }
        }
        if used > 0 {
            let resid = &ws.resid[..used];
            for a in 0..p {
                let col_a = &ws.jac[a * stride..a * stride + used];
                gradient[a] = dot(col_a, resid);
                for b in a..p {
                    let v = dot(col_a, &ws.jac[b * stride..b * stride + used]);
                    hessian[a * p + b] = v;
                    hessian[b * p + a] = v;
                }
            }
        }

        // Sharpness penalty rows: e_i = s·fr_i/√n, touching only that filter's parameters.
        let inv_sqrt_n = 1.0 / (n as f64).sqrt();
        for (s, slot) in self.slots.iter().enumerate() {
            if slot.kind != FitKind::Peaking {
                continue;
            }
            let (sig, ds_dlnq, ds_dg) = sharpness(coords[s][1].exp(), coords[s][2]);
            if sig < SHARPNESS_OFF {
                continue;
            }
            self.design(s, &coords[s])
                .magnitude_db_into(&self.phi, &mut ws.fr);
            cost += sig * sig * ws.fr.iter().map(|v| v * v).sum::<f64>() / n as f64;
            let ds = [0.0, ds_dlnq, ds_dg];
            let idx: Vec<(usize, usize)> = self
                .free
                .iter()
                .enumerate()
                .filter(|(_, fp)| fp.slot == s)
                .map(|(k, fp)| (k, fp.coord))
                .collect();
            if idx.is_empty() {
                continue;
            }
            let mut local_g = [0.0; 3];
            let mut local_h = [[0.0; 3]; 3];
            for (fr, g) in ws.fr.iter().zip(&ws.grad[s]) {
                let e = sig * fr * inv_sqrt_n;
                let mut d = [0.0; 3];
                for (dj, &(_, coord)) in d.iter_mut().zip(&idx) {
                    *dj = (ds[coord] * fr + sig * g[coord]) * inv_sqrt_n;
                }
                for a in 0..idx.len() {
                    local_g[a] += d[a] * e;
                    for b in 0..idx.len() {
                        local_h[a][b] += d[a] * d[b];
                    }
                }
            }
            for (a, &(ka, _)) in idx.iter().enumerate() {
                gradient[ka] += local_g[a];
                for (b, &(kb, _)) in idx.iter().enumerate() {
                    hessian[ka * p + kb] += local_h[a][b];
                }
            }
        }
        Normal {
            cost,
            gradient,
            hessian,
        }
    }
}

/// Below this penalised cancellation (dB) a grid point's row is left out of the normal
/// equations: its share of the cost is < μ·1e-8/n, and its derivatives vanish with it.
const CANCEL_ROW_MIN_DB: f64 = 1e-4;

/// The smooth minimum `c = b·c/(b + c)` of two non-negative levels (negative inputs count as
/// 0) with its partial derivatives `(c, ∂c/∂b, ∂c/∂c)`: 0 when either is 0, `min/2` when they
/// are equal, the smaller one when they differ a lot.
fn soft_min(b: f64, c: f64) -> (f64, f64, f64) {
    let (b, c) = (b.max(0.0), c.max(0.0));
    let sum = b + c;
    if b == 0.0 || c == 0.0 || !sum.is_finite() {
        return (0.0, 0.0, 0.0);
    }
    let inv = 1.0 / (sum * sum);
    (b * c / sum, c * c * inv, b * b * inv)
}

/// Dot product with four independent partial sums, which the compiler can vectorise.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for k in 0..4 {
            acc[k] += x[k] * y[k];
        }
    }
    acc[0] + acc[1] + acc[2] + acc[3] + tail
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::config::FitConfig;
    use crate::fit::grid::log_grid;

    fn problem(target: impl Fn(f64) -> f64, config: &FitConfig) -> Problem {
        let grid = log_grid(20.0, 20_000.0, 1.02);
        let t = grid.iter().map(|&f| target(f)).collect();
        Problem::new(
            grid,
            t,
            44_100.0,
            config.filters.clone(),
            20.0,
            20_000.0,
            10_000.0,
        )
    }

    /// Central differences of the cost against the analytic gradient: d(Σe²)/dx = 2 Jᵀe.
    fn assert_gradient_matches_finite_differences(
        pr: &Problem,
        coords: &[Coords],
        gradient: &[f64],
        ws: &mut Workspace,
    ) {
        let x = pr.free_values(coords);
        for k in 0..x.len() {
            let h = 1e-5;
            let mut xp = x.clone();
            let mut xm = x.clone();
            xp[k] += h;
            xm[k] -= h;
            let cp = pr.cost(&pr.coords(coords, &xp), ws);
            let cm = pr.cost(&pr.coords(coords, &xm), ws);
            let fd = (cp - cm) / (2.0 * h);
            let an = 2.0 * gradient[k];
            assert!(
                (fd - an).abs() < 1e-5 * (1.0 + fd.abs()),
                "param {k}: analytic {an} vs fd {fd}"
            );
        }
    }

    fn some_coords(n: usize) -> Vec<Coords> {
        (0..n)
            .map(|j| {
                let f = 40.0 * 2f64.powf(j as f64 * 0.85);
                // The first two are within the shelf limits (Q 0.4–0.7) too.
                let q = if j < 2 { 0.6 } else { 0.5 + 0.6 * j as f64 };
                let g = if j % 2 == 0 { 4.5 } else { -3.0 };
                Problem::to_coords(f, q, g)
            })
            .collect()
    }

    #[test]
    fn cost_is_the_square_of_an_independent_loss() {
        // Straight re-implementation of the Python loss on the same grid (free shelves, so
        // that the arbitrary coordinates below are what the filters are).
        let config = FitConfig::peaking_with_shelves(8, crate::fit::config::Shelves::Free);
        let pr = problem(|f| 3.0 * (f / 1000.0).log2().sin(), &config);
        let coords = some_coords(10);
        let mut ws = pr.workspace();
        let cost = pr.cost(&coords, &mut ws);

        let filters = pr.filters(&coords);
        let n = pr.grid_hz.len();
        let mut fr: Vec<f64> = pr
            .grid_hz
            .iter()
            .map(|&f| crate::filter::cascade_magnitude_db(&filters, f, 44_100.0))
            .collect();
        let mut t = pr.target_db.clone();
        let i10 = nearest_index(&pr.grid_hz, 10_000.0);
        let mt = t[i10..].iter().sum::<f64>() / (n - i10) as f64;
        let mf = fr[i10..].iter().sum::<f64>() / (n - i10) as f64;
        t[i10..].iter_mut().for_each(|v| *v = mt);
        fr[i10..].iter_mut().for_each(|v| *v = mf);
        let hi = nearest_index(&pr.grid_hz, 20_000.0);
        let mut loss = (0..hi).map(|i| (t[i] - fr[i]).powi(2)).sum::<f64>() / hi as f64;
        for f in &filters {
            if f.kind == crate::filter::FilterKind::Peaking {
                let limit = GAIN_LIMIT_C0 + GAIN_LIMIT_C1 / f.q;
                let s = 1.0 / (1.0 + (-(f.gain_db / limit - 1.0) * 100.0).exp());
                let pen = pr
                    .grid_hz
                    .iter()
                    .map(|&x| (f.magnitude_db(x, 44_100.0) * s).powi(2))
                    .sum::<f64>()
                    / n as f64;
                loss += pen;
            }
        }
        assert!(
            (cost - loss).abs() < 1e-9 * loss.max(1.0),
            "{cost} vs {loss}"
        );
        // The coordinates include peaking filters with penalties switched on.
        assert!(
            filters
                .iter()
                .any(|f| f.gain_db > 0.0 && f.gain_db > GAIN_LIMIT_C0 + GAIN_LIMIT_C1 / f.q)
        );
    }

    #[test]
    fn sharpness_limit_is_the_18_db_per_octave_gain() {
        // DSP_REFERENCE.md §2.3: the gain limit gives an 18 dB/oct maximum slope.
        for q in [2.0, 4.0, 6.0] {
            let limit = GAIN_LIMIT_C0 + GAIN_LIMIT_C1 / q;
            let bell = FilterSpec::peaking(1000.0, q, limit);
            let step = 1.0 / 2000.0;
            let max_slope = (0..10_000)
                .map(|k| {
                    let f = 100.0 * 2f64.powf(k as f64 * step);
                    let a = bell.magnitude_db(f, 44_100.0);
                    let b = bell.magnitude_db(f * 2f64.powf(step), 44_100.0);
                    ((b - a) / step).abs()
                })
                .fold(0.0, f64::max);
            assert!(
                (17.5..18.6).contains(&max_slope),
                "Q {q}: {max_slope} dB/oct"
            );
            // Half-way up the sigmoid exactly at the limit; off well below it.
            assert!((sharpness(q, limit).0 - 0.5).abs() < 1e-12);
            assert!(sharpness(q, 0.8 * limit).0 < 1e-8);
            assert!(sharpness(q, -limit).0 < 1e-80);
        }
    }

    #[test]
    fn gradient_matches_finite_differences_of_the_cost() {
        let config = FitConfig::autoeq_8_peaking_with_shelves();
        let pr = problem(
            |f| 5.0 * (-(f / 3000.0).log2().powi(2)).exp() - 2.0,
            &config,
        );
        let mut coords = some_coords(10);
        // One filter close to its sharpness limit, where the sigmoid is steep.
        coords[4] = Problem::to_coords(2500.0, 5.0, 3.9);
        let mut ws = pr.workspace();
        let ne = pr.normal_equations(&coords, &mut ws);
        let x = pr.free_values(&coords);
        assert_gradient_matches_finite_differences(&pr, &coords, &ne.gradient, &mut ws);
        // JᵀJ is symmetric positive semi-definite on its diagonal.
        let p = x.len();
        for a in 0..p {
            assert!(ne.hessian[a * p + a] >= 0.0);
            for b in 0..p {
                assert_eq!(ne.hessian[a * p + b], ne.hessian[b * p + a]);
            }
        }
    }

    /// Coordinates with boosts and cuts overlapping, inside every limit of the 8 + 2 layout.
    fn opposing_coords() -> Vec<Coords> {
        vec![
            Problem::to_coords(105.0, 0.7, 4.0),
            Problem::to_coords(10_000.0, 0.7, -3.0),
            Problem::to_coords(80.0, 1.0, -5.0),
            Problem::to_coords(300.0, 0.6, 6.0),
            Problem::to_coords(450.0, 1.5, -4.0),
            Problem::to_coords(2_000.0, 0.5, 8.0),
            Problem::to_coords(2_600.0, 2.0, -7.0),
            Problem::to_coords(5_000.0, 3.0, 2.0),
            Problem::to_coords(7_000.0, 1.2, -3.5),
            Problem::to_coords(9_000.0, 4.0, 1.5),
        ]
    }

    #[test]
    fn soft_min_is_a_smooth_minimum() {
        assert_eq!(soft_min(0.0, 5.0), (0.0, 0.0, 0.0));
        assert_eq!(soft_min(5.0, -1.0), (0.0, 0.0, 0.0));
        assert_eq!(soft_min(4.0, 4.0).0, 2.0);
        // Far apart: close to the smaller one; always between min/2 and min.
        assert!((soft_min(100.0, 1.0).0 - 1.0).abs() < 0.011);
        for (b, c) in [(1.0, 2.0), (3.0, 0.5), (7.0, 7.5)] {
            let (v, db, dc) = soft_min(b, c);
            assert!(v <= b.min(c) && v >= 0.5 * b.min(c));
            let h = 1e-6;
            let fd_b = (soft_min(b + h, c).0 - soft_min(b - h, c).0) / (2.0 * h);
            let fd_c = (soft_min(b, c + h).0 - soft_min(b, c - h).0) / (2.0 * h);
            assert!((fd_b - db).abs() < 1e-6 && (fd_c - dc).abs() < 1e-6);
        }
    }

    #[test]
    fn cancellation_cost_matches_an_independent_sum() {
        let config = FitConfig::autoeq_8_peaking_with_shelves();
        let target = |f: f64| 2.0 * (f / 1000.0).log2().cos();
        let plain = problem(target, &config);
        let (mu, c0) = (0.3, 0.5);
        let reg = problem(target, &config).with_cancellation(mu, c0);
        let coords = opposing_coords();
        let mut ws = plain.workspace();
        let extra = reg.cost(&coords, &mut ws) - plain.cost(&coords, &mut ws);

        let filters = plain.filters(&coords);
        let (boost, cut): (Vec<FilterSpec>, Vec<FilterSpec>) =
            filters.iter().partition(|f| f.gain_db >= 0.0);
        let n = plain.grid_hz.len();
        let want = mu / n as f64
            * plain
                .grid_hz
                .iter()
                .map(|&f| {
                    let b = crate::filter::cascade_magnitude_db(&boost, f, 44_100.0);
                    let c = -crate::filter::cascade_magnitude_db(&cut, f, 44_100.0);
                    let soft = if b > 0.0 && c > 0.0 {
                        b * c / (b + c)
                    } else {
                        0.0
                    };
                    (soft - c0).max(0.0).powi(2)
                })
                .sum::<f64>();
        assert!(want > 0.1, "the coordinates must cancel: {want}");
        assert!((extra - want).abs() < 1e-9 * want, "{extra} vs {want}");
        // Switched off, or a large allowance: no penalty.
        let off = problem(target, &config).with_cancellation(0.0, 0.0);
        assert_eq!(off.cost(&coords, &mut ws), plain.cost(&coords, &mut ws));
        let lenient = problem(target, &config).with_cancellation(mu, 50.0);
        assert_eq!(lenient.cost(&coords, &mut ws), plain.cost(&coords, &mut ws));
    }

    #[test]
    fn gradient_with_cancellation_matches_finite_differences() {
        let config = FitConfig::autoeq_8_peaking_with_shelves();
        let pr = problem(|f| 3.0 * (f / 500.0).log2().sin(), &config).with_cancellation(0.2, 0.5);
        let coords = opposing_coords();
        let mut ws = pr.workspace();
        let ne = pr.normal_equations(&coords, &mut ws);
        assert!((ne.cost - pr.cost(&coords, &mut ws)).abs() < 1e-12 * ne.cost);
        assert_gradient_matches_finite_differences(&pr, &coords, &ne.gradient, &mut ws);
    }
}
