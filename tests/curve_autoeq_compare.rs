//! Manual cross-check against AutoEq's own results (not run by default: it reads the
//! reference data in place, which is not part of the project and is never copied into it).
//!
//! Run: `REFCAN_SHARED_DATA=/work/shared/data cargo test --test curve_autoeq_compare -- --ignored --nocapture`
//! Files: `results/<name>.csv` of `jaakkopasanen/AutoEq` (paths and commits in the data's
//! SOURCES.txt), columns frequency, raw, …, equalization (col 5), …, target (col 10).

use refcan::curve::{CorrectionSettings, Response, correct, grid_hz};
use std::path::PathBuf;

/// frequency, raw, equalization and target columns.
type Columns = (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>);

fn read_columns(path: &PathBuf) -> Option<Columns> {
    let text = std::fs::read_to_string(path).ok()?;
    let (mut f, mut raw, mut eq, mut target) = (vec![], vec![], vec![], vec![]);
    for line in text.lines().skip(1) {
        let cols: Vec<f64> = line
            .split(',')
            .map(|x| x.parse().unwrap_or(f64::NAN))
            .collect();
        f.push(*cols.first()?);
        raw.push(*cols.get(1)?);
        eq.push(*cols.get(5)?);
        target.push(*cols.get(10)?);
    }
    Some((f, raw, eq, target))
}

#[test]
#[ignore = "needs REFCAN_SHARED_DATA pointing at the reference data folder"]
fn our_correction_reproduces_autoeq_equalization() {
    let Some(root) = std::env::var_os("REFCAN_SHARED_DATA") else {
        panic!("set REFCAN_SHARED_DATA to the shared data folder");
    };
    for name in [
        "Beyerdynamic DT 770 Pro (worn earpads)",
        "Sennheiser HD 600",
    ] {
        let path = PathBuf::from(&root)
            .join("autoeq/results")
            .join(format!("{name}.csv"));
        let Some((f, raw, eq, target)) = read_columns(&path) else {
            panic!("cannot read {}", path.display())
        };
        let (Ok(h), Ok(t), Ok(autoeq)) = (
            Response::from_points(&f, &raw),
            Response::from_points(&f, &target),
            Response::from_points(&f, &eq),
        ) else {
            panic!("bad columns in {}", path.display())
        };
        let ours = correct(&t, &h, &CorrectionSettings::default());
        // AutoEq's result files are offset-aligned, not always centred at 1 kHz: compare
        // shapes after removing the mean difference, away from the 6 dB clip.
        let pts: Vec<(f64, f64)> = grid_hz()
            .iter()
            .filter(|&&fr| fr <= 10_000.0)
            .map(|&fr| (ours.gain_at(fr), autoeq.gain_at(fr)))
            .filter(|(a, b)| *a < 5.9 && *b < 5.9)
            .collect();
        let offset = pts.iter().map(|(a, b)| a - b).sum::<f64>() / pts.len() as f64;
        let worst = pts
            .iter()
            .map(|(a, b)| (a - b - offset).abs())
            .fold(0.0, f64::max);
        eprintln!(
            "{name}: offset {offset:+.3} dB, max shape difference {worst:.3} dB (20 Hz–10 kHz)"
        );
        assert!(worst <= 0.1, "{name}: {worst}");
    }
}
