//! Bound-constrained Levenberg–Marquardt on the normal equations of [`Problem`].
//!
//! Each iteration solves `(JᵀJ + λ·diag(JᵀJ)) δ = −Jᵀe` (Marquardt's scaling) over the
//! parameters that are not held at a bound by the gradient, projects the trial point onto
//! the box, and accepts it when the actual reduction agrees with the predicted one; λ is
//! updated with Nielsen's rule (H. B. Nielsen, "Damping parameter in Marquardt's method",
//! IMM-REP-1999-05; K. Madsen, H. B. Nielsen, O. Tingleff, "Methods for non-linear least
//! squares problems", 2004, §3.2). Only decreasing steps are accepted, so the result is never
//! worse than the start.

use super::problem::{Coords, Problem, Workspace};

/// Stopping rules.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LmOptions {
    /// Upper limit on accepted plus rejected iterations.
    pub max_iterations: usize,
    /// Stop when an accepted step reduces the cost by less than this fraction, twice in a row.
    pub rel_tolerance: f64,
}

impl Default for LmOptions {
    fn default() -> Self {
        Self {
            max_iterations: 300,
            rel_tolerance: 1e-7,
        }
    }
}

/// Where the optimiser stopped.
#[derive(Debug, Clone)]
pub(crate) struct LmOutcome {
    pub coords: Vec<Coords>,
    pub cost: f64,
    pub iterations: usize,
}

/// Minimises the cost from `start` (coordinates of all slots; free ones are clamped first).
pub(crate) fn minimise(
    pr: &Problem,
    start: &[Coords],
    options: LmOptions,
    ws: &mut Workspace,
) -> LmOutcome {
    let p = pr.free.len();
    let mut x: Vec<f64> = pr
        .free_values(start)
        .iter()
        .zip(&pr.free)
        .map(|(&v, fp)| clamp(v, fp.lo, fp.hi))
        .collect();
    let mut coords = pr.coords(start, &x);
    let mut ne = pr.normal_equations(&coords, ws);
    let mut cost = ne.cost;
    if p == 0 || !cost.is_finite() {
        return LmOutcome {
            coords,
            cost,
            iterations: 0,
        };
    }
    let mut lambda = 1e-3;
    let mut nu = 2.0;
    let mut small_steps = 0;
    let mut iterations = 0;
    let mut free_idx: Vec<usize> = Vec::with_capacity(p);
    let mut mat = vec![0.0; p * p];
    let mut rhs = vec![0.0; p];

    while iterations < options.max_iterations {
        iterations += 1;
        // Parameters held at a bound: the descent direction −g points out of the box.
        free_idx.clear();
        for (k, fp) in pr.free.iter().enumerate() {
            let g = ne.gradient[k];
            let span = (fp.hi - fp.lo).max(1e-12);
            let at_lo = x[k] <= fp.lo + 1e-10 * span && g > 0.0;
            let at_hi = x[k] >= fp.hi - 1e-10 * span && g < 0.0;
            if !(at_lo || at_hi) {
                free_idx.push(k);
            }
        }
        let m = free_idx.len();
        if m == 0 {
            break;
        }
        let max_diag = free_idx
            .iter()
            .map(|&k| ne.hessian[k * p + k])
            .fold(0.0f64, f64::max);
        let floor = 1e-9 * max_diag + 1e-12;
        for (a, &ka) in free_idx.iter().enumerate() {
            for (b, &kb) in free_idx.iter().enumerate() {
                mat[a * m + b] = ne.hessian[ka * p + kb];
            }
            let d = ne.hessian[ka * p + ka].max(floor);
            mat[a * m + a] += lambda * d;
            rhs[a] = -ne.gradient[ka];
        }
        let Some(delta) = cholesky_solve(&mut mat[..m * m], &rhs[..m], m) else {
            lambda *= nu;
            nu *= 2.0;
            if lambda > 1e16 {
                break;
            }
            continue;
        };
        let mut trial = x.clone();
        for (a, &k) in free_idx.iter().enumerate() {
            let fp = &pr.free[k];
            trial[k] = clamp(x[k] + delta[a], fp.lo, fp.hi);
        }
        // Predicted reduction of Σe² for the projected step s: −(2 gᵀs + sᵀ JᵀJ s).
        let s: Vec<f64> = trial.iter().zip(&x).map(|(t, v)| t - v).collect();
        let step_norm = s.iter().map(|v| v * v).sum::<f64>().sqrt();
        if step_norm < 1e-12 {
            break;
        }
        let mut g_s = 0.0;
        let mut s_h_s = 0.0;
        for a in 0..p {
            if s[a] == 0.0 {
                continue;
            }
            g_s += ne.gradient[a] * s[a];
            let row = &ne.hessian[a * p..(a + 1) * p];
            s_h_s += s[a] * row.iter().zip(&s).map(|(h, v)| h * v).sum::<f64>();
        }
        let predicted = -(2.0 * g_s + s_h_s);
        let trial_coords = pr.coords(&coords, &trial);
        let trial_cost = pr.cost(&trial_coords, ws);
        let actual = cost - trial_cost;
        let rho = if predicted > 0.0 {
            actual / predicted
        } else {
            -1.0
        };
        if trial_cost.is_finite() && actual > 0.0 && rho > 1e-4 {
            x = trial;
            coords = trial_coords;
            ne = pr.normal_equations(&coords, ws);
            let rel = actual / cost.max(1e-300);
            cost = ne.cost;
            lambda *= (1.0 - (2.0 * rho - 1.0).powi(3)).max(1.0 / 3.0);
            lambda = lambda.max(1e-12);
            nu = 2.0;
            if rel < options.rel_tolerance {
                small_steps += 1;
                if small_steps >= 2 {
                    break;
                }
            } else {
                small_steps = 0;
            }
        } else {
            lambda *= nu;
            nu *= 2.0;
            if lambda > 1e16 {
                break;
            }
        }
    }
    LmOutcome {
        coords,
        cost,
        iterations,
    }
}

fn clamp(v: f64, lo: f64, hi: f64) -> f64 {
    if v.is_nan() { lo } else { v.clamp(lo, hi) }
}

/// Solves `A x = b` for symmetric positive-definite `A` (row-major `n × n`, overwritten by
/// its Cholesky factor); `None` when `A` is not positive definite.
fn cholesky_solve(a: &mut [f64], b: &[f64], n: usize) -> Option<Vec<f64>> {
    for j in 0..n {
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= a[j * n + k] * a[j * n + k];
        }
        if !(d > 0.0 && d.is_finite()) {
            return None;
        }
        let d = d.sqrt();
        a[j * n + j] = d;
        for i in j + 1..n {
            let mut v = a[i * n + j];
            for k in 0..j {
                v -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = v / d;
        }
    }
    let mut y = b.to_vec();
    for i in 0..n {
        for k in 0..i {
            y[i] -= a[i * n + k] * y[k];
        }
        y[i] /= a[i * n + i];
    }
    for i in (0..n).rev() {
        for k in i + 1..n {
            y[i] -= a[k * n + i] * y[k];
        }
        y[i] /= a[i * n + i];
    }
    Some(y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_solves_a_small_system() {
        let mut a = vec![4.0, 2.0, 2.0, 3.0];
        let x = cholesky_solve(&mut a, &[2.0, 1.0], 2).unwrap();
        // 4x + 2y = 2, 2x + 3y = 1 → x = 0.5, y = 0.
        assert!((x[0] - 0.5).abs() < 1e-12 && x[1].abs() < 1e-12);
        let mut singular = vec![1.0, 1.0, 1.0, 1.0];
        assert!(cholesky_solve(&mut singular, &[1.0, 1.0], 2).is_none());
    }
}
