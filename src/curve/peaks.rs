//! Peak detection with SciPy's `find_peaks` semantics, the one peak finder of the project:
//! local maxima (edges never, a plateau once at its middle sample), their topographic
//! prominence (height above the higher of the lowest points between the peak and the nearest
//! higher point on each side), and the width at half prominence with linearly interpolated
//! crossings (`rel_height = 0.5`). AutoEq uses it twice, and so do we: the correction's slope
//! limiter keeps peaks of prominence ≥ 1 dB (`find_peaks(prominence=1)`), and the fitter's
//! greedy initialisation places filters by height and width (`find_peaks(x, width=0,
//! prominence=0, height=0)`).

/// One local maximum of a sampled curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Peak {
    /// Sample index of the peak.
    pub index: usize,
    /// Value at the peak.
    pub height: f64,
    /// Height above the higher of its two bases.
    pub prominence: f64,
    /// Width in samples at `height − prominence/2`.
    pub width: f64,
}

/// All local maxima of `x` with their heights, prominences and widths, in index order.
pub fn find_peaks(x: &[f64]) -> Vec<Peak> {
    local_maxima(x)
        .into_iter()
        .map(|p| {
            let (prominence, left_base, right_base) = prominence(x, p);
            Peak {
                index: p,
                height: x[p],
                prominence,
                width: width(x, p, prominence, left_base, right_base),
            }
        })
        .collect()
}

/// Indices of the local maxima of `x` whose prominence is at least `min_prominence`.
pub fn prominent_peaks(x: &[f64], min_prominence: f64) -> Vec<usize> {
    find_peaks(x)
        .into_iter()
        .filter(|p| p.prominence >= min_prominence)
        .map(|p| p.index)
        .collect()
}

/// Indices of samples greater than both neighbours; a flat top counts once, at its middle
/// (rounded down). The first and last sample are never peaks.
fn local_maxima(x: &[f64]) -> Vec<usize> {
    let mut out = Vec::new();
    if x.len() < 3 {
        return out;
    }
    let i_max = x.len() - 1;
    let mut i = 1;
    while i < i_max {
        if x[i - 1] < x[i] {
            let mut ahead = i + 1;
            while ahead < i_max && x[ahead] == x[i] {
                ahead += 1;
            }
            if x[ahead] < x[i] {
                out.push((i + ahead - 1) / 2);
                i = ahead;
            }
        }
        i += 1;
    }
    out
}

/// Prominence of the peak at `p` and the indices of its left and right bases.
fn prominence(x: &[f64], p: usize) -> (f64, usize, usize) {
    let top = x[p];
    let (mut left_min, mut left_base) = (top, p);
    let mut i = p as isize;
    while i >= 0 && x[i as usize] <= top {
        if x[i as usize] < left_min {
            left_min = x[i as usize];
            left_base = i as usize;
        }
        i -= 1;
    }
    let (mut right_min, mut right_base) = (top, p);
    let mut j = p;
    while j < x.len() && x[j] <= top {
        if x[j] < right_min {
            right_min = x[j];
            right_base = j;
        }
        j += 1;
    }
    (top - left_min.max(right_min), left_base, right_base)
}

/// Width in samples at half prominence, crossing points linearly interpolated.
fn width(x: &[f64], p: usize, prominence: f64, left_base: usize, right_base: usize) -> f64 {
    let level = x[p] - 0.5 * prominence;
    let mut i = p;
    while left_base < i && level < x[i] {
        i -= 1;
    }
    let mut left = i as f64;
    if x[i] < level {
        left += (level - x[i]) / (x[i + 1] - x[i]);
    }
    let mut j = p;
    while j < right_base && level < x[j] {
        j += 1;
    }
    let mut right = j as f64;
    if x[j] < level {
        right -= (level - x[j]) / (x[j - 1] - x[j]);
    }
    right - left
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triangle_peak_has_half_prominence_width() {
        // 0 1 2 3 2 1 0: prominence 3, half level 1.5, crossings at 1.5 and 4.5.
        let x = [0.0, 1.0, 2.0, 3.0, 2.0, 1.0, 0.0];
        let p = find_peaks(&x);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].index, 3);
        assert_eq!(p[0].height, 3.0);
        assert!((p[0].width - 3.0).abs() < 1e-12);
    }

    #[test]
    fn plateau_counts_once_at_its_middle_and_edges_never() {
        let x = [5.0, 0.0, 2.0, 2.0, 2.0, 2.0, 0.0, 7.0];
        let p = find_peaks(&x);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].index, 3);
        assert!(find_peaks(&[1.0, 2.0]).is_empty());
        assert!(find_peaks(&[3.0, 3.0, 3.0]).is_empty());
    }

    #[test]
    fn prominence_uses_the_higher_base() {
        // Peak 4 at index 2; left base 0 (value 1), right base 5 (value 0): prominence 3.
        let x = [1.0, 2.0, 4.0, 3.0, 1.0, 0.0, 6.0, 0.0];
        let p = find_peaks(&x);
        assert_eq!(p[0].index, 2);
        assert_eq!(p[0].prominence, 3.0);
        assert_eq!(prominent_peaks(&x, 3.0), vec![2, 6]);
        assert_eq!(prominent_peaks(&x, 3.5), vec![6]);
        // Half level 2.5: left crossing between 1 (2.0) and 2 (4.0) at 1.25, right between
        // 3 (3.0) and 4 (1.0) at 3.25.
        assert!((p[0].width - 2.0).abs() < 1e-12, "{}", p[0].width);
    }
}
