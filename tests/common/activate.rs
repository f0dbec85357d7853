//! An activation context that accepts everything, for calling `Refcan::activate` directly
//! (in-process tests and benches, no host). Benches include this file by path.

use nice_plug::prelude::*;
use refcan::Refcan;

/// Accepts every request of an activation (latency, voices, tasks) and ignores it.
pub struct Accept;

impl ActivateContext<Refcan> for Accept {
    fn plugin_api(&self) -> PluginApi {
        PluginApi::Clap
    }
    fn execute(&self, _task: ()) {}
    fn set_latency_samples(&self, _samples: u32) {}
    fn set_current_voice_capacity(&self, _capacity: u32) {}
}
