//! Refcan as a standalone application (JACK, ALSA or the dummy backend): the plugin and its
//! editor without a host. Build with `--features standalone`; `--help` lists the options.

fn main() {
    nice_plug::nice_export_standalone::<refcan::Refcan>();
}
