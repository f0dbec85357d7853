//! Magnitude responses of the fitted filter shapes on a fixed grid, with analytic derivatives
//! with respect to the optimiser's parameters `(ln f0, ln Q, gain_db)`.
//!
//! The magnitude uses the `φ = sin²(ω/2)` polynomial of Equalizer APO's `BiQuad::gainAt`
//! (DSP_REFERENCE.md §4.1): `|B(e^{jω})|² = (b0+b1+b2)² − 4(b0b1 + 4b0b2 + b1b2)φ + 16b0b2φ²`,
//! the same for `A`, which AutoEq's `peq.py` also uses. The cookbook coefficients (§4.1) are
//! computed once per filter with forward-mode dual numbers, so each grid point costs a few
//! multiply-adds and one logarithm, and the Jacobian is exact (no finite differences).

use crate::filter::FilterKind;
use std::f64::consts::{LN_10, PI};
use std::ops::{Add, Div, Mul, Neg, Sub};

/// `10/ln 10`: converts a natural log of a power ratio to dB.
pub(crate) const DB_PER_NEPER_POWER: f64 = 10.0 / LN_10;

/// A value with its derivatives with respect to `(ln f0, ln Q, gain_db)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Dual3 {
    pub v: f64,
    pub d: [f64; 3],
}

impl Dual3 {
    pub(crate) const fn constant(v: f64) -> Self {
        Self { v, d: [0.0; 3] }
    }
}

impl Add for Dual3 {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        Self {
            v: self.v + o.v,
            d: [self.d[0] + o.d[0], self.d[1] + o.d[1], self.d[2] + o.d[2]],
        }
    }
}

impl Sub for Dual3 {
    type Output = Self;
    fn sub(self, o: Self) -> Self {
        Self {
            v: self.v - o.v,
            d: [self.d[0] - o.d[0], self.d[1] - o.d[1], self.d[2] - o.d[2]],
        }
    }
}

impl Neg for Dual3 {
    type Output = Self;
    fn neg(self) -> Self {
        Self {
            v: -self.v,
            d: [-self.d[0], -self.d[1], -self.d[2]],
        }
    }
}

impl Mul for Dual3 {
    type Output = Self;
    fn mul(self, o: Self) -> Self {
        Self {
            v: self.v * o.v,
            d: [
                self.d[0] * o.v + self.v * o.d[0],
                self.d[1] * o.v + self.v * o.d[1],
                self.d[2] * o.v + self.v * o.d[2],
            ],
        }
    }
}

impl Div for Dual3 {
    type Output = Self;
    fn div(self, o: Self) -> Self {
        let inv = 1.0 / o.v;
        let v = self.v * inv;
        Self {
            v,
            d: [
                (self.d[0] - v * o.d[0]) * inv,
                (self.d[1] - v * o.d[1]) * inv,
                (self.d[2] - v * o.d[2]) * inv,
            ],
        }
    }
}

impl Mul<f64> for Dual3 {
    type Output = Self;
    fn mul(self, k: f64) -> Self {
        Self {
            v: self.v * k,
            d: [self.d[0] * k, self.d[1] * k, self.d[2] * k],
        }
    }
}

impl Add<f64> for Dual3 {
    type Output = Self;
    fn add(self, k: f64) -> Self {
        Self {
            v: self.v + k,
            ..self
        }
    }
}

/// `|P(e^{jω})|² = c0 + c1·φ + c2·φ²` for one side (numerator or denominator) of a biquad.
#[derive(Debug, Clone, Copy)]
struct PhiPoly {
    c0: Dual3,
    c1: Dual3,
    c2: Dual3,
}

impl PhiPoly {
    fn new(p0: Dual3, p1: Dual3, p2: Dual3) -> Self {
        let s = p0 + p1 + p2;
        Self {
            c0: s * s,
            c1: (p0 * p1 + p0 * p2 * 4.0 + p1 * p2) * -4.0,
            c2: p0 * p2 * 16.0,
        }
    }
}

/// The two `φ` polynomials of one designed filter, with derivatives.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FilterPoly {
    num: PhiPoly,
    den: PhiPoly,
}

/// `sin²(π f / fs)` for each grid frequency: the `φ` of the magnitude polynomial.
pub(crate) fn phi_grid(freq_hz: &[f64], sample_rate_hz: f64) -> Vec<f64> {
    freq_hz
        .iter()
        .map(|&f| (PI * f / sample_rate_hz).sin().powi(2))
        .collect()
}

impl FilterPoly {
    /// Designs a peaking or shelf filter (cookbook, DSP_REFERENCE.md §4.1) as dual numbers.
    /// Other kinds are not fitted and design as identity.
    pub(crate) fn design(
        kind: FilterKind,
        freq_hz: f64,
        q: f64,
        gain_db: f64,
        sample_rate_hz: f64,
    ) -> Self {
        let w0 = 2.0 * PI * freq_hz / sample_rate_hz;
        let (sn_v, cs_v) = w0.sin_cos();
        // d/d(ln f0) of cos w0 and sin w0 (dw0/d ln f0 = w0).
        let cs = Dual3 {
            v: cs_v,
            d: [-sn_v * w0, 0.0, 0.0],
        };
        let sn = Dual3 {
            v: sn_v,
            d: [cs_v * w0, 0.0, 0.0],
        };
        let q_d = Dual3 {
            v: q,
            d: [0.0, q, 0.0],
        };
        let alpha = sn / (q_d * 2.0);
        let a_v = 10f64.powf(gain_db / 40.0);
        let a = Dual3 {
            v: a_v,
            d: [0.0, 0.0, a_v * LN_10 / 40.0],
        };
        let sqrt_a_v = a_v.sqrt();
        let sqrt_a = Dual3 {
            v: sqrt_a_v,
            d: [0.0, 0.0, sqrt_a_v * LN_10 / 80.0],
        };
        let one = Dual3::constant(1.0);
        let two_sqrt_a_alpha = sqrt_a * alpha * 2.0;
        let ap1 = a + 1.0;
        let am1 = a + -1.0;
        let (b0, b1, b2, a0, a1, a2) = match kind {
            FilterKind::Peaking => (
                one + alpha * a,
                cs * -2.0,
                one - alpha * a,
                one + alpha / a,
                cs * -2.0,
                one - alpha / a,
            ),
            FilterKind::LowShelf => (
                a * (ap1 - am1 * cs + two_sqrt_a_alpha),
                a * (am1 - ap1 * cs) * 2.0,
                a * (ap1 - am1 * cs - two_sqrt_a_alpha),
                ap1 + am1 * cs + two_sqrt_a_alpha,
                (am1 + ap1 * cs) * -2.0,
                ap1 + am1 * cs - two_sqrt_a_alpha,
            ),
            FilterKind::HighShelf => (
                a * (ap1 + am1 * cs + two_sqrt_a_alpha),
                a * (am1 + ap1 * cs) * -2.0,
                a * (ap1 + am1 * cs - two_sqrt_a_alpha),
                ap1 - am1 * cs + two_sqrt_a_alpha,
                (am1 - ap1 * cs) * 2.0,
                ap1 - am1 * cs - two_sqrt_a_alpha,
            ),
            _ => (
                one,
                Dual3::constant(0.0),
                Dual3::constant(0.0),
                one,
                Dual3::constant(0.0),
                Dual3::constant(0.0),
            ),
        };
        Self {
            num: PhiPoly::new(b0, b1, b2),
            den: PhiPoly::new(a0, a1, a2),
        }
    }

    /// Magnitude in dB at each `φ`, written into `out`.
    pub(crate) fn magnitude_db_into(&self, phi: &[f64], out: &mut [f64]) {
        let (n, d) = (&self.num, &self.den);
        for (o, &p) in out.iter_mut().zip(phi) {
            let nv = n.c0.v + p * (n.c1.v + p * n.c2.v);
            let dv = d.c0.v + p * (d.c1.v + p * d.c2.v);
            *o = DB_PER_NEPER_POWER * (nv.max(1e-300) / dv.max(1e-300)).ln();
        }
    }

    /// Multiplies `ratio` by this filter's power ratio `|B|²/|A|²` at each `φ` (so a cascade
    /// needs one logarithm per point, not one per filter and point).
    pub(crate) fn multiply_power_ratio(&self, phi: &[f64], ratio: &mut [f64]) {
        let (n, d) = (&self.num, &self.den);
        for (r, &p) in ratio.iter_mut().zip(phi) {
            let nv = (n.c0.v + p * (n.c1.v + p * n.c2.v)).max(1e-300);
            let dv = (d.c0.v + p * (d.c1.v + p * d.c2.v)).max(1e-300);
            *r *= nv / dv;
        }
    }

    /// As [`Self::multiply_power_ratio`], and writes the dB derivatives by `(ln f0, ln Q,
    /// gain_db)` at each `φ` into `grad`: `d dB = 10/ln 10 · (dN/N − dD/D)`.
    pub(crate) fn multiply_power_ratio_with_gradient(
        &self,
        phi: &[f64],
        ratio: &mut [f64],
        grad: &mut [[f64; 3]],
    ) {
        let (n, d) = (&self.num, &self.den);
        for ((r, g), &p) in ratio.iter_mut().zip(grad.iter_mut()).zip(phi) {
            let p2 = p * p;
            let nv = (n.c0.v + p * n.c1.v + p2 * n.c2.v).max(1e-300);
            let dv = (d.c0.v + p * d.c1.v + p2 * d.c2.v).max(1e-300);
            *r *= nv / dv;
            let (inv_n, inv_d) = (DB_PER_NEPER_POWER / nv, DB_PER_NEPER_POWER / dv);
            for (k, gk) in g.iter_mut().enumerate() {
                let dn = n.c0.d[k] + p * n.c1.d[k] + p2 * n.c2.d[k];
                let dd = d.c0.d[k] + p * d.c1.d[k] + p2 * d.c2.d[k];
                *gk = dn * inv_n - dd * inv_d;
            }
        }
    }

    /// Magnitude in dB and its three partial derivatives at each `φ`.
    #[cfg(test)]
    pub(crate) fn magnitude_db_with_gradient_into(
        &self,
        phi: &[f64],
        out: &mut [f64],
        grad: &mut [[f64; 3]],
    ) {
        let (n, d) = (&self.num, &self.den);
        for ((o, g), &p) in out.iter_mut().zip(grad.iter_mut()).zip(phi) {
            let p2 = p * p;
            let nv = (n.c0.v + p * n.c1.v + p2 * n.c2.v).max(1e-300);
            let dv = (d.c0.v + p * d.c1.v + p2 * d.c2.v).max(1e-300);
            *o = DB_PER_NEPER_POWER * (nv / dv).ln();
            let (inv_n, inv_d) = (1.0 / nv, 1.0 / dv);
            for (k, gk) in g.iter_mut().enumerate() {
                let dn = n.c0.d[k] + p * n.c1.d[k] + p2 * n.c2.d[k];
                let dd = d.c0.d[k] + p * d.c1.d[k] + p2 * d.c2.d[k];
                *gk = DB_PER_NEPER_POWER * (dn * inv_n - dd * inv_d);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::FilterSpec;

    const FS: f64 = 44_100.0;

    fn grid() -> Vec<f64> {
        (0..349).map(|k| 20.0 * 1.02f64.powi(k)).collect()
    }

    fn response(kind: FilterKind, f0: f64, q: f64, g: f64, freqs: &[f64]) -> Vec<f64> {
        let phi = phi_grid(freqs, FS);
        let mut out = vec![0.0; freqs.len()];
        FilterPoly::design(kind, f0, q, g, FS).magnitude_db_into(&phi, &mut out);
        out
    }

    #[test]
    fn matches_the_biquad_module() {
        let freqs = grid();
        for (kind, f0, q, g) in [
            (FilterKind::Peaking, 1000.0, 2.0, 6.0),
            (FilterKind::Peaking, 20.0, 6.0, -12.0),
            (FilterKind::Peaking, 9_000.0, 0.2, 15.0),
            (FilterKind::LowShelf, 105.0, 0.7, 6.0),
            (FilterKind::HighShelf, 10_000.0, 0.4, -7.5),
        ] {
            let ours = response(kind, f0, q, g, &freqs);
            let spec = FilterSpec {
                kind,
                freq_hz: f0,
                q,
                gain_db: g,
            };
            for (f, o) in freqs.iter().zip(&ours) {
                let want = spec.magnitude_db(*f, FS);
                assert!((o - want).abs() < 1e-7, "{kind:?} {f}: {o} vs {want}");
            }
        }
    }

    #[test]
    fn gradient_matches_central_differences() {
        let freqs = grid();
        let phi = phi_grid(&freqs, FS);
        for (kind, f0, q, g) in [
            (FilterKind::Peaking, 700.0, 1.3, -5.5),
            (FilterKind::Peaking, 35.0, 4.0, 9.0),
            (FilterKind::LowShelf, 105.0, 0.7, 6.0),
            (FilterKind::LowShelf, 40.0, 0.6, 4.5),
            (FilterKind::HighShelf, 6_000.0, 0.5, -4.0),
        ] {
            let poly = FilterPoly::design(kind, f0, q, g, FS);
            let mut val = vec![0.0; freqs.len()];
            let mut grad = vec![[0.0; 3]; freqs.len()];
            poly.magnitude_db_with_gradient_into(&phi, &mut val, &mut grad);
            let mut ratio = vec![2.0; freqs.len()];
            let mut grad2 = vec![[0.0; 3]; freqs.len()];
            poly.multiply_power_ratio_with_gradient(&phi, &mut ratio, &mut grad2);
            for i in 0..freqs.len() {
                assert!((DB_PER_NEPER_POWER * (ratio[i] / 2.0).ln() - val[i]).abs() < 1e-9);
                for k in 0..3 {
                    assert!((grad[i][k] - grad2[i][k]).abs() < 1e-12 * (1.0 + grad[i][k].abs()));
                }
            }
            let h = 1e-4;
            let params = [f0.ln(), q.ln(), g];
            for k in 0..3 {
                let mut hi = params;
                let mut lo = params;
                hi[k] += h;
                lo[k] -= h;
                let r_hi = response(kind, hi[0].exp(), hi[1].exp(), hi[2], &freqs);
                let r_lo = response(kind, lo[0].exp(), lo[1].exp(), lo[2], &freqs);
                for i in 0..freqs.len() {
                    let fd = (r_hi[i] - r_lo[i]) / (2.0 * h);
                    let tol = 1e-5 * (1.0 + fd.abs());
                    assert!(
                        (fd - grad[i][k]).abs() < tol,
                        "{kind:?} param {k} at {} Hz: analytic {} vs fd {fd}",
                        freqs[i],
                        grad[i][k]
                    );
                }
            }
        }
    }
}
