//! Response curves, targets, corrections, simulations and loudness.
