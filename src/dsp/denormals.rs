//! Flush-to-zero and denormals-are-zero on the audio thread, for the duration of a process
//! call.
//!
//! Subnormal floats (below 1.2e-38) take a slow path in x86 and ARM FPUs, up to 100× per
//! operation; decaying filter tails and convolver accumulators produce them on silence, and
//! clap-validator's `process-audio-denormals` test feeds them in. With FTZ (results) and DAZ
//! (inputs) the hardware treats them as zero. nice-plug's own guard (feature
//! `unsafe_flush_denormals`) sets FTZ only; this one also sets DAZ and restores the host's
//! flags when dropped.

/// Sets FTZ and DAZ while alive; restores the previous control register on drop.
pub struct DenormalGuard {
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    previous: u64,
}

#[cfg(target_arch = "x86_64")]
const X86_FTZ_DAZ: u32 = (1 << 15) | (1 << 6);

#[cfg(target_arch = "aarch64")]
const ARM_FZ: u64 = 1 << 24;

impl DenormalGuard {
    /// Enables flushing on this thread until the guard is dropped.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            let mut mxcsr: u32 = 0;
            // SAFETY: reading and writing MXCSR only changes this thread's float rounding and
            // denormal flags (Intel SDM vol. 1 §10.2.3); the guard restores it.
            unsafe {
                std::arch::asm!("stmxcsr [{}]", in(reg) &mut mxcsr, options(nostack));
                let new = mxcsr | X86_FTZ_DAZ;
                std::arch::asm!("ldmxcsr [{}]", in(reg) &new, options(nostack));
            }
            Self {
                previous: u64::from(mxcsr),
            }
        }
        #[cfg(target_arch = "aarch64")]
        {
            let fpcr: u64;
            // SAFETY: FPCR.FZ flushes denormal inputs and outputs to zero for this thread only.
            unsafe {
                std::arch::asm!("mrs {}, fpcr", out(reg) fpcr, options(nostack));
                std::arch::asm!("msr fpcr, {}", in(reg) fpcr | ARM_FZ, options(nostack));
            }
            Self { previous: fpcr }
        }
        #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
        {
            Self {}
        }
    }
}

impl Drop for DenormalGuard {
    fn drop(&mut self) {
        #[cfg(target_arch = "x86_64")]
        {
            let previous = self.previous as u32;
            // SAFETY: restores the value read in `new`.
            unsafe { std::arch::asm!("ldmxcsr [{}]", in(reg) &previous, options(nostack)) };
        }
        #[cfg(target_arch = "aarch64")]
        {
            // SAFETY: restores the value read in `new`.
            unsafe { std::arch::asm!("msr fpcr, {}", in(reg) self.previous, options(nostack)) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnormals_flush_inside_the_guard_only() {
        let tiny = std::hint::black_box(1e-30f32);
        let product = || std::hint::black_box(tiny) * std::hint::black_box(1e-10f32);
        assert!(product() != 0.0, "subnormal results without the guard");
        {
            let _guard = DenormalGuard::new();
            assert_eq!(product(), 0.0);
            // DAZ: a subnormal input reads as zero.
            let sub = std::hint::black_box(1e-40f32);
            assert_eq!(sub * 1.0e10, 0.0);
        }
        assert!(product() != 0.0, "flags restored");
    }
}
