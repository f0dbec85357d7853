//! Cost of fitting a 10-filter parametric EQ (the Low CPU engine's background job), against
//! a baseline measured in the same run: one evaluation of the error figures of 10 filters
//! (`fit::evaluate`: resampling onto the grid plus one loss evaluation).
//!
//! `cargo bench --bench fit`; compare the ratios, not the absolute times.

use criterion::{Criterion, criterion_group, criterion_main};
use refcan::filter::FilterSpec;
use refcan::fit::{self, Effort, FitConfig, Regularisation};
use std::hint::black_box;

/// A correction-like curve with more detail than 10 filters can follow: a bass shelf, broad
/// and narrow bumps, a treble tilt and 1/6-octave ripple.
fn target() -> (Vec<f64>, Vec<f64>) {
    let freq = fit::grid::log_grid(20.0, 20_000.0, 1.01);
    let bumps = [
        FilterSpec::low_shelf(90.0, 0.6, 6.0),
        FilterSpec::peaking(180.0, 1.5, -3.0),
        FilterSpec::peaking(1_100.0, 0.8, 2.0),
        FilterSpec::peaking(2_900.0, 3.5, -4.0),
        FilterSpec::peaking(5_600.0, 5.0, 5.0),
        FilterSpec::peaking(8_200.0, 2.0, -6.0),
    ];
    let value = freq
        .iter()
        .map(|&f| {
            let oct = (f / 1000.0).log2();
            refcan::filter::cascade_magnitude_db(&bumps, f, 44_100.0)
                + 0.6 * (6.0 * std::f64::consts::TAU * oct / 6.0).sin()
                - 0.3 * oct
        })
        .collect();
    (freq, value)
}

fn bench(c: &mut Criterion) {
    let (freq, value) = target();
    let ten = fit::fit(&freq, &value, &FitConfig::autoeq_10_peaking()).map(|r| r.filters);
    let Ok(filters) = ten else {
        return;
    };
    let mut g = c.benchmark_group("fit_10_filters");
    g.bench_function("baseline_evaluate_10_filters", |b| {
        b.iter(|| fit::evaluate(black_box(&freq), black_box(&value), &filters, 44_100.0))
    });
    g.sample_size(20);
    for (name, config) in [
        (
            "8_peaking_with_shelves",
            FitConfig::autoeq_8_peaking_with_shelves(),
        ),
        ("10_peaking", FitConfig::autoeq_10_peaking()),
    ] {
        for effort in [Effort::Single, Effort::Thorough] {
            let cfg = config.clone().with_effort(effort);
            g.bench_function(format!("{name}_{effort:?}"), |b| {
                b.iter(|| fit::fit(black_box(&freq), black_box(&value), &cfg))
            });
        }
        // The same search without the regularisation (cancellation penalty, gain bound).
        let plain = config
            .clone()
            .with_effort(Effort::Thorough)
            .with_regularisation(Regularisation::OFF);
        g.bench_function(format!("{name}_Thorough_unregularised"), |b| {
            b.iter(|| fit::fit(black_box(&freq), black_box(&value), &plain))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
