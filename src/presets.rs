//! Built-in presets (targets, simulations) embedded at build time, plus the user preset folder.
