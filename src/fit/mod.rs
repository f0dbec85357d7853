//! Parametric-EQ fitting of response curves.
